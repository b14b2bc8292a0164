"""Whole courses replayed from a history (RULES v2: C-5, C-6, C-7, C-9, C-13, C-16, D-1/C-2, D-2,
P5, P8, P9, P10, P13).

Each test tells a short story in days since the program start (day 0 = Monday 3 March 2025):
what the person logged, and what the program must have decided. Where rule book v2 changed a v1
expectation, the test says so ("v2: …") with the rule that changed it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

import pytest
from course_sim import decisions_on, done_in_full, md, simulate
from course_sim import intake as sim_intake

from kneehab.domain.course import Course, HistoryMismatch, replay
from kneehab.domain.escalation import EscalationLevel
from kneehab.domain.program import ItemStatus
from kneehab.domain.progression import Action, Decision
from kneehab.domain.records import History
from kneehab.domain.types import RULE_ID_PATTERN
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
    "red_flags": [],  # the warning-sign questions were asked and answered no (C-14)
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
    """Daily pain ratings falling from 3 to 1: no escalation. Without ratings see the next test."""
    falling = {d: {"avg_pain": 3 if d < 7 else 1} for d in range(36)}
    course = run(today=35, sessions=every_other_day(34), checkins=falling)
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


def test_no_daily_pain_ratings_is_not_improved_e2_for_a_gradual_onset() -> None:
    """v2 (E2 for every non-chronic onset, C-11): 8 weeks of gradual pain and no daily ratings →
    from day 14 E2 `soon` (too few ratings count as not improved). v1 expected no escalation."""
    course = run(today=35, sessions=every_other_day(34), checkins=mornings(range(36)))
    assert course.escalation.level == EscalationLevel.SOON
    assert "E2" in course.escalation.rules
    assert not course.progression_held  # an escalation holds nothing by itself (C-10)


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
    """Sessions always feel hard → no progression (C-16); pain unchanged → E4 from day 42.

    v2 (C-16): `moderate` effort now qualifies for P2, so the stalled story rates every session
    `hard` (v1 used `moderate`)."""
    pain = mornings(range(43), avg_pain=3)
    course = run(today=42, sessions=every_other_day(42, effort="hard"), checkins=pain)
    assert {d.action for d in of(course)} == {Action.HOLD}
    assert all("C-16" in d.rules for d in of(course) if d.date > START + dt.timedelta(days=1))
    assert course.escalation.level == EscalationLevel.SOON
    assert "E4" in course.escalation.rules
    pain.pop(42)
    before = run(today=41, sessions=every_other_day(41, effort="hard"), checkins=pain)
    assert "E4" not in before.escalation.rules


def test_moderate_effort_now_steps_up() -> None:
    """v2 (C-16): the v1 stalled course (every session `moderate`) steps up on day 3."""
    course = run(
        today=4, sessions=every_other_day(4, effort="moderate"), checkins=mornings(range(5))
    )
    assert on(course, 3).action == Action.PROGRESS


def test_flaring_course_regresses_then_pauses_without_escalating() -> None:
    """Pain 5 (limit 3) on day 2 → regress at day 3 (P4). The easier dose is done on days 4 and 6
    and each is followed by a sore morning (days 5 and 7: 4 vs usual 2) → pause at day 7 (P5).

    v2 (P5 a): two rise mornings with no performance of the regressed dose between them no longer
    pause (v1 paused at day 5); the pause needs two performances at the regressed dose each
    followed by a rise morning. v2 (C-10, E12): a P5 pause of 1 of 6 items is not `soon` by
    itself (v1: `soon` with P5); it restarts by itself (P10)."""
    sessions = {0: [bridge()], 2: [bridge(pain=5)], 4: [bridge()], 6: [bridge()]}
    checkins = {**mornings(range(1, 8)), 5: {"morning_pain": 4}, 7: {"morning_pain": 4}}
    course = run(today=7, sessions=sessions, checkins=checkins)
    assert on(course, 3).action == Action.REGRESS
    assert on(course, 3).to_dose.reps == 8
    fifth = on(course, 5)  # first reaction: unattributed rise → hold (P9)
    assert fifth.action == Action.HOLD and "P9" in fifth.rules
    seventh = on(course, 7)
    assert seventh.action == Action.PAUSE and "P5" in seventh.rules
    assert "restarts by itself" in seventh.reason
    assert course.program is not None
    assert course.program.item("bridge").status == ItemStatus.PAUSED  # type: ignore[union-attr]
    assert course.escalation.level == EscalationLevel.NONE
    assert "P5" not in course.escalation.rules


def test_two_sore_mornings_without_a_session_between_do_not_pause() -> None:
    """v2 (P5 a): v1 paused at day 5 after two above-baseline mornings following a regression;
    v2 needs the regressed dose to be done (and provoke) twice, so nothing is paused."""
    sessions = {0: [bridge()], 2: [bridge(pain=5)]}
    checkins = {1: {}, 3: {}, 4: {"morning_pain": 4}, 5: {"morning_pain": 4}}
    course = run(today=5, sessions=sessions, checkins=checkins)
    assert on(course, 3).action == Action.REGRESS
    assert not [d for d in of(course) if d.action == Action.PAUSE]
    assert course.escalation.level == EscalationLevel.NONE


def test_daily_stretch_with_sore_mornings_nothing_traced_holds() -> None:
    """A daily stretch done at pain 1 and every morning 5 (usual 3, intake): each morning is a rise,
    but nothing in the sessions stands out (P8: no pain above the limit, no recent increase, and
    the strength block was not performed), so the stretch holds (P9) — never regressed or paused.

    v2 (P8, P5 a): v1 regressed the stretch on days 1 and 2 and paused it on day 3 (P5).
    (v1 used the hamstring stretch, a swap for this person in v2 (D-10); the inner-thigh stretch
    is the session's stretch.)"""
    stretch = {"exercise_id": "inner-thigh-stretch", "sets_done": 2, "pain_during_max": 1}
    course = run(
        today=3,
        sessions={d: [stretch] for d in range(3)},
        checkins=mornings(range(1, 4), morning_pain=5),
    )
    ex = "inner-thigh-stretch"
    for n in (1, 2, 3):
        d = on(course, n, ex)
        assert d.action == Action.HOLD and "P9" in d.rules, d
    assert "Nothing in your last session stands out" in on(course, 1, ex).reason


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


def test_pain_8_stops_that_day_and_a_clear_check_in_pauses_it_one_step_lower() -> None:
    """C-9 (v2): stop dated the session day; the next clear check-in turns it into a pause one C-8
    step below the stopped dose, which restarts by itself (P10).

    v2 (C-9): v1 paused at the stopped dose with rules P1, P5, C-9; v2 pauses at 2×8 (one step
    below 2×10) with rules P1, C-9 and no P5."""
    course = run(today=3, sessions={2: [bridge(pain=8)]}, checkins={3: {}})
    stop, pause = of(course)
    assert stop.action == Action.STOP and stop.date == START + dt.timedelta(days=2)
    assert pause.action == Action.PAUSE and {"P1", "C-9"} <= set(pause.rules)
    assert "P5" not in pause.rules
    assert pause.to_dose.reps == 8 and pause.from_dose.reps == 10
    assert "restarts by itself" in pause.reason


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


def test_baseline_moves_to_the_low_median_of_three_mornings() -> None:
    """C-5 (v2): intake pain 2 until 3 morning check-ins exist in the 14 days before; then the low
    median of the last ≤ 7 (every morning counts, session day before or not).

    Mornings of 4 on days 1, 3, 5: at day 7 B = 4, so a morning of 4 is not a rise (the bridge is
    held only by the P9 hold of the day-5 rise, when B was still the intake's 2). With check-ins on
    days 1 and 3 only, B(day 7) = 2 and 4 is a rise, but nothing stands out in the day-6 session
    (P8), so the bridge holds (P9).

    v2 (C-5, P8): v1 counted only mornings after rest days and regressed the bridge with C-5 in
    the second story; v2 holds it (an untraced rise regresses nothing)."""
    rest = {1: {"morning_pain": 4}, 3: {"morning_pain": 4}, 5: {"morning_pain": 4}}
    after = {**rest, 7: {"morning_pain": 4}}
    sessions = {6: [bridge()]}
    course = run(today=7, intake={"pain_now": 2}, sessions=sessions, checkins=after)
    assert course.baseline_pain == 4
    seventh = on(course, 7)
    assert seventh.action == Action.HOLD and "P9" in seventh.rules
    assert "sorer this morning" not in seventh.reason  # day 7 itself is not a rise
    early = run(
        today=7,
        intake={"pain_now": 2},
        sessions=sessions,
        checkins={1: {"morning_pain": 4}, 3: {"morning_pain": 4}, 7: {"morning_pain": 4}},
    )
    assert early.baseline_pain == 2
    held = on(early, 7)
    assert held.action == Action.HOLD and "P9" in held.rules
    assert "sorer this morning (4/10; usual 2/10)" in held.reason


def test_tolerance_1_by_default_0_when_a_clinician_sets_it() -> None:
    """C-5 (v2): tolerance 1 by default (v1: 0). Morning 4 against the intake's 3: within 3 + 1, so
    the bridge steps up; with a clinician tolerance of 0 it is a rise, untraced (P8), so the
    bridge holds (P9).

    v2 (C-5, P8): v1's default (tolerance 0) regressed the bridge; v2's default progresses it, and
    tolerance 0 holds it instead of regressing it."""
    sessions = {0: [bridge()], 2: [bridge()]}
    default = run(today=3, sessions=sessions, checkins={1: {}, 3: {"morning_pain": 4}})
    strict = run(
        today=3, sessions=sessions, checkins={1: {}, 3: {"morning_pain": 4}}, morning_tolerance=0
    )
    assert on(default, 3).action == Action.PROGRESS
    assert on(strict, 3).action == Action.HOLD and "P9" in on(strict, 3).rules


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


# A bridge stopped by pain 8 on day 2 and paused one step lower at the clear day-3 check-in (C-9).
PAUSED_STORY: dict[str, Any] = {"checkins": {1: {}, 3: {}, 4: {}}}


def test_paused_exercise_logged_anyway_is_flagged_not_rejected() -> None:
    """C-13: a paused exercise logged anyway gets a `pause` decision flagged `logged_while_paused`.

    v2: the pause comes from the C-9 path (P1 stop → pause one step lower); v1's P5 pause after
    two sore mornings without a session no longer happens (P5 a)."""
    sessions = {0: [bridge()], 2: [bridge(pain=8)], 3: [bridge()]}
    course = run(today=4, sessions=sessions, **PAUSED_STORY)
    assert on(course, 3).action == Action.PAUSE
    flagged = on(course, 4)
    assert flagged.action == Action.PAUSE and "C-13" in flagged.rules
    assert flagged.flags == ("logged_while_paused",)
    assert flagged.to_dose == flagged.from_dose


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
    [
        ("no-such-exercise", "not an exercise in the library"),
        # v2 (C-13, D-13): "…never in this person's program (RULES C-13)" → the v2 words, no id.
        ("plank", "is neither in your program nor on your swap or offered list"),
    ],
)
def test_entries_outside_the_program_are_rejected(exercise_id: str, words: str) -> None:
    entry = bridge()
    entry["exercise_id"] = exercise_id
    with pytest.raises(HistoryMismatch) as err:
        run(today=1, sessions={0: [entry]})
    assert "sessions[0].entries[0].exercise_id" in str(err.value)
    assert words in str(err.value)
    assert "RULES" not in str(err.value) and "C-13" not in str(err.value)  # D-13


