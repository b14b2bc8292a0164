"""Moving stored courses to rule book v2 (ADR 0004): one dated `rules-v2` version per person that
says in plain words what changes; nothing stored before it is rewritten."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session as DbSession

from kneehab.domain.exercise import Library
from kneehab.domain.program import ItemStatus, Program, ProgramItem
from kneehab.services.replay import (
    RULES_V2_KIND,
    RULES_VERSION,
    course_in,
)
from kneehab.store import repo
from kneehab.store.db import Database


@dataclass(frozen=True)
class RulesUpgrade:
    person_id: int
    day: date
    version: int | None  # the `rules-v2` program version written, None when there is no program
    reason: str
    rules: tuple[str, ...]


def _status_words(item: ProgramItem) -> str:
    return {ItemStatus.PAUSED: "paused", ItemStatus.STOPPED: "stopped"}.get(
        item.status, "in your session"
    )


def _pain_limit_words(old: Program | None, new: Program, baseline: int | None) -> str:
    was = f" (it was {old.pain_ceiling})" if old and old.pain_ceiling != new.pain_ceiling else ""
    if baseline is not None and baseline >= new.pain_ceiling and new.pain_ceiling > 3:
        why = f", because your usual morning pain is {baseline}"
    elif new.acute:
        why = ", the lower limit for the first weeks after an injury"
    else:
        why = ""
    if old is not None and old.pain_ceiling == new.pain_ceiling:
        return f"Your pain limit stays at {new.pain_ceiling} out of 10{why}."
    return f"Your pain limit is now {new.pain_ceiling} out of 10{was}{why}."


def rules_v2_changes(
    old: Program | None, new: Program, *, baseline: int | None, tolerance_was: int
) -> tuple[str, tuple[str, ...]]:
    """What moving to rule book v2 changes for one person, in plain words (no rule id inside a
    sentence, D-13), and the rule ids apart."""
    lines = ["kneehab now follows its updated exercise rules."]
    rules: list[str] = ["C-18", "D-1"]
    lines.append(_pain_limit_words(old, new, baseline))
    if baseline is not None:
        lines.append(
            f"Your usual morning pain is now worked out from your recent morning check-ins: "
            f"it is {baseline} out of 10 today."
        )
        rules.append("C-5")
    if tolerance_was == 0:
        lines.append(
            "A morning counts as worse than usual when your pain is more than 1 point above "
            "your usual pain."
        )
    base = len(lines)
    before = {i.exercise_id: i for i in old.items} if old else {}
    for item in new.items:
        was = before.get(item.exercise_id)
        if was is None:
            lines.append(f"{item.name} is now in your program: {item.dose_text}.")
            continue
        if was.status != item.status:
            if item.status == ItemStatus.ACTIVE:
                lines.append(
                    f"{item.name} is back in your session at {item.dose_text}: an exercise is "
                    "now paused only when its lower dose keeps hurting, and a pause ends by "
                    "itself after three good mornings."
                )
                rules.extend(("P5", "P10"))
            else:
                lines.append(f"{item.name} is {_status_words(item)} for now.")
        elif was.dose != item.dose:
            lines.append(f"{item.name} is now {item.dose_text} (it was {was.dose_text}).")
    swap_ids = {sw.item.exercise_id for sw in new.swaps}
    gone = [i for i in (old.items if old else ()) if new.item(i.exercise_id) is None]
    to_swaps = [i.name for i in gone if i.exercise_id in swap_ids]
    left = [i.name for i in gone if i.exercise_id not in swap_ids]
    if to_swaps:
        lines.append(
            f"Your session now holds at most {new.session_cap} exercises besides the aerobic ones. "
            f"{_names(to_swaps)} {'is' if len(to_swaps) == 1 else 'are'} now among the exercises "
            "you can choose instead of one in your session."
        )
        rules.append("D-10")
    if left:
        lines.append(f"{_names(left)} {'is' if len(left) == 1 else 'are'} left out for now.")
    if new.progression_held and not (old and old.progression_held):
        lines.append("Your exercises will not step up for now.")
    elif old is not None and old.progression_held and not new.progression_held:
        lines.append("Your exercises can step up again when they are ready.")
    if len(lines) == base:
        lines.append("Nothing else in your program changes.")
    return " ".join(lines), tuple(dict.fromkeys(rules))


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _upgrade_person(
    s: DbSession, person_id: int, day: date, now: datetime, library: Library
) -> RulesUpgrade | None:
    """Move one person stored under rule book v1 to v2 from `day` (ADR 0004). Nothing stored is
    rewritten: the v1 rows stay as the person saw them; one `rules-v2` version dated `day`
    explains what changes."""
    person = repo.get_person(s, person_id)
    if person.rules_version >= RULES_VERSION:
        return None
    # A change to the person's course like any other: it waits for their other writes, and raises
    # their revision (the caseload's kept row and every view kept of them are stale from here).
    repo.lock_person(s, person_id)
    day = max(day, person.start)
    tolerance_was = person.morning_tolerance
    if tolerance_was == 0:  # v1 stored 0 for everyone (its default, not a clinician's choice)
        repo.set_morning_tolerance(s, person_id, 1)
    old = repo.latest_program(s, person_id)
    result = course_in(s, person_id, day, library)
    repo.set_rules_version(s, person_id, RULES_VERSION)
    new = result.program
    if new is None:
        if old is None:
            return RulesUpgrade(person_id, day, None, "", ())
        stopped = tuple(i.model_copy(update={"status": ItemStatus.STOPPED}) for i in old.items)
        reason = (
            "kneehab now follows its updated exercise rules, and they give you no exercises "
            f"for now. {result.triage.message}"
        )
        rules: tuple[str, ...] = ("C-18", "D-2", *result.triage.rules)
        snapshot = old.model_copy(update={"items": stopped})
    else:
        reason, rules = rules_v2_changes(
            old, new, baseline=result.baseline_pain, tolerance_was=tolerance_was
        )
        snapshot = new
    version = repo.add_program_version(
        s,
        person_id,
        program=snapshot,
        effective=day,
        now=now,
        kind=RULES_V2_KIND,
        actor="rule book v2",
        rules=tuple(dict.fromkeys(rules)),
        reason=reason,
    )
    return RulesUpgrade(person_id, day, version, reason, tuple(dict.fromkeys(rules)))


def upgrade_rules(
    db: Database, *, today: date, now: datetime, library: Library
) -> list[RulesUpgrade]:
    """Move every person stored under an earlier rule book to v2 from `today`, one transaction per
    person; people already on v2 are left alone, so running it again changes nothing."""
    lib = library
    with db.read() as s:
        ids = repo.person_ids(s)
    done: list[RulesUpgrade] = []
    for pid in ids:
        with db.write() as s:
            found = _upgrade_person(s, pid, today, now, lib)
        if found is not None:
            done.append(found)
    return done


def ensure_rules(s: DbSession, person_id: int, day: date, now: datetime, library: Library) -> bool:
    """A write for a person still on rule book v1 moves them to v2 first (same transaction);
    whether it did (their record then changed in this transaction)."""
    if repo.get_person(s, person_id).rules_version < RULES_VERSION:
        _upgrade_person(s, person_id, day, now, library)
        return True
    return False
