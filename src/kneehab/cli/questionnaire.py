"""The plain-language intake questionnaire: red-flag questions first, then the person's knee.

Questions are written to stderr and answers read line by line, so it works at a terminal and with answers piped
on stdin; the finished intake (JSON) goes to stdout or a file. An emergency answer stops at once. Rule book v2:
the chest question and the cold-foot question are asked of everyone, each on its own (C-14); the intake adds
getting down to the floor, falls or unsteadiness (D-11), whether the knee was examined (E10) and, with no step at
home, the height of the bottom stair (D-5).
"""

from __future__ import annotations

import re
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
                    f"the answers ended before this question: {question!r} (expected {hint}); "
                    "nothing was saved"
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


@dataclass(frozen=True)
class Option:
    """One plain choice: the stored value, the words shown, and other words people use for it."""

    value: str
    label: str
    words: tuple[str, ...] = ()


def _norm(text: str) -> str:
    """Lower case, `_`/`-`/`/` as spaces, no quotes or closing punctuation, single spaces."""
    low = text.lower().replace("’", "'")
    low = re.sub(r"[_\-/,()]+", " ", low)
    low = re.sub(r"[.!;:\"]+$", "", low.strip())
    return " ".join(low.split())


def _keys(option: Option) -> list[str]:
    return [_norm(k) for k in (option.value, option.label, *option.words) if k]


def _within(key: str, text: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(key)}(?![a-z0-9])", text) is not None


def _listing(options: list[Option]) -> str:
    return "; ".join(f"{i} {o.label}" for i, o in enumerate(options, start=1))


def match_option(raw: str, options: list[Option]) -> tuple[Option, bool]:
    """The option `raw` names, and whether it named it exactly (number, value or label).

    Forgiving: any case, spaces or underscores, a number from the list, the words people use
    ("arthritis", "kneecap", "Right"), or a longer answer that contains one of them. An answer that
    fits several options, or none, is a ValueError that lists the choices with their numbers.
    """
    text = _norm(raw)
    if not text:
        raise ValueError(f"please choose one: {_listing(options)}")
    if text.isdigit():
        if 1 <= int(text) <= len(options):
            return options[int(text) - 1], True
        raise ValueError(f"please type a number from 1 to {len(options)}: {_listing(options)}")
    for option in options:
        if text in (_norm(option.value), _norm(option.label)):
            return option, True
    same = [o for o in options if text in _keys(o)]
    if len(same) == 1:
        return same[0], False
    close = [o for o in options if any(_within(k, text) for k in _keys(o))]
    if not close and len(text) >= 3:
        close = [o for o in options if any(_within(text, k) for k in _keys(o))]
    if len(close) == 1:
        return close[0], False
    if close:
        numbered = "; ".join(f"{options.index(o) + 1} {o.label}" for o in close)
        raise ValueError(f"'{raw}' could be more than one of these; type its number: {numbered}")
    raise ValueError(f"'{raw}' is not one of the choices; type a number: {_listing(options)}")


def choice(options: list[Option], *, allow_blank: bool = False) -> Callable[[str], str | None]:
    """A parser for one plain choice (see match_option); blank means None when allowed."""

    def parse(raw: str) -> str | None:
        if not raw.strip() and allow_blank:
            return None
        return match_option(raw, options)[0].value

    return parse


def ask_choice(
    asker: Asker,
    question: str,
    options: list[Option],
    *,
    confirm: bool,
    safe: tuple[str, ...] = (),
) -> str:
    """Show the numbered choices, then ask; with `confirm`, an answer that was not exact (a number,
    the id or the words shown) is read back and confirmed before it is kept, unless it picked one of
    the `safe` values (for the condition: not knowing, which gets the most careful program)."""
    asker.out.write(f"{question}\n")
    for i, option in enumerate(options, start=1):
        asker.out.write(f"  {i}. {option.label}\n")
    while True:
        picked, exact = asker.ask(
            "Your answer", lambda raw: match_option(raw, options), f"1–{len(options)} or words"
        )
        if exact or not confirm or picked.value in safe:
            return str(picked.value)
        if asker.ask(f"Do you mean: {picked.label}?", yes_no, "yes/no"):
            return str(picked.value)
        asker.out.write("  Then please choose from the list (the number is easiest).\n")


def many(
    options: tuple[str, ...], words: dict[str, str] | None = None
) -> Callable[[str], list[str]]:
    """A comma-separated list of ids; any case, spaces for underscores, plurals and common words."""
    lookup = {_norm(o): o for o in options}
    lookup.update({_norm(o).removesuffix("s"): o for o in options})
    lookup.update({_norm(k): v for k, v in (words or {}).items()})

    def parse(raw: str) -> list[str]:
        if _norm(raw) in {"", "none", "nothing", "no"} or raw.strip() == "-":
            return []
        picked: list[str] = []
        for part in (p for p in raw.split(",") if p.strip()):
            key = _norm(part)
            found = lookup.get(key) or lookup.get(key.removesuffix("s"))
            if found is None:
                raise ValueError(f"'{part.strip()}' is not one of: {', '.join(options)}")
            if found not in picked:
                picked.append(found)
        return picked

    return parse


