"""The person's exercise days as an iCalendar file (RFC 5545, issue 14 §2), built with `icalendar`.

One recurring all-day event per session pattern: the weekdays whose sessions hold the same exercises
share one event with a weekly RRULE (e.g. Tue, Fri, Sun: the strength days). Its description lists the
session's exercises and doses; a reminder (VALARM) fires at the time the person chose on each of those
days. The review date is an event of its own. UIDs depend only on the person, the pattern and the public
host, so a calendar that subscribes (or imports again) updates the same events; SEQUENCE is the program
version, so it rises whenever the program changes. All-day dates are floating: no time zone to get wrong.
DTSTAMP is `ctx.now`, the stated creation timestamp; everything else is a function of the program.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from icalendar import Alarm, Calendar, Event, vRecur

from kneehab.domain.program import WEEKDAYS, Program, ProgramItem
from kneehab.errors import InvalidInput
from kneehab.exports.context import ExportContext, ProgramSubject

PRODID = "-//kneehab//home exercise program//EN"
ICAL_DAYS = dict(zip(WEEKDAYS, ("MO", "TU", "WE", "TH", "FR", "SA", "SU"), strict=True))
DAY_WORDS = dict(zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
DEFAULT_REMIND_AT = "08:00"
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def remind_time(value: str) -> tuple[int, int]:
    """HH:MM (24-hour) → (hours, minutes); anything else is a clear mistake."""
    found = _TIME.match(value.strip())
    if found is None:
        raise InvalidInput(
            f"remind_at: '{value}' is not a time (allowed: HH:MM, 24-hour, e.g. 07:30)"
        )
    return int(found.group(1)), int(found.group(2))


def patterns(program: Program) -> list[tuple[tuple[str, ...], tuple[ProgramItem, ...]]]:
    """The session patterns: (weekdays, the exercises of each of them), in weekday order."""
    by_content: dict[tuple[str, ...], list[str]] = {}
    items = {i.exercise_id: i for i in program.items}
    for day, ids in program.schedule().items():
        if ids:
            by_content.setdefault(tuple(ids), []).append(day)
    return [(tuple(days), tuple(items[x] for x in ids)) for ids, days in by_content.items()]


def _first_on_or_after(start: date, days: tuple[str, ...]) -> date:
    return next(
        start + timedelta(n) for n in range(7) if WEEKDAYS[(start + timedelta(n)).weekday()] in days
    )


def _uid(subject: ProgramSubject, ctx: ExportContext, what: str) -> str:
    return f"kneehab-person-{subject.person_id}-{what}@{ctx.host}"


def _description(program: Program, items: tuple[ProgramItem, ...], ctx: ExportContext) -> str:
    lines = [f"{n}. {i.name}: {i.dose_text}" for n, i in enumerate(items, 1)]
    return "\n".join(
        [
            "Today's session:",
            *lines,
            "",
            f"Keep knee pain during exercise at {program.pain_ceiling} out of 10 or less. "
            "If it goes higher, stop that exercise.",
            f"Open today's session: {ctx.url('/today')}",
        ]
    )


def _alarm(hours: int, minutes: int) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", "Knee exercises today")
    # An all-day event starts at midnight: the reminder is that far into the day.
    alarm.add("trigger", timedelta(hours=hours, minutes=minutes), parameters={"RELATED": "START"})
    return alarm


def _event(subject: ProgramSubject, ctx: ExportContext, uid: str, summary: str, day: date) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", ctx.now.astimezone(UTC))
    event.add("last-modified", datetime.combine(subject.version_date, datetime.min.time(), UTC))
    event.add("sequence", subject.version)
    event.add("summary", summary)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("transp", "TRANSPARENT")  # a reminder, not a busy slot
    return event


def _review_words(program: Program) -> str:
    booked = next((n for n in program.notices if n.startswith("Book a review")), "")
    return booked or "Have your program reviewed by a physical therapist or doctor."


def render(
    subject: ProgramSubject, *, ctx: ExportContext, remind_at: str = DEFAULT_REMIND_AT
) -> bytes:
    hours, minutes = remind_time(remind_at)
    program = subject.program
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "Knee exercise program")
    for days, items in patterns(program):
        names = "/".join(DAY_WORDS[d] for d in days)
        first = _first_on_or_after(program.start, days)
        event = _event(
            subject, ctx, _uid(subject, ctx, "session-" + "-".join(days)),
            f"Knee exercises: {len(items)} exercise{'s' if len(items) != 1 else ''}", first,
        )  # fmt: skip
        event.add("rrule", vRecur(freq="WEEKLY", byday=[ICAL_DAYS[d] for d in days], wkst="MO"))
        event.add("description", _description(program, items, ctx))
        event.add("url", ctx.url("/today"))
        event.add("categories", ["Exercise"])
        event.add("comment", f"Every {names}")
        event.add_component(_alarm(hours, minutes))
        cal.add_component(event)
    if program.review_on is not None:
        review = _event(
            subject, ctx, _uid(subject, ctx, f"review-{program.review_on.isoformat()}"),
            "Knee program review", program.review_on,
        )  # fmt: skip
        review.add("description", _review_words(program))
        review.add_component(_alarm(hours, minutes))
        cal.add_component(review)
    return cal.to_ical()
