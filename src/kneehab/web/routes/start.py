"""First run: the safety questions a few at a time (stop at once on a warning sign) → the intake in
five short steps → "save your program" (an email and a password: the account, made with the program in one
transaction) → the program. A signed-in account without a program (an invited person) skips the last step.
Each step is a plain form (POST, then a redirect to the next step); the answers wait in `web/drafts.py`
until enrolment. The JSON twins take everything at once.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError

from kneehab import services
from kneehab.domain.identity import Actor
from kneehab.domain.intake import SubmittedIntake
from kneehab.domain.local_time import known_zone, local_date
from kneehab.domain.red_flags import RED_FLAG_QUESTIONS
from kneehab.domain.screening import screen_answers
from kneehab.domain.validation import describe_errors
from kneehab.errors import Conflict, InvalidInput, NotFound, StoreError
from kneehab.services import accounts
from kneehab.services.acting import Acting
from kneehab.web.auth import resolve, set_session
from kneehab.web.deps import Clocked, SignedIn, State
from kneehab.web.drafts import Draft, forget_key, keep_key
from kneehab.web.errors import (
    FieldProblem,
    field_problem,
    intake_can_change,
    plain_problems,
    stopped_page,
)
from kneehab.web.render import page
from kneehab.web.routes.auth import AccountView, account_form_error, home_of
from kneehab.web.routes.forms import many, present, read_form, text, ticked
from kneehab.web.routes.forms import password as typed_password
from kneehab.web.viewmodels.first_run import (
    CHOSEN_FIELDS,
    MULTI_FIELDS,
    SAFETY,
    SAFETY_IDS,
    STEPS,
    TOTAL,
    Step,
    intake_step_view,
    question_groups,
    safety_step_view,
    step_url,
)
from kneehab.web.viewmodels.start import (
    INJURED_THIS_WEEK,
    QUESTION_ORDER,
    StartView,
    StopView,
    question_text,
    start_view,
    stop_view,
)

router = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["first run"])

DRAFT_COOKIE = "kneehab_first_run"


class AlreadyEnrolled(StoreError):
    def __init__(self) -> None:
        super().__init__(
            "you already have a program; to start again, delete your data on the My data page first"
        )


async def _actor(request: Request) -> Actor | None:
    auth = await resolve(request)
    return auth.actor if auth is not None else None


async def _refuse_if_enrolled(request: Request) -> None:
    actor = await _actor(request)
    if actor is not None and actor.person_id is not None:
        raise AlreadyEnrolled()


@router.get("/", include_in_schema=False)
async def home(request: Request, state: State) -> RedirectResponse:
    """Signed in: their start page. Nobody on the server yet: the first run. Otherwise: sign in."""
    actor = await _actor(request)
    if actor is not None:
        return RedirectResponse(home_of(actor), status_code=303)
    # Nobody on the server yet: the first run (a read, on the thread pool like every other).
    if not await run_in_threadpool(accounts.any_account, state.db):
        return RedirectResponse(step_url(1), status_code=303)
    return RedirectResponse("/signin", status_code=303)


@router.get("/start", include_in_schema=False)
async def start_page(request: Request) -> RedirectResponse:
    actor = await _actor(request)
    if actor is not None and actor.person_id is not None:
        return RedirectResponse("/program", status_code=303)
    return RedirectResponse(step_url(1), status_code=303)


def draft_from_intake(intake: Any) -> dict[str, Any]:
    """An enrolled intake's answers as first run's form answers (the reverse of `_intake_data`)."""
    flags = set(intake.red_flags)
    answers: dict[str, Any] = {q: "yes" if q in flags else "no" for q in SAFETY_IDS}
    answers["cold_foot"] = "yes" if intake.cold_foot else "no"
    answers["chest_symptoms"] = "yes" if intake.chest_symptoms else "no"
    data = intake.model_dump(mode="json")
    for name in (
        "age",
        "sex",
        "knee",
        "condition",
        "onset",
        "weeks_since_onset",
        "pain_now",
        "pain_worst_week",
        "assessed",
        "floor_transfer",
        "falls_or_unsteady",
        "stair_height_cm",
        "mcl_grade",
    ):
        value = data.get(name)
        answers[name] = "" if value is None else str(value)
    answers["equipment"] = list(data.get("equipment") or [])
    answers["access"] = list(data.get("access") or [])
    answers["goals"] = "\n".join(data.get("goals") or [])
    return answers


@router.post("/start/again", include_in_schema=False)
def start_again(request: Request, state: State, clock: Clocked, actor: SignedIn) -> Response:
    """Issue 9 §3: an intake whose own answers withheld the program, with nothing recorded since, is reopened
    for correction: its answers go back into first run (memory only) and the stored intake is deleted; the
    person goes through the steps again from the intake's first step."""
    if actor.person_id is None:
        return RedirectResponse(step_url(1), status_code=303)
    if not intake_can_change(request):
        raise StoreError(
            "start again: these answers cannot be reopened here (a program was started or something "
            "was recorded since); to start again, delete your data on the My data page"
        )
    person = Acting(actor, actor.person_id)
    intake = services.history_head_of(state.db, person, today=clock.today).intake
    answers = draft_from_intake(intake)
    services.delete_person(state.db, person)
    key = state.drafts.new_key()
    state.drafts.put(key, Draft(answers, TOTAL - 1), now=clock.now)
    first_intake = next(s.number for s in STEPS if s.kind != SAFETY)
    return _keep(RedirectResponse(step_url(first_intake), status_code=303), key)


