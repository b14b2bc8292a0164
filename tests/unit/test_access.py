"""access.py is the one place that decides who may do what (issue 10 §1): its table is data, rendered
into docs/access.md, and every decision is answered the same way for a missing and a forbidden record."""

from __future__ import annotations

from pathlib import Path

import pytest

from kneehab import access
from kneehab.access import Action, allows, check
from kneehab.domain.identity import SERVER_ADMIN, Actor, Role, Scope, Subject
from kneehab.errors import NotFound

DOC = Path(__file__).resolve().parents[2] / "docs" / "access.md"

ALICE = Actor(1, "alice@example.org", Role.PERSON, clinic_id=10, person_id=100)
CAROL = Actor(2, "carol@example.org", Role.PERSON, clinic_id=10, person_id=101)  # same clinic
BOB = Actor(3, "bob@example.org", Role.CLINICIAN, clinic_id=10)  # Alice's clinician
DAVE = Actor(4, "dave@example.org", Role.CLINICIAN, clinic_id=20)  # another clinic
ANNA = Actor(5, "anna@example.org", Role.CLINIC_ADMIN, clinic_id=10)
READ_TOKEN = Actor(1, "alice@example.org", Role.PERSON, 10, 100, token_scope=Scope.READ)
WRITE_TOKEN = Actor(1, "alice@example.org", Role.PERSON, 10, 100, token_scope=Scope.WRITE)
SOLO = Actor(6, "sam@example.org", Role.PERSON, clinic_id=None, person_id=102)  # self-managed

ALICES = Subject(person_id=100, clinic_id=10)
SAMS = Subject(person_id=102, clinic_id=None)
CLINIC_10 = Subject(person_id=None, clinic_id=10)


def test_the_doc_is_the_table() -> None:
    assert DOC.read_text(encoding="utf-8") == access.render_markdown(), (
        "docs/access.md is out of date: run `python -m kneehab.access`"
    )


def test_every_action_has_a_decision_for_every_role() -> None:
    for action in Action:
        assert set(access.PERMISSIONS[action]) == set(Role), action


@pytest.mark.parametrize(
    ("actor", "action", "subject", "allowed"),
    [
        (ALICE, Action.READ_HEALTH, ALICES, True),
        (ALICE, Action.WRITE_HEALTH, ALICES, True),
        (ALICE, Action.DELETE_PERSON, ALICES, True),
        (ALICE, Action.CLINICAL_ACTION, ALICES, False),  # D-7: a clinician's
        (CAROL, Action.READ_HEALTH, ALICES, False),  # same clinic, another person
        (BOB, Action.READ_HEALTH, ALICES, True),
        (BOB, Action.CLINICAL_ACTION, ALICES, True),
        (BOB, Action.WRITE_HEALTH, ALICES, False),
        (BOB, Action.DELETE_PERSON, ALICES, False),
        (BOB, Action.READ_HEALTH, SAMS, False),  # self-managed: nobody's caseload
        (DAVE, Action.READ_HEALTH, ALICES, False),
        (DAVE, Action.LIST_PATIENTS, CLINIC_10, False),
        (BOB, Action.LIST_PATIENTS, CLINIC_10, True),
        (BOB, Action.INVITE_CLINICIAN, CLINIC_10, False),
        (ANNA, Action.INVITE_CLINICIAN, CLINIC_10, True),
        (ANNA, Action.READ_CLINIC_AUDIT, CLINIC_10, True),
        (BOB, Action.READ_CLINIC_AUDIT, CLINIC_10, False),
        (READ_TOKEN, Action.READ_HEALTH, ALICES, True),
        (READ_TOKEN, Action.WRITE_HEALTH, ALICES, False),
        (WRITE_TOKEN, Action.WRITE_HEALTH, ALICES, True),
        (SOLO, Action.READ_HEALTH, SAMS, True),
        (SOLO, Action.LIST_PATIENTS, Subject(None, None), False),
        (SERVER_ADMIN, Action.DELETE_PERSON, ALICES, True),
        # the server admin's own use-cases (the command line); a clinic admin lists their clinic
        (ANNA, Action.LIST_MEMBERS, CLINIC_10, True),
        (ANNA, Action.LIST_MEMBERS, Subject(None, None), False),  # every account: the machine only
        (BOB, Action.LIST_MEMBERS, CLINIC_10, False),
        (ANNA, Action.READ_AUDIT, Subject(None, None), False),
        (SERVER_ADMIN, Action.READ_AUDIT, Subject(None, None), True),
        (ANNA, Action.CREATE_CLINIC, Subject(None, None), False),
        (SERVER_ADMIN, Action.CREATE_CLINIC, Subject(None, None), True),
        (ANNA, Action.RESET_PASSWORD, CLINIC_10, False),
        (ALICE, Action.MANAGE_TOKENS, ALICES, False),
        (SERVER_ADMIN, Action.MANAGE_TOKENS, ALICES, True),
    ],
)
def test_personas(actor: Actor, action: Action, subject: Subject, allowed: bool) -> None:
    assert allows(actor, action, subject) is allowed


def test_a_refusal_reads_like_a_missing_record() -> None:
    with pytest.raises(NotFound) as refused:
        check(DAVE, Action.READ_HEALTH, ALICES)
    assert str(refused.value) == "person: not found"


def test_a_read_token_sends_only_reads() -> None:
    assert access.allows_method(READ_TOKEN, "GET")
    assert not access.allows_method(READ_TOKEN, "POST")
    assert not access.allows_method(READ_TOKEN, "delete")
    assert access.allows_method(WRITE_TOKEN, "POST")
    assert access.allows_method(ALICE, "PUT")


def test_only_a_person_has_a_record_of_their_own() -> None:
    assert access.own_record(ALICE) == 100
    assert access.own_record(BOB) is None
    # a clinician's account never holds a program; even if one did, it is not "their own" here
    assert access.own_record(Actor(7, "x@example.org", Role.CLINICIAN, 10, person_id=103)) is None
    assert access.own_record(Actor(8, "y@example.org", Role.PERSON, None, None)) is None
