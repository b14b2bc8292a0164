"""Before each day's session: the short red-flag set again (RULES §1.1), on one screen, once a day."""

from __future__ import annotations

from kneehab.domain.red_flags import RED_FLAG_QUESTIONS
from kneehab.web.viewmodels.start import FOLLOW_UPS, FollowUp, Question, StartView
from kneehab.web.viewmodels.today import StopResultView

NEW_INJURY = "new_injury"
NEW_INJURY_QUESTION = (
    "Since your last session, have you hurt this knee in a new way — a fall, a twist or a knock?"
)
# RULES §1.1: RF04, RF05, RF06, RF07, RF08, RF10, RF12, plus "any new injury?"
SHORT_IDS: tuple[str, ...] = tuple(q.id for q in RED_FLAG_QUESTIONS if q.short)
CHECK_IDS: tuple[str, ...] = (*SHORT_IDS, NEW_INJURY)


def check_view(answers: dict[str, str] | None = None) -> StartView:
    answers = answers or {}
    questions = []
    for q in RED_FLAG_QUESTIONS:
        if not q.short:
            continue
        follow = None
        if q.id in FOLLOW_UPS:
            name, text = FOLLOW_UPS[q.id]
            follow = FollowUp(name=name, question=text, checked=answers.get(name) == "yes")
        questions.append(
            Question(id=q.id, question=q.question, answer=answers.get(q.id), follow_up=follow)
        )
    questions.append(
        Question(id=NEW_INJURY, question=NEW_INJURY_QUESTION, answer=answers.get(NEW_INJURY))
    )
    return StartView(
        heading="Before today's session",
        intro=(
            "A few quick safety questions, once a day before you exercise. Answer each one yes or "
            "no. If you are not sure, answer yes."
        ),
        questions=questions,
        action="/today/check",
        button="Continue to my session",
    )


def missing(answered: set[str]) -> list[str]:
    texts = {q.id: q.question for q in RED_FLAG_QUESTIONS} | {NEW_INJURY: NEW_INJURY_QUESTION}
    return [
        f"{qid}: please answer yes or no — “{texts[qid]}”"
        for qid in CHECK_IDS
        if qid not in answered
    ]


def not_yet() -> StopResultView:
    """A yes that does not stop the program on its own: no session until the full set is answered
    (the same path as "Stop — it hurts" with a new symptom, RULES §1.1)."""
    return StopResultView(
        heading="Not today's session yet",
        message=(
            "One of your answers needs a closer look before you exercise. Answer the full set of "
            "safety questions now; it takes about two minutes."
        ),
        reasons=[
            "A yes to a safety question, or a new injury, means the knee must be checked against "
            "every warning sign before the next session."
        ],
        rules=["§1.1"],
        css="notice",
        next_label="Answer the safety questions now",
        next_url="/rescreen",
    )
