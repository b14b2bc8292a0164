"""First run: the red-flag questions, the intake form, and the page that stops the flow (RULES §1, D-2)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from kneehab.domain.intake import ACCESS_IDS, EQUIPMENT_IDS
from kneehab.domain.program import Triage
from kneehab.domain.red_flags import RED_FLAG_QUESTIONS
from kneehab.domain.types import NO_PROGRAM_LEVELS, Condition, Level
from kneehab.web.viewmodels.common import Choice, PainOption, pain_scale

# Details asked with a question, because they raise its tier (RULES §1.2 RF05, RF10; C-3).
FOLLOW_UPS: dict[str, tuple[str, str]] = {
    "RF05": ("chest_symptoms", "If yes: do you also have chest pain or trouble breathing?"),
    "RF10": ("cold_foot", "If yes, or on its own: is your foot cold, pale or blue?"),
}


class FollowUp(BaseModel):
    name: str
    question: str
    checked: bool = False


class Question(BaseModel):
    id: str
    question: str
    answer: str | None = None  # "yes" / "no" when re-shown after a mistake
    follow_up: FollowUp | None = None


class StartView(BaseModel):
    """The red-flag questions (RULES §1.2), all of them, in plain words."""

    intro: str
    questions: list[Question]
    action: str = "/start"
    heading: str = "Safety questions"
    button: str = "Continue"


def start_view(answers: dict[str, str] | None = None) -> StartView:
    answers = answers or {}
    questions = []
    for q in RED_FLAG_QUESTIONS:
        follow = None
        if q.id in FOLLOW_UPS:
            name, text = FOLLOW_UPS[q.id]
            follow = FollowUp(name=name, question=text, checked=answers.get(name) == "yes")
        questions.append(
            Question(id=q.id, question=q.question, answer=answers.get(q.id), follow_up=follow)
        )
    return StartView(
        intro=(
            "Before any exercise, a few safety questions. Some knee problems need a doctor, not "
            "exercise. Answer each one yes or no. If you are not sure, answer yes."
        ),
        questions=questions,
    )


class StopView(BaseModel):
    """A page with nothing to click past: what to do now and why (RULES D-2)."""

    level: str
    heading: str
    what_now: str
    reasons: list[str]
    rules: list[str]
    css: str
    stops_program: bool
    next_steps: list[str] = Field(default_factory=list)


_STOP_HEADINGS: dict[Level, tuple[str, str, list[str]]] = {
    Level.EMERGENCY: (
        "Call emergency services now",
        "alert",
        [
            "Call your local emergency number, or have someone take you to the emergency department.",
            "Do not do any of the exercises.",
            "Show this page, or tell them the answers you gave here.",
        ],
    ),
    Level.URGENT: (
        "Get a medical check today",
        "alert",
        [
            "Contact your doctor today, or go to urgent care or the emergency department.",
            "Do not start or continue the exercises until a clinician says it is safe.",
        ],
    ),
    Level.OUT_OF_SCOPE: (
        "Please see a clinician for your program",
        "notice",
        [
            "Book an appointment with a physical therapist or doctor.",
            "They can give you exercises made for your knee.",
        ],
    ),
}


def stop_view(triage: Triage) -> StopView | None:
    """The stop page for a triage that withholds the program; None when the program may go ahead."""
    if triage.level not in NO_PROGRAM_LEVELS:
        return None
    heading, css, steps = _STOP_HEADINGS[triage.level]
    return StopView(
        level=triage.level.value,
        heading=heading,
        what_now=triage.message,
        reasons=list(triage.reasons),
        rules=list(triage.rules),
        css=css,
        stops_program=True,
        next_steps=steps,
    )


CONDITION_CHOICES: list[Choice] = [
    Choice(value=Condition.UNKNOWN.value, label="I don't know / no one has told me"),
    Choice(value=Condition.MEDIAL_OA.value, label="Arthritis on the inner side of the knee"),
    Choice(value=Condition.PES_ANSERINE.value, label="Pes anserine bursitis"),
    Choice(value=Condition.PFP.value, label="Kneecap pain (patellofemoral pain, runner's knee)"),
    Choice(value=Condition.MCL.value, label="MCL sprain (inner knee ligament)"),
    Choice(value=Condition.MENISCUS.value, label="Medial meniscus (cartilage) problem"),
]
EQUIPMENT_LABELS: dict[str, str] = {
    "strap": "A stretch strap",
    "ankle_weights": "Ankle weights",
    "ball": "A soft ball (soccer-ball size)",
    "step": "A step or low platform",
    "foam_pad": "A foam balance pad",
    "mat": "An exercise mat",
    "chair": "A sturdy chair",
}
ACCESS_LABELS: dict[str, str] = {
    "stationary_bike": "An exercise bike",
    "elliptical": "An elliptical (cross) trainer",
    "rower": "A rowing machine",
    "pool": "A swimming pool",
}


class IntakeView(BaseModel):
    """The intake questions; answers already given are kept when a mistake is shown."""

    flags: list[str]
    cold_foot: bool
    chest_symptoms: bool
    values: dict[str, str | list[str]]
    sexes: list[Choice]
    knees: list[Choice]
    conditions: list[Choice]
    mcl_grades: list[Choice]
    onsets: list[Choice]
    equipment: list[Choice]
    access: list[Choice]
    pain_scale: list[PainOption]
    action: str = "/start/intake"


def intake_view(
    flags: list[str], *, cold_foot: bool, chest_symptoms: bool, values: dict[str, str | list[str]]
) -> IntakeView:
    return IntakeView(
        flags=flags,
        cold_foot=cold_foot,
        chest_symptoms=chest_symptoms,
        values=values,
        sexes=[
            Choice(value="female", label="Female"),
            Choice(value="male", label="Male"),
            Choice(value="unspecified", label="Prefer not to say"),
        ],
        knees=[
            Choice(value="left", label="Left"),
            Choice(value="right", label="Right"),
            Choice(value="both", label="Both"),
        ],
        conditions=CONDITION_CHOICES,
        mcl_grades=[
            Choice(value="", label="Not told / not an MCL sprain"),
            Choice(value="1", label="Grade 1"),
            Choice(value="2", label="Grade 2"),
            Choice(value="3", label="Grade 3 (complete tear)"),
        ],
        onsets=[
            Choice(value="injury", label="After an injury (a twist, fall or knock)"),
            Choice(value="gradual", label="Slowly, without an injury"),
        ],
        equipment=[Choice(value=e, label=EQUIPMENT_LABELS[e]) for e in EQUIPMENT_IDS],
        access=[Choice(value=a, label=ACCESS_LABELS[a]) for a in ACCESS_IDS],
        pain_scale=pain_scale(),
    )
