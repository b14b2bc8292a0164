"""Today: the guided session, saving each exercise as it is done, and 'Stop — it hurts'."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError

from kneehab import services
from kneehab.domain.program import ProgramItem
from kneehab.domain.records import SessionEntry, Symptom
from kneehab.domain.stops import STOP_REASON, SYMPTOMS_MARK
from kneehab.domain.types import PainScore
from kneehab.errors import InvalidInput, NotFound
from kneehab.services import notes
from kneehab.services.acting import Acting
from kneehab.web.deps import Clocked, OwnReading, OwnVersion, Person, State
from kneehab.web.errors import CHECK_URLS, RESCREEN_URLS, FormError, invalid
from kneehab.web.kept_views import TODAY_BYTES, RecordVersion
from kneehab.web.render import page
from kneehab.web.routes.common import (
    kept_json,
    kept_view,
    load_course,
    require_program,
    require_session_check,
)
from kneehab.web.routes.forms import (
    SubmittedForm,
    kept_values,
    many,
    present,
    record_form_problems,
    text,
    ticked,
)
from kneehab.web.viewmodels.common import banner
from kneehab.web.viewmodels.start import StopView, stop_view
from kneehab.web.viewmodels.today import (
    DONE_FIELDS,
    PhysioNote,
    RecordView,
    StopFormView,
    StopResultView,
    TodayView,
    record_view,
    stop_form_view,
    stop_result,
    today_view,
)

router = APIRouter()
api = APIRouter(prefix="/api/v1/today", tags=["today"])

MAX_STATE_BYTES = 20_000
# RULES §1.1 on the session's write endpoints (not on "Stop — it hurts": a pain report is always taken).
CHECK_FIRST = (
    "Needs today's safety check first (RULES §1.1): until it is answered with "
    f"`POST {CHECK_URLS[1]}` (and, after a yes, the full questions with `POST {RESCREEN_URLS[1]}`), "
    "this answers 409 with a message naming that endpoint and saves nothing; after a 'Stop — it "
    "hurts' that ended the day (RULES P1), it answers 409 too."
)
CHECK_DUE_409: dict[int | str, dict[str, object]] = {
    409: {
        "description": "Today's safety check is not answered or not cleared yet, or the program "
        "is withheld: `{detail, problems}`; nothing was saved."
    }
}


def physio_notes(state: State, person: Acting) -> list[PhysioNote]:
    return [
        PhysioNote(
            id=n.id,
            day=n.day,
            by=n.by or "your physical therapist",
            text=n.text,
            dismiss_url=f"/today/notes/{n.id}/dismiss",
        )
        for n in notes.open_notes(state.db, person)
    ]


def build(state: State, person: Acting, clock: Clocked) -> TodayView:
    course = load_course(state, person, clock)
    program = require_program(course)
    done = {
        r.entry.exercise_id: r.entry
        for r in services.entries_of_day(state.db, person, day=clock.today)
    }
    saved = services.load_player_state(state.db, person, day=clock.today)
    check = saved.pop(services.SESSION_CHECK_KEY, None) if saved else None
    vm = today_view(
        program,
        state.library,
        today=clock.today,
        entries=done,
        saved_state=saved or None,
        time_scale=state.settings.time_scale,
        figure=state.figures.url,
        banner=banner(course.escalation),
        check_due=check is None or not check.get("cleared", False),
    )
    vm.plan.camera = state.camera  # "Count with my camera" (issue 13) when the pose model is here
    vm.plan.camera_test = state.settings.camera_test_mode
    return vm.model_copy(update={"notes": physio_notes(state, person)})


def _item(state: State, person: Acting, clock: Clocked, exercise_id: str) -> ProgramItem:
    program = require_program(load_course(state, person, clock))
    item = program.item(exercise_id)
    if item is None:
        names = ", ".join(i.exercise_id for i in program.items)
        raise InvalidInput(f"exercise_id: '{exercise_id}' is not in your program; allowed: {names}")
    return item


def kept_build(
    state: State, person: Acting, clock: Clocked, version: RecordVersion | None
) -> TodayView:
    return kept_view(
        state, person, clock, version, "today", lambda: build(state, person, clock), TODAY_BYTES
    )


@router.get("/today", response_class=HTMLResponse, include_in_schema=False)
def today_page(
    request: Request, state: State, person: Person, clock: Clocked, version: OwnVersion
) -> Response:
    vm = kept_build(state, person, clock, version)
    if vm.check_due and vm.stopped is None:  # stopped for today: nothing to check before
        # RULES §1.1: the short safety questions first, once a day; after a yes, the full set.
        answered = services.session_check(state.db, person, day=clock.today) is not None
        return RedirectResponse("/rescreen" if answered else vm.check_url, status_code=303)
    return page(request, "today.html", vm, title="Today")


@api.get("", response_model=TodayView, summary="Today's session (player plan and saved state)")
async def today_api(own: OwnReading) -> Response:
    state, person, clock, version = own.state, own.person, own.clock, own.version
    return await kept_json(
        state, person, clock, version, "today", lambda: kept_build(state, person, clock, version)
    )


def _record_vm(
    state: State,
    person: Acting,
    clock: Clocked,
    exercise_id: str,
    values: dict[str, Any] | None = None,
) -> RecordView:
    vm = record_view(build(state, person, clock), exercise_id, values)
    if vm is None:
        raise NotFound(f"exercise_id: '{exercise_id}' is not in today's session")
    return vm


@router.get("/today/record/{exercise_id}", response_class=HTMLResponse, include_in_schema=False)
def record_page(
    exercise_id: str, request: Request, state: State, person: Person, clock: Clocked
) -> Response:
    require_session_check(state, person, clock)
    if build(state, person, clock).stopped is not None:  # stopped for today: Today says so
        return RedirectResponse("/today", status_code=303)
    vm = _record_vm(state, person, clock, exercise_id)
    return page(request, "today_record.html", vm, title=f"Record: {vm.item.card.name}")


class EntrySaved(BaseModel):
    exercise_id: str
    recorded: bool
    paused: bool  # C-13 flag `logged_while_paused`
    not_in_session: bool = False  # C-13 flag: a swap or an offered option, outside the session
    stop: bool  # P1: stop the session and answer the safety questions again
    message: str  # plain words; the rule ids are in `rules` (D-13)
    rules: list[str] = []
    next_url: str | None  # where to go now when the session must stop


def _save(state: State, person: Acting, clock: Clocked, entry: SessionEntry) -> EntrySaved:
    result = services.save_entry(
        state.db, person, day=clock.today, entry=entry, now=clock.now, today=clock.today,
        library=state.library,
    )  # fmt: skip
    return EntrySaved(
        exercise_id=result.exercise_id,
        recorded=True,
        paused=result.paused,
        not_in_session=result.not_in_session,
        stop=result.stop,
        message=result.message,
        rules=list(result.rules),
        next_url="/rescreen" if result.stop else None,
    )


@api.post(
    "/entries",
    response_model=EntrySaved,
    summary="Save (or correct) one exercise of today",
    description=CHECK_FIRST,
    responses=CHECK_DUE_409,
)
def entry_api(entry: SessionEntry, state: State, person: Person, clock: Clocked) -> EntrySaved:
    require_session_check(state, person, clock)
    return _save(state, person, clock, entry)


def _entry_from_form(item: ProgramItem, form: dict[str, Any]) -> dict[str, Any]:
    d = item.dose
    data: dict[str, Any] = {
        "exercise_id": item.exercise_id,
        "pain_during_max": form.get("pain_during_max") or None,
        "effort": form.get("effort") or None,
    }
    if d.minutes and not d.reps:
        minutes = form.get("minutes") or None
        data.update(sets_done=1 if minutes not in (None, "0") else 0, minutes=minutes)
    else:
        sets = form.get("sets_done") or None
        data["sets_done"] = sets
        if sets is not None and str(sets).isdigit():
            n = int(sets)
            if d.reps:
                data["reps"] = [d.reps] * n
            if d.hold_s:
                data["hold_s"] = [d.hold_s] * n
    if item.sides:
        data["side"] = "both" if len(item.sides) > 1 else item.sides[0]
    data["skipped"] = str(data.get("sets_done")) == "0"
    return data


@router.post("/today/entries", include_in_schema=False)
def entry_form(
    request: Request, state: State, person: Person, clock: Clocked, form: SubmittedForm
) -> Response:
    require_session_check(state, person, clock)
    item = _item(state, person, clock, text(form, "exercise_id"))
    values = kept_values(form)
    try:
        entry = SessionEntry.model_validate(present(_entry_from_form(item, values)))
    except ValidationError as err:
        problems = record_form_problems(err)  # each in plain words beside its field (issue 9 §2)
        raise FormError(
            problems[0].problem,
            problems=problems,  # FieldProblems: the handler keeps their own words
            template="today_record.html",
            vm=_record_vm(state, person, clock, item.exercise_id, values),
            title=f"Record: {item.name}",
        ) from None
    saved = _save(state, person, clock, entry)
    if saved.next_url:
        return RedirectResponse(saved.next_url, status_code=303)
    return RedirectResponse(f"/today#ex-{item.exercise_id}", status_code=303)


class PlayerState(BaseModel):
    state: dict[str, Any] = Field(
        description="The player's position and counts (opaque to the server)"
    )


@api.post(
    "/state",
    status_code=204,
    summary="Save where the session player is",
    description=CHECK_FIRST,
    responses=CHECK_DUE_409,
)
async def state_api(request: Request, state: State, person: Person, clock: Clocked) -> Response:
    raw = await request.body()
    # One hop to the thread pool: the check reads the course, and the save may wait for the write
    # lock; neither may hold the event loop. The refusals keep their order: the check first.
    await run_in_threadpool(_save_state, state, person, clock, raw)
    return Response(status_code=204)


def _save_state(state: State, person: Acting, clock: Clocked, raw: bytes) -> None:
    require_session_check(state, person, clock)
    if len(raw) > MAX_STATE_BYTES:
        raise InvalidInput(f"state: too large ({len(raw)} bytes); at most {MAX_STATE_BYTES}")
    try:
        body = PlayerState.model_validate_json(raw)
    except ValidationError as err:
        raise invalid(err) from None
    services.save_player_position(
        state.db, person, day=clock.today, state=body.state, now=clock.now
    )


# ---- Stop — it hurts ------------------------------------------------------------------------


def _stop_items(state: State, person: Acting, clock: Clocked) -> list[ProgramItem]:
    """The exercises the stop form offers: today's, and any already stopped today; on a day without a
    session, the whole program (a person may still hurt doing one)."""
    program = require_program(load_course(state, person, clock))
    today = program.items_on(clock.today)
    stopped = [
        program.item(r.entry.exercise_id)
        for r in services.entries_of_day(state.db, person, day=clock.today)
        if r.entry.skip_reason.startswith(STOP_REASON)
    ]
    items = today + [i for i in stopped if i is not None and i not in today]
    return items or list(program.items)


def _stop_vm(
    state: State,
    person: Acting,
    clock: Clocked,
    exercise_id: str,
    values: dict[str, Any] | None = None,
    done: dict[str, str] | None = None,
) -> StopFormView:
    return stop_form_view(_stop_items(state, person, clock), exercise_id, values, done)


@router.get("/today/stop", response_class=HTMLResponse, include_in_schema=False)
def stop_page(request: Request, state: State, person: Person, clock: Clocked) -> HTMLResponse:
    """Refresh, bookmark or a link from anywhere: the form, never an error. `exercise` (the player's)
    is chosen in advance when it is one of today's; what was done of it comes along unseen."""
    q = request.query_params
    done = {k: q.get(k, "") for k in DONE_FIELDS}
    done["done_for"] = q.get("exercise", "")
    vm = _stop_vm(state, person, clock, q.get("exercise", ""), done=done)
    return page(request, "stop_form.html", vm, title="Stop — it hurts")


def _counts(raw: str) -> list[int] | None:
    values = [v for v in raw.replace(" ", "").split(",") if v]
    if not values or not all(v.isdigit() for v in values):
        return None
    return [int(v) for v in values]


class StopReport(BaseModel):
    """'Stop — it hurts' (RULES P1, C-14): the exercise, pain now, sharp pain, new symptoms, and what
    was done of it (`sets_done` sets begun, with the `reps` or `hold_s` of each, or `minutes`)."""

    exercise_id: str
    pain_now: PainScore
    sharp_pain: bool = False
    symptoms: tuple[Symptom, ...] = ()
    chest_symptoms: bool = False
    sets_done: int = Field(default=0, ge=0, le=10)
    reps: tuple[Annotated[int, Field(ge=0, le=100)], ...] | None = None
    hold_s: tuple[Annotated[int, Field(ge=0, le=600)], ...] | None = None
    minutes: int | None = Field(default=None, ge=0, le=300)


class StopOutcome(BaseModel):
    result: StopResultView
    stop: StopView | None  # set when a red flag withholds the program (nothing to click past)


def _stop_entry(item: ProgramItem, report: StopReport, sharp: bool) -> SessionEntry:
    """What was done, as done: the sets begun with their counts (a stop after 2 of 10 reps is one set of
    2), never 'skipped' — the pain was felt doing it, so P1 and D-1 judge it (a skipped entry is not a
    performance)."""
    sets = report.sets_done
    reps = report.reps if report.reps is not None and len(report.reps) == sets else None
    hold = report.hold_s if report.hold_s is not None and len(report.hold_s) == sets else None
    symptoms: list[str] = [s for s in report.symptoms if s != "catching"]
    if report.chest_symptoms:
        symptoms.append("chest")
    return SessionEntry(
        exercise_id=item.exercise_id,
        sets_done=sets,
        reps=reps,  # per-set counts that do not match `sets_done` are not guessed at
        hold_s=hold,
        minutes=report.minutes or None,
        pain_during_max=report.pain_now,
        sharp_pain=sharp,
        skipped=False,
        skip_reason=STOP_REASON + (SYMPTOMS_MARK + ", ".join(symptoms) if symptoms else ""),
        side=("both" if len(item.sides) > 1 else item.sides[0]) if item.sides else None,
    )


def _handle_stop(state: State, person: Acting, clock: Clocked, report: StopReport) -> StopOutcome:
    item = _item(state, person, clock, report.exercise_id)
    sharp = report.sharp_pain or "catching" in report.symptoms
    entry = _stop_entry(item, report, sharp)
    saved = services.stop_exercise(
        state.db,
        person,
        entry=entry,
        symptoms=list(report.symptoms),
        chest_symptoms=report.chest_symptoms,
        day=clock.today,
        now=clock.now,
        library=state.library,
    )
    triage = saved.triage
    stop = stop_view(triage)
    ceiling = None
    if stop is None:
        program = load_course(state, person, clock).program
        ceiling = program.pain_ceiling if program is not None else None
    new = bool([s for s in report.symptoms if s != "catching"]) or report.chest_symptoms
    return StopOutcome(
        result=stop_result(item.name, report.pain_now, saved.p1, new, ceiling, sharp=sharp),
        stop=stop,
    )


@router.post("/today/stop", response_class=HTMLResponse, include_in_schema=False)
def stop_submit(
    request: Request, state: State, person: Person, clock: Clocked, form: SubmittedForm
) -> Response:
    values = kept_values(form, ("symptoms",))
    exercise_id = text(form, "exercise_id")
    done = {k: text(form, k) for k in (*DONE_FIELDS, "done_for")}
    # Every mistake at once, each beside its field: which exercise, then the pain now (issue 9 §2).
    problems = [] if exercise_id else ["exercise_id: choose the exercise that hurt"]
    counted = exercise_id != "" and exercise_id == done["done_for"]
    try:
        report = StopReport.model_validate(
            present(
                {
                    "exercise_id": exercise_id,
                    "pain_now": text(form, "pain_now") or None,
                    "sharp_pain": ticked(form, "sharp_pain"),
                    "symptoms": many(form, "symptoms"),
                    "chest_symptoms": ticked(form, "chest_symptoms"),
                    # The player's counts belong to the exercise it was showing, not another one.
                    "sets_done": (done["sets_done"] or 0) if counted else 0,
                    "reps": _counts(done["reps"]) if counted else None,
                    "hold_s": _counts(done["hold_s"]) if counted else None,
                    "minutes": (done["minutes"] or None) if counted else None,
                }
            )
        )
    except ValidationError as err:
        problems += invalid(err).problems
    if problems:
        raise FormError(
            problems[0],
            problems=problems,
            template="stop_form.html",
            vm=_stop_vm(state, person, clock, exercise_id, values, done),
            title="Stop — it hurts",
        )
    outcome = _handle_stop(state, person, clock, report)
    if outcome.stop is not None:
        return page(request, "stop.html", outcome.stop, title=outcome.stop.heading, nav=False)
    return page(request, "stop_result.html", outcome.result, title=outcome.result.heading)


@api.post(
    "/stop",
    response_model=StopOutcome,
    summary="Stop — it hurts: record and re-screen",
    description="Always taken, even before today's safety check: a report of pain or new "
    "symptoms is never refused (it re-screens by itself).",
)
def stop_api(report: StopReport, state: State, person: Person, clock: Clocked) -> StopOutcome:
    return _handle_stop(state, person, clock, report)
