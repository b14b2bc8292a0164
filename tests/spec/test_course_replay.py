"""Whole courses replayed from a history (RULES C-5, C-6, C-7, C-9, C-13, D-1/C-2, D-2).

Each test tells a short story in days since the program start (day 0 = Monday 3 March 2025):
what the person logged, and what the program must have decided.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from kneehab.domain.course import Course, HistoryMismatch, replay
from kneehab.domain.escalation import EscalationLevel
from kneehab.domain.program import ItemStatus
from kneehab.domain.progression import Action, Decision
from kneehab.domain.records import History
from kneehab.library.load import default_library

START = dt.date(2025, 3, 3)
BASE_INTAKE: dict[str, Any] = {
    "age": 45,
    "knee": "left",
    "condition": "medial_knee_oa",
    "onset": "gradual",
    "weeks_since_onset": 8,
    "pain_now": 3,
    "pain_worst_week": 5,
}


def day(n: int) -> str:
    return (START + dt.timedelta(days=n)).isoformat()


def bridge(pain: int = 1, effort: str = "easy", **kw: Any) -> dict[str, Any]:
    return {
        "exercise_id": "bridge",
        "sets_done": 3,
        "pain_during_max": pain,
        "effort": effort,
        **kw,
    }


def run(
    *,
    today: int,
    sessions: dict[int, list[dict[str, Any]]] | None = None,
    checkins: dict[int, dict[str, Any]] | None = None,
    intake: dict[str, Any] | None = None,
    **extra: Any,
) -> Course:
    """Replay a story. Every day listed in `checkins` gets that check-in; others none."""
    data = {
        "intake": {**BASE_INTAKE, **(intake or {})},
        "start": day(0),
        "today": day(today),
        "sessions": [{"date": day(d), "entries": e} for d, e in sorted((sessions or {}).items())],
        "checkins": [
            {"date": day(d), "morning_pain": 2, **c} for d, c in sorted((checkins or {}).items())
        ],
        **extra,
    }
    return replay(History.model_validate(data), default_library())


def every_other_day(until: int, **entry: Any) -> dict[int, list[dict[str, Any]]]:
    return {d: [bridge(**entry)] for d in range(0, until + 1, 2)}


def mornings(days: range, **c: Any) -> dict[int, dict[str, Any]]:
    return {d: dict(c) for d in days}


def of(course: Course, exercise_id: str = "bridge") -> list[Decision]:
    return [d for d in course.decisions if d.exercise_id == exercise_id]


def on(course: Course, n: int, exercise_id: str = "bridge") -> Decision:
    found = [d for d in of(course, exercise_id) if d.date == START + dt.timedelta(days=n)]
    assert len(found) == 1, found
    return found[0]


def test_improving_course_steps_up_once_a_week_one_variable_at_a_time() -> None:
    course = run(today=35, sessions=every_other_day(34), checkins=mornings(range(36)))
    ups = [d for d in of(course) if d.action == Action.PROGRESS]
    assert ups[0].date == START + dt.timedelta(days=3)  # after 2 easy sessions (days 0 and 2)
    assert len(ups) >= 4
    for a, b in itertools.pairwise(ups):
        assert (b.date - a.date).days >= 7  # C-7
    for d in ups:
        changed = set(d.to_dose.changed_keys(d.from_dose))
        assert len(changed) == 1 or changed - {"reps"} <= {"load_kg", "step_cm", "variant"}
    assert course.program is not None
    assert course.program.item("bridge").dose == ups[-1].to_dose  # type: ignore[union-attr]
    assert course.versions[0].version == 1 and len(course.versions) == 1 + len(ups)
    assert course.escalation.level in (EscalationLevel.NONE, EscalationLevel.MESSAGE)


def test_cadence_day_6_no_day_7_yes() -> None:
    """C-7: first step up on day 3; the next may come on day 10 (7 days), not day 9."""
    sessions = {d: [bridge()] for d in (0, 2, 4, 6, 8, 9)}
    course = run(today=10, sessions=sessions, checkins=mornings(range(11)))
    assert on(course, 3).action == Action.PROGRESS
    nine = on(course, 9)
    assert nine.action == Action.HOLD and "C-7" in nine.rules  # day 9: 6 days later
    assert on(course, 10).action == Action.PROGRESS  # day 10: 7 days later


def test_two_consecutive_sessions_restart_after_a_hard_one() -> None:
    """C-6: the last two sessions at the current dose must both be easy and complete."""
    sessions = {0: [bridge()], 2: [bridge(effort="hard")], 4: [bridge()], 6: [bridge()]}
    course = run(today=7, sessions=sessions, checkins=mornings(range(8)))
    assert on(course, 3).action == Action.HOLD
    assert on(course, 5).action == Action.HOLD
    assert on(course, 7).action == Action.PROGRESS


def test_stalling_course_holds_and_escalates_at_day_42() -> None:
    """Sessions never feel easy → no progression; pain unchanged → E4 from day 42 (≥6 weeks)."""
    pain = mornings(range(43), avg_pain=3)
    course = run(today=42, sessions=every_other_day(42, effort="moderate"), checkins=pain)
    assert {d.action for d in of(course)} == {Action.HOLD}
    assert course.escalation.level == EscalationLevel.SOON
    assert "E4" in course.escalation.rules
    pain.pop(42)
    before = run(today=41, sessions=every_other_day(41, effort="moderate"), checkins=pain)
    assert "E4" not in before.escalation.rules


def test_flaring_course_regresses_then_pauses_and_escalates() -> None:
    """Pain 5 (limit 3) → regress; mornings above baseline twice after it → pause (P5) → SOON."""
    sessions = {0: [bridge()], 2: [bridge(pain=5)]}
    checkins = {1: {}, 3: {}, 4: {"morning_pain": 4}, 5: {"morning_pain": 4}}
    course = run(today=5, sessions=sessions, checkins=checkins)
    assert on(course, 3).action == Action.REGRESS
    assert on(course, 3).to_dose.reps == 8
    assert on(course, 5).action == Action.PAUSE and "P5" in on(course, 5).rules
    assert course.program is not None
    assert course.program.item("bridge").status == ItemStatus.PAUSED  # type: ignore[union-attr]
    assert course.escalation.level == EscalationLevel.SOON and "P5" in course.escalation.rules
    assert "Bridge" in course.escalation.meanwhile


def test_daily_exercise_above_baseline_two_mornings_after_a_regress_pauses_p5() -> None:
    """P5 with a daily stretch: regress on day 1; days 2 and 3 are both above baseline after it,
    so day 3 pauses (P5) instead of regressing a third time, even though day 2 regressed again."""
    stretch = {"exercise_id": "supine-hamstring-stretch", "sets_done": 2, "pain_during_max": 1}
    course = run(
        today=3,
        sessions={d: [stretch] for d in range(3)},
        checkins=mornings(range(1, 4), morning_pain=5),
    )
    ex = "supine-hamstring-stretch"
    assert on(course, 1, ex).action == Action.REGRESS
    assert on(course, 2, ex).action == Action.REGRESS  # only one morning after the regress yet
    third = on(course, 3, ex)
    assert third.action == Action.PAUSE and "P5" in third.rules, third


def test_red_flag_mid_course_stops_everything_and_nothing_progresses_after() -> None:
    checkins = mornings(range(21))
    checkins[10] = {"new_symptoms": ["locking"]}
    course = run(today=20, sessions=every_other_day(20), checkins=checkins)
    stops = [d for d in course.decisions if d.date == START + dt.timedelta(days=10)]
    assert stops and all(d.action == Action.STOP and "RF07" in d.rules for d in stops)
    assert course.program is not None
    assert all(i.status == ItemStatus.STOPPED for i in course.program.items)
    later = [d for d in course.decisions if d.date > START + dt.timedelta(days=10)]
    assert not [d for d in later if d.action == Action.PROGRESS]
    assert course.escalation.level == EscalationLevel.URGENT
    assert {"E1", "RF07"} <= set(course.escalation.rules)
    assert "stopped" in course.escalation.meanwhile


def test_pain_8_stops_that_day_and_a_clear_check_in_pauses_it() -> None:
    """C-9: stop dated the session day; the next clear check-in turns it into a pause (P5)."""
    course = run(today=3, sessions={2: [bridge(pain=8)]}, checkins={3: {}})
    stop, pause = of(course)
    assert stop.action == Action.STOP and stop.date == START + dt.timedelta(days=2)
    assert pause.action == Action.PAUSE and {"P1", "P5", "C-9"} <= set(pause.rules)


def test_catching_at_check_in_stops_what_was_done_yesterday() -> None:
    """C-14: `catching` is P1 (stop) without a red flag; other exercises carry on."""
    sessions = {2: [bridge(), {"exercise_id": "step-up", "sets_done": 2, "pain_during_max": 1}]}
    course = run(today=4, sessions=sessions, checkins={3: {"new_symptoms": ["catching"]}, 4: {}})
    assert on(course, 3).action == Action.STOP and "P1" in on(course, 3).rules
    assert on(course, 3, "step-up").action == Action.STOP
    assert not [d for d in course.decisions if d.exercise_id == "walking"]
    assert on(course, 4).action == Action.PAUSE


def test_acute_profile_ceiling_2_ends_on_the_exact_day() -> None:
    """C-2: injury 2 weeks before start → acute while 2 + days/7 < 3, i.e. up to day 6."""
    intake = {"onset": "injury", "weeks_since_onset": 2, "condition": "unknown"}
    course = run(
        today=8,
        intake=intake,
        sessions={6: [bridge(pain=3)], 7: [bridge(pain=3)]},
        checkins=mornings(range(9)),
    )
    assert on(course, 7).action == Action.REGRESS and "C-2" in on(course, 7).rules  # day 6
    assert on(course, 8).action != Action.REGRESS  # day 7: limit back to 3
    assert course.program is not None and course.program.pain_ceiling == 3


def test_baseline_moves_to_the_median_of_three_rest_day_mornings() -> None:
    """C-5: intake pain 2 until 3 rest-day mornings exist; then their median (4)."""
    rest = {1: {"morning_pain": 4}, 3: {"morning_pain": 4}, 5: {"morning_pain": 4}}
    after = {**rest, 7: {"morning_pain": 4}}
    sessions = {6: [bridge()]}
    course = run(today=7, intake={"pain_now": 2}, sessions=sessions, checkins=after)
    assert on(course, 7).action != Action.REGRESS
    early = run(
        today=7,
        intake={"pain_now": 2},
        sessions=sessions,
        checkins={1: {"morning_pain": 4}, 3: {"morning_pain": 4}, 7: {"morning_pain": 4}},
    )
    assert on(early, 7).action == Action.REGRESS and "C-5" in on(early, 7).rules


def test_tolerance_1_set_by_a_clinician() -> None:
    sessions = {0: [bridge()], 2: [bridge()]}
    strict = run(today=3, sessions=sessions, checkins={1: {}, 3: {"morning_pain": 4}})
    loose = run(
        today=3, sessions=sessions, checkins={1: {}, 3: {"morning_pain": 4}}, morning_tolerance=1
    )
    assert on(strict, 3).action == Action.REGRESS
    assert on(loose, 3).action == Action.PROGRESS


def test_triage_soon_holds_progression_until_reviewed() -> None:
    """D-2 / C-10: RF12 alone → soon: a program at starting doses, progression held."""
    intake = {"red_flags": ["RF12"]}
    held = run(today=7, intake=intake, sessions=every_other_day(6), checkins=mornings(range(8)))
    assert held.triage.level.value == "soon"
    assert not [d for d in of(held) if d.action == Action.PROGRESS]
    assert any("D-2" in d.rules for d in of(held))
    assert held.escalation.level == EscalationLevel.SOON and "D-2" in held.escalation.rules
    reviewed = run(
        today=7,
        intake=intake,
        sessions=every_other_day(6),
        checkins=mornings(range(8)),
        reviewed=True,
    )
    assert [d for d in of(reviewed) if d.action == Action.PROGRESS]
    assert "D-2" not in reviewed.escalation.rules


def test_triage_withholding_a_program_gives_no_decisions_and_says_what_to_do() -> None:
    course = run(today=3, intake={"red_flags": ["RF07"]})
    assert course.program is None and course.decisions == () and course.versions == ()
    assert course.escalation.level == EscalationLevel.URGENT
    assert "RF07" in course.escalation.rules and "today" in course.escalation.message


def test_paused_exercise_logged_anyway_is_flagged_not_rejected() -> None:
    sessions = {0: [bridge()], 2: [bridge(pain=5)], 6: [bridge()]}
    checkins = {1: {}, 3: {}, 4: {"morning_pain": 4}, 5: {"morning_pain": 4}, 7: {}}
    course = run(today=7, sessions=sessions, checkins=checkins)
    flagged = on(course, 7)
    assert flagged.action == Action.PAUSE and "C-13" in flagged.rules
    assert flagged.flags == ("logged_while_paused",)


def test_logging_the_variant_id_counts_for_the_program_item() -> None:
    entry = bridge()
    entry["exercise_id"] = "bridge-ball-squeeze"
    course = run(today=1, sessions={0: [entry]}, checkins={1: {}})
    assert on(course, 1).exercise_id == "bridge"


def test_logging_the_easier_variant_id_counts_for_the_program_item() -> None:
    """The article's 'start with one leg at a time' is where double knee-to-chest regresses to
    (C-8); a person doing it logs its own id, which belongs to the program item."""
    entry = {
        "exercise_id": "single-knee-to-chest",
        "sets_done": 2,
        "pain_during_max": 1,
        "effort": "easy",
    }
    course = run(today=1, sessions={0: [entry]}, checkins={1: {}})
    assert on(course, 1, "double-knee-to-chest").action == Action.HOLD


@pytest.mark.parametrize(
    ("exercise_id", "words"),
    [("no-such-exercise", "not an exercise in the library"), ("plank", "never in this person")],
)
def test_entries_outside_the_program_are_rejected(exercise_id: str, words: str) -> None:
    entry = bridge()
    entry["exercise_id"] = exercise_id
    with pytest.raises(HistoryMismatch) as err:
        run(today=1, sessions={0: [entry]})
    assert "sessions[0].entries[0].exercise_id" in str(err.value)
    assert words in str(err.value) and "C-13" in str(err.value)


def test_paused_exercise_done_anyway_with_pain_8_is_stopped() -> None:
    sessions = {0: [bridge()], 2: [bridge(pain=5)], 6: [bridge(pain=8)]}
    checkins = {1: {}, 3: {}, 4: {"morning_pain": 4}, 5: {"morning_pain": 4}}
    course = run(today=6, sessions=sessions, checkins=checkins)
    assert on(course, 5).action == Action.PAUSE
    assert on(course, 6).action == Action.STOP and "P1" in on(course, 6).rules


# --- re-screens during the course (RULES §1.1, D-2, C-10, C-13) -------------------------------
# The web's "Stop — it hurts" and its short pre-session questions ask the red flags again; each answer
# set is a dated `rescreens` record. It acts from its own date on; the intake stays as it was.


def _as_of(course: Course, n: int) -> tuple[list[Decision], list[Any]]:
    cut = START + dt.timedelta(days=n)
    return (
        [d for d in course.decisions if d.date < cut],
        [v for v in course.versions if v.date < cut],
    )


def test_urgent_rescreen_on_day_10_stops_from_day_10_and_keeps_the_past() -> None:
    story: dict[str, Any] = {"sessions": every_other_day(20), "checkins": mornings(range(21))}
    plain = run(today=20, **story)
    course = run(today=20, rescreens=[{"date": day(10), "red_flags": ["RF07"]}], **story)
    assert course.triage.level.value == "ok"  # the intake's triage is not rewritten
    assert _as_of(course, 10) == _as_of(plain, 10)  # earlier decisions and versions untouched
    assert [d for d in of(course) if d.action == Action.PROGRESS]  # the day-3 step up is kept
    stops = [d for d in course.decisions if d.date == START + dt.timedelta(days=10)]
    assert course.program is not None
    assert {d.exercise_id for d in stops if d.action == Action.STOP} == {
        i.exercise_id for i in course.program.items
    }
    assert all({"E1", "RF07"} <= set(d.rules) for d in stops if d.action == Action.STOP)
    assert all(i.status == ItemStatus.STOPPED for i in course.program.items)
    later = [d for d in course.decisions if d.date > START + dt.timedelta(days=10)]
    assert all(d.action == Action.STOP and "C-13" in d.rules for d in later)  # logged anyway
    assert course.escalation.level == EscalationLevel.URGENT  # day 20: still locked (C-10)
    assert {"E1", "RF07"} <= set(course.escalation.rules)
    assert "clinician" in course.escalation.message
    assert course.locked_by is not None and course.locked_by.level.value == "urgent"
    assert plain.locked_by is None


def test_emergency_rescreen_locks_at_emergency_every_later_day() -> None:
    rescreen = {"date": day(4), "red_flags": ["RF10"], "cold_foot": True}
    course = run(today=12, checkins=mornings(range(13)), rescreens=[rescreen])
    assert course.escalation.level == EscalationLevel.EMERGENCY
    assert {"E1", "RF10"} <= set(course.escalation.rules)
    assert "stopped" in course.escalation.meanwhile


def test_soon_rescreen_on_day_10_holds_progression_from_day_10_only() -> None:
    """RF14 (soon) on day 10: steps before day 10 stay; none after until reviewed (D-2)."""
    story: dict[str, Any] = {"sessions": every_other_day(24), "checkins": mornings(range(25))}
    plain = run(today=24, **story)
    course = run(today=24, rescreens=[{"date": day(10), "red_flags": ["RF14"]}], **story)
    assert course.triage.level.value == "ok"
    cut = START + dt.timedelta(days=10)
    ups = [d for d in of(course) if d.action == Action.PROGRESS]
    assert ups == [d for d in of(plain) if d.action == Action.PROGRESS and d.date <= cut]
    assert ups, "the steps before the re-screen are kept"
    assert [d for d in of(plain) if d.action == Action.PROGRESS and d.date > cut]
    held = [d for d in of(course) if d.date > cut and "D-2" in d.rules]
    assert held and all(d.action == Action.HOLD for d in held)
    assert course.program is not None and course.program.progression_held
    assert course.program.item("bridge").dose == ups[-1].to_dose  # type: ignore[union-attr]
    assert course.escalation.level == EscalationLevel.SOON  # the review is still due
    assert "D-2" in course.escalation.rules and "RF14" in course.escalation.rules
    assert "E1" not in course.escalation.rules  # E1 for a soon flag fires on its day only
    reviewed = run(
        today=24, rescreens=[{"date": day(10), "red_flags": ["RF14"]}], reviewed=True, **story
    )
    assert [d for d in of(reviewed) if d.action == Action.PROGRESS and d.date > cut]
    assert "D-2" not in reviewed.escalation.rules


@pytest.mark.parametrize(
    ("today", "level", "present", "absent"),
    [
        (9, "none", (), ("E1", "D-2")),
        (10, "soon", ("E1", "RF14", "D-2"), ()),
        (11, "soon", ("D-2", "RF14"), ("E1",)),
    ],
)
def test_soon_rescreen_fires_e1_on_its_day_only(
    today: int, level: str, present: tuple[str, ...], absent: tuple[str, ...]
) -> None:
    course = run(
        today=today,
        checkins=mornings(range(today + 1)),
        rescreens=[{"date": day(10), "red_flags": ["RF14"]}] if today >= 10 else [],
    )
    assert course.escalation.level == EscalationLevel(level)
    assert set(present) <= set(course.escalation.rules)
    assert not set(absent) & set(course.escalation.rules)


@pytest.mark.parametrize(("today", "e1"), [(10, True), (11, False), (15, False)])
def test_soon_red_flag_at_a_check_in_fires_e1_that_day_only(today: int, e1: bool) -> None:
    """C-10: giving way (RF08, soon) at the day-10 check-in is E1 on day 10, not for the rest of
    the course. What P1 stopped that day is paused from the next clear check-in (P5, soon)."""
    checkins = mornings(range(today + 1))
    checkins[10] = {"new_symptoms": ["giving_way"]}
    course = run(today=today, checkins=checkins)
    assert course.escalation.level == EscalationLevel.SOON, course.escalation.rules
    assert ("E1" in course.escalation.rules) is e1
    assert ("RF08" in course.escalation.rules) is e1
    assert ("P5" in course.escalation.rules) is not e1


def test_clear_rescreen_changes_nothing() -> None:
    story: dict[str, Any] = {"sessions": every_other_day(12), "checkins": mornings(range(13))}
    plain = run(today=12, **story)
    clear = run(today=12, rescreens=[{"date": day(6)}], **story)
    assert clear.decisions == plain.decisions and clear.escalation == plain.escalation


def test_a_rescreen_before_the_start_acts_from_day_0() -> None:
    course = run(today=2, rescreens=[{"date": day(-2), "red_flags": ["RF02"]}])
    assert course.program is not None
    assert all(i.status == ItemStatus.STOPPED for i in course.program.items)
    assert course.escalation.level == EscalationLevel.URGENT


@pytest.mark.parametrize(
    ("rescreen", "words"),
    [
        ({"date": day(5), "red_flags": ["RF07"]}, "after today"),
        ({"date": day(1), "red_flags": ["RF99"]}, "RF99"),
    ],
)
def test_bad_rescreens_are_rejected(rescreen: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match="rescreens") as err:
        run(today=3, rescreens=[rescreen])
    assert words in str(err.value)
