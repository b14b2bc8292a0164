"""Issue 10 §0: every use-case takes who acts and for whom, and asks access.py inside its own
transaction, so an entrypoint that forgets a check still cannot read or change someone else's record;
and no use-case falls back to a library of its own (the caller passes it)."""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime

import pytest

from kneehab import services
from kneehab.demo import DEMO_INTAKE
from kneehab.domain.identity import SERVER_ADMIN, Actor, Scope
from kneehab.domain.records import CheckIn, ClinicianAction
from kneehab.errors import InvalidInput, NotFound
from kneehab.library.load import default_library
from kneehab.services import accounts, audit, patient_review
from kneehab.services.acting import Acting
from kneehab.services.enrolment import zone_of
from kneehab.store.db import Database

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
DAY = date(2026, 3, 2)
PASSWORD = "correct horse battery"
INTAKE = DEMO_INTAKE


def _world(db: Database) -> dict[str, Actor]:
    north = accounts.create_clinic(db, "North", actor=SERVER_ADMIN, now=NOW)
    south = accounts.create_clinic(db, "South", actor=SERVER_ADMIN, now=NOW)
    ids = {}
    for email, role, clinic in (
        ("pat@example.org", "person", north),
        ("quinn@example.org", "person", north),
        ("cara@example.org", "clinician", north),
        ("dev@example.org", "clinician", south),
    ):
        ids[email] = accounts.add_account(
            db, email, role=role, clinic_id=clinic, password=PASSWORD, actor=SERVER_ADMIN, now=NOW
        ).account_id
    lib = default_library()
    for email in ("pat@example.org", "quinn@example.org"):
        person = accounts.account_actor(db, ids[email])
        services.enroll(
            db, INTAKE, actor=person, start=DAY, now=NOW, library=lib, account_id=ids[email]
        )
    return {email.split("@")[0]: accounts.account_actor(db, i) for email, i in ids.items()}


def test_each_use_case_decides_who_may_act(db: Database) -> None:
    lib, w = default_library(), _world(db)
    pat = w["pat"].person_id
    assert pat is not None
    own, cara, dev = Acting(w["pat"], pat), Acting(w["cara"], pat), Acting(w["dev"], pat)
    quinn = Acting(w["quinn"], pat)
    reader = Acting(Actor(**{**w["pat"].__dict__, "token_scope": Scope.READ}), pat)
    morning = CheckIn(date=DAY, morning_pain=2)

    assert services.course(db, own, today=DAY, library=lib).program is not None
    assert services.course(db, cara, today=DAY, library=lib).program is not None  # their clinician
    for stranger in (dev, quinn):  # another clinic's clinician; another person of the clinic
        with pytest.raises(NotFound):
            services.course(db, stranger, today=DAY, library=lib)
        with pytest.raises(NotFound):
            services.export_person(db, stranger)
        with pytest.raises(NotFound):
            services.delete_person(db, stranger)
    for cannot_write in (cara, reader, dev):  # health records are the person's own to write
        with pytest.raises(NotFound):
            services.check_in(db, cannot_write, morning, today=DAY, now=NOW, library=lib)
    assert services.history(db, own).checkins == ()  # nothing was written by a refused call
    services.check_in(db, own, morning, today=DAY, now=NOW, library=lib)
    assert len(services.history(db, own).checkins) == 1
    assert services.export_person(db, own)["person"]["id"] == pat


def test_only_a_clinician_enrols_with_a_pain_limit(db: Database) -> None:
    lib, w = default_library(), _world(db)
    capped = INTAKE.model_copy(update={"pain_ceiling": 5})
    fresh = accounts.add_account(
        db, "new@example.org", role="person", clinic_id=w["cara"].clinic_id, password=PASSWORD,
        actor=SERVER_ADMIN, now=NOW,
    ).account_id  # fmt: skip
    newcomer = accounts.account_actor(db, fresh)
    with pytest.raises(InvalidInput, match="only a clinician sets the pain limit"):
        services.enroll(
            db, capped, actor=newcomer, start=DAY, now=NOW, library=lib, account_id=fresh
        )
    with pytest.raises(NotFound):  # a clinician of another clinic cannot enrol their person
        services.enroll(
            db, capped, actor=w["dev"], start=DAY, now=NOW, library=lib, account_id=fresh
        )
    made = services.enroll(
        db, capped, actor=w["cara"], start=DAY, now=NOW, library=lib, account_id=fresh
    )
    assert made.program is not None and made.program.pain_ceiling == 5


def test_no_use_case_falls_back_to_a_library_of_its_own() -> None:
    for name in services.__all__:
        fn = getattr(services, name)
        if not inspect.isfunction(fn):
            continue
        param = inspect.signature(fn).parameters.get("library")
        if param is not None:
            assert param.default is inspect.Parameter.empty, (
                f"services.{name}: library has a default"
            )


