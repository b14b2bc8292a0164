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

from icalendar import Alarm, Calendar, Event, vDuration, vRecur

from kneehab.domain.program import WEEKDAYS, Program, ProgramItem
from kneehab.errors import InvalidInput
from kneehab.exports.context import ExportContext, HeldSubject, ProgramSubject

PRODID = "-//kneehab//home exercise program//EN"
ICAL_DAYS = dict(zip(WEEKDAYS, ("MO", "TU", "WE", "TH", "FR", "SA", "SU"), strict=True))
DAY_WORDS = dict(zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
DEFAULT_REMIND_AT = "08:00"
REFRESH_HOURS = 12
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


def _uid(subject: ProgramSubject | HeldSubject, ctx: ExportContext, what: str) -> str:
    return f"kneehab-person-{subject.person_id}-{what}@{ctx.host}"


def _session_uid(
    subject: ProgramSubject | HeldSubject, ctx: ExportContext, days: tuple[str, ...]
) -> str:
    return _uid(subject, ctx, "session-" + "-".join(days))


def _review_uid(subject: ProgramSubject | HeldSubject, ctx: ExportContext, on: date) -> str:
    return _uid(subject, ctx, f"review-{on.isoformat()}")


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
    return _bare_event(
        ctx, uid, summary, day, sequence=subject.version, modified=subject.version_date
    )


def _bare_event(
    ctx: ExportContext, uid: str, summary: str, day: date, *, sequence: int, modified: date
) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", ctx.now.astimezone(UTC))
    event.add("last-modified", datetime.combine(modified, datetime.min.time(), UTC))
    event.add("sequence", sequence)
    event.add("summary", summary)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("transp", "TRANSPARENT")  # a reminder, not a busy slot
    return event


def _review_words(program: Program) -> str:
    booked = next((n for n in program.notices if n.startswith("Book a review")), "")
    return booked or "Have your program reviewed by a physical therapist or doctor."


def _calendar(*, subscription: bool) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "Knee exercise program")
    if subscription:
        # How often a subscribed phone should look again (RFC 7986, and the older name many read).
        cal.add(
            "refresh-interval",
            vDuration(timedelta(hours=REFRESH_HOURS)),
            parameters={"VALUE": "DURATION"},
        )
        cal.add("x-published-ttl", f"PT{REFRESH_HOURS}H")
    return cal


def render(
    subject: ProgramSubject,
    *,
    ctx: ExportContext,
    remind_at: str = DEFAULT_REMIND_AT,
    subscription: bool = False,
) -> bytes:
    hours, minutes = remind_time(remind_at)
    program = subject.program
    cal = _calendar(subscription=subscription)
    for days, items in patterns(program):
        names = "/".join(DAY_WORDS[d] for d in days)
        first = _first_on_or_after(program.start, days)
        event = _event(
            subject, ctx, _session_uid(subject, ctx, days),
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
            subject, ctx, _review_uid(subject, ctx, program.review_on),
            "Knee program review", program.review_on,
        )  # fmt: skip
        review.add("description", _review_words(program))
        review.add_component(_alarm(hours, minutes))
        cal.add_component(review)
    return bytes(cal.to_ical())


ON_HOLD_SUMMARY = "Program on hold \u2014 open kneehab"


def render_on_hold(subject: HeldSubject, *, ctx: ExportContext) -> bytes:
    """A subscribed calendar while the program is on hold: no exercise days and no reminders. The
    events the phone took from the last program come back CANCELLED with a higher SEQUENCE (RFC 5545
    §3.8.1.11: the master event cancelled, so every occurrence goes), and one all-day event today says
    to open kneehab, in plain words, without the reason (a phone's calendar is not private)."""
    cal = _calendar(subscription=True)
    seq, modified = subject.sequence, subject.today
    # Every session pattern and review any version had (a lock stops the exercises one version at a
    # time, so no single version holds all the events a phone may have): each UID once, cancelled.
    cancelled: dict[str, tuple[str, date]] = {}
    for program in subject.programs:
        for days, _items in patterns(program):
            first = _first_on_or_after(program.start, days)
            cancelled.setdefault(
                _session_uid(subject, ctx, days), ("Knee exercises (cancelled)", first)
            )
        if program.review_on is not None:
            cancelled.setdefault(
                _review_uid(subject, ctx, program.review_on),
                ("Knee program review (cancelled)", program.review_on),
            )
    for uid, (summary, day) in cancelled.items():
        gone = _bare_event(ctx, uid, summary, day, sequence=seq, modified=modified)
        gone.add("status", "CANCELLED")
        cal.add_component(gone)
    hold = _bare_event(
        ctx, _uid(subject, ctx, "on-hold"), ON_HOLD_SUMMARY,
        subject.today, sequence=seq, modified=modified,
    )  # fmt: skip
    hold.add(
        "description",
        "Your knee exercise program is on hold, so there are no exercise reminders for now. "
        f"Open kneehab to see what to do next: {ctx.url('/today')}",
    )
    hold.add("url", ctx.url("/today"))
    cal.add_component(hold)
    return bytes(cal.to_ical())
