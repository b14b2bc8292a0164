"""The red-flag questions of RULES §1.2 in patient wording, with the tier each one carries.

The CLI questionnaire and the web intake ask exactly these, in this order; `screening.screen` interprets them.
Two answers are kept as their own intake fields rather than ticked ids (RULES C-14): `chest_symptoms` (RF17, asked
of everyone) and `cold_foot` (the cold, pale or blue foot of RF10, asked on its own). Nothing a person reads here
contains a rule id (RULES D-13): the ids travel beside the text.
"""

from __future__ import annotations

from kneehab.domain.types import Frozen, Level


class RedFlagQuestion(Frozen):
    id: str
    question: str
    tier: Level
    reason: str  # one plain sentence shown when this flag fires
    short: bool  # part of the short re-screen asked before every session (RULES §1.1)


RED_FLAG_QUESTIONS: tuple[RedFlagQuestion, ...] = (
    RedFlagQuestion(
        id="RF03",
        question="Does your knee or kneecap look out of place or misshapen, or did your kneecap pop out?",
        tier=Level.EMERGENCY,
        reason="A knee or kneecap that looks out of place needs emergency care.",
        short=False,
    ),
    RedFlagQuestion(
        id="RF04",
        question=(
            "Is your knee hot, red and swollen — especially if you have a fever, chills or feel unwell? "
            "Or do you have a knee replacement, a recent knee injection or surgery, diabetes or a "
            "weakened immune system, and new swelling in the knee?"
        ),
        tier=Level.EMERGENCY,
        reason="A hot, red, swollen knee can be an infection of the joint, even without a fever.",
        short=True,
    ),
    RedFlagQuestion(
        id="RF05",
        question=(
            "Do you have new pain or tenderness in your calf, or swelling of your calf or whole leg — "
            "especially after surgery, 3 or more days in bed, a cast, cancer or a previous blood clot?"
        ),
        tier=Level.URGENT,
        reason="New calf pain or leg swelling can be a blood clot and needs checking today.",
        short=True,
    ),
    RedFlagQuestion(
        id="RF10",
        question="Do you have numbness, pins and needles or weakness below the knee?",
        tier=Level.URGENT,
        reason="Numbness, pins and needles or weakness below the knee needs checking today.",
        short=True,
    ),
    RedFlagQuestion(
        id="RF02",
        question="Are you unable to put weight through the leg, or unable to walk 4 steps?",
        tier=Level.URGENT,
        reason="Not being able to take weight on the leg needs a medical check today.",
        short=False,
    ),
    RedFlagQuestion(
        id="RF01",
        question=(
            "Did you injure your knee in the last 7 days AND is any of these true: you are 55 or older; "
            "the bony bump on the outer side just below the knee is sore to press; only the kneecap is "
            "sore to press; you can't bend the knee to a right angle; or you couldn't take 4 steps "
            "(even limping) right after the injury or can't now?"
        ),
        tier=Level.URGENT,
        reason="After a recent injury these signs mean an X-ray may be needed to rule out a break.",
        short=False,
    ),
    RedFlagQuestion(
        id="RF06",
        question="After an injury, did your knee swell up a lot within about 2 hours?",
        tier=Level.URGENT,
        reason="Fast swelling after an injury can mean bleeding inside the joint.",
        short=True,
    ),
    RedFlagQuestion(
        id="RF07",
        question="Is your knee locked — stuck, blocked, unable to straighten fully even when relaxed?",
        tier=Level.URGENT,
        reason="A locked knee can be caused by a torn piece of cartilage and needs checking.",
        short=True,
    ),
    RedFlagQuestion(
        id="RF09",
        question="When you twisted your knee, did you feel or hear a pop, with swelling soon after?",
        tier=Level.URGENT,
        reason="A pop with quick swelling during a twist can be a ligament tear.",
        short=False,
    ),
    RedFlagQuestion(
        id="RF11",
        question=(
            "Since an injury, are you unable to lift your straight leg off the bed, or unable to "
            "straighten your knee against gravity?"
        ),
        tier=Level.URGENT,
        reason="Not being able to straighten the knee after an injury can be a tendon tear.",
        short=False,
    ),
    RedFlagQuestion(
        id="RF08",
        question="Has your knee given way and made you fall, or felt unstable since an injury?",
        tier=Level.SOON,
        reason="A knee that gives way should be checked by a clinician this week.",
        short=True,
    ),
    RedFlagQuestion(
        id="RF12",
        question=(
            "Do you have constant pain at night or at rest that no position eases, or pain that is "
            "getting worse quickly?"
        ),
        tier=Level.SOON,
        reason="Constant night pain or fast-worsening pain should be looked at by a clinician.",
        short=True,
    ),
    RedFlagQuestion(
        id="RF13",
        question=(
            "Have you had cancer, lost weight without trying (for example more than 10 kg in "
            "3 months), or had night sweats or felt generally unwell?"
        ),
        tier=Level.SOON,
        reason="A history of cancer or unexplained weight loss needs a clinician's opinion.",
        short=False,
    ),
    RedFlagQuestion(
        id="RF14",
        question=(
            "Is your knee stiff for more than 30 minutes in the morning, are several joints swollen, "
            "or do you have psoriasis or inflammatory bowel disease?"
        ),
        tier=Level.SOON,
        reason="Long morning stiffness or several swollen joints may need a rheumatology opinion.",
        short=False,
    ),
    RedFlagQuestion(
        id="RF16",
        question=(
            "Did the knee pain start after a sore throat or an infection? (For a child: repeated "
            "pain with clicking and giving way?)"
        ),
        tier=Level.SOON,
        reason="Knee pain after an infection should be checked by a clinician.",
        short=False,
    ),
    RedFlagQuestion(
        id="RF15",
        question=(
            "Are you under 16, have you had knee surgery in the last 6 months, or do you have a knee "
            "replacement or metalwork in this knee?"
        ),
        tier=Level.OUT_OF_SCOPE,
        reason="After recent surgery, with a knee replacement or metalwork, or under 16, a program "
        "should come from your own clinician.",
        short=False,
    ),
)

