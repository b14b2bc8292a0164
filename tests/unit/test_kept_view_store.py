"""web/kept_views.py: a view is given back only for the key it was kept under, and a process keeps at
most its limit of bytes, the least recently used dropped first (the newest always stays)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kneehab.web.kept_views import KeptViews, view_key

MADE = datetime(2025, 3, 1, tzinfo=UTC)
DAY = date(2025, 3, 4)


def test_a_view_comes_back_only_for_its_own_key() -> None:
    views = KeptViews()
    key = view_key((MADE, 7, 2), DAY, "lib")
    assert key is not None
    views.put(1, "today", key, "seven", 10)
    assert views.get(1, "today", key) == "seven"
    for other in (
        view_key((MADE, 8, 2), DAY, "lib"),  # a newer revision
        view_key((MADE.replace(hour=1), 7, 2), DAY, "lib"),  # another record under the same id
        view_key((MADE, 7, 1), DAY, "lib"),  # another rule book
        view_key((MADE, 7, 2), date(2025, 3, 5), "lib"),  # the next day
        view_key((MADE, 7, 2), DAY, "other"),  # another library
    ):
        assert other is not None and views.get(1, "today", other) is None
    assert views.get(2, "today", key) is None and views.get(1, "today.json", key) is None
    assert view_key(None, DAY, "lib") is None  # nothing is kept when the version was not read


def test_the_least_recently_used_view_goes_first() -> None:
    views = KeptViews(limit_bytes=250)
    key = (MADE, 1, 2), DAY, "lib"
    views.put(1, "today", key, "one", 100)
    views.put(2, "today", key, "two", 100)
    assert views.get(1, "today", key) == "one"  # person 1 is now the most recently used
    views.put(3, "today", key, "three", 100)
    assert (len(views), views.size) == (2, 200)
    assert views.get(2, "today", key) is None
    assert (views.get(1, "today", key), views.get(3, "today", key)) == ("one", "three")
    views.put(1, "today", key, "one again", 50)  # kept again: its old size is given back
    assert (len(views), views.size) == (2, 150)
    views.put(4, "progress.json", key, b"x" * 400, 400)  # larger than the limit: kept alone
    assert (len(views), views.size) == (1, 400)
    assert views.get(4, "progress.json", key) == b"x" * 400
    views.clear()
    assert (len(views), views.size) == (0, 0)