class Answers(BaseModel):
    """Red-flag answers: every question id (RF01…RF16) → true/false, plus the two questions kept as fields
    (asked of everyone, RULES C-14 v2: false when left out, as the intake contract says)."""

    answers: dict[str, bool] = Field(
        description="RF01…RF16 → true (yes) / false (no); all required"
    )
    cold_foot: bool = Field(default=False, description="a cold, pale or blue foot (RF10)")
    chest_symptoms: bool = Field(
        default=False,
        description="new chest pain or pressure, sudden breathlessness or coughing up blood (RF17)",
    )


def missing_answers(answered: set[str], ids: tuple[str, ...] | None = None) -> list[str]:
    """The questions not answered yes or no: `ids` (a page's questions, the two field questions among them),
    or every red-flag id (the JSON twins, which take the field questions as booleans)."""
    wanted = ids if ids is not None else tuple(q.id for q in RED_FLAG_QUESTIONS)
    return [
        f"{qid}: please answer yes or no — “{question_text(qid)}”"
        for qid in wanted
        if qid not in answered
    ]


class ScreeningResult(BaseModel):
    level: str
    rules: list[str]
    message: str
    reasons: list[str]
    stop: StopView | None  # set when the answers withhold the program: nothing to click past
    next: str | None  # where the intake goes when the program may go ahead


def _screen(
    flags: list[str], cold_foot: bool, chest: bool, recent_injury: bool = False
) -> ScreeningResult:
    triage = screen_answers(
        flags, cold_foot=cold_foot, chest_symptoms=chest, recent_injury=recent_injury
    )
    stop = stop_view(triage)
    return ScreeningResult(
        level=triage.level.value,
        rules=list(triage.rules),
        message=triage.message,
        reasons=list(triage.reasons),
        stop=stop,
        next=None if stop else "/api/v1/enroll",
    )


# ---- the steps -------------------------------------------------------------------------------


def _step(number: int) -> Step:
    if not 1 <= number <= TOTAL:
        raise NotFound(f"step: {number} is not a step of first run; allowed: 1 … {TOTAL}")
    return STEPS[number - 1]


def yes_flags(answers: dict[str, Any]) -> list[str]:
    """The red flags answered yes in a step-by-step draft."""
    return sorted(q for q in SAFETY_IDS if answers.get(q) == "yes")