def test_paused_exercise_done_anyway_with_pain_8_is_stopped() -> None:
    """C-13 / EX-42: P1 still applies to the pain of a paused exercise logged anyway."""
    sessions = {0: [bridge()], 2: [bridge(pain=8)], 3: [bridge(pain=8)]}
    course = run(today=3, sessions=sessions, checkins={1: {}, 3: {}})
    stops = [d for d in of(course) if d.action == Action.STOP]
    assert [d.date for d in stops] == [START + dt.timedelta(days=n) for n in (2, 3)]
    assert all("P1" in d.rules for d in stops)


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
    """RF14 (soon) on day 10: steps before day 10 stay; none after until reviewed (D-2).

    v2 (D-7, EXAMPLES history contract): `reviewed: true` is a review dated the start, so it no
    longer lifts a later re-screen's hold (v1: it did); a dated `clinician` review does, from
    its date."""
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
    at_start = run(
        today=24, rescreens=[{"date": day(10), "red_flags": ["RF14"]}], reviewed=True, **story
    )
    assert not [d for d in of(at_start) if d.action == Action.PROGRESS and d.date > cut]
    assert "D-2" in at_start.escalation.rules
    review = {"date": day(14), "action": "review", "reason": "checked the knee"}
    reviewed = run(
        today=24,
        rescreens=[{"date": day(10), "red_flags": ["RF14"]}],
        clinician=[review],
        **story,
    )
    ups_after = [d for d in of(reviewed) if d.action == Action.PROGRESS and d.date > cut]
    assert ups_after and all(d.date >= START + dt.timedelta(days=14) for d in ups_after)
    assert "D-2" not in reviewed.escalation.rules
    assert not reviewed.progression_held


