"""Step-by-step answers between steps (first run, and the mid-course re-screen), kept in the server's
memory until the last step.

Nobody is enrolled yet while the safety questions and the intake are answered step by step, so there is no
person to save them for; each browser holds only a random key (an HttpOnly cookie scoped to /start). The
answers never reach the database or a log, are dropped when first run ends (enrolled, or stopped on a warning
sign) and expire after a day. A restart forgets them: the person starts the questions again. The re-screen
keeps its answers the same way under its own cookie, scoped to /rescreen, until it is saved as a whole.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.responses import Response

TTL = timedelta(hours=24)
MAX_DRAFTS = 100  # one local person; a cap keeps memory bounded whatever a client does


@dataclass
class Draft:
    answers: dict[str, Any] = field(default_factory=dict)
    done: int = 0  # the last step answered in full: later steps wait until the ones before are done
    touched: datetime | None = None


class Drafts:
    def __init__(self) -> None:
        self._items: dict[str, Draft] = {}
        self._lock = threading.Lock()

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(24)

    def get(self, key: str | None, *, now: datetime) -> Draft | None:
        with self._lock:
            found = self._items.get(key) if key else None
            if found is None or found.touched is None or now - found.touched > TTL:
                return None
            return Draft(dict(found.answers), found.done, found.touched)

    def put(self, key: str, draft: Draft, *, now: datetime) -> None:
        with self._lock:
            self._items[key] = Draft(dict(draft.answers), draft.done, now)
            if len(self._items) > MAX_DRAFTS:
                oldest = min(self._items, key=lambda k: self._items[k].touched or now)
                del self._items[oldest]

    def drop(self, key: str | None) -> None:
        with self._lock:
            if key:
                self._items.pop(key, None)


def keep_key(response: Response, cookie: str, key: str, *, path: str) -> Response:
    """Hand the browser its draft key: HttpOnly, SameSite=Strict, only for the steps' own path."""
    response.set_cookie(
        cookie, key, httponly=True, samesite="strict", path=path, max_age=int(TTL.total_seconds())
    )
    return response


def forget_key(response: Response, cookie: str, *, path: str) -> Response:
    response.delete_cookie(cookie, path=path, httponly=True, samesite="strict")
    return response
