"""Issue 10 §8, in Chromium: a first visit signs up at the end of first run ("save your program"),
sees the program, does a session step, signs out and back in; a clinician signs in and sees their
clinic's people and not the other clinic's; a page on another site cannot delete anything."""

from __future__ import annotations

import http.server
import threading
from datetime import UTC, datetime, timedelta

import pytest
from e2e_support import PASSWORD, PHONE, Server, answer_step, check_axe, visit

from kneehab import services
from kneehab.demo import DEMO_INTAKE
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.library.load import default_library
from kneehab.services import accounts
from kneehab.services.acting import on_machine

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def _first_run(page, server: Server) -> None:  # type: ignore[no-untyped-def]
    from test_browser import SAFETY_STEPS, pick

    page.goto(server.url + "/")
    page.wait_for_url("**/start/1")
    for _ in range(SAFETY_STEPS):
        answer_step(page)
    page.get_by_label("Your age in years").fill("62")
    pick(page, "Which knee hurts?", "right")
    pick(page, "How did it start?", "gradual")
    page.get_by_label("How many weeks ago did it start?").fill("12")
    page.get_by_role("button", name="Continue").click()
    pick(page, "Has a clinician told you what it is?", "medial_knee_oa")
    page.get_by_role("button", name="Continue").click()
    pick(page, "How much does your knee hurt right now?", "4")
    pick(page, "The worst it has been in the last week?", "6")
    pick(page, "Has a doctor or physical therapist examined your knee", "yes")
    page.get_by_role("button", name="Continue").click()
    pick(page, "Can you get down to the floor and up again", "yes")
    pick(page, "Have you fallen in the past year", "no")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("A sturdy chair").check()
    page.get_by_role("button", name="Build my program").click()


def test_sign_up_at_the_end_of_first_run_then_out_and_in(server: Server, anonymous_page) -> None:  # type: ignore[no-untyped-def]
    page = anonymous_page
    _first_run(page, server)
    page.get_by_role("heading", name="Save your program").wait_for()
    assert services.current_person_id(server.db) is None  # nothing saved before the account
    visit(page, "issue10-save-your-program")
    page.get_by_label("Email address").fill("new.person@example.org")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Save my program").click()
    page.locator("#problems").wait_for()
    assert "at least 8 characters" in page.locator("#problems").inner_text()
    assert page.get_by_label("Password").get_attribute("aria-invalid") == "true"
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Save my program").click()
    page.get_by_role("heading", name="My program", exact=True).wait_for()
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert (
        cookies["kneehab_session"]["httpOnly"] and cookies["kneehab_session"]["sameSite"] == "Lax"
    )
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    page.goto(server.url + "/today")
    page.wait_for_url("**/signin?next=/today")
    check_axe(page)
    page.get_by_label("Email address").fill("new.person@example.org")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.locator("#problems").wait_for()
    assert "email or password is wrong" in page.locator("#problems").inner_text().lower()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/today/check")  # back where they were going: today's safety questions
    # … and a session: the safety questions, then one exercise recorded without the player.
    from test_stop_and_player import answer_check

    answer_check(page)
    page.get_by_role("link", name="Record it").first.click()
    page.get_by_role("heading", name="Record:").wait_for()
    page.locator('label.choice:has(input[name="pain_during_max"][value="1"])').first.click()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/today*")
    person = services.current_person_id(server.db)
    assert person is not None and len(services.history(server.db, on_machine(person)).entries) == 1


