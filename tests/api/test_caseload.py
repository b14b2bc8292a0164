"""Issue 12: the caseload (D-9 order, flags, search), one person's review and the clinician's actions
(D-7, D-8) over HTTP, on SQLite and PostgreSQL: a refused action names its field and keeps nothing;
a kept one reaches the person with the clinician's name and reason."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import timedelta

import pytest
from api_support import NOW, PASSWORD, SETTINGS, Clock, login

from kneehab import services
from kneehab.demo import DEMO_INTAKE
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.domain.records import CheckIn
from kneehab.library.load import default_library
from kneehab.services import accounts
from kneehab.services.acting import on_machine
from kneehab.store.db import Database
from kneehab.web.app import create_app

pytestmark = pytest.mark.anyio
TODAY = NOW.date()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _clinic(db: Database) -> dict[str, int]:
    early = NOW - timedelta(days=10)
    north = accounts.create_clinic(db, "North", actor=SERVER_ADMIN, now=early)
    accounts.add_account(db, "bob@example.org", role="clinician", clinic_id=north, name="Bob Physio",
                         password=PASSWORD, actor=SERVER_ADMIN, now=early)  # fmt: skip
    ids = {}
    for email in ("maria@example.org", "lena@example.org"):
        account = accounts.add_account(db, email, role="person", clinic_id=north, name=email[:4].title(),
                                       password=PASSWORD, actor=SERVER_ADMIN, now=early)  # fmt: skip
        start = TODAY - timedelta(days=3)
        ids[email] = services.enroll(
            db,
            DEMO_INTAKE,
            start=start,
            now=early,
            account_id=account.account_id,
            library=default_library(),
            actor=SERVER_ADMIN,
        ).person_id
    maria = ids["maria@example.org"]
    services.check_in(
        db,
        on_machine(maria),
        CheckIn(date=TODAY, morning_pain=2),
        today=TODAY,
        now=NOW,
        library=default_library(),
    )
    # Lena reported a warning sign yesterday: an urgent lock (E1).
    day = TODAY - timedelta(days=1)
    services.rescreen(
        db,
        on_machine(ids["lena@example.org"]),
        flags=["RF07"],
        now=NOW - timedelta(days=1),
        today=day,
        library=default_library(),
    )
    return ids


async def test_caseload_order_flags_and_search(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    ids = _clinic(db)
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    async with AsyncExitStack() as stack:
        bob = await login(app, "bob@example.org", stack)
        rows = (await bob.get("/api/v1/patients")).json()["items"]
        assert [r["id"] for r in rows] == [ids["lena@example.org"], ids["maria@example.org"]]
        lena, maria = rows
        assert (lena["tier"] == 1 and "E1" in lena["rules"]) or "RF07" in lena["rules"]
        assert "assessment" in lena["why"] and [f["key"] for f in lena["flags"]][:1] == ["lock"]
        assert maria["tier"] > 1 and maria["last_checkin"] == TODAY.isoformat()
        assert maria["morning_pain"][-1] == 2 and "latest 2/10" in maria["sparkline_text"]
        assert maria["sparkline_svg"].startswith("<svg") and 'role="img"' in maria["sparkline_svg"]
        only = (await bob.get("/api/v1/patients", params={"flag": "lock"})).json()["items"]
        assert [r["id"] for r in only] == [ids["lena@example.org"]]
        found = (await bob.get("/api/v1/patients", params={"q": "MARIA"})).json()["items"]
        assert [r["id"] for r in found] == [ids["maria@example.org"]]
        r = await bob.get("/api/v1/patients", params={"flag": "nonsense"})
        assert r.status_code == 422 and "flag" in r.json()["detail"]
        page = await bob.get("/clinic")
        assert page.status_code == 200 and page.text.index("Lena") < page.text.index("Mari")
        old = await bob.get("/patients")
        assert old.status_code == 308 and old.headers["location"] == "/clinic"
        # The page's forms build the same typed bodies: a missing reason is refused, nothing kept.
        form = f"/clinic/patients/{ids['maria@example.org']}/actions"
        r = await bob.post(form, data={"kind": "set_ceiling", "value": "4", "reason": ""})
        assert r.status_code == 422 and "reason" in r.text
        r = await bob.post(form, data={"kind": "set_ceiling", "value": "4", "reason": "usual 3"})
        assert r.status_code == 303 and r.headers["location"].endswith("#timeline")
        summary = (await bob.get(f"/api/v1/patients/{ids['maria@example.org']}")).json()
        assert summary["summary"]["pain_limit"] == "4/10"


async def test_the_caseload_is_in_each_shown_persons_trail(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    """The caseload shows each person's pain and flags: each person shown sees that look in "Who
    has looked at my data" (one row each, written in one transaction); one filtered out does not."""
    ids = _clinic(db)
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    async with AsyncExitStack() as stack:
        bob = await login(app, "bob@example.org", stack)
        assert (await bob.get("/clinic")).status_code == 200
        only = await bob.get("/api/v1/patients", params={"flag": "lock"})
        assert [r["id"] for r in only.json()["items"]] == [ids["lena@example.org"]]
        for email, looks in (("maria@example.org", 1), ("lena@example.org", 2)):
            person = await login(app, email, stack)
            seen = (await person.get("/api/v1/me/audit")).json()["items"]
            listed = [i for i in seen if i["action"] == "list_patients"]
            assert len(listed) == looks, (email, seen)
            assert {i["resource"] for i in listed} <= {"/clinic", "/api/v1/patients"}
            assert all(i["who"] == "bob@example.org" for i in listed), listed
            assert "2/10" not in str(listed)


