"""A person's own date: "today" is the date where the person is, not where the server is (issue 11
§1). The zone is an IANA name (Europe/Berlin); none means the zone `now` already carries."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


def known_zone(name: str) -> bool:
    """An IANA zone name this machine knows (names only: no file paths, no empty string)."""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return name in available_timezones() or name == "UTC"


def local_now(now: datetime, zone: str | None) -> datetime:
    return now.astimezone(ZoneInfo(zone)) if zone else now


def local_date(now: datetime, zone: str | None) -> date:
    return local_now(now, zone).date()
