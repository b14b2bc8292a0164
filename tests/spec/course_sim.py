"""A person following their program day by day, for the v2 worked examples (EXAMPLES.md).

`simulate` plays EXAMPLES' conventions: start Monday 3 March 2025; a check-in every morning from day 1;
every item scheduled that day done in full at the dose prescribed that day (the program as replayed up
to that morning), pain 1 and effort `easy` unless the story says otherwise. Each morning's decisions
come from the real engine (`replay`) on the history so far, so the sessions follow the decisions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from kneehab.domain.course import Course, replay
from kneehab.domain.program import ProgramItem
from kneehab.domain.progression import Action, Decision
from kneehab.domain.records import History
from kneehab.library.load import default_library

START = dt.date(2025, 3, 3)  # a Monday: day 0

# EXAMPLES conventions: intake fields not named.
DEFAULTS: dict[str, Any] = {
    "sex": "unspecified",
    "knee": "right",
    "equipment": [],
    "access": [],
    "red_flags": [],
    "floor_transfer": "yes",
    "falls_or_unsteady": "no",
    "assessed": "yes",
}

Entry = Callable[[ProgramItem, dt.date], dict[str, Any] | None]


def md(text: str) -> dt.date:
    """'3/17' → 2025-03-17, as EXAMPLES writes dates."""
    month, dom = text.split("/")
    return dt.date(2025, int(month), int(dom))


def intake(**fields: Any) -> dict[str, Any]:
    data = {**DEFAULTS, **fields}
    data.setdefault("pain_worst_week", data["pain_now"])
    return data


def done_in_full(item: ProgramItem, pain: int = 1, **extra: Any) -> dict[str, Any]:
    """One entry: every prescribed set at the prescribed reps / hold / step / load / minutes."""
    d = item.dose
    sets = d.sets or 1
    entry: dict[str, Any] = {
        "exercise_id": item.exercise_id,
        "sets_done": sets,
        "reps": [d.reps] * sets if d.reps else None,
        "hold_s": [d.hold_s] * sets if d.hold_s else None,
        "load_kg": d.load_kg,
        "step_cm": d.step_cm,
        "minutes": d.minutes,
        "side": "both" if item.per_side else None,
        "pain_during_max": pain,
        "effort": "easy",
    }
    entry.update(extra)
    return entry


def simulate(
    person: dict[str, Any],
    *,
    until: str,
    morning: Callable[[dt.date], int] | int = 2,
    stiffness: Callable[[dt.date], int | None] | int | None = None,
    avg_pain: Callable[[dt.date], int | None] | int | None = None,
    entry: Entry | None = None,
    session_days: Callable[[dt.date], bool] | None = None,
    checkin_days: Callable[[dt.date], bool] | None = None,
    words: Mapping[str, list[str]] | None = None,
    last_session: bool = False,
    keep: list[History] | None = None,
    **history: Any,
) -> Course:
    """Replay a course in which the person follows the program up to `until` (m/d).

    `morning`, `stiffness` and `avg_pain` give each check-in's numbers; `entry(item, date)` returns
    the entry for one scheduled item (None = not done); `words` maps 'm/d' → check-in words;
    `last_session` also logs the last day's session (its P1 stops and their escalation); `keep`
    receives the final history (for readers of the history itself, such as the caseload).
    """
    last = md(until)
    pick = entry or (lambda item, day: done_in_full(item))
    said = {md(k): v for k, v in (words or {}).items()}
    sessions: list[dict[str, Any]] = []
    checkins: list[dict[str, Any]] = []

    def value(f: Any, day: dt.date) -> Any:
        return f(day) if callable(f) else f

    def course(today: dt.date) -> Course:
        return replay(history_on(today), default_library())

    def history_on(today: dt.date) -> History:
        dated = {
            key: [e for e in events if dt.date.fromisoformat(e["date"]) <= today]
            for key, events in history.items()
            if isinstance(events, list)
        }
        data = {
            "intake": person,
            "start": START.isoformat(),
            "today": today.isoformat(),
            "sessions": sessions,
            "checkins": checkins,
            **history,
            **dated,
        }
        return History.model_validate(data)

    day = START
    while day <= last:
        if day > START and (checkin_days is None or checkin_days(day)):
            checkins.append(
                {
                    "date": day.isoformat(),
                    "morning_pain": value(morning, day),
                    "morning_stiffness": value(stiffness, day),
                    "avg_pain": value(avg_pain, day),
                    "new_symptoms": said.get(day, []),
                }
            )
        if day == last and not last_session:
            break
        if session_days is None or session_days(day):
            now = course(day)
            if now.program is not None and now.locked_by is None:
                entries = [e for item in now.program.items_on(day) if (e := pick(item, day))]
                if entries:
                    sessions.append({"date": day.isoformat(), "entries": entries})
        day += dt.timedelta(days=1)
    final = history_on(last)
    if keep is not None:
        keep.append(final)
    return replay(final, default_library())


def decisions_on(course: Course, when: str) -> dict[str, Decision]:
    day = md(when)
    return {d.exercise_id: d for d in course.decisions if d.date == day}


def load_change_on(course: Course, when: str) -> Decision | None:
    """The check-in's one load change (P11): a progress or a P10 resume."""
    found = [
        d
        for d in decisions_on(course, when).values()
        if d.action == Action.PROGRESS or (d.action == Action.RESUME and "P10" in d.rules)
    ]
    assert len(found) <= 1, found
    return found[0] if found else None


def short(dose: Any) -> str:
    """A dose in EXAMPLES' shorthand: '2×10', '2×30 s', '1×10 @10', '12 min'."""
    if dose.minutes:
        return f"{dose.minutes} min"
    head = (
        f"{dose.sets}×{dose.hold_s} s"
        if dose.hold_s and not dose.reps
        else f"{dose.sets}×{dose.reps}"
    )
    if dose.step_cm:
        head += f" @{dose.step_cm}"
    if dose.load_kg:
        head += f" +{dose.load_kg:g} kg"
    return head
