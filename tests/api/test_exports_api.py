"""Issue 14 over HTTP: "Print my program", the calendar download and its private subscription (revoking it
makes the old address a 404), and the FHIR $everything route; the subscription's reads are in the trail."""

from __future__ import annotations

import icalendar
import pytest

from conftest import enrol

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
