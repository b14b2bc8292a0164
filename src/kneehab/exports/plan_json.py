"""The JSON contract of `kneehab plan --json` (issue 2 §5), shared by the CLI, the web API and exports."""

from __future__ import annotations

from typing import Any

from kneehab.domain.program import Program, ProgramItem, Triage


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
    }


def program_to_json(program: Program) -> dict[str, Any]:
    return {
        "start": program.start.isoformat(),
        "phase": program.phase,
        "phase_note": program.phase_note,
        "acute": program.acute,
        "pain_ceiling": program.pain_ceiling,
        "pain_ceiling_rules": list(program.pain_ceiling_rules),
        "progression_held": program.progression_held,
        "schedule": program.schedule(),
        "exercises": [item_to_json(i) for i in program.items],
        "later_options": [
            {"id": o.exercise_id, "name": o.name, "why": o.why, "rules": list(o.rules)}
            for o in program.later_options
        ],
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
        "equipment": [
            {
                "id": e.id,
                "name": e.name,
                "have": e.have,
                "use": e.use,
                "needed_by": list(e.needed_by),
            }
            for e in program.equipment
        ],
        "ice_heat": program.ice_heat,
        "see_professional": program.see_professional,
        "start_small": program.start_small,
        "review_on": program.review_on.isoformat() if program.review_on else None,
        "review_rules": list(program.review_rules),
        "notices": list(program.notices),
    }


def plan_to_json(triage: Triage, program: Program | None) -> dict[str, Any]:
    return {
        "triage": triage_to_json(triage),
        "program": program_to_json(program) if program is not None else None,
    }
