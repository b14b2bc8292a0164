"""One exception tree for kneehab.

    KneehabError
    ├── UserError            a person's or integrator's mistake: shown as a message, never a traceback
    │   ├── InvalidInput     bad values (intake, log entries, history files); names the field and what is allowed
    │   ├── NotFound         an id that does not exist (or that the actor may not see: same message)
    │   ├── LibraryError     an exercise library folder that does not validate; lists every problem
    │   ├── StoreError       a database/backup file that cannot be used (corrupt, newer schema)
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


class LibraryError(UserError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"the exercise library has {len(problems)} problem(s):\n{lines}")


class StoreError(UserError):
    status_code = 409


class MissingExtra(UserError):
    status_code = 501


class InternalError(KneehabError):
    """A bug; never caused by input."""
