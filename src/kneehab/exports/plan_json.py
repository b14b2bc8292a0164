"""The JSON contract of `kneehab plan --json` (issue 2 §5), shared by the CLI, the web API and exports."""

from __future__ import annotations

from typing import Any

from kneehab.domain.program import LaterOption, Program, ProgramItem, SwapItem, Triage
from kneehab.domain.types import Dose


def triage_to_json(triage: Triage) -> dict[str, Any]:
    return {
        "level": triage.level.value,
        "rules": list(triage.rules),
        "message": triage.message,
        "reasons": list(triage.reasons),
    }


def item_to_json(item: ProgramItem) -> dict[str, Any]:
    d = item.dose
    return {
        "id": item.exercise_id,
        "name": item.name,
        "category": item.category.value,
        "block": item.block.value,
        "sets": d.sets,
        "reps": d.reps,
        "hold_s": d.hold_s,
        "per_side": item.per_side,
        "load_kg": d.load_kg,
        "step_cm": d.step_cm,
        "minutes": d.minutes,
        "variant": d.variant,
        "dose_text": item.dose_text,
        "days": list(item.days),
        "code": item.code.value,
        "modification": item.modification,
        "options": list(item.options),
        "rest_s": item.rest_s,
        "tempo": item.tempo,
        "status": item.status.value,
        "why": item.why,
        "rules": list(item.rules),
        "start_position": item.start_position,
        "steps": list(item.steps),
    }


def dose_to_json(dose: Dose) -> dict[str, Any]:
    """The dose keys of RULES C-8 (null when unused)."""
    return {
        "sets": dose.sets,
        "reps": dose.reps,
        "hold_s": dose.hold_s,
        "load_kg": dose.load_kg,
        "step_cm": dose.step_cm,
        "minutes": dose.minutes,
        "variant": dose.variant,
    }


def swap_to_json(swap: SwapItem) -> dict[str, Any]:
    """RULES D-10 swap: the contract's keys, plus the text the person would read once it is chosen."""
    item = swap.item
    return {
        "id": item.exercise_id,
        "name": item.name,
        "category": item.category.value,
        "block": item.block.value,
        "dose": dose_to_json(item.dose),
        "dose_text": item.dose_text,
        "can_replace": list(swap.can_replace),
        "code": item.code.value,
        "modification": item.modification,
        "start_position": item.start_position,
        "steps": list(item.steps),
        "why": item.why,
        "rules": list(item.rules),
    }


def later_to_json(option: LaterOption) -> dict[str, Any]:
    return {
        "id": option.exercise_id,
        "name": option.name,
        "why": option.why,
        "rules": list(option.rules),
        "state": option.state,
        "in_place_of": option.in_place_of,
        "offered_from": option.offered_from.isoformat() if option.offered_from else None,
    }


def program_to_json(program: Program) -> dict[str, Any]:
    return {
        "start": program.start.isoformat(),
        "phase": program.phase,
        "phase_note": program.phase_note,
        "acute": program.acute,
        "pain_ceiling": program.pain_ceiling,
        "pain_ceiling_rules": list(program.pain_ceiling_rules),
        "baseline_pain": program.baseline_pain,
        "pain_ceiling_flag": program.pain_ceiling_flag,
        "progression_held": program.progression_held,
        "session_cap": program.session_cap,
        "profile": {
            "no_floor": program.profile.no_floor,
            "fall_risk": program.profile.fall_risk,
        },
        "schedule": program.schedule(),
        "exercises": [item_to_json(i) for i in program.items],
        "swaps": [swap_to_json(s) for s in program.swaps],
        "later_options": [later_to_json(o) for o in program.later_options],
        "left_out": [
            {"id": o.exercise_id, "name": o.name, "why": o.why, "rules": list(o.rules)}
            for o in program.left_out
        ],
        "avoid": [
            {
                "id": a.id,
                "name": a.name,
                "why": a.why,
                "examples": list(a.examples),
                "rules": list(a.rules),
            }
            for a in program.avoid
        ],
        "avoid_note": program.avoid_note,
        "equipment": [
            {
                "id": e.id,
                "name": e.name,
                "have": e.have,
                "use": e.use,
                "needed_by": list(e.needed_by),
                "height_cm": e.height_cm,
                "surface": e.surface,
            }
            for e in program.equipment
        ],
        "ice_heat": program.ice_heat,
        "see_professional": program.see_professional,
        "start_small": program.start_small,
        "stretch_again": program.stretch_again,
        "yoga": program.yoga,
        "trouble_tolerating": program.trouble_tolerating,
        "review_on": program.review_on.isoformat() if program.review_on else None,
        "review_rules": list(program.review_rules),
        "notices": list(program.notices),
        "notice_rules": list(program.notice_rules),
        "phase_rules": list(program.phase_rules),
    }


def plan_to_json(triage: Triage, program: Program | None) -> dict[str, Any]:
    return {
        "triage": triage_to_json(triage),
        "program": program_to_json(program) if program is not None else None,
    }