async def test_actions_are_checked_kept_and_shown_to_the_person(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    ids = _clinic(db)
    lena_id, maria_id = ids["lena@example.org"], ids["maria@example.org"]
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    async with AsyncExitStack() as stack:
        bob = await login(app, "bob@example.org", stack)
        url = f"/api/v1/patients/{maria_id}/actions"
        before = (await bob.get(f"/api/v1/patients/{maria_id}")).json()
        item = before["items"][0]
        assert item["rung"] == "step 0 of " + item["rung"].rsplit(" ", 4)[-4] + " on its ladder"
        assert item["ladder_svg"].startswith("<svg") and "from 0 to 0" in item["ladder_text"]
        key = item["dose_fields"][0]
        high = key["high"]
        refused = {
            "value.": {"kind": "set_dose", "exercise_id": item["exercise_id"],
                       "dose": {key["key"]: high + 1}, "reason": "more"},
            "exercise_id": {"kind": "set_dose", "exercise_id": "no-such-exercise",
                            "dose": {"sets": 1}, "reason": "less"},
            "reason": {"kind": "set_dose", "exercise_id": item["exercise_id"],
                       "dose": {key["key"]: key["low"]}, "reason": "   "},
            "body.set_ceiling.value": {"kind": "set_ceiling", "value": 6, "reason": "higher"},
        }  # fmt: skip
        for field, body in refused.items():
            r = await bob.post(url, json=body)
            assert r.status_code == 422, (field, r.text)
            assert field.split(".")[-2 if field.endswith(".") else -1] in r.json()["detail"], r.text
        after = (await bob.get(f"/api/v1/patients/{maria_id}")).json()
        assert after["timeline"] == before["timeline"] and after["items"] == before["items"]

        # Lena: the urgent lock is lifted by a recorded assessment; a dose is lowered with a reason.
        r = await bob.post(
            f"/api/v1/patients/{lena_id}/actions",
            json={"kind": "assessment", "reason": "Seen in clinic: calf is fine, restart gently."},
        )
        assert r.status_code == 201, r.text
        assert r.json()["by"] == "Bob Physio"
        lena = (await bob.get(f"/api/v1/patients/{lena_id}")).json()
        assert lena["summary"]["locked"] is False
        target = lena["items"][0]
        low = {f["key"]: f["low"] for f in target["dose_fields"][:1]}
        r = await bob.post(
            f"/api/v1/patients/{lena_id}/actions",
            json={"kind": "set_dose", "exercise_id": target["exercise_id"], "dose": low,
                  "reason": "Start lower after the scare."},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        r = await bob.post(
            f"/api/v1/patients/{lena_id}/actions",
            json={
                "kind": "note",
                "note": "Call me if the calf aches again.",
                "reason": "follow-up",
            },
        )
        assert r.status_code == 201, r.text
        lena = (await bob.get(f"/api/v1/patients/{lena_id}")).json()
        mine = [t for t in lena["timeline"] if t["kind"] == "clinician"]
        assert [t["who"] for t in mine] == ["Bob Physio"] * 3

        person = await login(app, "lena@example.org", stack)
        changes = (await person.get("/api/v1/changes")).json()
        said = " ".join(c["text"] for c in changes["by_physio"])
        assert "Bob Physio" in said and "Start lower after the scare." in said
        assert "Seen in clinic" in said
        today = (await person.get("/api/v1/today")).json()
        assert [n["text"] for n in today["notes"]] == ["Call me if the calf aches again."]
        note = today["notes"][0]["id"]
        assert (await person.post(f"/api/v1/today/notes/{note}/dismiss")).status_code == 204
        assert (await person.get("/api/v1/today")).json()["notes"] == []
        # Every look and action is in the person's "who has looked at my data".
        seen = (await person.get("/api/v1/me/audit")).json()["items"]
        assert {"read_health", "clinical_action"} <= {i["action"] for i in seen}
