"""The full red-flag re-screen (RULES §1.1): after "Stop — it hurts", a yes in today's check, weekly, or
whenever the person wants. The page asks it as the first run's safety steps (a few at a time, the signs that
need help now first, stopping at once on a stopping answer); the JSON twin still takes all 16 at once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from kneehab import services
from kneehab.domain.stops import stops_the_day
from kneehab.errors import InvalidInput, NotFound
from kneehab.services.acting import Acting
from kneehab.web.deps import Clocked, Person, State
from kneehab.web.drafts import Draft, forget_key, keep_key
from kneehab.web.render import page
from kneehab.web.routes.common import stop_page
from kneehab.web.routes.forms import read_form
from kneehab.web.routes.start import (
    Answers,
    missing_answers,
    safety_given,
    safety_missing,
    triage_so_far,
    yes_flags,
)
from kneehab.web.viewmodels.first_run import Step
from kneehab.web.viewmodels.rescreen import STEPS, TITLE, TOTAL, rescreen_step_view, step_url
from kneehab.web.viewmodels.start import StopView, stop_view
from kneehab.web.viewmodels.today import StopResultView

router = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["re-screen"])


def _stopped_today(state: State, person: Acting, clock: Clocked) -> bool:
    """'Stop — it hurts' stopped today's session: a clear re-screen does not restart it (it clears the
    questions, not the stop; tomorrow's check-in decides what follows)."""
    return any(
        stops_the_day(r.entry)
        for r in services.history(state.db, person).entries
        if r.day == clock.today
    )


def _clear(level: str, stopped: bool = False) -> StopResultView:
    if level == "soon":
        return StopResultView(
            heading="Book a review with a clinician",
            message=(
                "Your answers need a clinician's opinion within 1–2 weeks. You may go on gently at "
                "your current doses; your exercises will not step up until a clinician has "
                "reviewed your program."
            ),
            reasons=["One of your answers is a warning sign that is not urgent."],
            rules=["§1.2", "D-2"],
            css="notice",
            next_label="Back to today",
            next_url="/today",
        )
    return StopResultView(
        heading="No warning signs",
        message=(
            "Today's session stays stopped: rest the knee for the rest of today. Tomorrow "
            "morning's check-in asks again before your next session."
            if stopped
            else "You may do today's session. Stop if your knee pain goes above your limit."
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
    state: State, person: Acting, clock: Clocked, flags: list[str], cold: bool, chest: bool
) -> RescreenResult:
    # The full set answered after today's short questions: without a stopping sign, the session
    # may go ahead (the same transaction clears today's check).
    triage = services.rescreen(
        state.db,
        person,
        flags=flags,
        cold_foot=cold,
        chest_symptoms=chest,
        now=clock.now,
        today=clock.today,
        library=state.library,
        clears_check=True,
    )
    stop = stop_view(triage)
    return RescreenResult(
        level=triage.level.value,
        stop=stop,
        result=None if stop else _clear(triage.level.value, _stopped_today(state, person, clock)),
    )


# ---- the steps (the first run's safety steps; plain forms, no JavaScript needed) ---------------

COOKIE = "kneehab_rescreen"
PATH = "/rescreen"


def _step(number: int) -> Step:
    if not 1 <= number <= TOTAL:
        raise NotFound(f"step: {number} is not a step of the re-screen; allowed: 1 … {TOTAL}")
    return STEPS[number - 1]


def _draft(state: State, request: Request, person: Acting, clock: Clocked) -> Draft | None:
    """This browser's answers so far, when they are this person's."""
    draft = state.drafts.get(request.cookies.get(COOKIE), now=clock.now)
    return draft if draft is not None and draft.answers.get("person") == person.person_id else None


def _show(
    request: Request, step: Step, answers: dict[str, Any], problems: list[str] | None = None
) -> HTMLResponse:
    return page(
        request,
        "start.html",
        rescreen_step_view(step, answers),
        title=f"{TITLE}: {step.title} (step {step.number} of {TOTAL})",
        nav=False,
        status=422 if problems else 200,
        problems=problems,
    )


@router.get("/rescreen", include_in_schema=False)
def rescreen_page(person: Person) -> RedirectResponse:
    return RedirectResponse(step_url(1), status_code=303)


@router.get("/rescreen/{number}", response_class=HTMLResponse, include_in_schema=False)
def rescreen_step(
    number: int, request: Request, state: State, person: Person, clock: Clocked
) -> Response:
    step = _step(number)
    draft = _draft(state, request, person, clock) or Draft()
    if number > draft.done + 1:  # the steps before come first
        return RedirectResponse(step_url(draft.done + 1), status_code=303)
    return _show(request, step, draft.answers)


@router.post("/rescreen/{number}", response_class=HTMLResponse, include_in_schema=False)
async def rescreen_submit(
    number: int, request: Request, state: State, person: Person, clock: Clocked
) -> Response:
    step = _step(number)
    key = request.cookies.get(COOKIE)
    draft = await run_in_threadpool(_draft, state, request, person, clock)
    if key is None or draft is None:
        key, draft = state.drafts.new_key(), Draft(answers={"person": person.person_id})
    if number > draft.done + 1:  # answers were lost (a restart, a day's wait): start from there
        return keep_key(
            RedirectResponse(step_url(draft.done + 1), status_code=303), COOKIE, key, path=PATH
        )
    draft.answers.update(safety_given(step, await read_form(request)))
    problems = safety_missing(step, draft.answers)
    if problems:
        # what was given is kept, and shown again
        await run_in_threadpool(state.drafts.put, key, draft, now=clock.now)
        return keep_key(_show(request, step, draft.answers, problems), COOKIE, key, path=PATH)
    a = draft.answers
    if number < TOTAL and triage_so_far(a).stop is None:
        draft.done = max(draft.done, number)
        await run_in_threadpool(state.drafts.put, key, draft, now=clock.now)
        return keep_key(
            RedirectResponse(step_url(number + 1), status_code=303), COOKIE, key, path=PATH
        )
    # The last step, or a stopping answer (RULES D-2: stop here, exactly as first run does). The answers
    # given are saved as the dated re-screen; a question not reached counts as no.
    await run_in_threadpool(state.drafts.drop, key)
    out = await run_in_threadpool(
        _run,
        state,
        person,
        clock,
        yes_flags(a),
        a.get("cold_foot") == "yes",
        a.get("chest_symptoms") == "yes",
    )
    if out.stop is not None:
        return forget_key(stop_page(request, out.stop), COOKIE, path=PATH)
    assert out.result is not None
    result = page(request, "stop_result.html", out.result, title=out.result.heading)
    return forget_key(result, COOKIE, path=PATH)


@api.post("/rescreen", response_model=RescreenResult, summary="Answer the red flags again")
def rescreen_api(body: Answers, state: State, person: Person, clock: Clocked) -> RescreenResult:
    problems = missing_answers(set(body.answers))
    if problems:
        raise InvalidInput(problems[0], problems=problems)
    flags = sorted(k for k, v in body.answers.items() if v)
    return _run(state, person, clock, flags, body.cold_foot, body.chest_symptoms)
