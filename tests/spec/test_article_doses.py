"""The library says what the article says.

Each exercise's `dose.article_text` is a sentence copied from the article; this spec finds it there and reads the
numbers back, so the structured dose and limits cannot drift from the program a physical therapist wrote:

| article wording                       | dose                    | limits            |
|---------------------------------------|-------------------------|-------------------|
| "Hold for 30+ seconds"                | hold_s = 30 (the minimum, C-8) | hold_s reaches ≥ 30 |
| "for 2-3 sets" / "up to 3 sets"       | sets = 2                | sets up to 3      |
| "10-15 repetitions" / "10-15 times"   | reps = 10               | reps up to 15     |
| "Repeat 10 times"                     | reps = 10               | reps up to 10     |
| "Hold at the top ... for 2-5 seconds" | hold_s = 2              | hold_s [2, 5]     |
| no number (aerobic, yoga, later)      | RULES §3.2 / D-4 defaults                   ||

It also checks that every avoid bullet, the ice/heat sentence and the see-a-professional sentence are in the data.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kneehab.domain.exercise import Exercise
from kneehab.domain.types import Category
from kneehab.library.load import default_library

ARTICLE = Path(__file__).resolve().parents[2] / "../shared/seed/inner-knee-pain-article.txt"

pytestmark = pytest.mark.skipif(not ARTICLE.is_file(), reason=f"article not found at {ARTICLE}")


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


@pytest.fixture(scope="module")
def article() -> str:
    return squash(ARTICLE.read_text(encoding="utf-8"))


IDS = sorted(default_library().exercises)

# (pattern, what it means). Every number in a dose sentence must be explained by one of these.
HOLD_PLUS = re.compile(r"Hold for (\d+)\+ seconds")
HOLD_RANGE = re.compile(r"for (\d+)-(\d+) seconds")
SETS_RANGE = re.compile(r"for (\d+)-(\d+) sets")
SETS_UP_TO = re.compile(r"for up to (\d+) sets")
REPS_RANGE = re.compile(r"(\d+)-(\d+) (?:repetitions|times)")
REPS_FIXED = re.compile(r"Repeat (\d+) times")


def numbers_in(sentence: str) -> list[str]:
    return re.findall(r"\d+", sentence)


def test_every_exercise_quotes_a_dose_sentence() -> None:
    for ex in default_library().exercises.values():
        assert ex.dose.article_text.strip(), ex.id


@pytest.mark.parametrize("ex_id", IDS)
def test_dose_sentence_is_verbatim_in_the_article(ex_id: str, article: str) -> None:
    ex = default_library().get(ex_id)
    assert squash(ex.dose.article_text) in article
    assert squash(ex.article.quote) in article


@pytest.mark.parametrize("ex_id", IDS)
def test_structured_dose_agrees_with_the_sentence(ex_id: str) -> None:
    ex = default_library().get(ex_id)
    text, dose, lim = ex.dose.article_text, ex.dose, ex.limits
    explained: list[str] = []
    if m := HOLD_PLUS.search(text):
        low = int(m.group(1))
        assert dose.hold_s == low, "stretches start at the article's own minimum hold (C-8)"
        assert lim.hold_s is not None and lim.hold_s[1] >= low
        explained += [m.group(1)]
    if m := HOLD_RANGE.search(text):
        low, high = int(m.group(1)), int(m.group(2))
        assert dose.hold_s == low
        assert lim.hold_s == (low, high)
        explained += [m.group(1), m.group(2)]
    if m := SETS_RANGE.search(text):
        low, high = int(m.group(1)), int(m.group(2))
        assert dose.sets == low
        assert lim.sets is not None and lim.sets[1] == high
        explained += [m.group(1), m.group(2)]
    if m := SETS_UP_TO.search(text):
        high = int(m.group(1))
        assert dose.sets == 2, "strength starts at 2 sets (C-8)"
        assert lim.sets is not None and lim.sets[1] == high
        explained += [m.group(1)]
    if m := REPS_RANGE.search(text):
        low, high = int(m.group(1)), int(m.group(2))
        assert dose.reps == low, "strength starts at the article's lowest reps (C-8)"
        assert lim.reps is not None and lim.reps[1] == high
        explained += [m.group(1), m.group(2)]
    if m := REPS_FIXED.search(text):
        assert dose.reps == int(m.group(1))
        assert lim.reps is not None and lim.reps[1] == int(m.group(1))
        explained += [m.group(1)]
    assert sorted(numbers_in(text)) == sorted(explained), f"unexplained numbers in {text!r}"
    if not explained:
        check_rule_defaults(ex)


def check_rule_defaults(ex: Exercise) -> None:
    """No number in the article: the dose is RULES §3.2 / D-4 (aerobic 10 min, steps of a fifth to 30; holds +10 s to 60)."""
    if ex.category == Category.AEROBIC:
        assert ex.dose.minutes == 10
        # v2 (C-8): + floor(20 %), at least 1, to 30 (the engine owner's ladder; issue 8).
        assert [(r.change, r.by, r.until) for r in ex.progression] == [("minutes", 1, 30)]
    elif ex.dose.hold_s is not None:
        assert ex.dose.sets == 2 and 10 <= ex.dose.hold_s <= 30
        assert ex.progression[0].change == "hold_s" and ex.progression[0].until == 60
    else:
        assert (ex.dose.sets, ex.dose.reps) == (2, 10)
        assert ex.limits.reps is not None and ex.limits.reps[1] <= 15


def test_seated_leg_raise_holds_an_extra_second(article: str) -> None:
    assert "Hold for an extra second with the knee straight" in article
    assert default_library().get("seated-straight-leg-raise").dose.hold_s == 1


def test_step_up_height_ladder_then_carried_load() -> None:
    ex = default_library().get("step-up")
    assert ex.dose.step_cm == 10
    rungs = [(r.change, r.by, r.until) for r in ex.progression]
    assert rungs.index(("step_cm", 5, 25)) < rungs.index(("load_kg", 1, 2))


def test_lunges_and_squats_are_later_and_never_deep() -> None:
    lib = default_library()
    for ex_id in ("lunge", "squat"):
        ex = lib.get(ex_id)
        assert ex.role.value == "later"
        assert "when you can tolerate them safely" in ex.dose.article_text
        words = " ".join((*ex.steps, *ex.cues, *ex.stop_rules)).lower()
        assert "never" in words and "deep" in words
        assert {r.change for r in ex.progression} <= {"reps", "sets"}, "no load or depth ladder"


def test_every_avoid_bullet_is_in_the_data(article: str) -> None:
    raw = ARTICLE.read_text(encoding="utf-8")
    section = raw.split("Exercises to consider avoiding include:")[1].split("If you")[0]
    bullets = [squash(line.split("•", 1)[1]) for line in section.splitlines() if "•" in line]
    # v2 (D-11): profile-only entries (fall risk) quote the walking paragraph, not the avoid list.
    quotes = [squash(a.article_quote) for a in default_library().avoid if a.profile is None]
    assert len(bullets) == 6
    assert sorted(quotes) == sorted(bullets)
    ids = {a.id for a in default_library().avoid if a.profile is None}
    assert ids == {
        "high-impact", "pivoting-sports", "deep-squats-lunges", "knee-collapsing-inward",
        "repetitive-overuse", "painful-exercise",
    }  # fmt: skip


def test_guidance_quotes_are_verbatim(article: str) -> None:
    guidance = default_library().guidance
    for g in guidance.values():
        assert squash(g.article_quote) in article, g.id
    assert guidance["ice-heat"].article_quote == (
        "If you’re having trouble tolerating stretches, you can also try ice or heat treatment "
        "before and after your home program."
    )
    see = guidance["see-professional"]
    assert "aren’t getting better after a week or two" in see.article_quote
    assert "medical professional as soon as possible" in see.article_quote
    assert "physical therapy" in guidance["physical-therapy"].article_quote
    assert {"start-small", "warm-up", "aerobic", "yoga", "core", "trouble-tolerating"} <= set(
        guidance
    )


# Every exercise the article names, and where it lives in the library.
NAMED = {
    "Inner Thigh Stretch": "inner-thigh-stretch",
    "Supine Hamstring Stretch": "supine-hamstring-stretch",
    "Side Lunge Stretch": "side-lunge-stretch",
    "Seated Butterfly Stretch": "seated-butterfly-stretch",
    "Seated Straight Leg Raise": "seated-straight-leg-raise",
    "Bridge": "bridge",
    "Lateral Leg Raise": "side-lying-leg-raise",
    "Step Ups": "step-up",
    "Double Knee to Chest": "double-knee-to-chest",
    "Stationary Cardio": "stationary-cardio",
    "aqua jogging": "pool-exercise",
    "Regular walking": "walking",
    "child’s pose": "childs-pose",
    "cat-cow": "cat-cow",
    "soccer ball": "bridge-ball-squeeze",
    "working the bottom leg": "side-lying-inner-thigh-raise",
    "one leg at a time": "single-knee-to-chest",
    "single leg balance": "single-leg-balance",
    "planks": "plank",
    "bicycle crunches": "bicycle-crunch",
    "lunges": "lunge",
    "squats when you can tolerate them": "squat",
}


@pytest.mark.parametrize(("phrase", "ex_id"), sorted(NAMED.items()))
def test_everything_the_article_names_is_in_the_library(
    phrase: str, ex_id: str, article: str
) -> None:
    assert phrase in article
    assert ex_id in default_library().exercises


def test_stationary_cardio_and_pool_options_match_the_article() -> None:
    lib = default_library()
    cardio = {o.id: o.needs for o in lib.get("stationary-cardio").options}
    assert cardio == {
        "upright_bike": "stationary_bike", "recumbent_bike": "stationary_bike",
        "elliptical": "elliptical", "rower": "rower", "seated_home": None,
    }  # fmt: skip
    pool = {o.id: o.needs for o in lib.get("pool-exercise").options}
    # v2 (issue 8): the article's "knee specific strengthening exercises into your water workout".
    assert pool == {
        "laps": "pool", "aqua_jogging": "pool", "water_aerobics": "pool", "water_strength": "pool",
    }  # fmt: skip
    assert lib.get("pool-exercise").options[-1].steps, "the water strengthening is described"
    seated = next(o for o in lib.get("stationary-cardio").options if o.id == "seated_home")
    assert seated.start_position and len(seated.steps) >= 3, (
        "the seated home movements are described"
    )
