"""docs/screening-and-planning.md is rendered from the spec tables and must not drift."""

from __future__ import annotations

from render_planning_doc import DOC, render


def test_planning_doc_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/screening-and-planning.md is out of date: run `python tests/spec/render_planning_doc.py`"
    )
