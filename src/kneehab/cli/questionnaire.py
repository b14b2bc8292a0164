"""The plain-language intake questionnaire: red-flag questions first, then the person's knee.

Questions are written to stderr and answers read line by line, so it works at a terminal and with answers piped
on stdin; the finished intake (JSON) goes to stdout or a file. An emergency answer stops at once. Rule book v2:
the chest question and the cold-foot question are asked of everyone, each on its own (C-14); the intake adds
getting down to the floor, falls or unsteadiness (D-11), whether the knee was examined (E10) and, with no step at
home, the height of the bottom stair (D-5).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from kneehab.domain.intake import ACCESS_IDS, EQUIPMENT_IDS
from kneehab.domain.red_flags import (
    CHEST_QUESTION,
    COLD_FOOT_QUESTION,
    RED_FLAG_QUESTIONS,
    FieldQuestion,
)
from kneehab.domain.screening import screen_answers
from kneehab.domain.types import Condition, Knee, Level, Onset, Sex
from kneehab.errors import InvalidInput

YES = {"y", "yes", "1", "true"}
NO = {"n", "no", "0", "false"}
NOT_SURE = {"not sure", "not_sure", "notsure", "unsure", "?", "ns", "don't know", "dont know"}
# Asked on their own right after the question they belong with (RULES C-14 v2: asked of everyone).
ASKED_AFTER: dict[str, FieldQuestion] = {"RF05": CHEST_QUESTION, "RF10": COLD_FOOT_QUESTION}
FLOOR_QUESTION = "Can you get down to the floor and up again safely on your own?"
FALLS_QUESTION = (
    "Have you fallen in the past year, or do you feel unsteady when standing or walking?"
)
ASSESSED_QUESTION = "Has a doctor or physical therapist examined your knee for this problem?"
STAIR_QUESTION = (
    "You have no step at home. If you have stairs, how high is the bottom step, in cm? "
    "Measure from the floor to the top of the step (optional)"
)


class EmergencyStop(Exception):
    """An answer that means: stop and get help now."""

    def __init__(self, rule: str, reason: str) -> None:
        self.rule = rule
        self.reason = reason
        super().__init__(reason)


@dataclass
class Asker:
    lines: Iterator[str]
    out: TextIO
    interactive: bool

    def ask(self, question: str, parse: Callable[[str], Any], hint: str) -> Any:
        """Ask until the answer parses; piped input gets one chance per line until it runs out."""
        while True:
            self.out.write(f"{question} [{hint}]: ")
            self.out.flush()
            try:
                raw = next(self.lines)
            except StopIteration:
                raise InvalidInput(
                    f"the answers ended before this question: {question!r} (expected {hint})"
                ) from None
            if not self.interactive:
                self.out.write(raw.rstrip("\n") + "\n")
            try:
                return parse(raw.strip())
            except ValueError as err:
                self.out.write(f"  Sorry: {err}\n")


def yes_no(raw: str) -> bool:
    low = raw.lower()
    if low in YES:
        return True
    if low in NO:
        return False
    raise ValueError("please answer yes or no")


def yes_no_not_sure(raw: str) -> str:
    low = raw.lower().strip()
    if low in YES:
        return "yes"
    if low in NO:
        return "no"
    if low in NOT_SURE:
        return "not_sure"
    raise ValueError("please answer yes, no or not sure")


def optional_whole(lo: int, hi: int) -> Callable[[str], int | None]:
    required = whole(lo, hi)

    def parse(raw: str) -> int | None:
        return None if raw.lower() in {"", "-", "none", "skip"} else required(raw)

    return parse


def whole(lo: int, hi: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"please type a whole number from {lo} to {hi}") from None
        if not lo <= value <= hi:
            raise ValueError(f"{value} is outside {lo}–{hi}")
        return value

    return parse


def choice(options: list[str], *, allow_blank: str | None = None) -> Callable[[str], str | None]:
    def parse(raw: str) -> str | None:
        if not raw and allow_blank is not None:
            return None
        if raw in options:
            return raw
        raise ValueError(f"please type one of: {', '.join(options)}")

    return parse


def many(options: tuple[str, ...]) -> Callable[[str], list[str]]:
    def parse(raw: str) -> list[str]:
        if raw.lower() in {"", "none", "-"}:
            return []
        picked = [p.strip() for p in raw.split(",") if p.strip()]
        wrong = [p for p in picked if p not in options]
        if wrong:
            raise ValueError(f"'{wrong[0]}' is not one of: {', '.join(options)}")
        return picked

    return parse


def run_questionnaire(asker: Asker) -> dict[str, Any]:
    """Ask everything and return the intake as a plain dict (validated by the caller)."""
    out = asker.out
    out.write(
        "First, some questions about warning signs. Answer yes or no.\n"
        "This is not a diagnosis; it tells you when to get help instead of exercising.\n\n"
    )
    flags: list[str] = []
    details: dict[str, bool] = {q.field: False for q in ASKED_AFTER.values()}
    for q in RED_FLAG_QUESTIONS:
        if asker.ask(q.question, yes_no, "yes/no"):
            flags.append(q.id)
            if q.tier == Level.EMERGENCY:
                raise EmergencyStop(q.id, q.reason)
        detail = ASKED_AFTER.get(q.id)
        if detail is None:
            continue
        details[detail.field] = asker.ask(detail.question, yes_no, "yes/no")
        if details[detail.field]:  # an emergency on its own (RF17; RF10 with a cold foot)
            raise EmergencyStop(detail.rule, detail.reason)
    out.write("\nNow about you and your knee.\n\n")
    answers: dict[str, Any] = {"red_flags": flags, **details}
    answers["age"] = asker.ask("How old are you?", whole(10, 110), "10–110")
    answers["sex"] = asker.ask("Sex", choice([s.value for s in Sex]), "female/male/unspecified")
    answers["knee"] = asker.ask(
        "Which knee hurts?", choice([k.value for k in Knee]), "left/right/both"
    )
    conditions = [c.value for c in Condition]
    answers["condition"] = asker.ask(
        "What has a clinician said it is? (unknown is fine)",
        choice(conditions),
        "/".join(conditions),
    )
    if answers["condition"] == Condition.MCL.value:
        grade = asker.ask(
            "MCL sprain grade, if you were told (leave blank if not)",
            choice(["1", "2", "3"], allow_blank=""),
            "1/2/3 or blank",
        )
        answers["mcl_grade"] = int(grade) if grade else None
    answers["onset"] = asker.ask(
        "Did it start with an injury or gradually?",
        choice([o.value for o in Onset]),
        "injury/gradual",
    )
    answers["weeks_since_onset"] = asker.ask(
        "How many weeks ago did it start?", whole(0, 2600), "whole weeks, 0 or more"
    )
    injured_this_week = answers["onset"] == Onset.INJURY.value and answers["weeks_since_onset"] == 0
    # RULES RF10 (v2): numbness within 7 days of an injury is an emergency, known once the onset is.
    so_far = screen_answers(flags, recent_injury=injured_this_week)
    if so_far.level == Level.EMERGENCY:
        raise EmergencyStop(" · ".join(so_far.rules), so_far.reasons[-1])
    answers["assessed"] = asker.ask(ASSESSED_QUESTION, yes_no_not_sure, "yes/no/not sure")
    answers["pain_now"] = asker.ask(
        "Knee pain right now, 0 (none) to 10 (worst)", whole(0, 10), "0–10"
    )
    answers["pain_worst_week"] = asker.ask(
        "Worst knee pain in the last week, 0 to 10", whole(0, 10), "0–10"
    )
    answers["floor_transfer"] = asker.ask(FLOOR_QUESTION, yes_no_not_sure, "yes/no/not sure")
    answers["falls_or_unsteady"] = asker.ask(FALLS_QUESTION, yes_no_not_sure, "yes/no/not sure")
    answers["equipment"] = asker.ask(
        "Which of these do you have? (comma-separated, or none)",
        many(EQUIPMENT_IDS),
        ", ".join(EQUIPMENT_IDS),
    )
    if "step" not in answers["equipment"]:
        answers["stair_height_cm"] = asker.ask(
            STAIR_QUESTION, optional_whole(10, 30), "10–30 cm, or blank"
        )
    answers["access"] = asker.ask(
        "Which of these can you use? (comma-separated, or none)",
        many(ACCESS_IDS),
        ", ".join(ACCESS_IDS),
    )
    goal = asker.ask(
        "One thing you want to do again (optional)", lambda s: s[:200], "text or blank"
    )
    answers["goals"] = [goal] if goal else []
    return answers
