"""My program: a short overview, a page per exercise, and short pages for avoid / equipment / advice.

Each page has its JSON twin under /api/v1/program, built from the same view-model.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from kneehab import services
from kneehab.domain.course import Course
from kneehab.domain.program import Program
from kneehab.domain.stops import stops_the_day
from kneehab.errors import InvalidInput, NotFound
from kneehab.exports.plan_json import plan_to_json
from kneehab.services.acting import Acting
from kneehab.web.deps import Clocked, Person, State
from kneehab.web.render import page
from kneehab.web.routes.common import load_course, require_program
from kneehab.web.routes.forms import SubmittedForm, text
from kneehab.web.viewmodels.common import banner
from kneehab.web.viewmodels.program import (
    AdviceView,
    AvoidView,
    EquipmentView,
    ExerciseView,
    ProgramView,
    SwapsView,
    advice_view,
    avoid_view,
    equipment_view,
    exercise_view,
    program_view,
    swaps_view,
)

router = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["program"])


def _program(state: State, person: Acting, clock: Clocked) -> tuple[Course, Program]:
    course = load_course(state, person, clock)
    return course, require_program(course)


def build(state: State, person: Acting, clock: Clocked) -> ProgramView:
    course, program = _program(state, person, clock)
    stopped = any(
        r.day == clock.today and stops_the_day(r.entry)
        for r in services.history(state.db, person).entries
    )
    vm = program_view(
        program,
        course.triage,
        state.library,
        today=clock.today,
        figure=state.figures.url,
        banner=banner(course.escalation),
        day_stopped=stopped,
    )
    return vm.model_copy(update=plan_to_json(course.triage, program))


def build_exercise(state: State, person: Acting, clock: Clocked, exercise_id: str) -> ExerciseView:
    course, program = _program(state, person, clock)
    item = program.item(exercise_id)
    if item is None:
        raise NotFound(f"exercise_id: '{exercise_id}' is not in your program")
    return exercise_view(
        item, state.library, program, figure=state.figures.url, banner=banner(course.escalation)
    )


@router.get("/program", response_class=HTMLResponse, include_in_schema=False)
def program_page(request: Request, state: State, person: Person, clock: Clocked) -> HTMLResponse:
    return page(request, "program.html", build(state, person, clock), title="My program")


@api.get(
    "/program", response_model=ProgramView, summary="My program (the week, one card per exercise)"
)
def program_api(state: State, person: Person, clock: Clocked) -> ProgramView:
    return build(state, person, clock)


class SwapRequest(BaseModel):
    """RULES D-10: the exercise to bring in (one of `program.swaps`) and the one it replaces."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    swap_in: str = Field(alias="in")
    swap_out: str = Field(alias="out")


class OfferRequest(BaseModel):
    """RULES D-12: the answer to "Ready to try: X"."""

    model_config = ConfigDict(extra="forbid")

    exercise_id: str
    answer: Literal["accept", "not_now"]


@api.post(
    "/program/swaps",
    response_model=ProgramView,
    summary="Swap a session exercise for one of your swaps, from today (D-10)",
    responses={422: {"description": "not on your list of swaps, or it cannot replace that one"}},
)
def swap_api(body: SwapRequest, state: State, person: Person, clock: Clocked) -> ProgramView:
    _program(state, person, clock)
    services.choose_swap(
        state.db,
        person,
        swap_in=body.swap_in,
        swap_out=body.swap_out,
        day=clock.today,
        now=clock.now,
        library=state.library,
    )
    return build(state, person, clock)


@api.post(
    "/program/offers",
    response_model=ProgramView,
    summary='Answer "Ready to try" for a later option (D-12)',
)
def offer_api(body: OfferRequest, state: State, person: Person, clock: Clocked) -> ProgramView:
    _program(state, person, clock)
    services.answer_offer(
        state.db,
        person,
        exercise_id=body.exercise_id,
        answer=body.answer,
        day=clock.today,
        now=clock.now,
        library=state.library,
    )
    return build(state, person, clock)


