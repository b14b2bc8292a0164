"""The API's own documentation: Swagger UI at `/docs`, served from an installed package, and the OpenAPI
document completed with what FastAPI cannot see by itself.

Swagger UI's files come from the `fastapi-offline` wheel (a dependency in pyproject.toml), so nothing is
loaded from another site: the Content-Security-Policy of `'self'` holds on this page too. The page starts
Swagger UI from `/static/js/api-docs.js`, never an inline script.

FastAPI documents the 200 and the 422 of a validated body. The other answers a path can give come from the
one error handler (web/errors.py) and are added here from the route itself, so the document cannot forget a
route: 404 when nobody is enrolled yet (every route that needs "the current person") or the id in the path is
not known, 409 when the program is withheld or locked, or today's safety check is still due, 413 for a body
too large, and 422 for any route that takes input (and for every route: a NUL character in the address or
query, web/input_guard.py). Every 4xx of every operation is the one `ErrorBody` (`detail` a string), never
FastAPI's own `HTTPValidationError` (`detail` a list), which the handler never sends.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from kneehab.web.deps import CALLS_WITHIN, current_actor, current_person
from kneehab.web.input_guard import MAX_BODY_BYTES
from kneehab.web.routes.data import ExportView
from kneehab.web.routes.today import PlayerState

SWAGGER_DIR = Path(fastapi_offline.__file__).parent / "static"
DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"
API_PREFIX = "/api/v1"

DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>kneehab API · OpenAPI</title>
  <link rel="stylesheet" href="{assets}/swagger-ui.css">
  <link rel="icon" href="/static/icon.svg" type="image/svg+xml">
</head>
<body>
  <main id="swagger-ui" data-openapi-url="{openapi}">
    <noscript><p>The API reference needs JavaScript. The schema itself is at
      <a href="{openapi}">{openapi}</a>.</p></noscript>
  </main>
  <script src="{assets}/swagger-ui-bundle.js"></script>
  <script src="/static/js/api-docs.js"></script>
</body>
</html>
"""


class ErrorItem(BaseModel):
    field: str = Field(
        description="The machine name of the field (empty when the problem is not one field's)"
    )
    problem: str = Field(description="The problem as in `problems`")
    message: str = Field(description="The same in plain words, for a person")


class ErrorBody(BaseModel):
    """Every 4xx answer of the API (web/errors.py)."""

    detail: str = Field(description="The first problem, in words")
    problems: list[str] = Field(description="Each problem: `field: what is wrong (allowed: ...)`")
    errors: list[ErrorItem] = Field(
        default_factory=list, description="Each problem with its field and plain words"
    )


NOT_ENROLLED = "The signed-in person has no program yet: answer the safety questions first (`POST /api/v1/screening`, then `POST /api/v1/enroll`)"
UNKNOWN_ID = "The id in the path is not one of yours (the message names it and what is allowed)"
CONFLICT = (
    "The program is withheld or locked by a warning sign (the body says what to do instead), or "
    "today's safety check must be answered first (the body names `/api/v1/today/check` or `/api/v1/rescreen`)"
)
INVALID = (
    "A mistake in the input (a NUL character or NaN/Infinity among them): each problem names its "
    "field and what is allowed; nothing is saved"
)
# Every request: a NUL character in the address, the query or a body, or NaN/Infinity in a JSON body, is
# refused before any route runs (web/input_guard.py).
NUL_OR_NAN = (
    "A NUL character (`\\u0000`) in the address or the query, or in a field of the body, or `NaN`/"
    "`Infinity` in a JSON body: the problem names where; nothing is saved"
)
TOO_LARGE = f"The body is larger than {MAX_BODY_BYTES:,} bytes: nothing of it is read"

