"""Issue 10 §1, §2, §6: a clinician invites a person into their clinic (a one-time link shown once), a
clinic admin also invites clinicians, removes members and reads the clinic's trail; nobody else can."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from api_support import NOW, PASSWORD, SETTINGS, Clock, login, web_client
from test_integrator import INTAKE
from test_logs_and_bind import _get, serving

from kneehab.demo_clinic import (
    ADMIN,
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    JOE,
    LENA,
    MARIA,
    PHYSIO,
    TOM,
    seed_demo_clinic,
)
from kneehab.domain.escalation import EscalationLevel
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.domain.progression import Action
from kneehab.library.load import default_library
from kneehab.services import accounts, people
from kneehab.services.acting import on_machine
from kneehab.services.replay import history_in, replay_readable
from kneehab.store import repo
from kneehab.store.db import Database
from kneehab.web.app import create_app

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _two_clinics(
    db: Database, library, members: tuple[tuple[str, str, str], ...]
) -> tuple[object, int, int]:  # type: ignore[no-untyped-def]
    """Clinics North and South, each member (email, role, "north" or "south") with PASSWORD, and the
    app at NOW; (app, north, south)."""
    early = NOW - timedelta(days=1)
    north = accounts.create_clinic(db, "North", actor=SERVER_ADMIN, now=early)
    south = accounts.create_clinic(db, "South", actor=SERVER_ADMIN, now=early)
    for email, role, clinic in members:
        accounts.add_account(
            db, email, role=role, clinic_id=north if clinic == "north" else south,
            password=PASSWORD, actor=SERVER_ADMIN, now=early,
        )  # fmt: skip
    return create_app(SETTINGS, db=db, library=library, clock=Clock(NOW)), north, south


async def test_invitations_removal_and_the_clinic_trail(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    app, north, _ = _two_clinics(
        db, library,
        (("anna@example.org", "clinic_admin", "north"), ("bob@example.org", "clinician", "north"),
         ("dave@example.org", "clinician", "south")),
    )  # fmt: skip
    stack = AsyncExitStack()
    bob = await login(app, "bob@example.org", stack)
    anna = await login(app, "anna@example.org", stack)
    dave = await login(app, "dave@example.org", stack)
    r = await bob.post(
        "/api/v1/clinic/invitations", json={"email": "new@example.org", "role": "person"}
    )
    assert r.status_code == 201, r.text
    link = r.json()["link"]
    assert link.startswith("http://127.0.0.1:8000/account/password?link=")
    r = await bob.post(
        "/api/v1/clinic/invitations", json={"email": "c2@example.org", "role": "clinician"}
    )
    assert r.status_code == 404  # a clinician does not invite clinicians
    r = await anna.post(
        "/api/v1/clinic/invitations", json={"email": "c2@example.org", "role": "clinician"}
    )
    assert r.status_code == 201
    # The invited person sets a password through the link and is in the clinic.
    async with web_client(app, sign_up=None) as new:
        secret = link.split("link=", 1)[1]
        r = await new.post("/account/password", data={"link": secret, "password": PASSWORD})
        assert r.status_code == 303
        me = (await new.get("/api/v1/me")).json()
        assert me["clinic_id"] == north and me["role"] == "person"
    # Removing: only the clinic admin of that clinic; a removed clinician cannot sign in.
    bob_id = next(
        a.id for a in accounts.list_accounts(db, SERVER_ADMIN) if a.email == "bob@example.org"
    )
    assert (await dave.post(f"/api/v1/clinic/members/{bob_id}/remove")).status_code == 404
    assert (await bob.post(f"/api/v1/clinic/members/{bob_id}/remove")).status_code == 404
    assert (await anna.post(f"/api/v1/clinic/members/{bob_id}/remove")).status_code == 204
    assert (await bob.get("/api/v1/me")).status_code == 401
    async with web_client(app, sign_up=None) as again:
        r = await again.post(
            "/api/v1/auth/login", json={"email": "bob@example.org", "password": PASSWORD}
        )
        assert r.status_code == 401
    # The clinic's trail: the clinic admin only, and it names what happened.
    trail = (await anna.get("/api/v1/clinic/audit")).json()["items"]
    actions = {i["action"] for i in trail}
    assert {"account_create", "invite_used", "remove_member"} <= actions
    assert (await dave.get("/api/v1/clinic/audit")).status_code == 404
    await stack.aclose()


async def test_a_self_managed_person_joins_a_clinic_and_keeps_their_data(
    db: Database, library
) -> None:  # type: ignore[no-untyped-def]
    early = NOW - timedelta(days=1)
    north = accounts.create_clinic(db, "North", actor=SERVER_ADMIN, now=early)
    accounts.add_account(db, "bob@example.org", role="clinician", clinic_id=north,
                         password=PASSWORD, actor=SERVER_ADMIN, now=early)  # fmt: skip
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    async with AsyncExitStack() as stack:
        sam = await stack.enter_async_context(web_client(app, sign_up="sam@example.org"))
        r = await sam.post("/api/v1/enroll", json=INTAKE)
        assert r.status_code == 201, r.text
        person = r.json()["person_id"]
        bob = await login(app, "bob@example.org", stack)
        assert f"/clinic/patients/{person}" not in (await bob.get("/api/v1/patients")).text
        r = await bob.post(
            "/api/v1/clinic/invitations", json={"email": "sam@example.org", "role": "person"}
        )
        assert r.status_code == 201, r.text
        secret = r.json()["link"].split("link=", 1)[1]
        wrong = await sam.post(
            "/account/password", data={"link": secret, "password": "not mine at all"}
        )
        assert wrong.status_code == 422 and "not this account" in wrong.text
        r = await sam.post("/account/password", data={"link": secret, "password": PASSWORD})
        assert r.status_code == 303
        me = (await sam.get("/api/v1/me")).json()
        assert me["clinic_id"] == north and me["person_id"] == person
        assert (await sam.get("/api/v1/program")).status_code == 200  # their program came along
        listed = (await bob.get("/api/v1/patients")).json()["items"]
        assert [p["id"] for p in listed] == [person]
        assert (await bob.get(f"/api/v1/patients/{person}/progress")).status_code == 200
        # Sam's My data page leads to "Who has looked at my data", which names Bob's look.
        assert 'href="/data/audit"' in (await sam.get("/data")).text
        looked = (await sam.get("/api/v1/me/audit")).json()["items"]
        assert any(i["who"] == "bob@example.org" and i["action"] == "read_health" for i in looked)
        assert "bob@example.org" in (await sam.get("/data/audit")).text
        # Bob's navigation has no clinic trail (a clinic admin's).
        assert "/clinic/audit" not in (await bob.get("/clinic")).text


async def test_the_clinic_page_invites_and_removes(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    early = NOW - timedelta(days=1)
    north = accounts.create_clinic(db, "North", actor=SERVER_ADMIN, now=early)
    for email, role in (("anna@example.org", "clinic_admin"), ("bob@example.org", "clinician")):
        accounts.add_account(db, email, role=role, clinic_id=north, password=PASSWORD,
                             actor=SERVER_ADMIN, now=early)  # fmt: skip
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    async with AsyncExitStack() as stack:
        anna = await login(app, "anna@example.org", stack)
        bob = await login(app, "bob@example.org", stack)
        page = (await bob.get("/clinic/members")).text
        assert "Make the invitation link" in page and 'value="clinician"' not in page
        assert "Members" not in page  # a clinician invites people; the admin manages members
        r = await bob.post("/clinic/invitations", data={"email": "nope", "role": "person"})
        assert r.status_code == 422 and 'aria-invalid="true"' in r.text and "#email" in r.text
        r = await anna.post(
            "/clinic/invitations", data={"email": "cat@example.org", "role": "clinician"}
        )
        assert r.status_code == 200 and "/account/password?link=" in r.text
        members = (await anna.get("/clinic/members")).text
        assert "cat@example.org (clinician) — invited, not yet joined" in members
        assert "/account/password?link=" not in members  # shown once
        bob = next(
            a.id for a in accounts.list_accounts(db, SERVER_ADMIN) if a.email == "bob@example.org"
        )
        r = await anna.post(f"/clinic/members/{bob}/remove")
        assert (
            r.status_code == 303
            and "bob@example.org" not in (await anna.get("/clinic/members")).text
        )


async def test_a_clinic_admin_withdraws_an_invitation_and_its_link_stops_working(
    db: Database, library
) -> None:  # type: ignore[no-untyped-def]
    app, north, _ = _two_clinics(
        db, library,
        (("anna@example.org", "clinic_admin", "north"), ("bob@example.org", "clinician", "north"),
         ("sue@example.org", "clinic_admin", "south")),
    )  # fmt: skip
    async with AsyncExitStack() as stack:
        anna = await login(app, "anna@example.org", stack)
        bob = await login(app, "bob@example.org", stack)
        sue = await login(app, "sue@example.org", stack)
        r = await bob.post(
            "/api/v1/clinic/invitations", json={"email": "wrong@example.org", "role": "person"}
        )
        assert r.status_code == 201, r.text
        made = r.json()
        secret = made["link"].split("link=", 1)[1]
        withdraw = f"/api/v1/clinic/invitations/{made['id']}/withdraw"
        # Only the clinic admin of its clinic; anyone else gets the 404 of no such invitation.
        assert (await bob.post(withdraw)).status_code == 404
        assert (await sue.post(withdraw)).status_code == 404
        assert "wrong@example.org" in (await anna.get("/clinic/members")).text
        assert (await anna.post(withdraw)).status_code == 204
        assert "wrong@example.org" not in (await anna.get("/clinic/members")).text
        again = await anna.post(withdraw)
        assert again.status_code == 409 and "nothing to withdraw" in again.json()["detail"]
        assert (await anna.post("/api/v1/clinic/invitations/999999/withdraw")).status_code == 404
        # The link no longer lets anyone in, and its page says so before asking for anything.
        async with web_client(app, sign_up=None) as stranger:
            opened = (await stranger.get(f"/account/password?link={secret}")).text
            assert "This link does not work any more" in opened and 'type="password"' not in opened
            r = await stranger.post(
                "/account/password", data={"link": secret, "password": PASSWORD}
            )
            assert r.status_code != 303
            assert (await stranger.get("/api/v1/me")).status_code == 401
        trail = (await anna.get("/api/v1/clinic/audit")).json()["items"]
        assert any(i["action"] == "withdraw_invitation" for i in trail)
        # The page: a button per pending invitation, back to the members page.
        r = await anna.post(
            "/clinic/invitations", data={"email": "cat@example.org", "role": "person"}
        )
        assert r.status_code == 200
        page = (await anna.get("/clinic/members")).text
        assert "Withdraw the invitation for cat@example.org" in page
        pending = accounts.pending_invitations(db, north, now=NOW)
        assert [p.email for p in pending] == ["cat@example.org"]
        r = await anna.post(f"/clinic/invitations/{pending[0].id}/withdraw")
        assert r.status_code == 303 and r.headers["location"] == "/clinic/members"
        assert accounts.pending_invitations(db, north, now=NOW) == []


async def test_a_withheld_program_is_said_to_the_clinician(db: Database, library) -> None:  # type: ignore[no-untyped-def]
    from kneehab import services

    north = accounts.create_clinic(db, "North", actor=SERVER_ADMIN, now=NOW)
    accounts.add_account(db, "bob@example.org", role="clinician", clinic_id=north,
                         password=PASSWORD, actor=SERVER_ADMIN, now=NOW)  # fmt: skip
    lena = accounts.add_account(db, "lena@example.org", role="person", clinic_id=north,
                                password=PASSWORD, actor=SERVER_ADMIN, now=NOW)  # fmt: skip
    pid = services.enroll(
        db,
        _intake(),
        start=NOW.date(),
        now=NOW,
        account_id=lena.account_id,
        library=default_library(),
        actor=SERVER_ADMIN,
    ).person_id
    services.rescreen(
        db, on_machine(pid), flags=["RF07"], now=NOW, today=NOW.date(), library=default_library()
    )
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    async with AsyncExitStack() as stack:
        bob = await login(app, "bob@example.org", stack)
        page = await bob.get(f"/clinic/patients/{pid}")
        assert page.status_code == 200 and "Locked by a warning sign" in page.text
        old = await bob.get(f"/patients/{pid}")  # the issue-10 path moved (issue 12)
        assert old.status_code == 308 and old.headers["location"] == f"/clinic/patients/{pid}"
        assert (await bob.get(f"/api/v1/patients/{pid}/program")).status_code == 409


def _intake():  # type: ignore[no-untyped-def]
    from kneehab.demo import DEMO_INTAKE

    return DEMO_INTAKE


async def test_an_invitation_never_tells_whether_an_email_has_an_account(
    db: Database, library
) -> None:  # type: ignore[no-untyped-def]
    """Issue 10 §1: inviting an email that has an account answers as for a new email (201 and a
    link), the members page shows the same pending invitation, the clinic's trail the same row, and a
    re-invite the same working link; only the invitee, opening it, is asked for a new password or
    their own. The link moves nobody out of another clinic and says what to do."""
    early = NOW - timedelta(days=1)
    north = accounts.create_clinic(db, "North", actor=SERVER_ADMIN, now=early)
    south = accounts.create_clinic(db, "South", actor=SERVER_ADMIN, now=early)
    for email, role, clinic in (
        ("anna@example.org", "clinic_admin", north),
        ("sam@example.org", "person", None),  # self-managed: may join with their password
        ("sue@example.org", "person", south),
        ("dave@example.org", "clinician", south),
    ):
        accounts.add_account(db, email, role=role, clinic_id=clinic, password=PASSWORD,
                             actor=SERVER_ADMIN, now=early)  # fmt: skip
    app = create_app(SETTINGS, db=db, library=library, clock=Clock(NOW))
    invitees = (
        ("fresh@example.org", "person"),
        ("sam@example.org", "person"),
        ("sue@example.org", "person"),
        ("dave@example.org", "clinician"),
    )
    async with AsyncExitStack() as stack:
        anna = await login(app, "anna@example.org", stack)
        trail_before = len((await anna.get("/api/v1/clinic/audit")).json()["items"])

        async def invite_all() -> dict[str, httpx.Response]:
            answers = {}
            for email, role in invitees:
                answers[email] = await anna.post(
                    "/api/v1/clinic/invitations", json={"email": email, "role": role}
                )
            return answers

        answers = await invite_all()
        assert {r.status_code for r in answers.values()} == {201}
        # The same keys for everyone: the link and the invitation's own id (to withdraw it).
        assert {tuple(sorted(r.json())) for r in answers.values()} == {("id", "link")}
        # The members page: one line each, the same words whether or not the email has an account.
        page = (await anna.get("/clinic/members")).text
        for email, role in invitees:
            assert f"{email} ({role}) — invited, not yet joined" in page, email
        # The clinic's trail: one "invite" row each, naming the invitation, never an account.
        trail = (await anna.get("/api/v1/clinic/audit")).json()["items"]
        made = trail[: len(trail) - trail_before]
        assert [i["action"] for i in made] == ["invite"] * len(invitees)
        assert all(i["resource"].startswith("invitation/") for i in made), made
        assert all(i["person_id"] is None for i in made)
        # Inviting again: the same answer for everyone, and the earlier link ends.
        first = answers
        answers = await invite_all()
        assert {r.status_code for r in answers.values()} == {201}
        page = (await anna.get("/clinic/members")).text
        for email, _role in invitees:
            assert page.count(f"{email} (") == 1, email  # one pending invitation, not two
        for email in ("fresh@example.org", "sam@example.org"):
            old = first[email].json()["link"].split("link=", 1)[1]
            async with web_client(app, sign_up=None) as holder:
                r = await holder.post("/account/password", data={"link": old, "password": PASSWORD})
                assert r.status_code in (404, 422) and "not valid any more" in r.text, email
        # Opened by the invitee: a new email chooses a password, an existing account enters its own.
        links = {e: r.json()["link"].split("link=", 1)[1] for e, r in answers.items()}
        async with web_client(app, sign_up=None) as holder:
            fresh = (await holder.get(f"/account/password?link={links['fresh@example.org']}")).text
            own = (await holder.get(f"/account/password?link={links['sam@example.org']}")).text
        assert "Choose a password" in fresh and "already have" not in fresh
        assert "already have a kneehab account" in own
        for email in ("fresh@example.org", "sam@example.org"):
            async with web_client(app, sign_up=None) as holder:
                r = await holder.post(
                    "/account/password", data={"link": links[email], "password": PASSWORD}
                )
                assert r.status_code == 303, (email, r.text)
                me = (await holder.get("/api/v1/me")).json()
                assert me["clinic_id"] == north and me["role"] == "person", email
        page = (await anna.get("/clinic/members")).text
        assert "fresh@example.org (person) — invited" not in page
        # An account of another clinic (or a clinician) is told what to do, and stays where it is.
        for email in ("sue@example.org", "dave@example.org"):
            async with web_client(app, sign_up=None) as holder:
                r = await holder.post(
                    "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
                )
                r = await holder.post(
                    "/account/password", data={"link": links[email], "password": PASSWORD}
                )
                assert r.status_code == 422, r.text
                assert "ask the clinic to invite another email address" in r.text
                me = (await holder.get("/api/v1/me")).json()
                assert me["clinic_id"] == south, email  # still in their own clinic


# --- the demo clinic (`make run`, `kneehab serve --demo`: issue 10 §3) ------------------------------

DEMO_NOW = datetime(2026, 3, 20, 6, tzinfo=UTC)
DEMO_TODAY = DEMO_NOW.date()


def _demo_course(db: Database, email: str):  # type: ignore[no-untyped-def]
    found = accounts.find(db, email)
    assert found is not None and found.person_id is not None
    with db.read() as s:
        history = history_in(s, found.person_id, DEMO_TODAY)
        stored = repo.escalations(s, found.person_id)
    return history, replay_readable(history, default_library()), stored


def test_the_demo_clinic_s_four_courses_are_as_described(db: Database) -> None:
    seed_demo_clinic(db, today=DEMO_TODAY, now=DEMO_NOW, library=default_library())
    made = {a.email: a for a in accounts.list_accounts(db, SERVER_ADMIN)}
    assert set(made) == {a.email for a in DEMO_ACCOUNTS}
    assert len({a.clinic_id for a in made.values()}) == 1  # one clinic, everyone in it
    assert [made[a.email].role for a in (ADMIN, PHYSIO)] == ["clinic_admin", "clinician"]
    physio = accounts.account_actor(db, made[PHYSIO.email].id)
    seen = {p.id for p in people.patients(db, physio, now=DEMO_NOW)}
    assert seen == {made[a.email].person_id for a in (MARIA, JOE, LENA, TOM)}
    urgent = (EscalationLevel.URGENT, EscalationLevel.EMERGENCY)

    # A steady improver: step after step up, never a step back, a stop or a pause; less pain.
    history, course, _ = _demo_course(db, MARIA.email)
    actions = {d.action for d in course.decisions}
    assert sum(d.action == Action.PROGRESS for d in course.decisions) >= 5
    assert not actions & {Action.REGRESS, Action.STOP, Action.PAUSE}
    pains = [c.avg_pain for c in sorted(history.checkins, key=lambda c: c.date)]
    assert pains == sorted(pains, reverse=True) and pains[-1] < pains[0]  # never worse, and better
    assert course.escalation.level not in urgent and course.locked_by is None
    assert max(s.date for s in history.sessions) >= DEMO_TODAY - timedelta(days=1)

    # A flare-up after a step up: a much sorer morning the day after an exercise moved up, and the
    # step back it led to (RULES P8).
    history, course, _ = _demo_course(db, JOE.email)
    regressions = [d for d in course.decisions if d.action == Action.REGRESS]
    assert regressions and all("P8" in d.rules for d in regressions)
    (flare_day,) = {d.date for d in regressions}
    assert any(
        d.action == Action.PROGRESS and d.date == flare_day - timedelta(days=1)
        for d in course.decisions
    )
    mornings = {c.date: c.morning_pain for c in history.checkins}
    assert mornings[flare_day] == 6 and mornings[flare_day - timedelta(days=1)] == 2
    assert course.locked_by is None

    # An open urgent escalation: a warning sign re-screened yesterday (E1), nobody has acknowledged
    # it, and the program stays stopped until a clinician assesses.
    _, course, stored = _demo_course(db, LENA.email)
    yesterday = DEMO_TODAY - timedelta(days=1)
    (open_one,) = [e for e in stored if e.day == yesterday]
    assert open_one.level == "urgent" and "RF07" in open_one.rules
    assert open_one.acknowledged_at is None
    assert course.escalation.level == EscalationLevel.URGENT and "E1" in course.escalation.rules
    assert course.locked_by is not None

    # Someone who stopped ten days ago: sessions and check-ins until then, nothing since.
    history, course, _ = _demo_course(db, TOM.email)
    stopped = DEMO_TODAY - timedelta(days=10)
    assert len(history.sessions) >= 5
    assert max(s.date for s in history.sessions) == stopped - timedelta(days=1)
    assert all(c.date < stopped for c in history.checkins)
    assert course.escalation.level not in urgent and course.locked_by is None


def test_the_sign_in_page_lists_the_demo_accounts_in_demo_mode_only(tmp_path: Path) -> None:
    with serving(tmp_path, "--demo") as (url, output):
        status, page = _get(url + "/signin")
    assert "Added the demo clinic" in output.read_text()
    assert status == 200 and "Demo accounts" in page and DEMO_PASSWORD in page
    for a in DEMO_ACCOUNTS:
        assert a.email in page and a.who in page
    with serving(tmp_path) as (url, _):  # the same server, started without --demo
        status, page = _get(url + "/signin")
    assert status == 200 and "Demo accounts" not in page and DEMO_PASSWORD not in page
    assert not any(a.email in page for a in DEMO_ACCOUNTS)
