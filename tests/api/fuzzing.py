"""Schemathesis against the app's own OpenAPI document, in process (issue 11 §4).

The app serves its document at /api/v1/openapi.json; schemathesis reads it from there and sends each
operation generated requests — valid ones and invalid ones — over ASGI (no network). Each request is
signed in as one persona: a person of the demo clinic (Maria, a 16-day course) and its clinician (Ben).
Every answer is held to three checks: no 5xx, a status code the document lists for that operation, and a
body (and content type) the document describes. Failures are collected, not raised at the first, so one
run counts them all (`make fuzz` reports the counts); the test then fails if there is any.

Real ids are mixed into the generated ones (the clinic's people and accounts, the library's exercises), so
the fuzzing reaches past the 404 of an unknown id into the builders behind it.
"""

from __future__ import annotations

import collections
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup, ServerError
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kneehab.config import Settings
from kneehab.demo import answer_safety_questions
from kneehab.demo_clinic import DEMO_PASSWORD, MARIA, PHYSIO, seed_demo_clinic
from kneehab.domain.exercise import Library
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.services import accounts
from kneehab.services.acting import on_machine
from kneehab.store.db import Database
from kneehab.web.app import create_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Examples per operation, persona and kind of data (valid, invalid, valid with a real id): `make test`
# keeps the default; `make fuzz` sets KNEEHAB_FUZZ_EXAMPLES for its thousands of cases.
EXAMPLES = int(os.environ.get("KNEEHAB_FUZZ_EXAMPLES", "2"))
# `make test` replays the same cases each run (no flaky failures); `make fuzz` draws new ones.
DERANDOMIZE = os.environ.get("KNEEHAB_FUZZ_RANDOM", "") != "1"
# The schemathesis client's Host (schemathesis.python.asgi.HOST) is answered like the loopback names.
FUZZ_SETTINGS = Settings(
    session_idle_hours=24 * 30,
    session_max_days=365,
    allowed_hosts=("127.0.0.1", "localhost", asgi.HOST),
)
# Run last: each ends what the other operations need (the session, the person's data).
LAST = {("POST", "/api/v1/auth/logout"), ("DELETE", "/api/v1/person")}


@dataclass
class Finding:
    persona: str
    operation: str
    kind: (
        str  # the schemathesis failure class: ServerError, UndefinedStatusCode, JsonSchemaError, …
    )
    status: int
    title: str
    message: str
    request: str  # the curl line that reproduces it


@dataclass
class Report:
    cases: int = 0
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    load: tuple[str, str] = (
        "",
        "",
    )  # /proc/loadavg's 1, 5 and 15 minute figures at the start and end

    @property
    def server_errors(self) -> int:
        return sum(1 for f in self.findings if f.kind == ServerError.__name__)

    @property
    def schema_violations(self) -> int:
        """Answers the document does not describe: an unlisted status, body or content type."""
        return sum(1 for f in self.findings if f.kind != ServerError.__name__)

    def summary(self) -> str:
        by_status = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        return (
            f"{self.cases} cases in {self.seconds:.1f} s, {self.server_errors} server errors, "
            f"{self.schema_violations} schema violations (statuses {by_status}); "
            f"load average {self.load[0]} at the start, {self.load[1]} at the end"
        )

    def describe(self, limit: int = 12) -> str:
        seen: dict[tuple[str, str, str], Finding] = {}
        for f in self.findings:
            seen.setdefault((f.persona, f.operation, f.kind), f)
        lines = [
            f"{f.persona} {f.operation}: {f.kind} ({f.status}) {f.title}\n    {f.message[:400]}\n"
            f"    {f.request[:400]}"
            for f in list(seen.values())[:limit]
        ]
        return "\n".join([self.summary(), *lines])


@dataclass(frozen=True)
class Persona:
    name: str
    email: str
    # path parameter → real values to mix into the generated ones
    ids: dict[str, list[Any]]


def seed(db: Database, library: Library, now: datetime) -> list[Persona]:
    """The demo clinic, and its person and clinician as personas with the ids each can use."""
    seed_demo_clinic(db, today=now.date(), now=now, library=library)
    found = accounts.list_accounts(db, SERVER_ADMIN)
    maria = next(a.person_id for a in found if a.email == MARIA.email)
    assert maria is not None
    # so today's session writes get past the 409
    answer_safety_questions(db, on_machine(maria), now.date(), now, library=library)
    people = [a.person_id for a in found if a.person_id is not None]
    members = [a.id for a in found]
    exercises = sorted(library.exercises)
    return [
        Persona("person", MARIA.email, {"exercise_id": exercises}),
        Persona("clinician", PHYSIO.email, {"person_id": people, "account_id": members}),
    ]


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "(unknown)"


def _sign_in(app: Any, email: str) -> tuple[dict[str, str], str]:
    with asgi.get_client(app) as client:
        r = client.post("/api/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD})
        assert r.status_code == 200, r.text
        return dict(client.cookies), r.json()["csrf_token"]


def _strategy(operation: Any, persona: Persona) -> st.SearchStrategy[Any]:
    options = [
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    ]
    names = [p.name for p in operation.path_parameters]
    for name in names:
        for value in persona.ids.get(name, [])[:4]:
            options.append(
                operation.as_strategy(
                    generation_mode=GenerationMode.POSITIVE, path_parameters={name: value}
                )
            )
    return st.one_of(options)


def run(
    db: Database,
    library: Library,
    now: datetime,
    *,
    examples: int = EXAMPLES,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Fuzz every operation as each persona; the findings are returned, not raised."""
    personas = seed(db, library, now)
    app = create_app(FUZZ_SETTINGS, db=db, library=library, clock=lambda: now)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: (op.method.upper(), op.path) in LAST)
    # Everyone signs in first: fuzzing the sign-in itself soon throttles this client's address (429).
    sessions = {p.name: _sign_in(app, p.email) for p in personas}
    report = Report()
    load_at_start = _load()
    started = time.perf_counter()
    for persona in personas:
        cookies, token = sessions[persona.name]
        for operation in operations:
            _fuzz(operation, persona, cookies, token, report, examples)
            if progress is not None:
                progress(f"{persona.name} {operation.label}: {report.cases} cases so far")
    report.seconds = time.perf_counter() - started
    report.load = (load_at_start, _load())
    return report


def _fuzz(
    operation: Any,
    persona: Persona,
    cookies: dict[str, str],
    token: str,
    report: Report,
    examples: int,
) -> None:
    """Up to `examples` cases of each kind for one operation, each call signed in as `persona`."""

    @settings(
        max_examples=examples * (2 + len(operation.path_parameters)),
        deadline=None,
        database=None,
        derandomize=DERANDOMIZE,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation, persona))
    def one(case: Any) -> None:
        report.cases += 1
        response = case.call(headers={"X-CSRF-Token": token}, cookies=cookies)
        report.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            failures: list[Failure] = list(group.exceptions)
        except Failure as failure:
            failures = [failure]
        else:
            return
        for f in failures:
            found = Finding(
                persona=persona.name,
                operation=operation.label,
                kind=type(f).__name__,
                status=response.status_code,
                title=f.title,
                message=str(f.message),
                request=case.as_curl_command(),
            )
            report.findings.append(found)

    one()