def triage_so_far(answers: dict[str, Any]) -> ScreeningResult:
    """The safety answers given so far, triaged (a question not reached yet counts as no). A stopping answer
    on step 1 is an emergency already; by the end of step 2 every question (and detail) that can make the
    answers an emergency has been asked, so a later step adds at most urgent: stopping at the first step with a
    stopping answer never under-calls the level."""
    cold, chest = answers.get("cold_foot") == "yes", answers.get("chest_symptoms") == "yes"
    recent = answers.get(INJURED_THIS_WEEK) == "yes"
    return _screen(yes_flags(answers), cold, chest, recent)


def safety_given(step: Step, form: Any) -> dict[str, Any]:
    """A safety step's answers from its form (a detail left unticked is a no)."""
    given: dict[str, Any] = {q: text(form, q) for q in step.fields}
    given.update({name: "yes" if ticked(form, name) else "" for name in step.follow_ups})
    return given


def safety_missing(step: Step, answers: dict[str, Any]) -> list[str]:
    """This safety step's questions not yet answered yes or no."""
    return missing_answers({q for q in step.fields if answers.get(q) in ("yes", "no")}, step.fields)


def _intake_data(answers: dict[str, Any]) -> dict[str, Any]:
    # RULES C-14: `condition` is an answer (`unknown` among the choices), never filled in for the person.
    condition = answers.get("condition") or None
    grade = answers.get("mcl_grade") if condition == "mcl_sprain" else None
    goals = str(answers.get("goals") or "").splitlines()
    equipment = answers.get("equipment") or []
    # RULES D-5: the bottom stair is asked only when there is no step.
    stair = None if "step" in equipment else answers.get("stair_height_cm") or None
    return present(
        {
            "age": answers.get("age") or None,
            "sex": answers.get("sex") or "unspecified",
            "knee": answers.get("knee") or None,
            "condition": condition,
            "mcl_grade": grade or None,
            "assessed": answers.get("assessed") or None,
            "floor_transfer": answers.get("floor_transfer") or None,
            "falls_or_unsteady": answers.get("falls_or_unsteady") or None,
            "stair_height_cm": stair,
            "onset": answers.get("onset") or None,
            "weeks_since_onset": answers.get("weeks_since_onset") or None,
            "pain_now": answers.get("pain_now") or None,
            "pain_worst_week": answers.get("pain_worst_week") or None,
            "red_flags": yes_flags(answers),
            "cold_foot": answers.get("cold_foot") == "yes",
            "chest_symptoms": answers.get("chest_symptoms") == "yes",
            "equipment": equipment,
            "access": answers.get("access") or [],
            "goals": [g for g in goals if g.strip()],
        }
    )


UNDER_16 = "RF15"  # "Are you under 16, have you had knee surgery in the last 6 months, …?"


