"""Issue 14 over HTTP: "Print my program", the calendar download and its private subscription (revoking it
makes the old address a 404), and the FHIR $everything route; the subscription's reads are in the trail."""

from __future__ import annotations

import io
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime, timedelta

import httpx
import icalendar
import pypdf
import pytest
from api_support import NOW, PASSWORD, SAFETY_NO, SETTINGS, TODAY, Clock, enrol, web_client
from test_access_matrix import _world

from kneehab import services
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.services import audit
from kneehab.services.acting import on_machine
from kneehab.store.db import Database
from kneehab.web.app import create_app

pytestmark = pytest.mark.anyio


async def test_print_calendar_and_fhir_for_the_signed_in_person(client) -> None:  # type: ignore[no-untyped-def]
    await enrol(client)
    page = await client.get("/program/take")
    assert page.status_code == 200 and "Print my program" in page.text
    assert "/program/take" in (await client.get("/program")).text
    pdf = await client.get("/program/handout.pdf", params={"paper": "letter", "large": "true"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    bad = await client.get("/api/v1/program/handout.pdf", params={"paper": "a5"})
    assert bad.status_code == 422 and "a4" in bad.text
    ics = await client.get("/api/v1/program/calendar.ics", params={"remind_at": "06:45"})
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    alarm = icalendar.Calendar.from_ical(ics.content).walk("VALARM")[0]
    assert str(alarm["TRIGGER"].to_ical(), "ascii") == "PT6H45M"
    wrong = await client.get("/api/v1/program/calendar.ics", params={"remind_at": "25:00"})
    assert wrong.status_code == 422 and "HH:MM" in wrong.text
    me = (await client.get("/api/v1/me")).json()
    fhir = await client.get(f"/api/v1/fhir/Patient/kneehab-{me['person_id']}/$everything")
    assert fhir.status_code == 200 and fhir.headers["content-type"] == "application/fhir+json"
    assert fhir.json()["resourceType"] == "Bundle"


async def test_a_calendar_subscription_works_without_sign_in_until_revoked(
    client, anonymous
) -> None:  # type: ignore[no-untyped-def]
    await enrol(client)
    made = (
        await client.post("/api/v1/program/calendar/subscription", json={"remind_at": "07:00"})
    ).json()
    assert made["webcal"].startswith("webcal://") and made["url"].endswith(".ics")
    path = "/" + made["url"].split("/", 3)[3]
    feed = await anonymous.get(path)
    assert feed.status_code == 200 and b"BEGIN:VCALENDAR" in feed.content
    trail = (await client.get("/api/v1/me/audit")).json()
    assert "calendar subscription" in str(trail)
    again = (
        await client.post("/api/v1/program/calendar/subscription", json={"remind_at": "07:00"})
    ).json()
    assert (await anonymous.get(path)).status_code == 404  # a new address ends the old one
    path = "/" + again["url"].split("/", 3)[3]
    assert (await anonymous.get(path)).status_code == 200
    assert (await client.delete("/api/v1/program/calendar/subscription")).status_code == 204
    assert (await anonymous.get(path)).status_code == 404


# --- found in an audit of issue 14 ------------------------------------------------------------------


def _feed_path(made: dict[str, str]) -> str:
    return "/" + made["url"].split("/", 3)[3]


def _events(body: bytes) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}


async def test_a_locked_program_takes_its_reminders_off_the_subscribed_phone(
    client, anonymous
) -> None:  # type: ignore[no-untyped-def]
    """The feed answered 409 once the program was locked, so phones kept the old exercise days and
    their alarms. Now: 200, no recurring event and no alarm, the old events CANCELLED with a higher
    SEQUENCE, and one all-day event today that says to open kneehab (no reason given)."""
    await enrol(client)
    made = (
        await client.post("/api/v1/program/calendar/subscription", json={"remind_at": "07:00"})
    ).json()
    before = _events((await anonymous.get(_feed_path(made))).content)
    sessions = {u: e for u, e in before.items() if "RRULE" in e}
    assert sessions and all(e.walk("VALARM") for e in sessions.values())
    locked = await client.post("/rescreen/1", data={**SAFETY_NO, "RF04": "yes"})
    assert "Call emergency services now" in locked.text
    feed = await anonymous.get(_feed_path(made))
    assert feed.status_code == 200, feed.text
    cal = icalendar.Calendar.from_ical(feed.content)
    after = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert not [e for e in after.values() if "RRULE" in e] and not cal.walk("VALARM")
    for uid, old in sessions.items():
        assert str(after[uid]["STATUS"]) == "CANCELLED", uid
        assert after[uid]["SEQUENCE"] > old["SEQUENCE"]
    (hold,) = [e for e in after.values() if str(e.get("STATUS", "")) != "CANCELLED"]
    assert str(hold["SUMMARY"]) == "Program on hold — open kneehab"
    assert hold["DTSTART"].dt == TODAY and hold["DTEND"].dt == TODAY + timedelta(days=1)
    words = feed.content.decode().lower()
    assert "emergency" not in words and "red flag" not in words and "warning" not in words
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT12H" in feed.text
    assert "X-PUBLISHED-TTL:PT12H" in feed.text


async def _signed_in(app, email: str, stack: AsyncExitStack) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    c = await stack.enter_async_context(web_client(app, sign_up=None))
    r = await c.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c


# Noon UTC: still the 4th on the server, already 02:00 on the 5th on Kiritimati (UTC+14).
NOON_UTC = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)