@router.get("/program/swaps", response_class=HTMLResponse, include_in_schema=False)
def swaps_page(request: Request, state: State, person: Person, clock: Clocked) -> HTMLResponse:
    vm = swaps_view(_program(state, person, clock)[1])
    return page(request, "program_swaps.html", vm, title="Exercises you can swap in")


@api.get(
    "/program/swaps",
    response_model=SwapsView,
    summary="The swaps (D-10) and the later options offered now (D-12)",
)
def swaps_get_api(state: State, person: Person, clock: Clocked) -> SwapsView:
    return swaps_view(_program(state, person, clock)[1])


@router.post("/program/swaps", include_in_schema=False)
def swap_form(
    request: Request, state: State, person: Person, clock: Clocked, form: SubmittedForm
) -> Response:
    body = SwapRequest.model_validate({"in": text(form, "in"), "out": text(form, "out")})
    swap_api(body, state, person, clock)
    return RedirectResponse("/program", status_code=303)


@router.post("/program/offers", include_in_schema=False)
def offer_form(
    request: Request, state: State, person: Person, clock: Clocked, form: SubmittedForm
) -> Response:
    answer = text(form, "answer")
    if answer not in ("accept", "not_now"):
        raise InvalidInput(f"answer: '{answer}' is not allowed (allowed: accept, not_now)")
    offer_api(
        OfferRequest(exercise_id=text(form, "exercise_id"), answer=answer), state, person, clock
    )
    return RedirectResponse("/program", status_code=303)


@router.get(
    "/program/exercises/{exercise_id}", response_class=HTMLResponse, include_in_schema=False
)
def exercise_page(
    exercise_id: str, request: Request, state: State, person: Person, clock: Clocked
) -> HTMLResponse:
    vm = build_exercise(state, person, clock, exercise_id)
    return page(request, "exercise.html", vm, title=vm.name)


@api.get(
    "/program/exercises/{exercise_id}",
    response_model=ExerciseView,
    summary="One exercise: steps, cues, mistakes, dose, why, equipment, progressions",
)
def exercise_api(exercise_id: str, state: State, person: Person, clock: Clocked) -> ExerciseView:
    return build_exercise(state, person, clock, exercise_id)


@router.get("/program/avoid", response_class=HTMLResponse, include_in_schema=False)
def avoid_page(request: Request, state: State, person: Person, clock: Clocked) -> HTMLResponse:
    vm = avoid_view(_program(state, person, clock)[1])
    return page(request, "program_avoid.html", vm, title="Moves to avoid for now")


@api.get("/program/avoid", response_model=AvoidView, summary="Moves to avoid, left out, for later")
def avoid_api(state: State, person: Person, clock: Clocked) -> AvoidView:
    return avoid_view(_program(state, person, clock)[1])


@router.get("/program/equipment", response_class=HTMLResponse, include_in_schema=False)
def equipment_page(request: Request, state: State, person: Person, clock: Clocked) -> HTMLResponse:
    vm = equipment_view(_program(state, person, clock)[1])
    return page(request, "program_equipment.html", vm, title="Equipment")


@api.get("/program/equipment", response_model=EquipmentView, summary="Equipment and substitutes")
def equipment_api(state: State, person: Person, clock: Clocked) -> EquipmentView:
    return equipment_view(_program(state, person, clock)[1])


@router.get("/program/advice", response_class=HTMLResponse, include_in_schema=False)
def advice_page(request: Request, state: State, person: Person, clock: Clocked) -> HTMLResponse:
    vm = advice_view(_program(state, person, clock)[1])
    return page(request, "program_advice.html", vm, title="Ice, heat and getting help")


@api.get("/program/advice", response_model=AdviceView, summary="Ice and heat; when to get help")
def advice_api(state: State, person: Person, clock: Clocked) -> AdviceView:
    return advice_view(_program(state, person, clock)[1])