def test_a_soon_rescreen_answer_is_not_a_flare() -> None:
    """§0.1: a flare is a rise morning, a P1 stop or a C-14 word (a re-screen's `new_injury` acts as
    the word). RF14 answered at a re-screen holds progression until a review (D-2) but is not a
    flare: the holds that follow name the review, not a flare (P9), and say nothing about one
    (C-17: messages true on the day)."""
    story: dict[str, Any] = {"sessions": every_other_day(16), "checkins": mornings(range(17))}
    course = run(today=16, rescreens=[{"date": day(10), "red_flags": ["RF14"]}], **story)
    after = [d for d in of(course) if d.date >= START + dt.timedelta(days=10)]
    assert after and all(d.action == Action.HOLD and "D-2" in d.rules for d in after)
    assert not [d for d in after if "P9" in d.rules or "flare" in d.reason], after


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


@pytest.mark.parametrize("today", [10, 11, 15])
def test_giving_way_at_a_check_in_stays_soon_every_day_until_a_review(today: int) -> None:
    """C-10 (v2), RF08, P13: giving way at the day-10 check-in holds progression and pauses the
    standing knee-loading work (step-up) until a clinician review — a state, so RF08 fires on every
    date it holds, with E12 for the item that waits for a clinician.

    v2 (C-10, RF08, P13, E12): v1 fired E1/RF08 on day 10 only and then `soon` for a P5 pause."""
    checkins = mornings(range(today + 1))
    checkins[10] = {"new_symptoms": ["giving_way"]}
    course = run(today=today, checkins=checkins)
    assert course.escalation.level == EscalationLevel.SOON, course.escalation.rules
    assert {"RF08", "E12"} <= set(course.escalation.rules)
    assert "P5" not in course.escalation.rules
    assert course.progression_held
    step = on(course, 10, "step-up")
    assert step.action == Action.PAUSE and {"P13", "RF08"} <= set(step.rules)
    assert course.program is not None
    assert course.program.item("step-up").status == ItemStatus.PAUSED  # type: ignore[union-attr]


