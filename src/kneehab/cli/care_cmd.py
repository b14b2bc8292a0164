"""Day-to-day care: start (enrol), today (the session), log (record it) and checkin (the morning check)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from kneehab import services
from kneehab.cli.care_options import (
    DbOpt,
    PersonOpt,
    TodayOpt,
    console,
    database,
    enrolled_person,
    person_day,
    today_from,
    utc_now,
)
from kneehab.cli.context import cli_context
from kneehab.cli.files import read_json, read_model, validate
from kneehab.cli.plan_cmd import parse_day
from kneehab.cli.questionnaire import Option, choice, many, whole
from kneehab.cli.render import (
    ACTION_WORDS,
    count_words,
    exercise_name,
    print_escalation,
    render_plan,
    render_triage,
    why_line,
)
from kneehab.domain.exercise import Library
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.domain.intake import SubmittedIntake
from kneehab.domain.local_time import local_date
from kneehab.domain.progression import Action
from kneehab.domain.records import SYMPTOMS, CheckIn, Session, SessionEntry
from kneehab.errors import InvalidInput, SafetyCheckDue
from kneehab.services import accounts
from kneehab.services.acting import Acting
from kneehab.store.db import Database

# --- start / today ---------------------------------------------------------------------------


def start_command(
    ctx: typer.Context,
    intake_file: Annotated[Path, typer.Option("--intake", help="Intake JSON file.")],
    start: Annotated[
        str | None, typer.Option("--start", help="Program start date (default: today).")
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Delete the enrolled person's records and restart.")
    ] = False,
    person: Annotated[
        str | None,
        typer.Option("--person", help="Enrol this account (made with `kneehab user add`)."),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            help="The person's timezone, e.g. Europe/Berlin (default: this machine's).",
        ),
    ] = None,
    db_file: DbOpt = None,
    today: TodayOpt = None,
) -> None:
    """Enrol: screen the intake, build the first program and keep both."""
    intake = read_model(intake_file, SubmittedIntake, "intake")
    zone = services.checked_zone(timezone)
    day = (
        parse_day(start) or parse_day(today, "--today") or local_date(utc_now().astimezone(), zone)
    )
    with database(ctx, db_file, create=True) as db:
        account_id = None
        if person is not None:
            address = accounts.normal_email(person)
            found = accounts.find(db, address)
            if found is None:
                raise InvalidInput(
                    f"--person: no account with {address}; add it first with "
                    f"`kneehab user add {address} --role person`"
                )
            account_id, existing = found.id, found.person_id
        else:
            # Without --person only a database of one person (or none) is unambiguous: --replace
            # must never pick someone else's record.
            ids = services.people_ids(db)
            if len(ids) > 1:
                raise InvalidInput(
                    f"--person: {len(ids)} people are enrolled in this database; name the account "
                    "to enrol with --person EMAIL (`kneehab user list` shows them)"
                )
            existing = ids[0] if ids else None
        if existing is not None and not replace:
            raise InvalidInput(
                "--replace: this person already has a program; add --replace to delete their "
                "records and start again"
            )
        # One transaction deletes the old record (access.py decides) and enrols the new one, which
        # stays with the account that held the old one.
        result = services.enroll(
            db,
            intake,
            start=day,
            now=utc_now(),
            replace=existing,
            account_id=account_id,
            library=cli_context(ctx).library,
            actor=SERVER_ADMIN,
            timezone=zone,
        )
    out = console()
    render_plan(out, result.triage, result.program)
    if result.program is not None:
        out.print(
            "\nNext: `kneehab today` shows today's session; `kneehab check` asks the safety "
            "questions before it; `kneehab log` records it; `kneehab checkin` each morning."
        )


def today_command(
    ctx: typer.Context, person: PersonOpt = None, db_file: DbOpt = None, today: TodayOpt = None
) -> None:
    """Show today's session with the current doses."""
    day = today_from(today)
    with database(ctx, db_file) as db:
        pid = enrolled_person(db, person)
        day = person_day(db, pid, today)
        program = services.course(db, pid, today=day, library=cli_context(ctx).library).program
        items = program.items_on(day) if program is not None else []
        resume = services.load_player_state(db, pid, day=day)
    out = console()
    if program is not None:
        offered = [o for o in program.later_options if o.state == "offered"]
        for o in offered:
            out.print(
                f"Ready to try: {o.name}. {o.why} (kneehab offer {o.exercise_id} accept)",
                markup=False,
            )
        if program.swaps:
            names = ", ".join(f"{sw.item.name} ({sw.item.exercise_id})" for sw in program.swaps)
            out.print(
                f"You can do one of these instead of an exercise of the same kind: {names}. "
                "(kneehab swap ID --instead-of ID)",
                markup=False,
            )
    if not items:
        out.print(f"{day.isoformat()}: no exercises scheduled today. Rest, or go for an easy walk.")
        return
    table = Table(title=f"Today's session — {day.isoformat()}", title_justify="left", expand=True)
    for col in ("Exercise (id)", "Dose", "Sides", "Rest"):
        table.add_column(col)
    for item in items:
        sides = "each side" if item.per_side else ""
        table.add_row(
            f"{item.name} ({item.exercise_id})", item.dose_text, sides, f"{item.rest_s} s"
        )
    out.print(table)
    if resume:
        out.print("A guided session was started today and can be resumed in the web player.")