QUESTIONS_BY_ID: dict[str, RedFlagQuestion] = {q.id: q for q in RED_FLAG_QUESTIONS}


class FieldQuestion(Frozen):
    """A yes/no warning-sign question whose answer is an intake field of its own, not a ticked id."""

    field: str  # the intake / re-screen / check-in field the answer goes to
    rule: str  # the rule a yes fires
    question: str
    tier: Level
    reason: str
    short: bool


CHEST_QUESTION = FieldQuestion(
    field="chest_symptoms",
    rule="RF17",
    question=(
        "Do you have new chest pain or pressure, sudden breathlessness, or are you coughing up blood?"
    ),
    tier=Level.EMERGENCY,
    reason=(
        "New chest pain or pressure, sudden breathlessness or coughing up blood can be a blood clot "
        "in the lungs."
    ),
    short=True,
)
COLD_FOOT_QUESTION = FieldQuestion(
    field="cold_foot",
    rule="RF10",
    question="Is the foot below your sore knee cold, pale or blue?",
    tier=Level.EMERGENCY,
    reason="A cold, pale or blue foot needs emergency care.",
    short=True,
)
# RULES C-14: asked of everyone, at intake and in every re-screen; a yes is an emergency on its own.
FIELD_QUESTIONS: tuple[FieldQuestion, ...] = (CHEST_QUESTION, COLD_FOOT_QUESTION)
FIELD_QUESTIONS_BY_FIELD: dict[str, FieldQuestion] = {q.field: q for q in FIELD_QUESTIONS}

# RULES §1.1 (v2): the short set before each session also asks about a new injury (a yes re-asks the short
# set at once and the full set at the next check-in).
NEW_INJURY = "new_injury"
NEW_INJURY_QUESTION = (
    "Since your last session, have you hurt this knee in a new way — a fall, a twist or a knock?"
)
SHORT_QUESTIONS: tuple[RedFlagQuestion, ...] = tuple(q for q in RED_FLAG_QUESTIONS if q.short)
SHORT_FIELD_QUESTIONS: tuple[FieldQuestion, ...] = tuple(q for q in FIELD_QUESTIONS if q.short)
