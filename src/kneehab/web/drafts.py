"""Step-by-step answers between steps (first run, and the mid-course re-screen), kept in the database
until the last step (issue 10 §3: any server process can continue them, and a restart loses nothing).

Nobody may be enrolled yet while the safety questions and the intake are answered step by step, so the
answers are not a person's record: each browser holds only a random key (an HttpOnly cookie scoped to the
steps' own path) and the database keeps the answers under the key's hash. They are dropped when the steps
end (enrolled, or stopped on a warning sign), expire after a day, and never reach a log.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.responses import Response

from kneehab.store import account_repo
from kneehab.store.db import Database

TTL = timedelta(hours=24)


@dataclass
class Draft:
    answers: dict[str, Any] = field(default_factory=dict)
    done: int = 0  # the last step answered in full: later steps wait until the ones before are done
    touched: datetime | None = None


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Drafts:
    db: Database

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(24)

    def get(self, key: str | None, *, now: datetime) -> Draft | None:
        if not key:
            return None
        with self.db.read() as s:
            data = account_repo.draft(s, _hash(key), now)
        if data is None:
            return None
        return Draft(dict(data.get("answers", {})), int(data.get("done", 0)), now)

    def put(self, key: str, draft: Draft, *, now: datetime, kind: str = "steps") -> None:
        with self.db.write() as s:
            account_repo.drop_expired_drafts(s, now)
            account_repo.put_draft(
                s, _hash(key), kind, {"answers": draft.answers, "done": draft.done}, now + TTL
            )

    def drop(self, key: str | None) -> None:
        if key:
            with self.db.write() as s:
                account_repo.drop_draft(s, _hash(key))


def keep_key(response: Response, cookie: str, key: str, *, path: str) -> Response:
    """Hand the browser its draft key: HttpOnly, SameSite=Strict, only for the steps' own path."""
    response.set_cookie(
        cookie, key, httponly=True, samesite="strict", path=path, max_age=int(TTL.total_seconds())
    )
    return response


def forget_key(response: Response, cookie: str, *, path: str) -> Response:
    response.delete_cookie(cookie, path=path, httponly=True, samesite="strict")
    return response
