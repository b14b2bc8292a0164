"""Before each day's session: the short red-flag set again (RULES §1.1), on one screen, once a day."""

from __future__ import annotations

from kneehab.domain.red_flags import FIELD_QUESTIONS_BY_FIELD, RED_FLAG_QUESTIONS
from kneehab.web.viewmodels.start import QUESTION_ORDER, Question, StartView, question_text
from kneehab.web.viewmodels.today import StopResultView

NEW_INJURY = "new_injury"
NEW_INJURY_QUESTION = (
    "Since your last session, have you hurt this knee in a new way — a fall, a twist or a knock?"
)
# RULES §1.1 (v2): RF04, RF05, RF06, RF07, RF08, RF10, RF12, the chest question (RF17) and the cold, pale or
# blue foot (each a question of its own), plus "any new injury?". The JSON twin takes the red-flag ids and
# "new_injury" in `answers` and the two field questions as booleans; the page asks all of them yes or no.
SHORT_IDS: tuple[str, ...] = tuple(q.id for q in RED_FLAG_QUESTIONS if q.short)
CHECK_IDS: tuple[str, ...] = (*SHORT_IDS, NEW_INJURY)
SHORT_FIELDS: tuple[str, ...] = tuple(f for f, q in FIELD_QUESTIONS_BY_FIELD.items() if q.short)
_SHORT_ORDER: tuple[str, ...] = tuple(q for q in QUESTION_ORDER if q in {*SHORT_IDS, *SHORT_FIELDS})
FORM_IDS: tuple[str, ...] = (*_SHORT_ORDER, NEW_INJURY)


def check_view(answers: dict[str, str] | None = None) -> StartView:
    answers = answers or {}
    questions = [
        Question(id=qid, question=question_text(qid), answer=answers.get(qid))
        for qid in _SHORT_ORDER
    ]
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


def missing(answered: set[str], ids: tuple[str, ...] = CHECK_IDS) -> list[str]:
    """The questions not answered: `CHECK_IDS` for the JSON twin, `FORM_IDS` for the page."""
    return [
        f"{qid}: please answer yes or no — “{NEW_INJURY_QUESTION if qid == NEW_INJURY else question_text(qid)}”"
        for qid in ids
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


WEEKLY = (
    "§1.1"  # the rule id of the weekly full set (the events that also make it due carry their own)
)


def weekly_only(rules: tuple[str, ...] | list[str]) -> bool:
    """The full set is due today only because a week has passed (no stop, sorer morning or injury)."""
    return all(r == WEEKLY for r in rules)


def full_set_today(rules: tuple[str, ...] | list[str]) -> StopResultView:
    """RULES §1.1: once a week, and the day after a stop, a much sorer morning, a new injury or
    swelling, the full set of safety questions comes before the session. The words say which."""
    if weekly_only(rules):
        return StopResultView(
            heading="This week's full safety check",
            message=(
                "Thank you. Once a week, kneehab asks the full set of safety questions before "
                "your session, and today is the day. It takes about two minutes."
            ),
            reasons=[
                "Every warning sign is checked again once a week, even when your knee is doing "
                "well, so nothing new is missed."
            ],
            rules=[WEEKLY],
            css="notice",
            next_label="Answer the weekly safety check now",
            next_url="/rescreen",
        )
    return StopResultView(
        heading="The full safety questions today",
        message=(
            "Thank you. Today is a day for the full set of safety questions before you exercise: "
            "it takes about two minutes."
        ),
        reasons=[
            "After a stop, a much sorer morning, a new injury or swelling, every warning sign is "
            "checked again before the next session."
        ],
        rules=list(dict.fromkeys((*rules, WEEKLY))),
        css="notice",
        next_label="Answer the safety questions now",
        next_url="/rescreen",
    )