# --- log -------------------------------------------------------------------------------------


def _ints(value: str | None, flag: str) -> list[int] | None:
    if value is None:
        return None
    try:
        return [int(v) for v in value.replace(" ", "").split(",") if v]
    except ValueError:
        raise InvalidInput(f"{flag}: '{value}' must be whole numbers separated by commas") from None


T = TypeVar("T")

DONE_OPTIONS = [
    Option("done", "Done", ("d", "yes", "y", "did it", "i did it")),
    Option("skipped", "Skipped", ("s", "skip", "no", "didn't", "did not", "not done")),
    Option("not_today", "Not today (leave it out)", ("n", "not today", "later", "leave it out")),
]
EFFORT_OPTIONS = [
    Option("easy", "Easy", ("e", "light", "too easy")),
    Option("moderate", "Moderate", ("m", "medium", "ok", "okay", "fine")),
    Option("hard", "Hard", ("h", "very hard", "difficult", "tough")),
]
SYMPTOM_WORDS = {
    "swollen": "swelling", "locked": "locking", "gave way": "giving_way",
    "giving way": "giving_way", "buckling": "giving_way", "caught": "catching",
    "calf": "calf_pain", "sore calf": "calf_pain", "swollen calf": "calf_swelling",
    "temperature": "fever", "pins and needles": "numbness", "numb": "numbness",
    "cold foot": "cold_foot", "blue foot": "cold_foot", "pale foot": "cold_foot",
    "injury": "new_injury", "new injury": "new_injury",
}  # fmt: skip


LOG_FLAGS = {
    "exercise_id": "--exercise", "sets_done": "--sets", "reps": "--reps", "hold_s": "--hold",
    "side": "--side", "load_kg": "--load", "step_cm": "--step", "minutes": "--minutes",
    "pain_during_max": "--pain", "effort": "--effort", "rir": "--rir", "skip_reason": "--reason",
}  # fmt: skip
CHECKIN_FLAGS = {
    "morning_pain": "--morning-pain", "morning_stiffness": "--stiffness",
    "avg_pain": "--avg-pain", "new_symptoms": "--symptom", "date": "--date",
}  # fmt: skip
PLAIN = (
    (r"\(top level\): ", ""),
    (r"input should be less than or equal to (\d+)", r"allowed: \1 or less"),
    (r"input should be greater than or equal to (\d+)", r"allowed: \1 or more"),
    (r"has 1 values", "has 1 value"),
)


def _in_flags(err: InvalidInput, flags: dict[str, str], hints: dict[str, str]) -> InvalidInput:
    """A model's field names as the options the person typed (`pain_during_max` → `--pain`)."""

    def words(text: str) -> str:
        text = re.sub(r"^(entry|check-in) is not valid: ", "", text)
        for pattern, plain in PLAIN:
            text = re.sub(pattern, plain, text)
        for field, flag in flags.items():
            text = re.sub(rf"(?<![-\w]){field}(\[\d+\])?(?!\w)", flag, text)
        for flag, hint in hints.items():
            if text.startswith(f"{flag}: is required"):
                text += f" ({hint})"
        return text

    problems = [words(p) for p in err.problems]
    return InvalidInput(problems[0], problems=problems)


def _ask(question: str, parse: Callable[[str], T], default: object = None) -> T:
    """Ask until the answer parses; each wrong answer is told what is allowed (at the end of the input,
    click stops with Abort, which main() reports as exit 2)."""
    while True:
        shown = None if default is None else str(default)  # str: typer checks no type itself
        raw = typer.prompt(question, default=shown, show_default=bool(shown))
        try:
            return parse(str(raw).strip())
        except ValueError as err:
            typer.echo(f"  Sorry: {err}", err=True)


def _per_set(sets: int, what: str) -> Callable[[str], list[int]]:
    def parse(raw: str) -> list[int]:
        try:
            values = [int(v) for v in raw.replace(" ", ",").split(",") if v]
        except ValueError:
            raise ValueError(f"type whole numbers separated by commas, e.g. {what}") from None
        if len(values) != sets:
            raise ValueError(f"type one number per set ({sets}), e.g. {what}")
        return values

    return parse