def _number(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def contradictions(step: Step, answers: dict[str, Any]) -> list[FieldProblem]:
    """Answers that cannot both be true, caught at the step where the second one is given (issue 9 §3): an
    age under 16 after "No" to the under-16 question (which would otherwise enrol a person only to lock them
    out), and a worst pain this week lower than the pain right now (today is part of the week)."""
    out: list[FieldProblem] = []
    age = _number(answers.get("age")) if "age" in step.fields else None
    if age is not None and 10 <= age < 16 and answers.get(UNDER_16) == "no":
        number = QUESTION_ORDER.index(UNDER_16) + 1
        out.append(
            field_problem(
                "age",
                f"age: {age} contradicts {UNDER_16} answered no (under 16)",
                f"You gave your age as {age}, but answered No to question {number}, “Are you under "
                "16, …?”. Please check your age. If you are under 16, go back one step and change "
                "that answer.",
                f"Check your age: {age} does not match your answer to question {number} (under 16).",
            )
        )
    if "pain_worst_week" in step.fields:
        now, worst = _number(answers.get("pain_now")), _number(answers.get("pain_worst_week"))
        if now is not None and worst is not None and worst < now:
            out.append(
                field_problem(
                    "pain_worst_week",
                    f"pain_worst_week: {worst} is lower than pain_now {now}; the week includes today",
                    f"You chose {worst} for the worst this week, but {now} for right now. Today is "
                    f"part of the week, so the worst is at least {now}. Please check both answers.",
                    f"Check the worst pain this week: {worst} is lower than your pain now ({now}).",
                )
            )
    return out


def _problems(step: Step, answers: dict[str, Any]) -> list[FieldProblem]:
    """What is missing or wrong in this step's answers, each in plain words beside its field. The intake model
    is the only judge of each value (its limits are not restated here): the whole draft is checked and only
    this step's fields are reported; then answers that contradict each other."""
    if step.kind == SAFETY:
        return plain_problems(safety_missing(step, answers))
    unanswered = [
        f"{name}: please choose yes, no or not sure"
        for name in CHOSEN_FIELDS
        if name in step.fields and not answers.get(name)
    ]
    try:
        SubmittedIntake.model_validate(_intake_data(answers))
    except ValidationError as err:
        mine = [e for e in err.errors() if e.get("loc") and e["loc"][0] in step.fields]
        order = {f: i for i, f in enumerate(step.fields)}
        found = plain_problems(describe_errors(mine) + unanswered)
        seen = {p.field for p in found}
        found += [c for c in contradictions(step, answers) if c.field not in seen]
        return sorted(found, key=lambda p: order.get(p.field, len(order)))
    found = plain_problems(unanswered) + contradictions(step, answers)
    order = {f: i for i, f in enumerate(step.fields)}
    return sorted(found, key=lambda p: order.get(p.field, len(order)))


def _given(step: Step, form: Any) -> dict[str, Any]:
    """This step's answers from its form (a follow-up left unticked is a no)."""
    if step.kind == SAFETY:
        return safety_given(step, form)
    return {f: many(form, f) if f in MULTI_FIELDS else text(form, f) for f in step.fields}


def _show(
    request: Request,
    step: Step,
    answers: dict[str, Any],
    problems: list[FieldProblem] | None = None,
) -> Response:
    title = f"{step.title} (step {step.number} of {TOTAL})"
    status = 422 if problems else 200
    errors = problems or []
    if step.kind == SAFETY:
        vm: BaseModel = safety_step_view(step, answers)
        template = "start.html"
    else:
        vm = intake_step_view(step, answers)
        template = "intake.html"
    return page(
        request,
        template,
        vm,
        title=f"Error: {title}" if errors else title,
        nav=False,
        status=status,
        problems=[p.message for p in errors],
        errors=errors,
    )


def _keep(response: Response, key: str) -> Response:
    return keep_key(response, DRAFT_COOKIE, key, path="/start")


def _forget(response: Response) -> Response:
    return forget_key(response, DRAFT_COOKIE, path="/start")


@router.get("/start/{number:int}", response_class=HTMLResponse, include_in_schema=False)
async def step_page(number: int, request: Request, state: State, clock: Clocked) -> Response:
    step = _step(number)
    actor = await _actor(request)
    if actor is not None and actor.person_id is not None:  # their own program, not anyone's
        return RedirectResponse("/program", status_code=303)
    key = request.cookies.get(DRAFT_COOKIE)
    draft = await run_in_threadpool(state.drafts.get, key, now=clock.now) or Draft()
    if number > draft.done + 1:  # the steps before come first
        return RedirectResponse(step_url(draft.done + 1), status_code=303)
    return _show(request, step, draft.answers)


@router.post("/start/{number:int}", response_class=HTMLResponse, include_in_schema=False)
async def step_submit(number: int, request: Request, state: State, clock: Clocked) -> Response:
    step = _step(number)
    await _refuse_if_enrolled(request)
    key = request.cookies.get(DRAFT_COOKIE)
    draft = await run_in_threadpool(state.drafts.get, key, now=clock.now)
    if key is None or draft is None:
        key, draft = state.drafts.new_key(), Draft()
    if number > draft.done + 1:  # answers were lost (a restart, a day's wait): start from there
        return _keep(RedirectResponse(step_url(draft.done + 1), status_code=303), key)
    draft.answers.update(_given(step, await read_form(request)))
    problems = _problems(step, draft.answers)
    if problems:
        await run_in_threadpool(
            state.drafts.put, key, draft, now=clock.now
        )  # what was typed is kept, and shown again
        return _keep(_show(request, step, draft.answers, problems), key)
    if step.kind == SAFETY:
        result = triage_so_far(draft.answers)
        if result.stop is not None:  # RULES D-2: stop here, with nothing to click past
            # … but a mistaken answer can be changed (issue 9 §3): the answers wait (memory only, a day)
            # and this step is the next one to answer.
            draft.done = number - 1
            await run_in_threadpool(state.drafts.put, key, draft, now=clock.now)
            return _keep(stopped_page(request, result.stop, change_url=step_url(number)), key)
    draft.done = max(draft.done, number)
    if number < TOTAL:
        await run_in_threadpool(state.drafts.put, key, draft, now=clock.now)
        return _keep(RedirectResponse(step_url(number + 1), status_code=303), key)
    await run_in_threadpool(state.drafts.put, key, draft, now=clock.now)
    actor = await _actor(request)
    if actor is None:  # "save your program": the account comes with it (SAVE_PATH)
        return _keep(RedirectResponse(SAVE_PATH, status_code=303), key)
    return await run_in_threadpool(_enrol, request, state, clock, key, draft, actor=actor)


SAVE_PATH = "/start/save"
SAVE_TITLE = "Save your program"


def _recheck(
    request: Request, state: State, clock: Clocked, key: str, draft: Draft
) -> Response | None:
    """Every step is checked again before anything is saved; the first with a problem is shown."""
    for earlier in STEPS:
        problems = _problems(earlier, draft.answers)
        if problems:
            draft.done = earlier.number - 1
            state.drafts.put(key, draft, now=clock.now)
            return _keep(_show(request, earlier, draft.answers, problems), key)
    return None


def _enrol(
    request: Request,
    state: State,
    clock: Clocked,
    key: str,
    draft: Draft,
    *,
    actor: Actor | None = None,
    new_account: tuple[str, str] | None = None,
    timezone: str | None = None,
) -> Response:
    shown = _recheck(request, state, clock, key, draft)
    if shown is not None:
        return shown
    intake = SubmittedIntake.model_validate(_intake_data(draft.answers))
    enrolled = services.enroll(
        state.db, intake, actor=actor, start=local_date(clock.now, timezone), now=clock.now,
        library=state.library, account_id=actor.account_id if actor else None,
        new_account=new_account, timezone=timezone,
    )  # fmt: skip
    state.drafts.drop(key)
    if enrolled.program is None:
        stop = stop_view(enrolled.triage)
        assert stop is not None
        response = stopped_page(request, stop, can_change=enrolled.account_id is not None)
    else:
        response = RedirectResponse("/program", status_code=303)
    if new_account is not None and enrolled.account_id is not None:
        actor = accounts.account_actor(state.db, enrolled.account_id)
        signed = accounts.start_session(state.db, actor, now=clock.now)
        set_session(request, response, signed)
    return _forget(response)


def _save_vm(email: str = "") -> AccountView:
    return AccountView(
        heading=SAVE_TITLE,
        intro=(
            "Your program is ready. To keep it, and your sessions and check-ins, choose the email "
            "address and password you will sign in with. Nothing has been saved yet."
        ),
        action=SAVE_PATH,
        button="Save my program",
        email=email,
        ask_timezone=True,
    )


@router.get(SAVE_PATH, response_class=HTMLResponse, include_in_schema=False)
async def save_page(request: Request, state: State, clock: Clocked) -> Response:
    key = request.cookies.get(DRAFT_COOKIE)
    draft = await run_in_threadpool(state.drafts.get, key, now=clock.now)
    if draft is None or draft.done < TOTAL:
        return RedirectResponse(step_url(1 if draft is None else draft.done + 1), status_code=303)
    return page(request, "account.html", _save_vm(), title=SAVE_TITLE)


@router.post(SAVE_PATH, response_class=HTMLResponse, include_in_schema=False)
async def save_submit(request: Request, state: State, clock: Clocked) -> Response:
    await _refuse_if_enrolled(request)
    key = request.cookies.get(DRAFT_COOKIE)
    draft = await run_in_threadpool(state.drafts.get, key, now=clock.now)
    if key is None or draft is None or draft.done < TOTAL:
        return RedirectResponse(step_url(1 if draft is None else draft.done + 1), status_code=303)
    form = await read_form(request)
    email, password = text(form, "email"), typed_password(form)
    zone = text(form, "timezone")
    try:
        accounts.check_password(password, accounts.normal_email(email))
        guess = services.checked_zone(zone) if known_zone(zone) else None  # a browser's only
        return await run_in_threadpool(
            _enrol, request, state, clock, key, draft, new_account=(email, password), timezone=guess
        )
    except (InvalidInput, Conflict) as err:
        raise account_form_error(err, _save_vm(email), SAVE_TITLE) from None


# ---- JSON twins ----------------------------------------------------------------------------


@api.get("/screening", response_model=StartView, summary="The red-flag questions (first run)")
def api_questions() -> StartView:
    return start_view().model_copy(update={"groups": question_groups()})


class FirstRunAnswers(Answers):
    """The first run's answers: as a re-screen's, plus the detail asked beside numbness."""

    injured_this_week: bool = Field(
        default=False,
        description="hurt this knee in the last 7 days (with RF10: an emergency, RULES RF10 v2)",
    )


@api.post("/screening", response_model=ScreeningResult, summary="Triage the red-flag answers")
def api_screen(body: FirstRunAnswers) -> ScreeningResult:
    unknown = sorted(set(body.answers) - {q.id for q in RED_FLAG_QUESTIONS})
    problems = [f"answers.{u}: not a question id; allowed: RF01 … RF16" for u in unknown]
    problems += missing_answers(set(body.answers))
    if problems:
        raise InvalidInput(problems[0], problems=problems)
    flags = sorted(k for k, v in body.answers.items() if v)
    return _screen(flags, body.cold_foot, body.chest_symptoms, body.injured_this_week)


class EnrollmentView(BaseModel):
    person_id: int
    level: str
    rules: list[str]
    message: str
    reasons: list[str]
    stop: StopView | None
    program: str | None  # where the program is (None when triage withholds it)


@api.post("/enroll", response_model=EnrollmentView, status_code=201, summary="Enrol from an intake")
async def api_enroll(
    intake: SubmittedIntake,
    request: Request,
    state: State,
    clock: Clocked,
    actor: SignedIn,
    timezone: str = Query(
        default="",
        max_length=64,
        description="The person's IANA timezone (Europe/Berlin); 'today' is their date. "
        "Empty: the server's.",
    ),
) -> EnrollmentView:
    """The signed-in person's program, from their intake (sign up first: `POST /api/v1/auth/signup`).
    `condition` and `red_flags` are required (RULES C-14): without either the answer is 422 naming it.
    `pain_ceiling` is a clinician's to set (RULES D-1, D-7): a person who sends it gets 422."""
    await _refuse_if_enrolled(request)
    zone = services.checked_zone(timezone)
    # On the thread pool: the write may wait for the database's write lock (store/write_gate.py).
    enrolled = await run_in_threadpool(
        partial(
            services.enroll, state.db, intake, actor=actor, start=local_date(clock.now, zone),
            now=clock.now, library=state.library, account_id=actor.account_id, timezone=zone,
        )
    )  # fmt: skip
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