# The routes that load the program (routes/common.py `require_program` or `require_session_check`) and so
# answer 409 while it is withheld or locked. Checked against the real answers by tests/api/test_integrator.py.
CONFLICT_PATHS: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/api/v1/program"),
        ("GET", "/api/v1/program/swaps"),
        ("POST", "/api/v1/program/swaps"),
        ("POST", "/api/v1/program/offers"),
        ("GET", "/api/v1/program/exercises/{exercise_id}"),
        ("GET", "/api/v1/program/avoid"),
        ("GET", "/api/v1/program/equipment"),
        ("GET", "/api/v1/program/advice"),
        ("GET", "/api/v1/today/check"),
        ("POST", "/api/v1/today/check"),
        ("GET", "/api/v1/today"),
        ("POST", "/api/v1/today/entries"),
        ("POST", "/api/v1/today/state"),
        ("POST", "/api/v1/today/stop"),
        ("GET", "/api/v1/checkin"),
        ("GET", "/api/v1/changes"),
        ("POST", "/api/v1/checkins"),
        ("GET", "/api/v1/progress"),
        ("GET", "/api/v1/progress/exercises/{exercise_id}"),
        ("GET", "/api/v1/outcomes"),
        ("POST", "/api/v1/outcomes"),
        # A clinician reads a person's course through the same builders (a withheld program is 409).
        ("GET", "/api/v1/patients/{person_id}/program"),
        ("GET", "/api/v1/patients/{person_id}/today"),
        ("GET", "/api/v1/patients/{person_id}/progress"),
        ("GET", "/api/v1/patients/{person_id}/changes"),
        # The handout and the calendar print the program, so a withheld or locked one is 409 too.
        ("GET", "/api/v1/program/handout.pdf"),
        ("GET", "/api/v1/program/calendar.ics"),
        ("POST", "/api/v1/program/calendar/subscription"),
        ("GET", "/api/v1/patients/{person_id}/handout.pdf"),
        ("GET", "/api/v1/patients/{person_id}/calendar.ics"),
    }
)
# Routes that read their JSON body by hand (a size limit before parsing): the body's model for the document.
BODY_MODELS: dict[tuple[str, str], type[BaseModel]] = {("POST", "/api/v1/today/state"): PlayerState}
# Routes that answer a JSONResponse built by hand: the model their 200 follows (checked by the tests).
RESPONSE_MODELS: dict[tuple[str, str], type[BaseModel]] = {("GET", "/api/v1/export"): ExportView}
# Routes that answer a file that is not JSON: its media type.
FILE_RESPONSES: dict[tuple[str, str], str] = {("GET", "/api/v1/export.csv"): "text/csv"}


def _calls(dep: Dependant) -> set[Any]:
    out = {dep.call, *CALLS_WITHIN.get(dep.call, ())} if dep.call is not None else set()
    for sub in dep.dependencies:
        out |= _calls(sub)
    return out


def _params(dep: Dependant, kind: str) -> list[Any]:
    """The route's `kind` parameters (`path_params`, …), its dependencies' too: a path id read by a
    dependency is validated (422) like one the route reads itself."""
    found = list(getattr(dep, kind))
    for sub in dep.dependencies:
        found += _params(sub, kind)
    return found


