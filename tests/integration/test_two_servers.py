"""Issue 11 §1: nothing in one server process that another needs. Two `kneehab serve` processes on one
database (PostgreSQL, and SQLite's file): a newcomer's first run (the step-by-step answers), saving the
program, today's safety questions and a session are walked alternating between them, request by request,
with one browser's cookies; every step is understood by the other process."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from soak_harness import soak_harness

from kneehab import services
from kneehab.services import accounts
from kneehab.services.acting import on_machine
from kneehab.store.db import open_database

CHECK_IDS = ("RF04", "RF05", "RF06", "RF07", "RF08", "RF10", "RF12", "new_injury")
NO = {**{f"RF{n:02d}": "no" for n in range(1, 17)}, "chest_symptoms": "no", "cold_foot": "no"}
INTAKE = {
    "age": "58", "knee": "right", "onset": "gradual", "weeks_since_onset": "10", "pain_now": "4",
    "pain_worst_week": "6", "condition": "medial_knee_oa", "sex": "female", "assessed": "yes",
    "floor_transfer": "yes", "falls_or_unsteady": "no", "equipment": ["chair"],
}  # fmt: skip


@pytest.mark.xdist_group("soak")  # server processes: one such test at a time
def test_a_first_run_and_a_session_walked_across_two_servers(db_url: str, tmp_path: Path) -> None:
    soak = soak_harness()
    (tmp_path / "data").mkdir(exist_ok=True)
    one, two = soak.Server(db_url, tmp_path / "a"), soak.Server(db_url, tmp_path / "b")
    for s in (one, two):
        s.work.mkdir(parents=True, exist_ok=True)
    two.upgraded = True  # the migration step runs once, before the first server
    try:
        one.start()
        two.start()
        assert one.wait_ready() and two.wait_ready(), "a server did not start"
        servers = [one.base_url, two.base_url]
        jar = httpx.Cookies()
        n = 0

        def ask(method: str, path: str, **kw: object) -> httpx.Response:
            nonlocal n
            base, n = servers[n % 2], n + 1  # every request goes to the other process
            headers = {"x-csrf-token": jar.get("kneehab_csrf") or ""}
            with httpx.Client(base_url=base, cookies=jar, timeout=60) as c:
                r = c.request(method, path, headers=headers, **kw)  # type: ignore[arg-type]
                jar.update(c.cookies)
            return r

        for step in range(1, 11):  # the safety questions, then the intake, a step at a time
            data = NO if step <= 5 else INTAKE
            r = ask("POST", f"/start/{step}", data=data)
            assert r.status_code == 303, (step, r.status_code, r.text[:300])
        assert r.headers["location"] == "/start/save"
        form = {"email": "two@example.test", "password": "a long pass phrase"}
        r = ask("POST", "/start/save", data=form)
        assert r.status_code == 303 and r.headers["location"] == "/program", r.text[:300]
        me = ask("GET", "/api/v1/me").json()
        assert me["email"] == "two@example.test" and me["person_id"] is not None
        today = ask("GET", "/api/v1/today").json()
        first = today["sections"][0]["items"][0]["card"]["id"]
        assert ask("GET", "/api/v1/today/check").status_code == 200
        answers = {q: False for q in CHECK_IDS}
        r = ask("POST", "/api/v1/today/check", json={"answers": answers})
        assert r.status_code == 200, r.text
        entry = {"exercise_id": first, "sets_done": 1, "pain_during_max": 1}
        r = ask("POST", "/api/v1/today/entries", json=entry)
        assert r.status_code in (200, 201), r.text
    finally:
        one.stop()
        two.stop()
    db = open_database(db_url)
    try:
        pid = accounts.find(db, "two@example.test").person_id
        kept = services.history(db, on_machine(pid))
        assert [e.entry.exercise_id for e in kept.entries] == [first]
    finally:
        db.close()
