"""First run: red-flag questions → (stop here, or) intake → program. Pages and their JSON twins."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError

from kneehab import services
from kneehab.domain.intake import Intake
from kneehab.domain.red_flags import RED_FLAG_QUESTIONS
from kneehab.domain.screening import screen_answers
from kneehab.errors import InvalidInput, StoreError
from kneehab.web.deps import Clocked, State
from kneehab.web.errors import FormError, invalid
from kneehab.web.render import page
from kneehab.web.routes.common import stop_page
from kneehab.web.routes.forms import kept_values, many, present, read_form, text, ticked
from kneehab.web.viewmodels.start import (
    FOLLOW_UPS,
    IntakeView,
    StartView,
    StopView,
    intake_view,
    start_view,
    stop_view,
)

router = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["first run"])

START_TITLE = "Safety questions"
INTAKE_TITLE = "About your knee"
MULTI = ("flag", "equipment", "access")


class AlreadyEnrolled(StoreError):
    def __init__(self) -> None:
        super().__init__(
            "you already have a program; to start again, delete your data on the My data page first"
        )


def _refuse_if_enrolled(state: State) -> None:
    if services.current_person_id(state.db) is not None:
        raise AlreadyEnrolled()


@router.get("/", include_in_schema=False)
def home(state: State) -> RedirectResponse:
    person = services.current_person_id(state.db)
    return RedirectResponse("/today" if person is not None else "/start", status_code=303)


@router.get("/start", response_class=HTMLResponse, include_in_schema=False)
def start_page(request: Request, state: State) -> Response:
    if services.current_person_id(state.db) is not None:
        return RedirectResponse("/program", status_code=303)
    return page(request, "start.html", start_view(), title=START_TITLE, nav=False)


class Answers(BaseModel):
    """Red-flag answers: every question id (RF01…RF16) → true/false, plus the two follow-up details."""

    answers: dict[str, bool] = Field(
        description="RF01…RF16 → true (yes) / false (no); all required"
    )
    cold_foot: bool = False
    chest_symptoms: bool = False


class ScreeningResult(BaseModel):
    level: str
    rules: list[str]
    message: str
    reasons: list[str]
    stop: StopView | None  # set when the answers withhold the program: nothing to click past
    next: str | None  # where the intake goes when the program may go ahead


def missing_answers(answered: set[str]) -> list[str]:
    return [
        f"{q.id}: please answer yes or no — “{q.question}”"
        for q in RED_FLAG_QUESTIONS
        if q.id not in answered
    ]


def _screen(flags: list[str], cold_foot: bool, chest: bool) -> ScreeningResult:
    triage = screen_answers(flags, cold_foot=cold_foot, chest_symptoms=chest)
    stop = stop_view(triage)
    return ScreeningResult(
        level=triage.level.value,
        rules=list(triage.rules),
        message=triage.message,
        reasons=list(triage.reasons),
        stop=stop,
        next=None if stop else "/api/v1/enroll",
    )


@router.post("/start", response_class=HTMLResponse, include_in_schema=False)
async def start_submit(request: Request, state: State) -> Response:
    _refuse_if_enrolled(state)
    form = await read_form(request)
    answers = {q.id: text(form, q.id) for q in RED_FLAG_QUESTIONS}
    answers.update({name: "yes" for name, _ in FOLLOW_UPS.values() if ticked(form, name)})
    answered = {k for k, v in answers.items() if v in ("yes", "no")}
    problems = missing_answers(answered)
    if problems:
        raise FormError(
            problems[0],
            problems=problems,
            template="start.html",
            vm=start_view(answers),
            title=START_TITLE,
        )
    flags = sorted(k for k in answered if answers[k] == "yes")
    cold, chest = ticked(form, "cold_foot"), ticked(form, "chest_symptoms")
    result = _screen(flags, cold, chest)
    if result.stop is not None:
        return stop_page(request, result.stop)
    vm = intake_view(flags, cold_foot=cold, chest_symptoms=chest, values={})
    return page(request, "intake.html", vm, title=INTAKE_TITLE, nav=False)


def _intake_from_form(form: dict[str, object]) -> dict[str, object]:
    condition = form.get("condition") or "unknown"
    grade = form.get("mcl_grade") if condition == "mcl_sprain" else None
    goals = str(form.get("goals") or "").splitlines()
    return {
        "age": form.get("age") or None,
        "sex": form.get("sex") or "unspecified",
        "knee": form.get("knee") or None,
        "condition": condition,
        "mcl_grade": grade or None,
        "onset": form.get("onset") or None,
        "weeks_since_onset": form.get("weeks_since_onset") or None,
        "pain_now": form.get("pain_now") or None,
        "pain_worst_week": form.get("pain_worst_week") or None,
        "red_flags": form.get("flag") or [],
        "cold_foot": form.get("cold_foot") == "yes",
        "chest_symptoms": form.get("chest_symptoms") == "yes",
        "equipment": form.get("equipment") or [],
        "access": form.get("access") or [],
        "goals": [g for g in goals if g.strip()],
    }


@router.post("/start/intake", response_class=HTMLResponse, include_in_schema=False)
async def intake_submit(request: Request, state: State, clock: Clocked) -> Response:
    _refuse_if_enrolled(state)
    form = await read_form(request)
    values = kept_values(form, MULTI)
    try:
        intake = Intake.model_validate(present(_intake_from_form(values)))
    except ValidationError as err:
        bad = invalid(err)
        vm: IntakeView = intake_view(
            many(form, "flag"),
            cold_foot=ticked(form, "cold_foot"),
            chest_symptoms=ticked(form, "chest_symptoms"),
            values=values,
        )
        raise FormError(
            str(bad), problems=bad.problems, template="intake.html", vm=vm, title=INTAKE_TITLE
        ) from None
    enrolled = services.enroll(
        state.db, intake, start=clock.today, now=clock.now, library=state.library
    )
    if enrolled.program is None:
        stop = stop_view(enrolled.triage)
        assert stop is not None
        return stop_page(request, stop)
    return RedirectResponse("/program", status_code=303)


# ---- JSON twins ----------------------------------------------------------------------------


@api.get("/screening", response_model=StartView, summary="The red-flag questions (first run)")
def api_questions() -> StartView:
    return start_view()


@api.post("/screening", response_model=ScreeningResult, summary="Triage the red-flag answers")
def api_screen(body: Answers) -> ScreeningResult:
    unknown = sorted(set(body.answers) - {q.id for q in RED_FLAG_QUESTIONS})
    problems = [f"answers.{u}: not a question id; allowed: RF01 … RF16" for u in unknown]
    problems += missing_answers(set(body.answers))
    if problems:
        raise InvalidInput(problems[0], problems=problems)
    flags = sorted(k for k, v in body.answers.items() if v)
    return _screen(flags, body.cold_foot, body.chest_symptoms)


class EnrollmentView(BaseModel):
    person_id: int
    level: str
    rules: list[str]
    message: str
    reasons: list[str]
    stop: StopView | None
    program: str | None  # where the program is (None when triage withholds it)


@api.post("/enroll", response_model=EnrollmentView, status_code=201, summary="Enrol from an intake")
def api_enroll(intake: Intake, state: State, clock: Clocked) -> EnrollmentView:
    _refuse_if_enrolled(state)
    enrolled = services.enroll(
        state.db, intake, start=clock.today, now=clock.now, library=state.library
    )
    t = enrolled.triage
    return EnrollmentView(
        person_id=enrolled.person_id,
        level=t.level.value,
        rules=list(t.rules),
        message=t.message,
        reasons=list(t.reasons),
        stop=stop_view(t),
        program="/api/v1/program" if enrolled.program is not None else None,
    )
