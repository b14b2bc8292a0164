"""Before each day's session: the short red-flag set (RULES §1.1), once a day, before the player starts.

Any yes goes the way "Stop — it hurts" goes: `services.rescreen`, then the stop page when the program is
withheld, otherwise the full safety questions before any exercise today. On a day the full set is due anyway
(weekly, or the day after a stop, a much sorer morning, a new injury or swelling), all "no" leads there too.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from kneehab import services
from kneehab.domain.course import Course
from kneehab.errors import InvalidInput
from kneehab.services.acting import Acting
from kneehab.web.deps import Clocked, Person, State
from kneehab.web.errors import FormError
from kneehab.web.render import page
from kneehab.web.routes.common import load_course, require_program
from kneehab.web.routes.forms import SubmittedForm, text
from kneehab.web.viewmodels.check import (
    CHECK_IDS,
    FORM_IDS,
    NEW_INJURY,
    check_view,
    full_set_today,
    missing,
    not_yet,
)
from kneehab.web.viewmodels.start import StartView, StopView, stop_view
from kneehab.web.viewmodels.today import StopResultView

router = APIRouter()
api = APIRouter(prefix="/api/v1/today", tags=["today"])
TITLE = "Before today's session"


class CheckAnswers(BaseModel):
    """RF04, RF05, RF06, RF07, RF08, RF10, RF12 and new_injury → true (yes) / false (no); all required."""

    answers: dict[str, bool] = Field(description="question id → true (yes) / false (no)")
    cold_foot: bool = Field(default=False, description="a cold, pale or blue foot (RF10)")
    chest_symptoms: bool = Field(
        default=False,
        description="new chest pain or pressure, sudden breathlessness or coughing up blood (RF17)",
    )


class CheckResult(BaseModel):
    level: str
    saved: bool
    stop: StopView | None  # the program is withheld: nothing to click past
    result: StopResultView | None  # a yes that needs the full re-screen first
    next_url: str


def _full_set_due(course: Course) -> bool:
    """RULES §1.1: the full set is due today — once a week, and the day after a stop, a much sorer
    morning, a new injury or swelling, or E2/E3 first firing (`course.full_rescreen_rules` says
    which; "§1.1" alone is the weekly one)."""
    return course.full_rescreen_due


def _save(
    state: State, person: Acting, clock: Clocked, answers: dict[str, bool], cold: bool, chest: bool
) -> CheckResult:
    course = load_course(state, person, clock)
    require_program(course)
    flags = {k: v for k, v in answers.items() if k != NEW_INJURY}
    triage = services.save_session_check(
        state.db,
        person,
        day=clock.today,
        answers=flags,
        new_injury=answers[NEW_INJURY],
        cold_foot=cold,
        chest_symptoms=chest,
        full_set_due=_full_set_due(course),
        library=state.library,
        now=clock.now,
    )
    stop = stop_view(triage)
    if stop is not None:
        return CheckResult(
            level=triage.level.value, saved=True, stop=stop, result=None, next_url=""
        )
    if any(answers.values()) or cold or chest:
        return CheckResult(
            level=triage.level.value, saved=True, stop=None, result=not_yet(), next_url="/rescreen"
        )
    if _full_set_due(course):
        return CheckResult(
            level=triage.level.value,
            saved=True,
            stop=None,
            result=full_set_today(course.full_rescreen_rules),
            next_url="/rescreen",
        )
    return CheckResult(
        level=triage.level.value, saved=True, stop=None, result=None, next_url="/today"
    )


@router.get("/today/check", response_class=HTMLResponse, include_in_schema=False)
def check_page(request: Request, state: State, person: Person, clock: Clocked) -> Response:
    require_program(load_course(state, person, clock))
    if services.session_check(state.db, person, day=clock.today) is not None:
        return RedirectResponse("/today", status_code=303)  # once a day
    return page(request, "start.html", check_view(), title=TITLE)


@router.post("/today/check", response_class=HTMLResponse, include_in_schema=False)
def check_submit(
    request: Request, state: State, person: Person, clock: Clocked, form: SubmittedForm
) -> Response:
    given = {qid: text(form, qid) for qid in FORM_IDS}
    answered = {k for k, v in given.items() if v in ("yes", "no")}
    problems = missing(answered, FORM_IDS)
    if problems:
        raise FormError(
            problems[0], problems=problems, template="start.html", vm=check_view(given), title=TITLE
        )
    answers = {qid: given[qid] == "yes" for qid in CHECK_IDS}
    cold, chest = given["cold_foot"] == "yes", given["chest_symptoms"] == "yes"
    out = _save(state, person, clock, answers, cold, chest)
    if out.stop is not None:
        return page(request, "stop.html", out.stop, title=out.stop.heading, nav=False)
    if out.result is not None:
        return page(request, "stop_result.html", out.result, title=out.result.heading)
    return RedirectResponse(out.next_url, status_code=303)


@api.get("/check", response_model=StartView, summary="Today's short safety questions (RULES §1.1)")
def check_api(state: State, person: Person, clock: Clocked) -> StartView:
    require_program(load_course(state, person, clock))
    return check_view()


@api.post("/check", response_model=CheckResult, summary="Answer today's short safety questions")
def check_answer_api(
    body: CheckAnswers, state: State, person: Person, clock: Clocked
) -> CheckResult:
    unknown = sorted(set(body.answers) - set(CHECK_IDS))
    problems = [
        f"answers.{u}: not a question of this check; allowed: {', '.join(CHECK_IDS)}"
        for u in unknown
    ]
    problems += missing(set(body.answers))
    if problems:
        raise InvalidInput(problems[0], problems=problems)
    return _save(state, person, clock, body.answers, body.cold_foot, body.chest_symptoms)
