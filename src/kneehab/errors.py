"""One exception tree for kneehab.

    KneehabError
    ├── UserError            a person's or integrator's mistake: shown as a message, never a traceback
    │   ├── InvalidInput     bad values (intake, log entries, history files); names the field and what is allowed
    │   ├── NotFound         an id that does not exist (or that the actor may not see: same message)
    │   ├── Unauthorized     not signed in, or a wrong email and password pair (401)
    │   ├── Throttled        too many failed sign-ins: wait until the time it names (429)
    │   ├── LibraryError     an exercise library folder that does not validate; lists every problem
    │   ├── StoreError       a database/backup file that cannot be used (corrupt, newer schema)
    │   ├── Busy             SQLite still locked by other writes after its timeout: retry (503)
    │   ├── Conflict         valid, but not allowed in the person's state now (409)
    │   │   ├── SafetyCheckDue   today's safety questions come first (RULES §1.1)
    │   │   ├── DayStopped       "Stop — it hurts" ended today's session (RULES P1)
    │   │   └── CourseUnreadable the stored record no longer fits the installed exercise library
    │   └── MissingExtra     an optional extra is not installed; says the install command
    └── InternalError        a bug: logged (without health data) and reported as such

The CLI maps UserError to exit code 2 and the web layer to a 4xx, each in one place.
"""

from __future__ import annotations


class KneehabError(Exception):
    """Base of every error kneehab raises on purpose."""


class UserError(KneehabError):
    """Something the user can fix. `str(err)` is the whole message."""

    status_code = 400


class InvalidInput(UserError):
    status_code = 422

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        self.problems = problems or [message]
        super().__init__(message)


class NotFound(UserError):
    status_code = 404


class Unauthorized(UserError):
    status_code = 401


class Throttled(UserError):
    status_code = 429

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class LibraryError(UserError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"the exercise library has {len(problems)} problem(s):\n{lines}")


class StoreError(UserError):
    status_code = 409


class Busy(UserError):
    """The store could not take the request now: SQLite still locked after its busy timeout, or no
    free connection in the pool within its timeout. Nothing was kept; the same request may be sent
    again."""

    status_code = 503


class Conflict(UserError):
    """Valid input that the person's current state does not allow now; says what comes first."""

    status_code = 409


class SafetyCheckDue(Conflict):
    """RULES §1.1: nothing of today's session is saved before today's short safety questions are
    answered and, after a yes or on a full-set day, the full safety questions. `full_set` says which
    of the two is missing."""

    def __init__(self, message: str, *, full_set: bool) -> None:
        super().__init__(message)
        self.full_set = full_set


class DayStopped(Conflict):
    """RULES P1: "Stop — it hurts" ended today's session; nothing more of it is recorded today."""


class MissingExtra(UserError):
    status_code = 501


class InternalError(KneehabError):
    """A bug; never caused by input."""


class CourseUnreadable(Conflict):
    """A person's stored records cannot be rebuilt into their course with the installed exercise
    library (an exercise they logged is no longer in it). Said in plain words on every page of the
    person and of their clinician; nothing stored is changed or lost."""

    def __init__(self, message: str, *, problems: list[str]) -> None:
        self.problems = [message, *problems]
        super().__init__(message)
