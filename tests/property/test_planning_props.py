"""Invariants of screening + planning for ANY valid intake (Hypothesis)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kneehab.domain.conditions import columns_for, phase_for
from kneehab.domain.exercise import Code, Role
from kneehab.domain.intake import ACCESS_IDS, EQUIPMENT_IDS, RED_FLAG_IDS, Intake
from kneehab.domain.planning import plan
from kneehab.domain.screening import screen
from kneehab.domain.types import NO_PROGRAM_LEVELS, Condition, Level
from kneehab.library.load import default_library


@st.composite
def intakes(draw: st.DrawFn) -> Intake:
    condition = draw(st.sampled_from(list(Condition)))
    data: dict[str, Any] = {
        "age": draw(st.integers(10, 110)),
        "sex": draw(st.sampled_from(["female", "male", "unspecified"])),
        "knee": draw(st.sampled_from(["left", "right", "both"])),
        "condition": condition.value,
        "mcl_grade": draw(st.sampled_from([1, 2, 3, None])) if condition == Condition.MCL else None,
        "onset": draw(st.sampled_from(["injury", "gradual"])),
        "weeks_since_onset": draw(st.integers(0, 200)),
        "pain_now": draw(st.integers(0, 10)),
        "pain_worst_week": draw(st.integers(0, 10)),
        "red_flags": draw(st.lists(st.sampled_from(RED_FLAG_IDS), max_size=3)),
        "cold_foot": draw(st.booleans()) if draw(st.integers(0, 9)) == 0 else False,
        "equipment": draw(st.lists(st.sampled_from(EQUIPMENT_IDS), unique=True)),
        "access": draw(st.lists(st.sampled_from(ACCESS_IDS), unique=True)),
        "pain_ceiling": draw(st.sampled_from([None, 2, 3, 4, 5])),
        # v2 (D-11, D-5): the profile questions, sometimes unanswered (older files).
        "floor_transfer": draw(st.sampled_from([None, "yes", "no", "not_sure"])),
        "falls_or_unsteady": draw(st.sampled_from([None, "yes", "no", "not_sure"])),
        "stair_height_cm": draw(st.sampled_from([None, 10, 15, 17, 18, 22, 30])),
    }
    return Intake.model_validate(data)


starts = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(intakes(), starts)
def test_withheld_levels_never_yield_a_program(intake: Intake, start: date) -> None:
    triage = screen(intake)
    program = plan(intake, triage, default_library(), start=start)
    assert (program is None) == (triage.level in NO_PROGRAM_LEVELS)


@FAST
@given(intakes(), starts)
def test_never_an_avoid_item_for_the_condition_and_phase(intake: Intake, start: date) -> None:
    program = plan(intake, screen(intake), default_library(), start=start)
    if program is None:
        return
    lib = default_library()
    for item in program.items:
        ex = lib.get(item.exercise_id)
        assert ex.role == Role.PROGRAM
        for column in columns_for(intake):
            phase = phase_for(intake, column, start=start, on=start)
            codes = {n.code for n in ex.notes_for(column, phase)}
            assert Code.AVOID not in codes, f"{ex.id} is 'avoid' for {column} ({phase})"
        for option_name in item.options:
            opt = next(o for o in ex.options if o.name == option_name)
            assert opt.needs is None or opt.needs in intake.access
            for column in columns_for(intake):
                phase = phase_for(intake, column, start=start, on=start)
                assert Code.AVOID not in {n.code for n in opt.notes_for(column, phase)}


@FAST
@given(intakes(), starts)
def test_every_dose_stays_within_its_limits(intake: Intake, start: date) -> None:
    program = plan(intake, screen(intake), default_library(), start=start)
    if program is None:
        return
    lib = default_library()
    for item in program.items:
        limits = lib.get(item.exercise_id).limits
        for key in ("sets", "reps", "hold_s", "load_kg", "step_cm", "minutes"):
            value = item.dose.get(key)
            if value is None:
                continue
            bounds = limits.bounds(key)
            assert bounds is not None, f"{item.exercise_id}.{key} has no limits"
            assert bounds[0] <= float(value) <= bounds[1], f"{item.exercise_id}.{key}={value}"
        assert item.why and item.rules, "every item says why and cites rules"


@FAST
@given(intakes(), starts)
def test_deterministic_and_well_scheduled(intake: Intake, start: date) -> None:
    triage = screen(intake)
    a = plan(intake, triage, default_library(), start=start)
    b = plan(intake, triage, default_library(), start=start)
    assert a == b
    if a is None:
        return
    # v2 (D-1): min(7, max(F, usual pain)); never below the person's usual pain, never above 7.
    assert min(intake.pain_now, 7) <= a.pain_ceiling <= 7
    assert a.pain_ceiling_flag == (a.pain_ceiling > 5)
    assert len([i for i in a.items if i.block.value != "aerobic"]) <= a.session_cap == 6
    assert {e.id for e in a.avoid} >= {"high-impact", "painful-exercise"}
    # Strength work is never on consecutive days (RULES §3.2).
    days = [start + timedelta(days=i) for i in range(7)]
    strength_days = [d for d in days if any(i.block.value == "strength" for i in a.items_on(d))]
    for d1, d2 in itertools.pairwise(strength_days):
        assert (d2 - d1).days >= 2
    if triage.level == Level.SOON:
        assert a.progression_held and a.review_on is not None


def _texts(value: Any, key: str = "") -> list[str]:
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _texts(v, k)]
    if isinstance(value, list):
        return [] if key.endswith("rules") else [t for v in value for t in _texts(v, key)]
    return [value] if isinstance(value, str) and key != "id" else []


@FAST
@given(intakes(), starts)
def test_v2_composition_and_words(intake: Intake, start: date) -> None:
    """D-10: at most 6 non-aerobic items, swaps never left out; D-11: no kneeling version in the no-floor
    profile, no lunge for fall risk; D-13: no person-facing text carries a rule id."""
    from kneehab.domain.types import RULE_ID_PATTERN
    from kneehab.exports.plan_json import plan_to_json

    triage = screen(intake)
    program = plan(intake, triage, default_library(), start=start)
    if program is None:
        return
    session = [i for i in program.items if i.block.value != "aerobic"]
    assert len(session) <= program.session_cap
    out_ids = {o.exercise_id for o in program.left_out}
    assert not out_ids & {s.exercise_id for s in program.swaps}
    assert not out_ids & {i.exercise_id for i in program.items}
    assert program.profile.no_floor == intake.no_floor
    if intake.no_floor:
        for item in [*program.items, *(s.item for s in program.swaps)]:
            assert "kneel" not in " ".join((item.start_position, *item.steps)).lower()
    if intake.fall_risk:
        assert "lunge" not in {o.exercise_id for o in program.later_options}
    texts = _texts(plan_to_json(triage, program)["program"])
    assert [t for t in texts if RULE_ID_PATTERN.search(t)] == []
