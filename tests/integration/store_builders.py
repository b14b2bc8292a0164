"""Builders for integration tests: small, readable domain objects (no planner needed), a person
stored with them, and an entry that does a program item's dose in full."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kneehab.domain.exercise import Code
from kneehab.domain.intake import Intake
from kneehab.domain.program import Program, ProgramItem, Triage
from kneehab.domain.records import SessionEntry, done_as_prescribed
from kneehab.domain.types import Block, Category, Dose, Level
from kneehab.store import repo
from kneehab.store.db import Database

START = date(2025, 3, 3)  # a Monday
NOW = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)


def make_intake(**changes: object) -> Intake:
    data: dict[str, object] = {
        "age": 58,
        "knee": "right",
        "condition": "medial_knee_oa",
        "onset": "gradual",
        "weeks_since_onset": 20,
        "pain_now": 4,
        "pain_worst_week": 6,
        "equipment": ["chair", "mat"],
    }
    data.update(changes)
    return Intake.model_validate(data)


def make_program(start: date = START, *, bridge: Dose | None = None) -> Program:
    item = ProgramItem(
        exercise_id="bridge",
        name="Bridge",
        category=Category.STRENGTH,
        block=Block.STRENGTH,
        dose=bridge or Dose(sets=2, reps=10, hold_s=2),
        per_side=False,
        days=("mon", "wed", "fri"),
        code=Code.EMPHASISE,
        why="Strengthens hips and thighs.",
        rules=("D-4",),
    )
    return Program(
        start=start,
        phase="later",
        phase_note="Standard phase.",
        acute=False,
        pain_ceiling=3,
        pain_ceiling_rules=("D-1",),
        progression_held=False,
        items=(item,),
        avoid=(),
        equipment=(),
        ice_heat="Ice after exercise if sore.",
        see_professional="See a professional if it gets worse.",
        review_on=None,
    )


OK_TRIAGE = Triage(level=Level.OK, rules=(), message="Safe to start the home program.")


def add_enrolled(db: Database) -> int:
    """A person with the builders' intake and one-item program (version 1), straight into the store."""
    with db.write() as s:
        pid = repo.add_person(s, start=START, now=NOW)
        repo.add_intake(s, pid, make_intake(), OK_TRIAGE, now=NOW)
        repo.add_program_version(
            s,
            pid,
            program=make_program(),
            effective=START,
            now=NOW,
            kind="plan",
            actor="planner",
            rules=("D-4",),
            reason="Starting program.",
        )
    return pid


def entry_as_prescribed(item: ProgramItem, *, pain: int = 1) -> SessionEntry:
    """The item's dose done in full and rated easy."""
    return done_as_prescribed(item, pain=pain, rir=3)
