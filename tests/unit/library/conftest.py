"""A writable copy of the shipped library, so each test can break one thing and see the loader say so."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kneehab.library.load import DEFAULT_PATH


@pytest.fixture
def lib_copy(tmp_path: Path) -> Path:
    root = tmp_path / "library"
    (root / "exercises").mkdir(parents=True)
    for name in ("avoid.toml", "equipment.toml", "guidance.toml"):
        shutil.copy(DEFAULT_PATH / name, root / name)
    for f in (DEFAULT_PATH / "exercises").glob("*.toml"):
        shutil.copy(f, root / "exercises" / f.name)
    return root
