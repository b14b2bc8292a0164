"""The benchmarks' seeders run against the use-cases as they are now (bench/api.py's own seeder fell
behind a signature change and `make bench-api` stopped at its first step, unnoticed until a run)."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path

from kneehab import services
from kneehab.domain.records import SessionEntry
from kneehab.library.load import default_library
from kneehab.services import accounts, people
from kneehab.services.acting import on_machine
from kneehab.services.populate import email_of
from kneehab.store.db import open_database

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the bench package lives beside src/

from bench import api as bench_api  # noqa: E402
from bench import caseload as bench_caseload  # noqa: E402


def test_the_api_bench_seeds_people_each_with_their_token_and_a_valid_entry(tmp_path: Path) -> None:
    """Each token is its own person's, and each body is an entry of that person's day: the bench's
    spread rows send person i's body with person i's token."""
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    open_database(url).close()  # what `kneehab db upgrade` does before the bench seeds
    made = bench_api.seed(url, 14, date.today(), people=3)
    assert len(made) == 3
    db = open_database(url)
    try:
        seen = set()
        for token, body in made:
            entry = SessionEntry.model_validate(body)  # the body the bench posts is a valid entry
            actor = accounts.resolve_token(db, token, now=datetime.now(UTC))
            assert actor is not None and actor.person_id is not None
            seen.add(actor.person_id)
            items = services.today_items(
                db, on_machine(actor.person_id), today=date.today(), library=default_library()
            )
            assert entry.exercise_id in {i.exercise_id for i in items}
        assert len(seen) == 3
        account = accounts.find(db, email_of(1))
        assert account is not None and account.person_id is not None
    finally:
        db.close()


def test_the_caseload_bench_seeds_a_clinic_the_physio_can_see(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'caseload.db'}")
    try:
        now = datetime.now(UTC)
        bench_caseload._seed(db, default_library(), 2, 10, now)
        physio = accounts.find(db, "physio@example.org")
        assert physio is not None
        seen = people.patients(db, accounts.actor_of(physio), now=now)
        assert len(seen) == 2
    finally:
        db.close()
