"""'Stop — it hurts' (RULES P1): how a stopped exercise is kept, and which stops end the day's session.

A stop is kept as that day's entry of the exercise, marked in `skip_reason`; the session engine (P1)
reads its pain and sharp flag like any other performance.
"""

from __future__ import annotations

from kneehab.domain.progression import PAIN_STOP
from kneehab.domain.records import SessionEntry

# The words every entry saved by "Stop — it hurts" starts its `skip_reason` with (new symptoms follow).
STOP_REASON = "stopped: it hurt"
SYMPTOMS_MARK = "; new symptoms: "


def is_stop(entry: SessionEntry) -> bool:
    return entry.skip_reason.startswith(STOP_REASON)


def stops_the_day(entry: SessionEntry) -> bool:
    """A stop that ends today's session (RULES P1: pain 8 or more, sharp or catching pain; or a new
    symptom reported with it); any other stop leaves only that exercise for today (D-1)."""
    return is_stop(entry) and (
        entry.pain_during_max >= PAIN_STOP or entry.sharp_pain or SYMPTOMS_MARK in entry.skip_reason
    )
