"""Who is acting: the roles of issue 10 and the actor a request or command acts as (pure data).

The server admin has no account and acts only through the command line on the machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    PERSON = "person"  # the patient: owns their data, self-managed or in one clinic
    CLINICIAN = "clinician"  # sees and acts for the people of their clinic
    CLINIC_ADMIN = "clinic_admin"  # a clinician who also manages the clinic's members and trail
    SERVER_ADMIN = "server_admin"  # the command line on the machine; never through the web


class Scope(StrEnum):
    """A personal access token acts as its account, limited to reading or allowed to write."""

    READ = "read"
    WRITE = "write"


ACCOUNT_ROLES: tuple[Role, ...] = (Role.PERSON, Role.CLINICIAN, Role.CLINIC_ADMIN)


@dataclass(frozen=True)
class Actor:
    account_id: int | None  # None: the server admin
    email: str
    role: Role
    clinic_id: int | None = None
    person_id: int | None = None  # a person's own record, once enrolled
    token_scope: Scope | None = None  # set when acting through a personal access token

    @property
    def label(self) -> str:
        return self.email or self.role.value


SERVER_ADMIN = Actor(account_id=None, email="server admin", role=Role.SERVER_ADMIN)


@dataclass(frozen=True)
class Subject:
    """Whose data (or which clinic) an action is about."""

    person_id: int | None
    clinic_id: int | None
