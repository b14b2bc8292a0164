"""RULES D-9 as a table: what is open for a person on 3/20 → their tier on the caseload, and how
people in one tier are ordered (the oldest open item first, then by name). The engine's `attention`
reads these facts from a replayed course (EX-40 replays whole courses)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kneehab.domain.caseload import Facts, attention, flags, order
from kneehab.domain.escalation import EscalationLevel as L

TODAY = dt.date(2025, 3, 20)
START = dt.date(2025, 3, 1)


def d(day: int) -> dt.date:
    return dt.date(2025, 3, day)


def facts(**open_: Any) -> Facts:
    base: dict[str, Any] = {
        "today": TODAY, "locked_since": None, "escalation_level": L.NONE, "escalation_rules": (),
        "stops_since_review": (), "waiting_since": (), "last_activity": d(19), "start": START,
        "review_on": d(28), "ceiling_flag": False, "adherence": 0.9,
    }  # fmt: skip
    return Facts(**{**base, **open_})


# what is open                                            → tier, rule ids, flag keys
TABLE: list[tuple[str, dict[str, Any], int, tuple[str, ...], tuple[str, ...]]] = [
    ("an urgent lock (calf swelling, RF07)", {"locked_since": d(18), "escalation_level": L.URGENT, "escalation_rules": ("E1", "RF07")}, 1, ("E1", "RF07"), ("lock",)),
    ("a lock names E1 and its red flag, not E10 or E12", {"locked_since": d(18), "escalation_level": L.URGENT, "escalation_rules": ("E1", "E10", "E12", "RF07")}, 1, ("E1", "RF07"), ("lock", "warning")),
    ("an emergency escalation with no lock yet", {"escalation_level": L.EMERGENCY, "escalation_rules": ("E1",)}, 1, ("E1",), ("lock",)),
    ("a P1 stop since the last review", {"stops_since_review": (d(17),)}, 2, ("P1", "P10", "P13"), ("stop",)),
    ("an exercise paused waiting for a clinician (P13)", {"waiting_since": (d(12),)}, 2, ("P1", "P10", "P13"), ("waiting",)),
    ("an unacknowledged E2", {"escalation_level": L.SOON, "escalation_rules": ("E2",)}, 3, ("E2",), ("warning",)),
    ("a soon triage awaiting review (D-2)", {"escalation_level": L.SOON, "escalation_rules": ("D-2",)}, 3, ("D-2",), ("soon",)),
    ("low adherence (E9, C-12)", {"escalation_level": L.MESSAGE, "escalation_rules": ("E9",), "adherence": 0.3}, 4, ("E9", "C-12"), ("adherence",)),
    ("nothing recorded for 7 days", {"last_activity": d(13)}, 4, ("D-9",), ("quiet",)),
    ("the review date reached", {"review_on": d(20)}, 5, ("D-1", "D-9"), ("review",)),
    ("a pain limit above 5 not acknowledged", {"ceiling_flag": True}, 5, ("D-1", "D-9"), ("ceiling",)),
    ("nothing open", {}, 6, (), ()),
]  # fmt: skip


@pytest.mark.parametrize(("case", "open_", "tier", "why", "keys"), TABLE, ids=[r[0] for r in TABLE])
def test_d9_tier(case: str, open_: dict[str, Any], tier: int, why: tuple[str, ...], keys: tuple[str, ...]) -> None:  # fmt: skip
    f = facts(**open_)
    found = attention("P", **f.model_dump(exclude={"adherence"}))
    assert (found.tier, found.why) == (tier, why), case
    assert flags(f) == keys


def test_the_highest_tier_wins_and_every_open_item_is_a_flag() -> None:
    f = facts(locked_since=d(18), escalation_level=L.URGENT, escalation_rules=("E1", "E2"),
              stops_since_review=(d(15),), review_on=d(19))  # fmt: skip
    assert attention("P", **f.model_dump(exclude={"adherence"})).tier == 1
    assert flags(f) == ("lock", "stop", "warning", "review")


# name, open items, since → the caseload order
ORDER = [
    ("Zoe", {"stops_since_review": (d(18),)}),
    ("Adam", {"stops_since_review": (d(18),)}),
    ("Bea", {"stops_since_review": (d(11),)}),
    ("Carl", {"locked_since": d(19), "escalation_level": L.URGENT, "escalation_rules": ("E1",)}),
    ("Dina", {}),
    ("Eli", {"review_on": d(15)}),
]


def test_d9_order_tier_then_oldest_then_name() -> None:
    people = [attention(n, **facts(**o).model_dump(exclude={"adherence"})) for n, o in ORDER]
    assert [a.name for a in order(people)] == ["Carl", "Bea", "Adam", "Zoe", "Eli", "Dina"]
