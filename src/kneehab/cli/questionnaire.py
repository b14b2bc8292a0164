"""The plain-language intake questionnaire: red-flag questions first, then the person's knee.

Questions are written to stderr and answers read line by line, so it works at a terminal and with answers piped
on stdin; the finished intake (JSON) goes to stdout or a file. An emergency answer stops at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from kneehab.domain.intake import ACCESS_IDS, EQUIPMENT_IDS
from kneehab.domain.red_flags import RED_FLAG_QUESTIONS
from kneehab.domain.types import Condition, Knee, Level, Onset, Sex
from kneehab.errors import InvalidInput

YES = {"y", "yes", "1", "true"}
NO = {"n", "no", "0", "false"}


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
    for q in RED_FLAG_QUESTIONS:
        if not asker.ask(q.question, yes_no, "yes/no"):
            continue
        flags.append(q.id)
        if q.id == "RF05" and asker.ask(
            "Do you also have chest pain or feel short of breath?", yes_no, "yes/no"
        ):
            raise EmergencyStop("RF05", "Calf or leg symptoms with chest pain or breathlessness.")
        if q.id == "RF10" and asker.ask("Is your foot cold, pale or blue?", yes_no, "yes/no"):
            raise EmergencyStop("RF10", "A cold, pale or blue foot.")
        if q.tier == Level.EMERGENCY:
            raise EmergencyStop(q.id, q.reason)
    out.write("\nNow about you and your knee.\n\n")
    answers: dict[str, Any] = {"red_flags": flags}
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
    answers["pain_now"] = asker.ask(
        "Knee pain right now, 0 (none) to 10 (worst)", whole(0, 10), "0–10"
    )
    answers["pain_worst_week"] = asker.ask(
        "Worst knee pain in the last week, 0 to 10", whole(0, 10), "0–10"
    )
    answers["equipment"] = asker.ask(
        "Which of these do you have? (comma-separated, or none)",
        many(EQUIPMENT_IDS),
        ", ".join(EQUIPMENT_IDS),
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