def test_a_clinician_review_ends_the_giving_way_hold() -> None:
    """D-7: a review on day 12 ends the RF08 hold; the step-up is active again at its paused dose."""
    checkins = mornings(range(16))
    checkins[10] = {"new_symptoms": ["giving_way"]}
    review = {"date": day(12), "action": "review", "reason": "stable on examination"}
    course = run(today=15, checkins=checkins, clinician=[review])
    assert "RF08" not in course.escalation.rules and "E12" not in course.escalation.rules
    assert not course.progression_held
    assert course.program is not None
    assert course.program.item("step-up").status == ItemStatus.ACTIVE  # type: ignore[union-attr]


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


RULE_ID = RULE_ID_PATTERN  # EX-36


@pytest.mark.parametrize(
    "late",
    [
        {"sessions": {5: [bridge()]}},
        {"checkins": {5: {}}},
        {"rescreens": [{"date": day(5), "red_flags": []}]},
    ],
    ids=["session", "check-in", "re-screen"],
)
def test_a_record_dated_after_today_is_rejected_in_plain_words(late: dict[str, Any]) -> None:
    """C-13: a record dated after `today` is rejected, naming the field. D-13 (v2): the message
    carries no rule id (v1 ended it with "(RULES C-13)")."""
    with pytest.raises(ValueError, match="after today") as err:
        run(today=3, **late)
    found = re.search(r"Value error, (.*?) \[type=", str(err.value))
    message = found.group(1) if found else str(err.value)
    assert "after today" in message
    assert not RULE_ID.search(message), message