async def test_exports_are_of_the_persons_own_date(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    """A clinician's handout, calendar and FHIR Bundle, and the subscription, used the server's date."""
    world = _world(db)
    services.set_timezone(db, on_machine(world.alice), "Pacific/Kiritimati")
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOON_UTC))
    async with AsyncExitStack() as stack:
        alice = await _signed_in(app, "alice@example.org", stack)
        bob = await _signed_in(app, "bob@example.org", stack)
        base = f"/api/v1/patients/{world.alice}"
        pdf = await bob.get(f"{base}/handout.pdf")
        assert pdf.status_code == 200, pdf.text
        text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
        assert "printed Wed 5 Mar 2025" in " ".join(text.split())
        fhir = (await bob.get(f"/api/v1/fhir/Patient/{world.alice}/$everything")).json()
        assert fhir["id"].endswith("-everything-2025-03-05")
        made = (
            await alice.post("/api/v1/program/calendar/subscription", json={"remind_at": "07:00"})
        ).json()
        # Locked on her date (the 5th): from the server's date (the 4th) it would not show yet.
        await alice.post("/rescreen/1", data={**SAFETY_NO, "RF04": "yes"})
        assert (await bob.get(f"{base}/calendar.ics")).status_code == 409
        assert (await bob.get(f"{base}/handout.pdf")).status_code == 409
        async with web_client(app, sign_up=None) as nobody:
            feed = await nobody.get(_feed_path(made))
        (hold,) = [e for e in _events(feed.content).values() if "on hold" in str(e["SUMMARY"])]
        assert hold["DTSTART"].dt == date(2025, 3, 5)


async def test_the_clinicians_calendar_keeps_the_persons_reminder_time(
    db: Database, library
) -> None:  # type: ignore[no-untyped-def]
    world = _world(db)
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    async with AsyncExitStack() as stack:
        alice = await _signed_in(app, "alice@example.org", stack)
        bob = await _signed_in(app, "bob@example.org", stack)
        r = await alice.post("/api/v1/program/calendar/subscription", json={"remind_at": "06:15"})
        assert r.status_code == 200, r.text
        ics = await bob.get(f"/api/v1/patients/{world.alice}/calendar.ics")
        assert ics.status_code == 200, ics.text
        alarm = icalendar.Calendar.from_ical(ics.content).walk("VALARM")[0]
        assert str(alarm["TRIGGER"].to_ical(), "ascii") == "PT6H15M"
        given = await bob.get(f"/api/v1/patients/{world.alice}/calendar.ics?remind_at=09:30")
        alarm = icalendar.Calendar.from_ical(given.content).walk("VALARM")[0]
        assert str(alarm["TRIGGER"].to_ical(), "ascii") == "PT9H30M"


PERSON_EXPORTS = (
    ("/program/handout.pdf", "export.handout"),
    ("/api/v1/program/handout.pdf", "export.handout"),
    ("/program/calendar.ics", "export.calendar"),
    ("/api/v1/program/calendar.ics", "export.calendar"),
    ("/api/v1/fhir/Patient/{id}/$everything", "export.fhir"),
    ("/patients/{id}/handout.pdf", "export.handout"),
    ("/data/export.json", "export.json"),
    ("/data/export.csv", "export.csv"),
    ("/api/v1/export", "export.json"),
    ("/api/v1/export.csv", "export.csv"),
)
CLINICIAN_EXPORTS = (
    ("/patients/{id}/handout.pdf", "export.handout"),
    ("/api/v1/patients/{id}/handout.pdf", "export.handout"),
    ("/api/v1/patients/{id}/calendar.ics", "export.calendar"),
    ("/api/v1/fhir/Patient/{id}/$everything", "export.fhir"),
    ("/api/v1/patients/{id}/export", "export.json"),
)


async def test_every_export_is_in_the_trail_the_persons_own_too(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    """Issue 14: "every export is … in the audit trail". The person's own downloads (and pulls with
    their own token) left no row; each export now leaves one, with who, the route and the request id,
    and the person's "Who has looked at my data" shows their own as "You (this account)"."""
    world = _world(db)
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))

    def rows() -> list[audit.AuditEntry]:
        return [
            r
            for r in audit.entries(db, SERVER_ADMIN, person_id=world.alice)
            if r.action.startswith("export.")
        ]

    async with AsyncExitStack() as stack:
        alice = await _signed_in(app, "alice@example.org", stack)
        bob = await _signed_in(app, "bob@example.org", stack)
        app_token = await stack.enter_async_context(web_client(app, sign_up=None))
        app_token.headers["authorization"] = f"Bearer {world.tokens['read_token']}"
        cases = [("alice@example.org", alice, p, a) for p, a in PERSON_EXPORTS]
        cases += [("alice@example.org", app_token, p, a) for p, a in PERSON_EXPORTS if "/api/" in p]
        cases += [("bob@example.org", bob, p, a) for p, a in CLINICIAN_EXPORTS]
        for email, client, path, action in cases:
            seen = len(rows())
            r = await client.get(path.format(id=world.alice))
            assert r.status_code == 200, (email, path, r.status_code, r.text[:200])
            new = rows()[: len(rows()) - seen]
            assert [(n.actor, n.action, n.outcome) for n in new] == [(email, action, "ok")], path
            assert new[0].request_id == r.headers["x-request-id"], path
        stranger = await _signed_in(app, "dave@example.org", stack)
        assert (
            await stranger.get(f"/api/v1/patients/{world.alice}/handout.pdf")
        ).status_code == 404
        assert rows()[0].outcome == "refused" and rows()[0].actor == "dave@example.org"
        mine = (await alice.get("/api/v1/me/audit")).json()["items"]
        own = [i for i in mine if i["action"].startswith("export.")]
        assert own and {i["who"] for i in own} >= {"You (this account)", "bob@example.org"}
        assert "You (this account)" in (await alice.get("/data/audit")).text
