"""The public library API is a promise: this test pins it, and runs the docstring example."""

from __future__ import annotations

import doctest

import kneehab

EXPECTED = {
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
}


def test_all_is_pinned() -> None:
    assert set(kneehab.__all__) == EXPECTED
    for name in kneehab.__all__:
        assert hasattr(kneehab, name), name


def test_docstring_example_runs() -> None:
    result = doctest.testmod(kneehab, verbose=False)
    assert result.attempted >= 5
    assert result.failed == 0
