"""The full red-flag re-screen (RULES §1.1): after a stop, weekly, or whenever the person wants."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from kneehab import services
from kneehab.domain.red_flags import RED_FLAG_QUESTIONS
from kneehab.errors import InvalidInput
from kneehab.web.deps import Clocked, Person, State
from kneehab.web.errors import FormError
from kneehab.web.render import page
from kneehab.web.routes.forms import read_form, text, ticked
from kneehab.web.routes.start import Answers, missing_answers
from kneehab.web.viewmodels.start import FOLLOW_UPS, StopView, start_view, stop_view
from kneehab.web.viewmodels.today import StopResultView

router = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["re-screen"])
TITLE = "Safety questions again"


def _clear(level: str) -> StopResultView:
    if level == "soon":
        return StopResultView(
            heading="Book a review with a clinician",
            message=(
                "Your answers need a clinician's opinion within 1–2 weeks. You may go on gently at "
                "your current doses; your exercises will not step up until a clinician has "
                "reviewed your program."
            ),
            reasons=["One of your answers is a warning sign that is not urgent (RULES §1.2)."],
            rules=["D-2"],
            css="notice",
            next_label="Back to today",
            next_url="/today",
        )
    return StopResultView(
        heading="No warning signs",
        message=(
            "Rest for the rest of today. Start your next session as planned if the knee has "
            "settled, and stop if it hurts more than your limit."
        ),
        reasons=["None of your answers is a warning sign."],
        rules=["§1.1", "P1"],
        css="good",
        next_label="Back to today",
        next_url="/today",
    )


class RescreenResult(BaseModel):
    level: str
    stop: StopView | None
    result: StopResultView | None


def _run(
    state: State, person: int, clock: Clocked, flags: list[str], cold: bool, chest: bool
) -> RescreenResult:
    triage = services.rescreen(
        state.db, person, flags=flags, cold_foot=cold, chest_symptoms=chest, now=clock.now
    )
    stop = stop_view(triage)
    if stop is None:
        # The full set answered after a yes to today's short questions: the session may go ahead.
        services.clear_session_check(state.db, person, day=clock.today, now=clock.now)
    return RescreenResult(
        level=triage.level.value, stop=stop, result=None if stop else _clear(triage.level.value)
    )


@router.get("/rescreen", response_class=HTMLResponse, include_in_schema=False)
def rescreen_page(request: Request, person: Person) -> HTMLResponse:
    vm = start_view().model_copy(update={"action": "/rescreen"})
    return page(request, "start.html", vm, title=TITLE)


@router.post("/rescreen", response_class=HTMLResponse, include_in_schema=False)
async def rescreen_submit(
    request: Request, state: State, person: Person, clock: Clocked
) -> Response:
    form = await read_form(request)
    answers = {q.id: text(form, q.id) for q in RED_FLAG_QUESTIONS}
    answers.update({name: "yes" for name, _ in FOLLOW_UPS.values() if ticked(form, name)})
    answered = {k for k, v in answers.items() if v in ("yes", "no")}
    problems = missing_answers(answered)
    if problems:
        vm = start_view(answers).model_copy(update={"action": "/rescreen"})
        raise FormError(problems[0], problems=problems, template="start.html", vm=vm, title=TITLE)
    flags = sorted(k for k in answered if answers[k] == "yes")
    out = _run(
        state, person, clock, flags, ticked(form, "cold_foot"), ticked(form, "chest_symptoms")
    )
    if out.stop is not None:
        return page(request, "stop.html", out.stop, title=out.stop.heading, nav=False)
    assert out.result is not None
    return page(request, "stop_result.html", out.result, title=out.result.heading)


@api.post("/rescreen", response_model=RescreenResult, summary="Answer the red flags again")
def rescreen_api(body: Answers, state: State, person: Person, clock: Clocked) -> RescreenResult:
    problems = missing_answers(set(body.answers))
    if problems:
        raise InvalidInput(problems[0], problems=problems)
    flags = sorted(k for k, v in body.answers.items() if v)
    return _run(state, person, clock, flags, body.cold_foot, body.chest_symptoms)
