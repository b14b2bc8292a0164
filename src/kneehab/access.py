"""Who may do what: the whole permission table as data, and the one function every route and
use-case asks (`check`). docs/access.md is rendered from `PERMISSIONS` (`render_markdown`).

A refusal is NotFound with the same words as a record that does not exist, so nobody learns that a
person of another clinic, or another person, exists (issue 10 §1).
"""

from __future__ import annotations

from enum import StrEnum

from kneehab.domain.identity import Actor, Role, Scope, Subject
from kneehab.errors import NotFound


class Reach(StrEnum):
    OWN = "own"  # the actor's own person record
    CLINIC = "clinic"  # the people (or the clinic itself) of the actor's clinic
    ANY = "any"  # everyone (the server admin, on the machine)
    NONE = "none"


class Action(StrEnum):
    READ_HEALTH = "read_health"  # program, today, progress, history, changes, export
    WRITE_HEALTH = "write_health"  # sessions, check-ins, outcomes, stop, re-screen, swaps, offers
    DELETE_PERSON = "delete_person"  # delete everything about a person
    CLINICAL_ACTION = (
        "clinical_action"  # review, pain limit, resume, … (RULES D-7); enrol with a ceiling
    )
    ACKNOWLEDGE = "acknowledge"  # acknowledge an escalation
    READ_PERSON_AUDIT = "read_person_audit"  # who has looked at or changed this person's data
    LIST_PATIENTS = "list_patients"  # the caseload (subject: a clinic)
    INVITE_PERSON = "invite_person"  # into the clinic (subject: a clinic)
    INVITE_CLINICIAN = "invite_clinician"  # (subject: a clinic)
    REMOVE_MEMBER = "remove_member"  # a clinician or a person from the clinic (subject: a clinic)
    WITHDRAW_INVITATION = "withdraw_invitation"  # one not used yet (subject: its clinic)
    READ_CLINIC_AUDIT = "read_clinic_audit"  # the clinic's trail (subject: a clinic)
    READ_AUDIT = "read_audit"  # the whole server's trail, unfiltered (subject: nobody's)
    LIST_MEMBERS = "list_members"  # a clinic's accounts (subject: a clinic; no clinic: every one)
    CREATE_CLINIC = "create_clinic"  # (subject: nobody's)
    RESET_PASSWORD = "reset_password"  # print a one-time reset link (subject: the account's)
    MANAGE_TOKENS = (
        "manage_tokens"  # create or revoke a personal access token (subject: its account's)
    )


# What a read-only token may still do: nothing that changes anything.
READS: frozenset[Action] = frozenset(
    {
        Action.READ_HEALTH,
        Action.READ_PERSON_AUDIT,
        Action.LIST_PATIENTS,
        Action.READ_CLINIC_AUDIT,
        Action.READ_AUDIT,
        Action.LIST_MEMBERS,
    }
)
# The same rule for a web request, before any route: a read-only token sends only these methods (a
# request that changes something is refused whatever it would have done).
READ_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})  # RFC 9110 safe
# Who has a record of their own ("my program", "my data"): everyone else reaches records only
# through paths that name the person.
OWN_RECORD: frozenset[Role] = frozenset({Role.PERSON})

_P, _C, _A, _S = Role.PERSON, Role.CLINICIAN, Role.CLINIC_ADMIN, Role.SERVER_ADMIN
# One row per action, one column per role. The server admin reaches everything from the command line.
PERMISSIONS: dict[Action, dict[Role, Reach]] = {
    Action.READ_HEALTH: {_P: Reach.OWN, _C: Reach.CLINIC, _A: Reach.CLINIC, _S: Reach.ANY},
    Action.WRITE_HEALTH: {_P: Reach.OWN, _C: Reach.NONE, _A: Reach.NONE, _S: Reach.ANY},
    Action.DELETE_PERSON: {_P: Reach.OWN, _C: Reach.NONE, _A: Reach.NONE, _S: Reach.ANY},
    Action.CLINICAL_ACTION: {_P: Reach.NONE, _C: Reach.CLINIC, _A: Reach.CLINIC, _S: Reach.ANY},
    Action.ACKNOWLEDGE: {_P: Reach.OWN, _C: Reach.CLINIC, _A: Reach.CLINIC, _S: Reach.ANY},
    Action.READ_PERSON_AUDIT: {_P: Reach.OWN, _C: Reach.NONE, _A: Reach.CLINIC, _S: Reach.ANY},
    Action.LIST_PATIENTS: {_P: Reach.NONE, _C: Reach.CLINIC, _A: Reach.CLINIC, _S: Reach.ANY},
    Action.INVITE_PERSON: {_P: Reach.NONE, _C: Reach.CLINIC, _A: Reach.CLINIC, _S: Reach.ANY},
    Action.INVITE_CLINICIAN: {_P: Reach.NONE, _C: Reach.NONE, _A: Reach.CLINIC, _S: Reach.ANY},
    Action.REMOVE_MEMBER: {_P: Reach.NONE, _C: Reach.NONE, _A: Reach.CLINIC, _S: Reach.ANY},
    # Whoever sees the clinic's pending invitations (the clinic admin) may take one back.
    Action.WITHDRAW_INVITATION: {_P: Reach.NONE, _C: Reach.NONE, _A: Reach.CLINIC, _S: Reach.ANY},
    Action.READ_CLINIC_AUDIT: {_P: Reach.NONE, _C: Reach.NONE, _A: Reach.CLINIC, _S: Reach.ANY},
    Action.READ_AUDIT: {_P: Reach.NONE, _C: Reach.NONE, _A: Reach.NONE, _S: Reach.ANY},
    Action.LIST_MEMBERS: {_P: Reach.NONE, _C: Reach.NONE, _A: Reach.CLINIC, _S: Reach.ANY},
    Action.CREATE_CLINIC: {_P: Reach.NONE, _C: Reach.NONE, _A: Reach.NONE, _S: Reach.ANY},
    Action.RESET_PASSWORD: {_P: Reach.NONE, _C: Reach.NONE, _A: Reach.NONE, _S: Reach.ANY},
    Action.MANAGE_TOKENS: {_P: Reach.NONE, _C: Reach.NONE, _A: Reach.NONE, _S: Reach.ANY},
}


