"""Issue 12 §4 in Chromium: the demo physio signs in, sees the person with the urgent warning first,
opens them, records an assessment that lifts the lock and lowers a dose with a reason; then that
person signs in and reads the change with the physio's name and reason. Desktop screenshots of the
caseload and the person page go to docs/screenshots/."""

from __future__ import annotations

from e2e_support import DESKTOP, SHOTS, Server, _whole_page, check_axe

from kneehab.demo_clinic import DEMO_PASSWORD, LENA, PHYSIO, seed_demo_clinic
from kneehab.web.deps import system_clock


def _sign_in(page, server: Server, email: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(server.url + "/signin")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _desktop_shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    _whole_page(page, DESKTOP, SHOTS / f"{name}-desktop.png")
    page.set_viewport_size(DESKTOP)


def test_physio_lifts_the_lock_lowers_a_dose_and_the_person_reads_why(
    server: Server, anonymous_page
) -> None:  # type: ignore[no-untyped-def]
    now = system_clock()
    seed_demo_clinic(server.db, today=now.date(), now=now, library=server.library)
    page = anonymous_page
    _sign_in(page, server, PHYSIO.email)
    page.get_by_role("heading", name="Caseload").wait_for()
    first = page.locator("table.caseload tbody tr").first
    assert LENA.email in first.locator("th").inner_text()
    assert "urgent" in first.inner_text() and "E1" in first.inner_text()
    check_axe(page)
    _desktop_shot(page, "issue12-caseload")

    first.get_by_role("link", name=LENA.email).click()
    page.get_by_role("heading", name=LENA.email).wait_for()
    assert page.get_by_text("Locked by a warning sign").first.is_visible()
    page.get_by_label("Assessed the knee").check()
    page.locator("#review-reason").fill("Seen today: no sign of a clot. Restart gently.")
    page.get_by_role("button", name="Record it").click()
    page.get_by_role("status").filter(has_text="Saved").wait_for()
    assert page.get_by_text("Locked by a warning sign").count() == 0

    row = page.locator("table.work tbody tr").first
    name = row.locator("th").inner_text()
    row.get_by_text(f"Change {name}").click()
    field = row.locator("form").first.locator("input[inputmode]").first
    low = row.locator("p.hint").first.inner_text()  # "Limits: sets 1–3, …"
    field.fill(low.split(" ", 2)[2].split("–")[0])
    row.locator("form").first.locator("textarea").fill("Lower for a week after the scare.")
    row.get_by_role("button", name="Set this dose").click()
    page.get_by_role("status").filter(has_text="Saved").wait_for()
    timeline = page.locator("ol.timeline").inner_text()
    assert "Lower for a week after the scare." in timeline and "Ben (physio)" in timeline
    check_axe(page)
    _desktop_shot(page, "issue12-patient")
    # Issue 14 §1: the clinician hands the program over from here.
    href = page.get_by_role("link", name="print their program (PDF)").get_attribute("href")
    pdf = page.context.request.get(server.url + str(href))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    _sign_in(page, server, LENA.email)
    page.goto(server.url + "/checkin/changes")
    said = page.locator("section.by-physio").inner_text()
    assert "Ben (physio)" in said and "Lower for a week after the scare." in said
    assert "Seen today: no sign of a clot." in said
    check_axe(page)
    page.goto(server.url + "/program/take")  # issue 14: print, or add to a calendar
    page.get_by_role("button", name="Print my program (PDF)").wait_for()
    check_axe(page)
