"""Morning check-in → what changed and why. Pages and JSON twins."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from kneehab import services
from kneehab.domain.progression import Action
from kneehab.domain.records import CheckIn
from kneehab.errors import InvalidInput
from kneehab.services.acting import Acting
from kneehab.web.deps import Clocked, Person, State
from kneehab.web.errors import FormError, invalid, stopped_page
from kneehab.web.render import page
from kneehab.web.routes.common import load_course, require_program
from kneehab.web.routes.forms import (
    SubmittedForm,
    kept_values,
    many,
    present,
    text,
    ticked,
)
from kneehab.web.viewmodels.checkin import (
    ChangesView,
    CheckInFormView,
    PhysioChange,
    RulesNote,
    changes_view,
    checkin_form_view,
    recorded_change,
)
from kneehab.web.viewmodels.common import banner
from kneehab.web.viewmodels.start import StopView, stop_view

router = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["check-in"])
TITLE = "Morning check-in"


def start_of(state: State, person: Acting, clock: Clocked) -> date:
    return services.history_head_of(state.db, person, today=clock.today).start


def open_days(state: State, person: Acting, clock: Clocked) -> list[date]:
    """The mornings that may be checked in now (issue 9 §3): today, and yesterday when the course had
    started by then; each only while it has no check-in."""
    done = {c.date for c in services.history(state.db, person).checkins}
    start = start_of(state, person, clock)
    yesterday = clock.today - timedelta(days=1)
    wanted = [clock.today] + ([yesterday] if start <= yesterday else [])
    return [d for d in wanted if d not in done]


def form_vm(
    state: State,
    person: Acting,
    clock: Clocked,
    values: dict[str, Any] | None = None,
    day: date | None = None,
) -> CheckInFormView:
    require_program(load_course(state, person, clock))
    days = open_days(state, person, clock)
    done = clock.today not in days
    if day is not None and day not in days:
        day = None
    return checkin_form_view(clock.today, already_done=done, values=values, open_days=days, day=day)


def _check_date(state: State, person: Acting, clock: Clocked, day: date) -> None:
    """A check-in is for a morning of the course: not after today (the service says so), not before the
    program started. A morning before today also needs the program (a withheld or locked one: 409)."""
    start = start_of(state, person, clock)
    if day < start:
        raise InvalidInput(
            f"date: {day.isoformat()} is before your program started ({start.isoformat()})"
        )
    if day < clock.today:
        require_program(load_course(state, person, clock))


def changes(state: State, person: Acting, clock: Clocked, day: date, *, p1: bool) -> ChangesView:
    course = load_course(state, person, clock)
    program = require_program(course)
    # Only the versions this page can show (no program decoded): a year's course has ~150.
    updates = services.program_changes(state.db, person, kind=services.RULES_V2_KIND)
    floor = max((v.effective for v in updates), default=None)
    recorded = None
    if floor is not None and day < floor:  # ADR 0004: what was shown then stays as recorded
        recorded = [
            recorded_change(
                v.exercise_id, v.kind, v.from_dose, v.to_dose, v.reason, v.rules, state.library
            )
            for v in services.program_changes(state.db, person, effective=day)
            if v.exercise_id is not None
        ]
    note = next(
        (RulesNote(text=v.reason, rules=list(v.rules)) for v in updates if v.effective == day),
        None,
    )
    holds = [d for d in course.decisions if d.date == day and d.action == Action.HOLD]
    held_rules = tuple(dict.fromkeys(r for d in holds for r in d.rules)) or ("D-2",)
    vm = changes_view(
        day,
        list(course.decisions),
        state.library,
        banner=banner(course.escalation),
        rescreen_needed=p1,
        progression_held=program.progression_held,
        held_rules=held_rules,
        recorded=recorded,
        rules_update=note,
    )
    physio = [
        PhysioChange(text=v.reason, rules=list(v.rules))
        for v in course.versions
        if v.kind == "clinician" and v.date == day
    ]
    if physio and not vm.changes:
        vm = vm.model_copy(update={"summary": "Your physical therapist changed your program."})
    return vm.model_copy(update={"by_physio": physio})


class CheckInOutcome(BaseModel):
    stop: StopView | None  # a red flag in the new symptoms: nothing to click past
    changes: ChangesView | None


def _record(state: State, person: Acting, clock: Clocked, checkin: CheckIn) -> CheckInOutcome:
    _check_date(state, person, clock, checkin.date)
    result = services.check_in(
        state.db, person, checkin, today=clock.today, now=clock.now, library=state.library
    )
    stop = stop_view(result.triage)
    if stop is not None:
        return CheckInOutcome(stop=stop, changes=None)
    p1 = "P1" in result.triage.rules
    return CheckInOutcome(stop=None, changes=changes(state, person, clock, checkin.date, p1=p1))


@router.get("/checkin", response_class=HTMLResponse, include_in_schema=False)
def checkin_page(
    request: Request, state: State, person: Person, clock: Clocked, day: date | None = None
) -> HTMLResponse:
    return page(request, "checkin.html", form_vm(state, person, clock, day=day), title=TITLE)


def _form_day(form: Any, today: date) -> date | str:
    """The morning chosen on the form (today when none is given)."""
    return text(form, "date") or today


@router.post("/checkin", include_in_schema=False)
def checkin_submit(
    request: Request, state: State, person: Person, clock: Clocked, form: SubmittedForm
) -> Response:
    values = kept_values(form, ("new_symptoms",))
    require_program(load_course(state, person, clock))
    days = open_days(state, person, clock)
    chosen = _form_day(form, clock.today)
    try:
        if isinstance(chosen, str):
            chosen = date.fromisoformat(chosen)
        if chosen not in days:
            if chosen in (clock.today, clock.today - timedelta(days=1)) and chosen >= start_of(
                state, person, clock
            ):
                raise InvalidInput(f"date: a check-in for {chosen.isoformat()} is already recorded")
            raise InvalidInput(
                f"date: {chosen.isoformat()} cannot be checked in now; "
                f"allowed: {', '.join(d.isoformat() for d in days) or 'none'}"
            )
    except (ValueError, InvalidInput) as err:
        bad = err if isinstance(err, InvalidInput) else InvalidInput(f"date: {err}")
        vm = form_vm(state, person, clock, values)
        raise FormError(
            str(bad), problems=bad.problems, template="checkin.html", vm=vm, title=TITLE
        ) from None
    try:
        checkin = CheckIn.model_validate(
            present(
                {
                    "date": chosen,
                    "morning_pain": text(form, "morning_pain") or None,
                    "morning_stiffness": text(form, "morning_stiffness") or None,
                    "avg_pain": text(form, "avg_pain") or None,
                    "new_symptoms": many(form, "new_symptoms"),
                    "chest_symptoms": ticked(form, "chest_symptoms"),
                }
            )
        )
    except ValidationError as err:
        bad = invalid(err)
        vm = form_vm(state, person, clock, values, day=chosen)
        raise FormError(
            str(bad), problems=bad.problems, template="checkin.html", vm=vm, title=TITLE
        ) from None
    outcome = _record(state, person, clock, checkin)
    if outcome.stop is not None:  # locked from today; My data stays in reach (issue 9 §3)
        return stopped_page(request, outcome.stop)
    assert outcome.changes is not None
    if outcome.changes.rescreen_needed:
        return page(request, "changes.html", outcome.changes, title="What changed and why")
    return RedirectResponse(f"/checkin/changes?day={checkin.date.isoformat()}", status_code=303)


@router.get("/checkin/changes", response_class=HTMLResponse, include_in_schema=False)
def changes_page(
    request: Request, state: State, person: Person, clock: Clocked, day: date | None = None
) -> HTMLResponse:
    vm = changes(state, person, clock, day or clock.today, p1=False)
    return page(request, "changes.html", vm, title="What changed and why")


@api.get("/checkin", response_model=CheckInFormView, summary="The morning check-in form")
def checkin_api(state: State, person: Person, clock: Clocked) -> CheckInFormView:
    return form_vm(state, person, clock)


@api.post("/checkins", response_model=CheckInOutcome, status_code=201, summary="Check in")
def checkin_post_api(
    checkin: CheckIn, state: State, person: Person, clock: Clocked
) -> CheckInOutcome:
    return _record(state, person, clock, checkin)


@api.get("/changes", response_model=ChangesView, summary="What changed on a day, and why")
def changes_api(
    state: State, person: Person, clock: Clocked, day: date | None = Query(default=None)
) -> ChangesView:
    return changes(state, person, clock, day or clock.today, p1=False)