def test_reads_by_id_ask_access_py(db: Database) -> None:
    """The audit trail, a clinic's accounts and a person's timezone are read by id: each use-case
    decides who may, in the same words as a record that does not exist."""
    w = _world(db)
    pat = w["pat"].person_id
    assert pat is not None and w["cara"].clinic_id is not None
    assert zone_of(db, Acting(w["pat"], pat)) is None  # the server's zone
    assert zone_of(db, Acting(w["cara"], pat)) is None  # their clinician: their "today"
    with pytest.raises(NotFound, match="person: not found"):
        zone_of(db, Acting(w["dev"], pat))
    assert audit.entries(db, w["pat"], person_id=pat) is not None
    for stranger in (w["quinn"], w["cara"], w["dev"]):  # a clinician reads no person's trail
        with pytest.raises(NotFound, match="person: not found"):
            audit.entries(db, stranger, person_id=pat)
    for not_admin in (w["pat"], w["cara"]):
        with pytest.raises(NotFound):
            audit.entries(db, not_admin, clinic_id=w["cara"].clinic_id)
        with pytest.raises(NotFound):
            audit.entries(db, not_admin)  # the whole trail: the server admin's
        with pytest.raises(NotFound):
            accounts.list_accounts(db, not_admin, w["cara"].clinic_id)
    assert audit.entries(db, SERVER_ADMIN)
    assert len(accounts.list_accounts(db, SERVER_ADMIN)) == 4


def test_the_server_admins_use_cases_ask_access_py(db: Database) -> None:
    w = _world(db)
    cara, north = w["cara"], w["cara"].clinic_id
    with pytest.raises(NotFound):
        accounts.create_clinic(db, "West", actor=cara, now=NOW)
    with pytest.raises(NotFound):  # a clinician invites people, not clinicians
        accounts.add_account(
            db, "eve@example.org", role="clinician", clinic_id=north, password=None, actor=cara,
            now=NOW,
        )  # fmt: skip
    with pytest.raises(NotFound):  # nor into another clinic, nor a self-managed account
        accounts.add_account(
            db, "eve@example.org", role="person", clinic_id=w["dev"].clinic_id, password=None,
            actor=cara, now=NOW,
        )  # fmt: skip
    made = accounts.add_account(
        db, "eve@example.org", role="person", clinic_id=north, password=None, actor=cara, now=NOW
    )  # as the web's invitation lets them
    assert made.invitation is not None
    for nobody in ("pat@example.org", "nobody@example.org"):  # the same words either way
        with pytest.raises(NotFound, match="account: not found"):
            accounts.reset_link(db, nobody, actor=cara, now=NOW)
        with pytest.raises(NotFound, match="account: not found"):
            accounts.create_token(db, nobody, scope="read", name="app", actor=w["pat"], now=NOW)
    token = accounts.create_token(
        db, "pat@example.org", scope="read", name="app", actor=SERVER_ADMIN, now=NOW
    )
    for refused in (w["pat"], cara):
        with pytest.raises(NotFound, match="token: not found"):
            accounts.revoke_token(db, token.token_id, actor=refused, now=NOW)
    assert accounts.resolve_token(db, token.secret, now=NOW) is not None  # still works
    accounts.revoke_token(db, token.token_id, actor=SERVER_ADMIN, now=NOW)
    assert accounts.resolve_token(db, token.secret, now=NOW) is None


def test_a_clinicians_action_is_one_transaction(db: Database) -> None:
    """patient_review.act: the decision, the D-8 check and the write together. A refused action
    keeps only the look in the trail; another clinic's clinician is refused, and that is kept too."""
    lib, w = default_library(), _world(db)
    pat = w["pat"].person_id
    assert pat is not None
    own = Acting(w["pat"], pat)

    def trail() -> list[tuple[str, str]]:  # newest first
        return [(e.actor, e.outcome) for e in audit.entries(db, SERVER_ADMIN, person_id=pat)]

    before = trail()
    far = ClinicianAction(date=DAY, action="set_ceiling", value=9, reason="higher")  # D-8: no
    with pytest.raises(InvalidInput, match="value"):
        patient_review.act(db, w["cara"], pat, far, today=DAY, now=NOW, library=lib)
    with pytest.raises(NotFound, match="person: not found"):
        patient_review.act(db, w["dev"], pat, far, today=DAY, now=NOW, library=lib)
    assert services.history_of(db, own, today=DAY).clinician == ()  # nothing kept
    assert trail()[: len(trail()) - len(before)] == [
        ("dev@example.org", "refused"),
        ("cara@example.org", "ok"),
    ]
    review = ClinicianAction(date=DAY, action="review", reason="Seen in clinic.")
    kept = patient_review.act(db, w["cara"], pat, review, today=DAY, now=NOW, library=lib)
    assert kept.by == "cara@example.org"
    assert [c.action for c in services.history_of(db, own, today=DAY).clinician] == ["review"]