def allows(actor: Actor, action: Action, subject: Subject) -> bool:
    """One condition per line: the role's reach for the action, the token's scope, the subject."""
    reach = PERMISSIONS[action].get(actor.role, Reach.NONE)
    if actor.token_scope == Scope.READ and action not in READS:
        return False
    if reach == Reach.ANY:
        return True
    if reach == Reach.OWN:
        return subject.person_id is not None and subject.person_id == actor.person_id
    if reach == Reach.CLINIC:
        return actor.clinic_id is not None and subject.clinic_id == actor.clinic_id
    return False


def allows_method(actor: Actor, method: str) -> bool:
    """Whether a web request with this method may be sent at all (a read-only token: READ_METHODS)."""
    return actor.token_scope != Scope.READ or method.upper() in READ_METHODS


def own_record(actor: Actor) -> int | None:
    """The actor's own person record ("my own" pages and the camera coach), or None when their role
    has none or their first run is not saved yet."""
    return actor.person_id if actor.role in OWN_RECORD else None


def check(actor: Actor, action: Action, subject: Subject, *, what: str = "person") -> None:
    """NotFound unless `actor` may do `action` to `subject`; the words of a missing record."""
    if not allows(actor, action, subject):
        raise NotFound(f"{what}: not found")


_WORDS = {
    Reach.OWN: "their own",
    Reach.CLINIC: "their clinic's",
    Reach.ANY: "anyone's",
    Reach.NONE: "—",
}
_DOC_ROLES = (Role.PERSON, Role.CLINICIAN, Role.CLINIC_ADMIN, Role.SERVER_ADMIN)
_ACTION_WORDS = {
    Action.READ_HEALTH: "read health data (program, today, progress, history, export)",
    Action.WRITE_HEALTH: "record (sessions, check-ins, outcomes, stop, safety questions, choices)",
    Action.DELETE_PERSON: "delete everything about a person",
    Action.CLINICAL_ACTION: "clinical actions (review, pain limit, resume; RULES D-7)",
    Action.ACKNOWLEDGE: "acknowledge an escalation",
    Action.READ_PERSON_AUDIT: "read who has looked at or changed a person's data",
    Action.LIST_PATIENTS: "list the people of a clinic",
    Action.INVITE_PERSON: "invite a person into a clinic",
    Action.INVITE_CLINICIAN: "invite a clinician into a clinic",
    Action.REMOVE_MEMBER: "remove a clinician or a person from a clinic",
    Action.WITHDRAW_INVITATION: "withdraw an invitation into a clinic that was not used yet",
    Action.READ_CLINIC_AUDIT: "read a clinic's audit trail",
    Action.READ_AUDIT: "read the whole server's audit trail",
    Action.LIST_MEMBERS: "list the accounts of a clinic (or every account)",
    Action.CREATE_CLINIC: "create a clinic",
    Action.RESET_PASSWORD: "make a one-time password reset link",
    Action.MANAGE_TOKENS: "create or revoke a personal access token",
}


def render_markdown() -> str:
    """docs/access.md, from the table above (a test keeps the file equal to this)."""
    head = "| action | " + " | ".join(r.value for r in _DOC_ROLES) + " | read token |"
    rule = "|---" * (len(_DOC_ROLES) + 2) + "|"
    rows = [
        f"| {_ACTION_WORDS[a]} | "
        + " | ".join(_WORDS[PERMISSIONS[a].get(r, Reach.NONE)] for r in _DOC_ROLES)
        + f" | {'yes' if a in READS else 'no'} |"
        for a in Action
    ]
    intro = (
        "# Who may do what\n\n"
        "Generated from `src/kneehab/access.py` (`PERMISSIONS`) by `python -m kneehab.access`; a test "
        "keeps this file equal to it. Every route and use-case asks `access.check()`; a refusal is a "
        "404 with the words of a record that does not exist, so nobody learns that another person's "
        "record exists.\n\n"
        '"their own": the person\'s own record. "their clinic\'s": the people of the clinic the '
        "clinician belongs to (or the clinic itself). A personal access token acts as its account; a "
        "`read` token may only do what the last column allows (on the web: only "
        f"{', '.join(sorted(READ_METHODS))} requests), a `write` token what its account may. "
        f"Only a {', '.join(sorted(r.value for r in OWN_RECORD))} has a record of their own; others "
        "reach a record through the paths that name the person. "
        "The server admin has no account: the command line on the machine.\n\n"
    )
    return intro + "\n".join([head, rule, *rows]) + "\n"


if __name__ == "__main__":  # pragma: no cover - writes the doc
    from pathlib import Path

    out = Path(__file__).resolve().parents[2] / "docs" / "access.md"
    out.write_text(render_markdown(), encoding="utf-8")
    print(f"wrote {out}")
