"""kneehab: a physical therapist's home program for inner (medial) knee pain, as software.

The public library API. Everything here is pure and deterministic: time is an argument.

    >>> from kneehab import Intake, screen, plan, default_library
    >>> intake = Intake(age=58, knee="left", condition="medial_knee_oa", onset="gradual",
    ...                 weeks_since_onset=20, pain_now=4, pain_worst_week=6)
    >>> triage = screen(intake)
    >>> triage.level.value
    'ok'
    >>> import datetime
    >>> program = plan(intake, triage, default_library(), start=datetime.date(2026, 3, 2))
    >>> program.item("bridge").dose.describe()
    '2 sets of 10, hold 2 s'
"""

from kneehab.domain.course import Course, replay
from kneehab.domain.escalation import Escalation
from kneehab.domain.exercise import Exercise, Library
from kneehab.domain.intake import Intake
from kneehab.domain.planning import plan
from kneehab.domain.program import Program, ProgramItem, Triage
from kneehab.domain.progression import Decision
from kneehab.domain.records import CheckIn, History, OutcomeRecord, Session, SessionEntry
from kneehab.domain.screening import screen, screen_checkin
from kneehab.domain.types import Dose, Level
from kneehab.errors import InvalidInput, KneehabError, LibraryError, NotFound, UserError
from kneehab.library.load import default_library, load_library

__version__ = "0.1.0"

__all__ = [
    "CheckIn",
    "Course",
    "Decision",
    "Dose",
    "Escalation",
    "Exercise",
    "History",
    "Intake",
    "InvalidInput",
    "KneehabError",
    "Level",
    "Library",
    "LibraryError",
    "NotFound",
    "OutcomeRecord",
    "Program",
    "ProgramItem",
    "Session",
    "SessionEntry",
    "Triage",
    "UserError",
    "__version__",
    "default_library",
    "load_library",
    "plan",
    "replay",
    "screen",
    "screen_checkin",
]
