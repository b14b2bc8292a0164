"""A whole course of care rebuilt from its history: triage, plan, then each check-in's decisions.

RULES C-6: decisions are made at each check-in, the morning after a session.
"""

from __future__ import annotations

import datetime as dt

from kneehab.domain.escalation import Escalation
from kneehab.domain.program import Program, Triage
from kneehab.domain.progression import Decision
from kneehab.domain.types import Frozen


class ProgramVersion(Frozen):
    """One program change: version 1 is the plan; later ones follow a dose or status decision."""

    version: int
    date: dt.date
    rules: tuple[str, ...]
    reason: str
    program: Program


class Course(Frozen):
    triage: Triage
    program: Program | None  # the current prescription; None when triage withholds it (D-2)
    decisions: tuple[Decision, ...]  # chronological
    escalation: Escalation  # as of history.today
    versions: tuple[ProgramVersion, ...]