def test_a_clinician_sees_their_clinic_and_not_the_other(server: Server, anonymous_page) -> None:  # type: ignore[no-untyped-def]
    db, now = server.db, datetime.now(UTC) - timedelta(days=2)
    north = accounts.create_clinic(db, "North", actor=SERVER_ADMIN, now=now)
    south = accounts.create_clinic(db, "South", actor=SERVER_ADMIN, now=now)
    accounts.add_account(db, "bob@example.org", role="clinician", clinic_id=north,
                         password=PASSWORD, actor=SERVER_ADMIN, now=now)  # fmt: skip
    people = {}
    for email, clinic in (("alice@example.org", north), ("zoe@example.org", south)):
        account = accounts.add_account(db, email, role="person", clinic_id=clinic,
                                       password=PASSWORD, actor=SERVER_ADMIN, now=now)  # fmt: skip
        people[email] = services.enroll(
            db,
            DEMO_INTAKE,
            start=now.date(),
            now=now,
            account_id=account.account_id,
            library=default_library(),
            actor=SERVER_ADMIN,
        ).person_id
    page = anonymous_page
    page.goto(server.url + "/signin")
    page.get_by_label("Email address").fill("bob@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Caseload").wait_for()
    listed = page.locator("table.caseload").inner_text()
    assert "alice@example.org" in listed and "zoe@example.org" not in listed
    visit(page, "issue10-clinician-patients")
    page.get_by_role("link", name="alice@example.org").click()
    page.get_by_role("heading", name="alice@example.org").wait_for()
    other = page.goto(f"{server.url}/clinic/patients/{people['zoe@example.org']}")
    assert other is not None and other.status == 404
    # Alice sees that Bob looked.
    page.context.clear_cookies()
    page.goto(server.url + "/signin")
    page.get_by_label("Email address").fill("alice@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(server.url + "/data/audit")
    assert "bob@example.org" in page.locator("table.audit").inner_text()
    check_axe(page)


def test_a_clinic_admin_invites_then_withdraws_the_invitation(
    server: Server, anonymous_page
) -> None:  # type: ignore[no-untyped-def]
    """The members page, by keyboard-reachable buttons: an invitation made, shown once, listed as
    pending, withdrawn with its own button; its link then lets nobody in."""
    db, now = server.db, datetime.now(UTC) - timedelta(days=1)
    north = accounts.create_clinic(db, "North", actor=SERVER_ADMIN, now=now)
    accounts.add_account(db, "anna@example.org", role="clinic_admin", clinic_id=north,
                         password=PASSWORD, actor=SERVER_ADMIN, now=now)  # fmt: skip
    page = anonymous_page
    page.goto(server.url + "/signin")
    page.get_by_label("Email address").fill("anna@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(server.url + "/clinic/members")
    page.get_by_label("Email address").fill("wrong@example.org")
    page.get_by_role("button", name="Make the invitation link").click()
    link = page.locator("code.link").inner_text()
    assert "/account/password?link=" in link
    page.goto(server.url + "/clinic/members")
    withdraw = page.get_by_role("button", name="Withdraw the invitation for wrong@example.org")
    withdraw.wait_for()
    check_axe(page)
    _rings_clear_their_text(page)
    withdraw.click()
    page.wait_for_url("**/clinic/members")
    assert "wrong@example.org" not in page.locator("main").inner_text()
    page.context.clear_cookies()
    page.goto(link.replace("http://127.0.0.1:8000", server.url))
    page.get_by_role("heading", name="This link does not work any more").wait_for()
    assert page.locator("input[type=password]").count() == 0  # said before anyone types a password
    check_axe(page)


_RING_OVERLAP = """() => {  // the focused button's ring against its member's line of text
  const button = document.activeElement;
  const text = button.closest('li').querySelector('span').getBoundingClientRect();
  const box = button.getBoundingClientRect();
  const style = getComputedStyle(button);
  const spread = parseFloat(style.boxShadow.trim().split(' ').pop()) || 0;
  const outline = parseFloat(style.outlineWidth) + parseFloat(style.outlineOffset);
  return text.bottom - (box.top - Math.max(spread, outline));
}"""


def _rings_clear_their_text(page) -> None:  # type: ignore[no-untyped-def]
    """At phone size, each member's button, focused by keyboard, keeps its focus ring off the line
    of text above it (found on a keyboard walk: the ring touched the member's name)."""
    page.set_viewport_size(PHONE)
    buttons = page.locator(".members li button")
    assert buttons.count() >= 1  # the pending invitation at least
    for i in range(buttons.count()):
        buttons.nth(i).focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # focus by keyboard: the ring as a keyboard user sees it
        assert page.evaluate("() => document.activeElement.matches(':focus-visible')")
        overlap = page.evaluate(_RING_OVERLAP)
        assert overlap <= 0, f"button {i}: its focus ring covers the text above by {overlap:.1f} px"


class _Attacker(http.server.BaseHTTPRequestHandler):
    target = ""

    def do_GET(self) -> None:
        body = (
            f'<form id="f" method="post" action="{self.target}/data/delete">'
            '<input name="confirm" value="yes"></form><script>document.getElementById("f").submit()</script>'
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


def test_a_page_on_another_site_cannot_delete_the_data(server: Server, page) -> None:  # type: ignore[no-untyped-def]
    from history_seed import seed_history

    seed_history(server.db, server.library, datetime.now(UTC).date(), days=3)
    _Attacker.target = server.url
    evil = http.server.HTTPServer(("127.0.0.1", 0), _Attacker)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        page.goto(
            f"http://localhost:{evil.server_address[1]}/"
        )  # another origin, signed-in browser
        page.wait_for_load_state("networkidle")
        assert "Everything is deleted" not in page.content()
        assert services.current_person_id(server.db) is not None
    finally:
        evil.shutdown()
