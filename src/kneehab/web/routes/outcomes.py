"""Outcome measures (RULES D-3, §6): record PSFS, the 30 s chair stand and the 40 m fast walk.

Every value is checked before anything is saved; a mistake is a 422 naming its field and nothing is kept.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError

from kneehab import services
from kneehab.domain.records import OutcomeRecord, PsfsActivity
from kneehab.domain.validation import describe_errors
from kneehab.errors import InvalidInput
from kneehab.services.acting import Acting
from kneehab.web.deps import Clocked, Person, State
from kneehab.web.errors import FormError
from kneehab.web.render import page
from kneehab.web.routes.common import load_course, require_program
from kneehab.web.routes.forms import SubmittedForm, kept_values, text
from kneehab.web.viewmodels.outcomes import PSFS_ROWS, OutcomeFormView, Saved, outcome_form_view

router = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["outcomes"])
TITLE = "Tests of how your knee is doing"


class OutcomesIn(BaseModel):
    """One sitting: any of PSFS (1–5 activities, each 0–10), chair stands in 30 s, 40 m walk seconds."""

    psfs: list[PsfsActivity] = Field(default_factory=list, max_length=5)
    chair_stand_30s: float | None = None
    walk_40m: float | None = Field(default=None, description="seconds for 40 m")


def _measure(field: str, data: dict[str, object]) -> tuple[OutcomeRecord | None, list[str]]:
    """Build one record; problems are renamed to the field the person filled in."""
    try:
        return OutcomeRecord.model_validate(data), []
    except ValidationError as err:
        out = []
        for line in describe_errors(err.errors()):
            what = line.split(": ", 1)[1] if ": " in line else line
            what = what.removeprefix("value: ")
            out.append(f"{field}: {what}")
        return None, out


def _records(state: State, person: Acting, clock: Clocked, body: OutcomesIn) -> list[OutcomeRecord]:
    day = clock.today.isoformat()
    records: list[OutcomeRecord] = []
    problems: list[str] = []
    wanted: list[tuple[str, dict[str, object]]] = []
    if body.psfs:
        wanted.append(("psfs", {"date": day, "measure": "psfs", "activities": body.psfs}))
    for field in ("chair_stand_30s", "walk_40m"):
        value = getattr(body, field)
        if value is not None:
            wanted.append((field, {"date": day, "measure": field, "value": value}))
    if not wanted:
        raise InvalidInput(
            "psfs: fill in at least one test (PSFS, chair stands or the 40 m walk)",
            problems=["psfs: fill in at least one test (PSFS, chair stands or the 40 m walk)"],
        )
    for field, data in wanted:
        record, bad = _measure(field, data)
        problems += bad
        if record is not None:
            records.append(record)
    if problems:
        raise InvalidInput(problems[0], problems=problems)
    return records


def _save(state: State, person: Acting, clock: Clocked, body: OutcomesIn) -> Saved:
    require_program(load_course(state, person, clock))
    records = _records(state, person, clock, body)
    ids = services.record_outcomes(state.db, person, records, today=clock.today, now=clock.now)
    return Saved(ids=ids, measures=[r.measure for r in records])


def _form_vm(
    state: State, person: Acting, clock: Clocked, values: dict[str, object] | None = None
) -> OutcomeFormView:
    records = list(services.history(state.db, person).outcomes)
    goals = services.history_head_of(state.db, person, today=clock.today).intake.goals
    return outcome_form_view(clock.today, records, values, goals)


@router.get("/outcomes", response_class=HTMLResponse, include_in_schema=False)
def outcomes_page(request: Request, state: State, person: Person, clock: Clocked) -> HTMLResponse:
    require_program(load_course(state, person, clock))
    return page(request, "outcomes.html", _form_vm(state, person, clock), title=TITLE)


@router.post("/outcomes", response_class=HTMLResponse, include_in_schema=False)
def outcomes_submit(
    request: Request, state: State, person: Person, clock: Clocked, form: SubmittedForm
) -> Response:
    values = kept_values(form)
    psfs: list[PsfsActivity] = []
    problems: list[str] = []
    offered = [r.activity for r in _form_vm(state, person, clock).psfs_rows]
    for n in range(1, PSFS_ROWS + 1):
        activity, score = text(form, f"psfs_activity_{n}"), text(form, f"psfs_score_{n}")
        if not score and activity == offered[n - 1]:
            continue  # an activity filled in for the person (last time's, or a goal), not rated now
        if not activity and not score:
            continue
        row: dict[str, object] = {"activity": activity} if activity else {}
        if score:
            row["score"] = score
        try:
            psfs.append(PsfsActivity.model_validate(row))
        except ValidationError as err:
            for line in describe_errors(err.errors()):
                field, _, what = line.partition(": ")
                problems.append(f"psfs_{field}_{n}: {what}")
    numbers: dict[str, object] = {}
    for field in ("chair_stand_30s", "walk_40m"):
        raw = text(form, field)
        if raw:
            try:
                numbers[field] = float(raw)
            except ValueError:
                problems.append(f"{field}: got {raw!r}; please enter a number")
    try:
        if problems:
            raise InvalidInput(problems[0], problems=problems)
        saved = _save(state, person, clock, OutcomesIn(psfs=psfs, **numbers))
    except InvalidInput as err:
        vm = _form_vm(state, person, clock, values)
        bad = list(getattr(err, "problems", [str(err)]))
        raise FormError(
            str(err), problems=bad, template="outcomes.html", vm=vm, title=TITLE
        ) from None
    return RedirectResponse(saved.next_url, status_code=303)


@api.get("/outcomes", response_model=OutcomeFormView, summary="The outcome-measures form")
def outcomes_api(state: State, person: Person, clock: Clocked) -> OutcomeFormView:
    require_program(load_course(state, person, clock))
    return _form_vm(state, person, clock)


@api.post(
    "/outcomes",
    response_model=Saved,
    status_code=201,
    summary="Record PSFS / chair stand / 40 m walk",
)
def outcomes_save_api(body: OutcomesIn, state: State, person: Person, clock: Clocked) -> Saved:
    return _save(state, person, clock, body)
