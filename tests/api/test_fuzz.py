"""Schemathesis against the app's own OpenAPI document, as a person and as a clinician, on SQLite and
PostgreSQL (issue 11 §4): no 5xx, every status documented, every body as documented. A few hundred cases
here; `make fuzz` runs the same with thousands (tests/api/fuzzing.py)."""

from __future__ import annotations

import fuzzing
import pytest
from api_support import NOW

from kneehab.store.db import Database

pytestmark = [pytest.mark.fuzz, pytest.mark.anyio]


def test_every_operation_answers_as_documented(db: Database, library, capsys) -> None:  # type: ignore[no-untyped-def]
    report = fuzzing.run(db, library, NOW)
    with capsys.disabled():
        print(f"\nfuzz ({db.engine.dialect.name}): {report.summary()}")
    assert report.cases >= 100, report.summary()  # every operation was reached, not skipped
    assert report.findings == [], report.describe()


async def test_every_4xx_in_the_document_is_the_one_error_body(anonymous) -> None:  # type: ignore[no-untyped-def]
    """The shape the handler sends (web/errors.py), on every operation and status; FastAPI's own
    `HTTPValidationError` (`detail` a list) is never left standing."""
    doc = (await anonymous.get("/api/v1/openapi.json")).json()
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    wrong = [
        f"{method.upper()} {path} {status}"
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        for status, response in op["responses"].items()
        if status.startswith("4") and response.get("content") != error
    ]
    assert wrong == []
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert "422" in op["responses"], (method, path)  # a NUL in any query is refused
            if method in ("post", "put", "patch", "delete"):
                assert "413" in op["responses"], (method, path)