def test_an_aerobic_item_continuing_at_5_minutes_after_a_stop_is_not_an_increase() -> None:
    """§0.1, C-9, P8: walking stopped (pain 8) on Thursday 3/13 continues at 5 min from 3/14 (a
    `resume` with C-9, P12 — lower than the stopped 10 min, so not an increase). The walk of Sunday
    3/16 at 5 min is easy; on 3/17 the morning is sore (4, usual 2). Nothing else changed in the
    week before (every other entry felt hard), so the rise is untraced: nothing regresses and
    walking holds for the flare (P9) — it is not attributed to walking (P8 T2) nor counted as a
    5-minute floor hold (P12), which would feed E13."""
    walker = sim_intake(
        age=58, condition="medial_knee_oa", onset="gradual", weeks_since_onset=52, pain_now=2
    )

    def entry(item: Any, when: dt.date) -> dict[str, Any]:
        if item.exercise_id == "walking" and when == md("3/13"):
            return done_in_full(item, pain=8, effort="hard")
        return done_in_full(item, effort="hard")

    course = simulate(
        walker, until="3/17", morning=lambda d: 4 if d == md("3/17") else 2, entry=entry
    )
    back = decisions_on(course, "3/14")["walking"]
    assert back.action == Action.RESUME and back.to_dose.minutes == 5
    walk = decisions_on(course, "3/17")["walking"]
    assert walk.action == Action.HOLD and "P9" in walk.rules
    assert not {"P8", "P12"} & set(walk.rules), walk


@pytest.mark.parametrize("action", ["resume", "pause"])
def test_a_locked_program_stays_stopped_until_an_assessment(action: str) -> None:
    """§0.3 (2), D-7: `locking` on day 2 locks the program (RF07 urgent): every exercise stops.
    Only a clinician's recorded assessment lifts the lock; a clinician resuming or pausing one
    exercise on day 4 leaves it stopped while the program stays locked."""
    event = {"date": day(4), "action": action, "exercise_id": "bridge", "reason": "physio"}
    checkins = {**mornings(range(1, 7)), 2: {"new_symptoms": ["locking"]}}
    course = run(today=6, checkins=checkins, clinician=[event])
    assert course.locked_by is not None
    assert course.escalation.level == EscalationLevel.URGENT
    assert course.program is not None
    assert {i.exercise_id: i.status for i in course.program.items}["bridge"] == ItemStatus.STOPPED
    assessed = run(
        today=6,
        checkins=checkins,
        clinician=[{"date": day(4), "action": "assessment", "reason": "examined: no locking"}],
    )
    assert assessed.locked_by is None


def test_an_out_of_scope_rescreen_answer_holds_progression() -> None:
    """§0.3 (2), D-2, §0.1: a re-screen on day 10 answering RF15 (a knee replacement, metalwork or
    surgery in the last 6 months) is `out_of_scope` — the self-managed program is no longer for this
    person. Whatever else it does, nothing steps up from that day (a `soon` answer already holds
    progression until a review; an out-of-scope answer is higher). v1's property said the same."""
    story: dict[str, Any] = {"sessions": every_other_day(20), "checkins": mornings(range(21))}
    course = run(today=20, rescreens=[{"date": day(10), "red_flags": ["RF15"]}], **story)
    cut = START + dt.timedelta(days=10)
    assert not [d for d in course.decisions if d.action == Action.PROGRESS and d.date >= cut]
    assert course.progression_held
    assert course.escalation.level != EscalationLevel.NONE
    assert "RF15" in course.escalation.rules
