"""Escalation ("see a professional", RULES §5).

Measures per §5.2 (C-11, C-12) and triggers E1–E11 per §5.3 (C-10).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from kneehab.domain.types import Frozen


class EscalationLevel(StrEnum):
    NONE = "none"
    MESSAGE = "message"  # E9–E11: a note to the person and their physio, not a clinical escalation
    SOON = "soon"
    URGENT = "urgent"
    EMERGENCY = "emergency"


ESCALATION_ORDER: dict[EscalationLevel, int] = {lvl: i for i, lvl in enumerate(EscalationLevel)}


class Escalation(Frozen):
    """As of `date`: the highest level of the rules that fired (C-10) and what to do."""

    date: dt.date
    level: EscalationLevel
    rules: tuple[str, ...]
    message: str
    meanwhile: str
    reasons: tuple[str, ...] = ()  # one plain sentence per rule that fired

    def as_json(self) -> dict[str, object]:
        return {
            "date": self.date.isoformat(),
            "level": self.level.value,
            "rules": list(self.rules),
            "message": self.message,
            "meanwhile": self.meanwhile,
            "reasons": list(self.reasons),
        }
