"""The test suite runs from any mix of its folders: pytest imports every folder's conftest.py as the
one module `conftest`, so a test that imports helpers from `conftest` gets whichever folder's was
loaded last (`pytest tests/cli/… tests/api/…` failed to collect five API modules)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
IMPORTS_CONFTEST = re.compile(r"^\s*(from conftest import|import conftest\b)", re.MULTILINE)


def test_no_test_module_imports_conftest_by_name() -> None:
    found = [
        str(p.relative_to(TESTS))
        for p in TESTS.rglob("*.py")
        if p.name != "conftest.py" and IMPORTS_CONFTEST.search(p.read_text(encoding="utf-8"))
    ]
    assert found == [], f"import helpers from the folder's *_support module instead: {found}"


def test_folders_with_their_own_conftest_collect_together() -> None:
    # The folders' conftests load in the order of the arguments; the last one loaded is cli's.
    args = [
        "tests/api/test_stopped_day.py",
        "tests/e2e/test_accounts_flow.py",
        "tests/unit/library",
        "tests/cli/test_scan_cli.py",
    ]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", *args],
        check=False,
        cwd=TESTS.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    collected = done.stdout
    for arg in args:
        assert arg in collected, f"nothing collected from {arg}"
