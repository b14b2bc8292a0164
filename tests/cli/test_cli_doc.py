"""docs/cli-reference.md is generated from the real help texts and must not drift."""

from __future__ import annotations

import os

import pytest
from render_cli_doc import DOC, render


def test_cli_reference_is_current(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(os.environ, "COLUMNS", "100")
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/cli-reference.md is out of date: run `python tests/cli/render_cli_doc.py`"
    )
