"""Schemathesis against the app's own OpenAPI document, as a person and as a clinician, on SQLite and
PostgreSQL (issue 11 §4): no 5xx, every status documented, every body as documented. A few hundred cases
here; `make fuzz` runs the same with thousands (tests/api/fuzzing.py)."""

from __future__ import annotations

import fuzzing
import pytest

from conftest import NOW
from kneehab.store.db import Database

pytestmark = pytest.mark.fuzz


def test_every_operation_answers_as_documented(db: Database, library, capsys) -> None:  # type: ignore[no-untyped-def]
    report = fuzzing.run(db, library, NOW)
    with capsys.disabled():
        print(f"\nfuzz ({db.engine.dialect.name}): {report.summary()}")
    assert report.cases >= 100, report.summary()  # every operation was reached, not skipped
    assert report.findings == [], report.describe()