# The plain choices (the same words as the web's first run), each with the words people use for it.
CONDITION_OPTIONS: list[Option] = [
    Option(
        Condition.UNKNOWN.value,
        "I don't know / no one has told me",
        (
            "unknown",
            "don't know",
            "dont know",
            "do not know",
            "not sure",
            "unsure",
            "no idea",
            "not told",
            "nobody told me",
            "?",
        ),
    ),
    Option(
        Condition.MEDIAL_OA.value,
        "Arthritis on the inner side of the knee (medial knee osteoarthritis)",
        (
            "arthritis",
            "osteoarthritis",
            "oa",
            "knee oa",
            "knee arthritis",
            "wear and tear",
            "medial knee osteoarthritis",
            "degenerative",
        ),
    ),
    Option(
        Condition.PES_ANSERINE.value,
        "Pes anserine bursitis",
        ("pes anserine", "anserine", "bursitis", "pes anserinus", "goosefoot", "goose foot"),
    ),
    Option(
        Condition.PFP.value,
        "Kneecap pain (patellofemoral pain, runner's knee)",
        (
            "kneecap",
            "knee cap",
            "patellofemoral",
            "patellofemoral pain syndrome",
            "pfp",
            "pfps",
            "runner's knee",
            "runners knee",
            "patella",
            "chondromalacia",
        ),
    ),
    Option(
        Condition.MCL.value,
        "MCL sprain (inner knee ligament)",
        ("mcl", "medial collateral ligament", "ligament", "sprain", "collateral ligament"),
    ),
    Option(
        Condition.MENISCUS.value,
        "Medial meniscus (cartilage) problem",
        ("meniscus", "meniscal", "cartilage", "torn meniscus", "meniscus tear", "medial meniscus"),
    ),
]
KNEE_OPTIONS: list[Option] = [
    Option(Knee.LEFT.value, "Left", ("l", "left knee", "the left one")),
    Option(Knee.RIGHT.value, "Right", ("r", "right knee", "the right one")),
    Option(Knee.BOTH.value, "Both", ("b", "both knees", "both sides", "left and right")),
]
SEX_OPTIONS: list[Option] = [
    Option(Sex.FEMALE.value, "Female", ("f", "woman", "w")),
    Option(Sex.MALE.value, "Male", ("m", "man")),
    Option(
        Sex.UNSPECIFIED.value,
        "Prefer not to say",
        ("unspecified", "rather not say", "other", "x", "skip"),
    ),
]
ONSET_OPTIONS: list[Option] = [
    Option(
        Onset.INJURY.value,
        "With an injury",
        ("injured", "an injury", "accident", "fall", "twisted"),
    ),
    Option(
        Onset.GRADUAL.value,
        "Gradually",
        ("gradual", "slowly", "over time", "no injury", "without an injury", "bit by bit"),
    ),
]
GRADE_OPTIONS: list[Option] = [
    Option("1", "Grade 1", ("i", "one", "grade one")),
    Option("2", "Grade 2", ("ii", "two", "grade two")),
    Option("3", "Grade 3", ("iii", "three", "grade three")),
]
EQUIPMENT_WORDS = {
    "yoga mat": "mat", "exercise mat": "mat", "exercise ball": "ball", "pilates ball": "ball",
    "weights": "ankle_weights", "ankle weight": "ankle_weights", "foam": "foam_pad",
    "cushion": "foam_pad", "stretch strap": "strap", "belt": "strap", "stool": "chair",
}  # fmt: skip
ACCESS_WORDS = {
    "bike": "stationary_bike", "exercise bike": "stationary_bike", "cycle": "stationary_bike",
    "cross trainer": "elliptical", "crosstrainer": "elliptical", "rowing machine": "rower",
    "swimming pool": "pool", "swimming": "pool",
}  # fmt: skip


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
    answers["sex"] = asker.ask("Sex", choice(SEX_OPTIONS), "female/male/prefer not to say")
    answers["knee"] = asker.ask("Which knee hurts?", choice(KNEE_OPTIONS), "left/right/both")
    answers["condition"] = ask_choice(
        asker,
        "What has a doctor or physical therapist said it is? Not knowing is fine.",
        CONDITION_OPTIONS,
        confirm=True,
        safe=(Condition.UNKNOWN.value,),
    )
    if answers["condition"] == Condition.MCL.value:
        grade = asker.ask(
            "MCL sprain grade, if you were told (leave blank if not)",
            choice(GRADE_OPTIONS, allow_blank=True),
            "1/2/3 or blank",
        )
        answers["mcl_grade"] = int(grade) if grade else None
    answers["onset"] = asker.ask(
        "Did it start with an injury or gradually?", choice(ONSET_OPTIONS), "injury/gradual"
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
        many(EQUIPMENT_IDS, EQUIPMENT_WORDS),
        ", ".join(EQUIPMENT_IDS),
    )
    if "step" not in answers["equipment"]:
        answers["stair_height_cm"] = asker.ask(
            STAIR_QUESTION, optional_whole(10, 30), "10–30 cm, or blank"
        )
    answers["access"] = asker.ask(
        "Which of these can you use? (comma-separated, or none)",
        many(ACCESS_IDS, ACCESS_WORDS),
        ", ".join(ACCESS_IDS),
    )
    goal = asker.ask(
        "One thing you want to do again (optional)", lambda s: s[:200], "text or blank"
    )
    answers["goals"] = [goal] if goal else []
    return answers
