"""First run as short steps: the safety questions a few at a time (the signs that need help now first), then
the intake in five parts. Each step is one short screen on a phone; the JSON API still takes the whole set at
once (`/api/v1/screening`, `/api/v1/enroll`). Rule book v2: the chest question and the cold, pale or blue foot
are asked of everyone (C-14), and the intake asks about getting down to the floor, falls, whether the knee was
examined and, with no step at home, the bottom stair's height (D-11, E10, D-5)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kneehab.domain.red_flags import RED_FLAG_QUESTIONS
from kneehab.web.viewmodels.start import (
    FIELD_IDS,
    FOLLOW_UPS,
    QUESTION_ORDER,
    STEP_INTRO,
    IntakeView,
    QuestionGroup,
    StartView,
    StepInfo,
    intake_view,
    start_view,
)

SAFETY = "safety"
INTAKE = "intake"
ANSWER_EACH = "Answer each one yes or no. If you are not sure, answer yes."

# The order of `QUESTION_ORDER`: the questions that are an emergency on any yes (including the chest question
# and the cold, pale or blue foot) come first, then the two whose yes can be an emergency with a detail known by
# then (calf symptoms with chest symptoms; numbness with a cold foot or an injury this week, asked beside it).
# So a step that stops the flow has always asked every question that could make the answers an emergency.
SAFETY_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Warning signs", ("RF03", "RF04", "chest_symptoms", "cold_foot")),
    ("Your leg and foot", ("RF05", "RF10", "RF02")),
    ("Injuries and swelling", ("RF01", "RF06", "RF07", "RF09")),
    ("Giving way and pain at night", ("RF11", "RF08", "RF12")),
    ("Your health in general", ("RF13", "RF14", "RF16", "RF15")),
)
INTAKE_PARTS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "about",
        "About you and your knee",
        "Thank you. Now a few questions to build your program. It starts gently.",
        ("age", "sex", "knee", "onset", "weeks_since_onset"),
    ),
    ("what", "What it is", "", ("condition", "mcl_grade")),
    (
        "pain",
        "Your knee pain",
        "0 means no pain; 10 is the worst pain you can imagine.",
        ("pain_now", "pain_worst_week", "assessed"),
    ),
    (
        "moving",
        "Moving safely at home",
        "So that every exercise is one you can get into and out of safely.",
        ("floor_transfer", "falls_or_unsteady", "stair_height_cm"),
    ),
    ("home", "What you can use", "", ("equipment", "access", "goals")),
)
# RULES D-11, E10: asked of everyone on the web; a blank is a question still to answer (the defaults are for
# older files that never asked).
CHOSEN_FIELDS: tuple[str, ...] = ("assessed", "floor_transfer", "falls_or_unsteady")
MULTI_FIELDS = ("equipment", "access")


@dataclass(frozen=True)
class Step:
    number: int
    kind: str  # SAFETY or INTAKE
    title: str
    part: str  # the intake part ("" for safety questions)
    intro: str
    fields: tuple[str, ...]  # question ids, or intake field names

    @property
    def follow_ups(self) -> tuple[str, ...]:
        """The detail check-boxes asked with this step's questions (RF10: an injury this week)."""
        return tuple(FOLLOW_UPS[q][0] for q in self.fields if q in FOLLOW_UPS)


def _steps() -> tuple[Step, ...]:
    steps = [
        Step(i + 1, SAFETY, title, "", STEP_INTRO if i == 0 else ANSWER_EACH, ids)
        for i, (title, ids) in enumerate(SAFETY_GROUPS)
    ]
    first = len(steps) + 1
    steps += [
        Step(first + i, INTAKE, title, part, intro, fields)
        for i, (part, title, intro, fields) in enumerate(INTAKE_PARTS)
    ]
    return tuple(steps)


STEPS: tuple[Step, ...] = _steps()
TOTAL = len(STEPS)
SAFETY_STEPS: tuple[Step, ...] = tuple(s for s in STEPS if s.kind == SAFETY)  # numbered 1 … 5
SAFETY_IDS: tuple[str, ...] = tuple(q.id for q in RED_FLAG_QUESTIONS)  # the ids a yes ticks
assert tuple(q for _, ids in SAFETY_GROUPS for q in ids) == QUESTION_ORDER
assert set(QUESTION_ORDER) == {*SAFETY_IDS, *FIELD_IDS}


def step_url(number: int) -> str:
    return f"/start/{number}"


def step_info(
    step: Step,
    *,
    total: int = TOTAL,
    url: Callable[[int], str] = step_url,
    before_first: str | None = None,
) -> StepInfo:
    """ "Step n of N" and the way back: the step before, or `before_first` from the first step."""
    return StepInfo(
        number=step.number,
        total=total,
        label=f"Step {step.number} of {total}",
        back_url=url(step.number - 1) if step.number > 1 else before_first,
    )


def question_groups() -> list[QuestionGroup]:
    return [
        QuestionGroup(title=s.title, questions=list(s.fields), url=step_url(s.number))
        for s in STEPS
        if s.kind == SAFETY
    ]


def safety_step_view(
    step: Step,
    answers: dict[str, Any],
    *,
    action: str | None = None,
    info: StepInfo | None = None,
    intro: str | None = None,
    follow_ups: bool = True,
) -> StartView:
    """One step's questions with the answers already given (first run by default; the re-screen passes
    its own address, step count and opening words, and no first-run details)."""
    vm = start_view(
        {k: v for k, v in answers.items() if isinstance(v, str)},
        ids=step.fields,
        intro=intro or step.intro,
        heading=step.title,
        follow_ups=follow_ups,
    )
    return vm.model_copy(
        update={"action": action or step_url(step.number), "step": info or step_info(step)}
    )


def intake_step_view(step: Step, answers: dict[str, Any]) -> IntakeView:
    last = step.number == TOTAL
    return intake_view(
        part=step.part,
        heading=step.title,
        intro=step.intro,
        values={k: v for k, v in answers.items() if k in step.fields},
        action=step_url(step.number),
        button="Build my program" if last else "Continue",
        step=step_info(step),
    )
