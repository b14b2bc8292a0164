"""The full red-flag re-screen (RULES §1.1) as the first run's safety steps: the same groups in the same order
(the questions that are an emergency on any yes on step 1, the chest question among them), at /rescreen/1 … 5.
The first run's "injured in the last 7 days?" detail is not asked here: in a course, the injury dates are known
(the intake's onset and each new-injury report)."""

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
        follow_ups=False,
    )
