"""Turn pydantic validation errors into one stable, human message that names the field and what is allowed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _where(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def describe_errors(errors: Sequence[Any]) -> list[str]:
    """One line per problem: `field: what is wrong (allowed: ...)`."""
    lines: list[str] = []
    for err in errors:
        loc = _where(err.get("loc", ()))
        kind = err.get("type", "")
        ctx = err.get("ctx") or {}
        msg = str(err.get("msg", "is not valid"))
        if kind == "missing":
            text = "is required"
        elif kind == "extra_forbidden":
            text = "is not a known field"
        elif kind in ("literal_error", "enum"):
            expected = ctx.get("expected", "")
            text = f"got {err.get('input')!r}; allowed: {expected}"
        elif (
            kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than")
            or kind.startswith("int_")
            or kind.startswith("float_")
            or kind.startswith("bool_")
        ):
            text = f"got {err.get('input')!r}; {msg.lower()}"
        else:
            text = msg[0].lower() + msg[1:] if msg else "is not valid"
            if text.startswith("value error, "):
                text = text[len("value error, ") :]
        lines.append(f"{loc}: {text}")
    return lines
