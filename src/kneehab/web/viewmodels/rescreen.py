"""The full red-flag re-screen (RULES §1.1) as the first run's safety steps: the same four groups in the
same order (every question that can make the answers an emergency on step 1), at /rescreen/1 … 4."""

from __future__ import annotations

from typing import Any

from kneehab.web.viewmodels.first_run import SAFETY_STEPS, Step, safety_step_view, step_info
from kneehab.web.viewmodels.start import StartView

STEPS: tuple[Step, ...] = SAFETY_STEPS
TOTAL = len(STEPS)
TITLE = "Safety questions again"
BEFORE = "/program"  # "← Back" from step 1: /today would send the person straight back here
INTRO = "The safety questions again. If you are not sure, answer yes."


def step_url(number: int) -> str:
    return f"/rescreen/{number}"


def rescreen_step_view(step: Step, answers: dict[str, Any]) -> StartView:
    return safety_step_view(
        step,
        answers,
        action=step_url(step.number),
        info=step_info(step, total=TOTAL, url=step_url, before_first=BEFORE),
        intro=INTRO if step.number == 1 else None,
    )