def _takes_input(route: APIRoute, key: tuple[str, str]) -> bool:
    dep = route.dependant
    inputs = ("body_params", "query_params", "path_params")
    return (
        any(_params(dep, kind) for kind in inputs)
        or key in BODY_MODELS
        or (route.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"} != set()
    )


SIGN_IN = (
    "No valid session cookie or `Authorization: Bearer` token: sign in with `POST /api/v1/auth/login` "
    "(or `/auth/signup`)"
)
NOT_YOURS = (
    "Not one of the people of your clinic, or you are not a clinician: the same answer as a record "
    "that does not exist"
)
WRONG_PAIR = "The email and password do not match an account (one message for either)"
CSRF = (
    "A write with the session cookie but without its `X-CSRF-Token` (from login or signup), or from "
    "another website (`Origin`/`Sec-Fetch-Site`)"
)
JSON_ONLY = "The body is not `application/json`"
THROTTLED = "Too many wrong passwords for this account or address: the body says until when"
EXISTS = "An account with this email exists: sign in instead"
# Every request: a foreign Host name is answered 400 before any route runs (web/security.py).
HOST = "The Host header is not one this server answers to (settings: allowed_hosts, public_url)"


def error_responses(route: APIRoute, method: str) -> dict[str, str]:
    """The 4xx answers this route can give (status → description)."""
    key = (method, route.path)
    calls = _calls(route.dependant)
    out: dict[str, str] = {"400": HOST}
    if current_actor in calls:
        out["401"] = SIGN_IN
    if key == ("POST", "/api/v1/auth/login"):
        out["401"] = WRONG_PAIR
        out["429"] = THROTTLED
    if key == ("POST", "/api/v1/auth/signup"):
        out["409"] = EXISTS
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        out["403"] = CSRF
        out["413"] = TOO_LARGE
        out["415"] = JSON_ONLY
    if current_person in calls:
        out["404"] = NOT_ENROLLED
    if route.path.startswith(("/api/v1/patients", "/api/v1/clinic")):
        out["404"] = NOT_YOURS
    if _params(route.dependant, "path_params"):
        out["404"] = f"{out['404']}; or: {UNKNOWN_ID}" if "404" in out else UNKNOWN_ID
    if key in CONFLICT_PATHS:
        out["409"] = CONFLICT
    if key == ("POST", "/api/v1/enroll"):
        out["409"] = "You already have a program: nothing already saved is replaced"
    out["422"] = INVALID if _takes_input(route, key) else NUL_OR_NAN
    return out


def _schema_of(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        components.setdefault(name, sub)
    components.setdefault(model.__name__, schema)
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _api_routes(routers: Sequence[APIRouter]) -> Iterator[APIRoute]:
    # From the routers themselves (their paths carry their prefix): app.routes nests included routers
    # differently from one FastAPI version to the next.
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.include_in_schema:
                yield route


def build_openapi(app: FastAPI, routers: Sequence[APIRouter]) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components: dict[str, Any] = doc.setdefault("components", {}).setdefault("schemas", {})
    error_ref = _schema_of(ErrorBody, components)
    for route in _api_routes(routers):
        for method in route.methods or ():
            op = doc["paths"].get(route.path, {}).get(method.lower())
            if op is None:
                continue
            key = (method, route.path)
            responses = op.setdefault("responses", {})
            for status, description in error_responses(route, method).items():
                responses[status] = {
                    "description": description,
                    "content": {"application/json": {"schema": error_ref}},
                }
            if key in BODY_MODELS:
                op["requestBody"] = {
                    "required": True,
                    "content": {
                        "application/json": {"schema": _schema_of(BODY_MODELS[key], components)}
                    },
                }
            if key in FILE_RESPONSES:
                responses["200"]["content"] = {FILE_RESPONSES[key]: {"schema": {"type": "string"}}}
            if key in RESPONSE_MODELS:
                ok = next(s for s in ("200", "201") if s in responses)
                responses[ok]["content"] = {
                    "application/json": {"schema": _schema_of(RESPONSE_MODELS[key], components)}
                }
    _one_error_shape(doc, error_ref)
    app.openapi_schema = doc
    return doc


def _one_error_shape(doc: dict[str, Any], error_ref: dict[str, Any]) -> None:
    """Every 4xx of every operation is the one ErrorBody the handler sends: FastAPI's own 422
    (`HTTPValidationError`, `detail` a list) and a route's own `responses=` entries never stand."""
    for ops in doc["paths"].values():
        for op in ops.values():
            for status, response in op.get("responses", {}).items():
                if status.startswith("4"):
                    response["content"] = {"application/json": {"schema": error_ref}}
    text = repr(doc["paths"])
    schemas = doc.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"/{unused}'" not in text:
            schemas.pop(unused, None)


def install(app: FastAPI, routers: Sequence[APIRouter]) -> None:
    """`/docs` (Swagger UI from the installed package) and the completed OpenAPI document."""
    assert app.openapi_url is not None
    html = DOCS_PAGE.format(assets=ASSETS_URL, openapi=app.openapi_url)

    @app.get(DOCS_URL, include_in_schema=False, response_class=HTMLResponse)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(html)

    app.mount(ASSETS_URL, StaticFiles(directory=str(SWAGGER_DIR)), name="api-docs-assets")
    app.openapi = lambda: build_openapi(app, routers)  # type: ignore[method-assign]
