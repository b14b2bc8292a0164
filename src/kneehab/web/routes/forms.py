"""Reading HTML forms into plain dicts for the domain models (the models do all validation)."""

from __future__ import annotations

from typing import Annotated, Any

from annotated_types import Ge, Le
from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from kneehab.domain.records import SessionEntry
from kneehab.domain.validation import describe_errors
from kneehab.web.auth import MAX_FORM_FIELDS  # one limit, read by the CSRF check first
from kneehab.web.errors import FieldProblem, field_problem, plain_problems


async def read_form(request: Request) -> FormData:
    return await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)


# A form read on the event loop as a dependency, so that a form's route can be a plain `def`: FastAPI
# runs it on the thread pool, where its reads and writes may wait for the database (a person's row
# lock, SQLite's writers' turn) without stalling the worker's other requests.
SubmittedForm = Annotated[FormData, Depends(read_form)]


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def password(form: FormData, name: str = "password") -> str:
    """A password field exactly as typed (never stripped: spaces may be part of it)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


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


def limits(model: type[BaseModel], name: str) -> tuple[float | None, float | None]:
    """A field's lower and upper limits as the model declares them (the model stays the only judge)."""
    info = model.model_fields[name]
    low = next((m.ge for m in info.metadata if isinstance(m, Ge)), None)
    high = next((m.le for m in info.metadata if isinstance(m, Le)), None)
    return (low, high)  # type: ignore[return-value]


def _span(model: type[BaseModel], name: str) -> str:
    low, high = limits(model, name)
    return f"from {low:g} to {high:g}" if low is not None and high is not None else ""


# The record form's questions in plain words (issue 9 §2): what to give, next to the field.
_RECORD_WORDS: dict[str, str] = {
    "sets_done": "Enter how many sets you did, as a whole number {span}.",
    "minutes": "Enter how many minutes you did, as a whole number {span}.",
    "pain_during_max": "Choose the most knee pain you felt during it, {span}.",
    "effort": "Choose how hard it was.",
}


def record_form_problems(err: ValidationError) -> list[FieldProblem]:
    """A session entry's mistakes on the record form, each in plain words beside its field; the machine
    line (`field: what is wrong`) is kept for integrators. A mistake of a field the form does not show
    keeps the general words."""
    out: list[FieldProblem] = []
    for e in err.errors():
        line = describe_errors([e])[0]
        name = str(e["loc"][0]) if e.get("loc") else ""
        words = _RECORD_WORDS.get(name)
        if words is None:
            out.extend(plain_problems([line]))
            continue
        out.append(field_problem(name, line, words.format(span=_span(SessionEntry, name))))
    return out
