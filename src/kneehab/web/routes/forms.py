"""Reading HTML forms into plain dicts for the domain models (the models do all validation)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import FormData

MAX_FORM_FIELDS = 200


async def read_form(request: Request) -> FormData:
    return await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormData, name: str) -> str | None:
    """A field's text, or None when it was left empty (so the model reports it as missing)."""
    return text(form, name) or None


def many(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str) and v]


def ticked(form: FormData, name: str) -> bool:
    return text(form, name) in ("yes", "on", "true", "1")


def kept_values(form: FormData, multi: tuple[str, ...] = ()) -> dict[str, Any]:
    """What the person typed, to show again beside an error (nothing they entered is lost)."""
    out: dict[str, Any] = {}
    for key in form:
        out[key] = many(form, key) if key in multi else text(form, key)
    return out


def present(data: dict[str, Any]) -> dict[str, Any]:
    """Leave out empty answers, so the model reports them as 'is required' (or uses its default)."""
    return {k: v for k, v in data.items() if v is not None}