def _ask_entries(day: date, db: Database, pid: Acting, library: Library) -> list[dict[str, Any]]:
    """Interactive logging: one short round of questions per scheduled exercise."""
    entries: list[dict[str, Any]] = []
    for item in services.today_items(db, pid, today=day, library=library):
        answer = _ask(
            f"{item.name} ({item.dose_text}): done, skipped or not today?",
            choice(DONE_OPTIONS),
            default="done",
        )
        if answer == "not_today":
            continue
        if answer == "skipped":
            reason = typer.prompt("Why skipped?", default="")
            entries.append(
                {
                    "exercise_id": item.exercise_id,
                    "sets_done": 0,
                    "skipped": True,
                    "skip_reason": reason,
                    "pain_during_max": 0,
                }
            )
            continue
        entry: dict[str, Any] = {"exercise_id": item.exercise_id, "sets_done": 0}
        if item.dose.sets:
            entry["sets_done"] = sets = _ask("Sets done (0-10)", whole(0, 10), item.dose.sets)
            if item.dose.reps and sets:
                example = ",".join([str(item.dose.reps)] * sets)
                entry["reps"] = _ask("Reps in each set", _per_set(sets, example), example)
            if item.dose.hold_s and sets:
                example = ",".join([str(item.dose.hold_s)] * sets)
                entry["hold_s"] = _ask("Seconds held in each set", _per_set(sets, example), example)
        if item.dose.minutes:
            entry["minutes"] = _ask("Minutes (0-300)", whole(0, 300), item.dose.minutes)
        entry["pain_during_max"] = _ask("Worst knee pain during it (0-10)", whole(0, 10))
        entry["effort"] = _ask(
            "Effort: easy, moderate or hard", choice(EFFORT_OPTIONS), default="moderate"
        )
        entries.append(entry)
    return entries


def _require_check(db: Database, pid: Acting, day: date) -> None:
    try:
        services.check_status(db, pid, day=day)
    except SafetyCheckDue as err:
        raise SafetyCheckDue(f"{err}; run `kneehab check` first", full_set=err.full_set) from None


def log_command(
    ctx: typer.Context,
    file: Annotated[
        Path | None, typer.Option("--file", help="A session JSON: {date, entries: [...]}.")
    ] = None,
    exercise: Annotated[str | None, typer.Option("--exercise", help="Exercise id.")] = None,
    sets: Annotated[int | None, typer.Option("--sets", help="Sets done.")] = None,
    reps: Annotated[str | None, typer.Option("--reps", help="Reps per set, e.g. 10,10.")] = None,
    hold: Annotated[str | None, typer.Option("--hold", help="Hold seconds per set.")] = None,
    side: Annotated[str | None, typer.Option("--side", help="left, right or both.")] = None,
    load: Annotated[float | None, typer.Option("--load", help="Ankle weight, kg.")] = None,
    step: Annotated[int | None, typer.Option("--step", help="Step height, cm.")] = None,
    minutes: Annotated[int | None, typer.Option("--minutes", help="Minutes (aerobic).")] = None,
    pain: Annotated[int | None, typer.Option("--pain", help="Worst pain during, 0-10.")] = None,
    effort: Annotated[str | None, typer.Option("--effort", help="easy, moderate, hard.")] = None,
    rir: Annotated[int | None, typer.Option("--rir", help="Reps in reserve.")] = None,
    sharp: Annotated[bool, typer.Option("--sharp", help="Sharp or catching pain.")] = False,
    skipped: Annotated[bool, typer.Option("--skipped", help="Not done today.")] = False,
    reason: Annotated[str, typer.Option("--reason", help="Why it was skipped.")] = "",
    day_opt: Annotated[
        str | None, typer.Option("--date", help="Session date (default: today).")
    ] = None,
    person: PersonOpt = None,
    db_file: DbOpt = None,
    today: TodayOpt = None,
) -> None:
    """Record a session: from a JSON file, from flags (one exercise), or by answering questions."""
    now_day = today_from(today)
    day = parse_day(day_opt, "--date") or now_day
    with database(ctx, db_file) as db:
        pid = enrolled_person(db, person)
        now_day = person_day(db, pid, today)
        day = parse_day(day_opt, "--date") or now_day
        if day == now_day:  # RULES §1.1: say so before asking anything
            _require_check(db, pid, day)
        if file is not None:
            data = read_json(file, "session")
            if isinstance(data, dict):
                data.setdefault("date", day.isoformat())
            session = validate(Session, data, "session")
        else:
            if exercise is not None:
                raw = {
                    "exercise_id": exercise,
                    "sets_done": sets if sets is not None else 0,
                    "reps": _ints(reps, "--reps"),
                    "hold_s": _ints(hold, "--hold"),
                    "side": side,
                    "load_kg": load,
                    "step_cm": step,
                    "minutes": minutes,
                    "pain_during_max": pain if pain is not None else (0 if skipped else None),
                    "effort": effort,
                    "rir": rir,
                    "sharp_pain": sharp,
                    "skipped": skipped,
                    "skip_reason": reason,
                }
                raws = [{k: v for k, v in raw.items() if v is not None}]
            else:
                raws = _ask_entries(day, db, pid, cli_context(ctx).library)
            try:
                entries = tuple(validate(SessionEntry, r, "entry") for r in raws)
            except InvalidInput as err:
                if exercise is None:
                    raise
                hints = {"--pain": "your worst knee pain during it, 0-10, e.g. --pain 2"}
                raise _in_flags(err, LOG_FLAGS, hints) from None
            session = Session(date=day, entries=entries)
        results = services.save_session(
            db, pid, session=session, now=utc_now(), today=now_day, library=cli_context(ctx).library
        )
    out = console()
    if not results:
        out.print("Nothing to record.")
    for r in results:
        out.print(f"{r.day.isoformat()} {exercise_name(r.exercise_id)}: {r.message}", markup=False)
        if r.rules:
            out.print(f"  {why_line(r.rules)}", markup=False)


