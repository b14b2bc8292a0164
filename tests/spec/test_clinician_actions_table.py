"""RULES D-7 / D-8 as a table a physical therapist can read: one clinician action (dated 3/10, the
course starting 3/3) and what the program shows afterwards. Each row replays a whole course."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from course_sim import intake, md, simulate

from kneehab.domain.course import Course, HistoryMismatch
from kneehab.domain.progression import Action

OA_45 = intake(
    age=45, condition="medial_knee_oa", onset="gradual", weeks_since_onset=52, pain_now=3
)
MENISCUS_EARLY = intake(
    age=32, condition="medial_meniscus", onset="injury", weeks_since_onset=1, pain_now=2
)
BEN = "Ben (physio)"


def act(
    action: str, reason: str = "seen in clinic", day: str = "2025-03-10", **kw: Any
) -> dict[str, Any]:
    return {"date": day, "action": action, "reason": reason, "by": BEN, **kw}


def item(course: Course, exercise_id: str) -> Any:
    assert course.program is not None
    return course.program.item(exercise_id)


def said(course: Course, day: str = "3/10") -> str:
    return " ".join(
        v.reason for v in course.versions if v.kind == "clinician" and v.date == md(day)
    )


# action → (what the program shows on 3/12, checked by `then`)
ROWS: list[tuple[str, dict[str, Any], Any]] = [
    ("pain limit 5 replaces the floor of 3 (D-1, D-8)",
     act("set_ceiling", value=5),
     lambda c: c.program.pain_ceiling == 5 and "D-8" in c.program.pain_ceiling_rules),
    ("a lower dose is the current dose, by name, with the reason (D-8)",
     act("set_dose", exercise_id="bridge", value={"sets": 1, "reps": 8, "hold_s": 2}, reason="sore back"),
     lambda c: item(c, "bridge").dose.sets == 1 and item(c, "bridge").dose.reps == 8
     and BEN in said(c) and "sore back" in said(c)),
    ("paused automatic progression: the exercise never steps up",
     act("pause_progression", exercise_id="bridge", day="2025-03-04"),
     lambda c: not [d for d in c.decisions if d.exercise_id == "bridge" and d.action == Action.PROGRESS]),
    ("a clinician pause holds the exercise until resumed",
     act("pause", exercise_id="bridge"),
     lambda c: item(c, "bridge").status.value == "paused"),
    ("removed: gone from the program",
     act("remove", exercise_id="bridge"),
     lambda c: item(c, "bridge") is None and "removed by your physical therapist" in said(c)),
    ("added from the library, at its start dose",
     act("add", exercise_id="cat-cow"),
     lambda c: item(c, "cat-cow") is not None and "added by your physical therapist Ben" in said(c)),
    ("phase set to later (D-8: holds instead of C-4)",
     act("set_phase", value="later"),
     lambda c: c.program.phase == "later"),
    ("a note changes nothing in the program",
     act("note", value="Keep the walks short this week."),
     lambda c: said(c) == ""),
    ("a review is shown to the person by name",
     act("review", reason="program checked"),
     lambda c: said(c) == f"Your physical therapist {BEN} reviewed your program: program checked"),
]  # fmt: skip


@pytest.mark.parametrize(("effect", "action", "then"), ROWS, ids=[r[0] for r in ROWS])
def test_d7_d8_effects(effect: str, action: dict[str, Any], then: Any) -> None:
    course = simulate(OA_45, until="3/12", morning=2, clinician=[action])
    assert then(course), effect


@pytest.mark.parametrize(
    ("action", "words"),
    [
        (act("set_dose", exercise_id="bridge", value={"sets": 1, "reps": 40}), "value.reps"),
        (act("set_dose", exercise_id="bridge", value={"sets": 1, "minutes": 5}), "value.minutes"),
        (act("set_ceiling", value=6), "pain limit is 2 to 5"),
        (act("add", exercise_id="no-such-exercise"), "exercise_id"),
        (act("pause", exercise_id="pool-exercise"), "not in the program"),
    ],
)
def test_a_history_never_holds_what_d7_forbids(action: dict[str, Any], words: str) -> None:
    with pytest.raises(HistoryMismatch, match=words.replace(".", r"\.")):
        simulate(OA_45, until="3/12", morning=2, clinician=[action])


def test_an_avoid_cell_needs_an_override_shown_to_the_person() -> None:
    plain = act("add", exercise_id="childs-pose", day="2025-03-05")
    with pytest.raises(HistoryMismatch, match="left out"):
        simulate(MENISCUS_EARLY, until="3/6", morning=2, clinician=[plain])
    forced = {**plain, "override": "checked in clinic: deep flexion is comfortable"}
    course = simulate(MENISCUS_EARLY, until="3/6", morning=2, clinician=[forced])
    added = item(course, "childs-pose")
    assert added is not None and "deep flexion is comfortable" in added.modification
    assert "usually avoided for your knee" in added.modification and "D-7" in added.rules


def test_assessment_lifts_a_lock_and_a_later_red_flag_locks_again() -> None:
    words = {"3/8": ["calf_swelling"]}
    locked = simulate(OA_45, until="3/9", morning=2, words=words)
    assert locked.locked_by is not None
    lifted = simulate(OA_45, until="3/12", morning=2, words=words, clinician=[act("assessment")])
    assert lifted.locked_by is None and item(lifted, "bridge").status.value == "active"
    again = simulate(
        OA_45, until="3/14", morning=2, words={**words, "3/14": ["calf_swelling"]},
        clinician=[act("assessment")],
    )  # fmt: skip
    assert again.locked_by is not None
    assert all(i.status.value == "stopped" for i in again.program.items)


def test_automatic_rules_continue_from_the_clinician_dose() -> None:
    """D-8: P2 steps up from the clinician's dose (after C-7's 7 days), never from the old one."""
    action = act("set_dose", exercise_id="bridge", value={"sets": 1, "reps": 8, "hold_s": 2})
    course = simulate(OA_45, until="3/24", morning=2, clinician=[action])
    ups = [d for d in course.decisions if d.exercise_id == "bridge" and d.action == Action.PROGRESS]
    after = [d for d in ups if d.date > md("3/10")]
    assert after and after[0].from_dose.sets == 1 and after[0].from_dose.reps == 8
    assert after[0].date >= md("3/10") + dt.timedelta(days=7)
