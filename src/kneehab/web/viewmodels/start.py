"""First run: the red-flag questions, the intake form, and the page that stops the flow (RULES §1, D-2)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from kneehab.domain.intake import ACCESS_IDS, EQUIPMENT_IDS
from kneehab.domain.program import Triage
from kneehab.domain.red_flags import FIELD_QUESTIONS_BY_FIELD, QUESTIONS_BY_ID
from kneehab.domain.types import NO_PROGRAM_LEVELS, Condition, Level
from kneehab.web.viewmodels.common import Choice, PainOption, pain_scale

# Every safety question in the order the web asks it (RULES §1.2, C-14 v2). The chest question and the cold,
# pale or blue foot are questions of their own, asked of everyone; with the questions that are an emergency on
# any yes they come first, so a person who needs help now is told so after one short screen.
QUESTION_ORDER: tuple[str, ...] = (
    "RF03",
    "RF04",
    "chest_symptoms",
    "cold_foot",
    "RF05",
    "RF10",
    "RF02",
    "RF01",
    "RF06",
    "RF07",
    "RF09",
    "RF11",
    "RF08",
    "RF12",
    "RF13",
    "RF14",
    "RF16",
    "RF15",
)
FIELD_IDS: tuple[str, ...] = tuple(FIELD_QUESTIONS_BY_FIELD)
assert sorted(QUESTION_ORDER) == sorted([*QUESTIONS_BY_ID, *FIELD_IDS])


def question_text(qid: str) -> str:
    """The words of a safety question: a red-flag id or one of the two questions kept as fields."""
    if qid in FIELD_QUESTIONS_BY_FIELD:
        return FIELD_QUESTIONS_BY_FIELD[qid].question
    return QUESTIONS_BY_ID[qid].question


# A detail asked with a question at first run, because it raises its tier: numbness within 7 days of an injury
# is an emergency (RULES RF10 v2), and the onset is asked only later.
INJURED_THIS_WEEK = "injured_this_week"
FOLLOW_UPS: dict[str, tuple[str, str]] = {
    "RF10": (INJURED_THIS_WEEK, "If yes: did you hurt this knee in the last 7 days?"),
}


class FollowUp(BaseModel):
    name: str
    question: str
    checked: bool = False


class Question(BaseModel):
    id: str
    question: str
    number: int | None = None  # its place in the whole set, when shown a few at a time
    answer: str | None = None  # "yes" / "no" when re-shown after a mistake
    follow_up: FollowUp | None = None


class StepInfo(BaseModel):
    """Where a first-run step sits: "Step 2 of 8", and the way back."""

    number: int
    total: int
    label: str
    back_url: str | None


class QuestionGroup(BaseModel):
    """The questions one first-run step asks (the web shows a few at a time; the API takes them all)."""

    title: str
    questions: list[str]
    url: str


class StartView(BaseModel):
    """The red-flag questions (RULES §1.2) in plain words: all of them, or one step's group."""

    intro: str
    questions: list[Question]
    action: str = "/start/1"
    heading: str = "Safety questions"
    button: str = "Continue"
    step: StepInfo | None = None  # set on a first-run step
    groups: list[QuestionGroup] = Field(default_factory=list)  # how first run splits them


INTRO = (
    "Before any exercise, a few safety questions. Some knee problems need a doctor, not "
    "exercise. Answer each one yes or no. If you are not sure, answer yes."
)
STEP_INTRO = (
    "Some knee problems need a doctor, not exercise. Answer yes or no; if you are not sure, "
    "answer yes."
)


def start_view(
    answers: dict[str, str] | None = None,
    *,
    ids: tuple[str, ...] | None = None,
    intro: str = INTRO,
    heading: str = "Safety questions",
    follow_ups: bool = True,
) -> StartView:
    """The questions `ids` (default: all, in `QUESTION_ORDER`) with the answers already given; `follow_ups`
    adds the first run's detail check-boxes."""
    answers = answers or {}
    questions = []
    for number, qid in enumerate(QUESTION_ORDER, start=1):
        if ids is not None and qid not in ids:
            continue
        follow = None
        if follow_ups and qid in FOLLOW_UPS:
            name, text = FOLLOW_UPS[qid]
            follow = FollowUp(name=name, question=text, checked=answers.get(name) == "yes")
        questions.append(
            Question(
                id=qid,
                question=question_text(qid),
                answer=answers.get(qid),
                follow_up=follow,
                number=number,
            )
        )
    return StartView(intro=intro, heading=heading, questions=questions)


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
    """One part of the intake; answers already given are shown again (after a mistake, or going back)."""

    part: str  # about / what / pain / moving / home: which questions this step asks
    heading: str
    intro: str
    values: dict[str, str | list[str]]
    sexes: list[Choice]
    knees: list[Choice]
    conditions: list[Choice]
    mcl_grades: list[Choice]
    onsets: list[Choice]
    yes_no_not_sure: list[Choice]
    equipment: list[Choice]
    access: list[Choice]
    pain_scale: list[PainOption]
    action: str
    button: str
    step: StepInfo


def intake_view(
    *,
    part: str,
    heading: str,
    intro: str,
    values: dict[str, str | list[str]],
    action: str,
    button: str,
    step: StepInfo,
) -> IntakeView:
    return IntakeView(
        part=part,
        heading=heading,
        intro=intro,
        values=values,
        action=action,
        button=button,
        step=step,
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
        yes_no_not_sure=[
            Choice(value="yes", label="Yes"),
            Choice(value="no", label="No"),
            Choice(value="not_sure", label="Not sure"),
        ],
        equipment=[Choice(value=e, label=EQUIPMENT_LABELS[e]) for e in EQUIPMENT_IDS],
        access=[Choice(value=a, label=ACCESS_LABELS[a]) for a in ACCESS_IDS],
        pain_scale=pain_scale(),
    )
