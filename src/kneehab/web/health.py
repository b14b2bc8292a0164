"""Probes for load balancers and orchestrators: `/healthz` (the process answers) and `/readyz` (it can
serve: the database is reachable and its schema is the one this kneehab needs).

Both are anonymous and carry no personal data. They are plain Starlette routes, outside FastAPI's
app-wide dependencies, so a probe never looks up a session: `/healthz` touches no database at all.
"""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse

from kneehab.store.db import schema_state
from kneehab.web.deps import WebState

PROBE_PATHS = ("/healthz", "/readyz")


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def readyz(request: Request) -> JSONResponse:
    """Sync, so Starlette runs it in its thread pool: the database call never blocks the loop."""
    state: WebState = request.app.state.web
    try:
        schema = schema_state(state.db.engine)
    except SQLAlchemyError as err:
        # The driver's first line names the failure (refused, timeout); never the URL or a password.
        orig = getattr(err, "orig", None) or err
        reason = str(orig).strip().splitlines()[0] if str(orig).strip() else type(err).__name__
        return JSONResponse(
            {"status": "not ready", "reason": f"database unreachable: {reason}"}, status_code=503
        )
    if schema.problem is not None:
        return JSONResponse(
            {"status": "not ready", "reason": schema.problem.removeprefix("database: ")},
            status_code=503,
        )
    return JSONResponse({"status": "ready", "schema": schema.head})


def install(app: FastAPI) -> None:
    app.add_route("/healthz", healthz, methods=["GET"])
    app.add_route("/readyz", readyz, methods=["GET"])