# --- checkin ---------------------------------------------------------------------------------


def checkin_command(
    ctx: typer.Context,
    morning_pain: Annotated[
        int | None, typer.Option("--morning-pain", help="Knee pain on waking, 0-10.")
    ] = None,
    stiffness: Annotated[
        int | None, typer.Option("--stiffness", help="Morning stiffness, 0-10.")
    ] = None,
    avg_pain: Annotated[
        int | None, typer.Option("--avg-pain", help="Average knee pain yesterday, 0-10.")
    ] = None,
    symptom: Annotated[
        list[str] | None,
        typer.Option("--symptom", help=f"New symptom (repeat): {', '.join(SYMPTOMS)}."),
    ] = None,
    chest: Annotated[
        bool, typer.Option("--chest", help="Chest pain or breathlessness with calf symptoms.")
    ] = False,
    day_opt: Annotated[
        str | None, typer.Option("--date", help="Check-in date (default: today).")
    ] = None,
    person: PersonOpt = None,
    db_file: DbOpt = None,
    today: TodayOpt = None,
) -> None:
    """The morning check-in: prints the decisions it leads to, with reasons, and any escalation."""
    now_day = today_from(today)
    day = parse_day(day_opt, "--date") or now_day
    data: dict[str, Any] = {"date": day.isoformat(), "chest_symptoms": chest}
    if morning_pain is None:
        data["morning_pain"] = _ask("Knee pain this morning (0-10)", whole(0, 10))
        data["morning_stiffness"] = _ask("Stiffness this morning (0-10)", whole(0, 10))
        data["avg_pain"] = _ask("Average knee pain yesterday (0-10)", whole(0, 10))
        data["new_symptoms"] = _ask(
            "Any new symptoms? (comma-separated: "
            f"{', '.join(s.replace('_', ' ') for s in SYMPTOMS)}; blank for none)",
            many(SYMPTOMS, SYMPTOM_WORDS),
            default="",
        )
    else:
        data.update(
            morning_pain=morning_pain,
            morning_stiffness=stiffness,
            avg_pain=avg_pain,
            new_symptoms=symptom or [],
        )
    try:
        checkin = validate(CheckIn, data, "check-in")
    except InvalidInput as err:
        raise _in_flags(err, CHECKIN_FLAGS, {}) from None
    with database(ctx, db_file) as db:
        pid = enrolled_person(db, person)
        now_day = person_day(db, pid, today)
        if day_opt is None and checkin.date != now_day:  # the person's date, not the machine's
            checkin = checkin.model_copy(update={"date": now_day})
        result = services.check_in(
            db, pid, checkin, today=now_day, now=utc_now(), library=cli_context(ctx).library
        )
        if result.escalation_id is not None:
            services.mark_escalations_seen(db, pid, [result.escalation_id], now=utc_now())
    out = console()
    if result.triage.rules:
        render_triage(out, result.triage)
    changed = [d for d in result.decisions if d.action != Action.HOLD]
    changes = count_words(len(changed), "change")
    out.print(
        f"Check-in for {checkin.date.isoformat()} saved. {changes.capitalize()} to your program."
    )
    for d in result.decisions:
        dose = (
            ""
            if d.from_dose == d.to_dose
            else (f" ({d.from_dose.describe()} → {d.to_dose.describe()})")
        )
        action = ACTION_WORDS.get(d.action.value, d.action.value)
        name = exercise_name(d.exercise_id)
        out.print(f"• {name}: {action.upper()}{dose} — {d.reason}", markup=False)
        if d.rules:
            out.print(f"  {why_line(d.rules)}", markup=False)
    print_escalation(out, result.escalation)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("start")(start_command)
    app.command("today")(today_command)
    app.command("log")(log_command)
    app.command("checkin")(checkin_command)
