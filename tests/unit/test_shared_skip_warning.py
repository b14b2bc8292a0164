"""Without ../shared, the tests that read it skip with ONE loud warning naming what is missing (issue 9 §7),
like the PostgreSQL ones: run in a copy of the repository's test set-up that has no shared/ beside it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SKIPPING = """
import pytest

@pytest.mark.skipif(True, reason="shared clips not present")
def test_clip_one(): ...

@pytest.mark.skipif(True, reason="shared clips not present")
def test_clip_two(): ...

@pytest.mark.skipif(True, reason="article not found at ../shared/seed/inner-knee-pain-article.txt")
def test_article(): ...

def test_runs(): ...
"""


def test_missing_shared_gives_one_loud_warning(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "conftest.py", repo / "tests" / "conftest.py")
    (repo / "tests" / "test_needs_shared.py").write_text(SKIPPING, encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    assert text.count("SKIPPED: ../shared is missing") == 1, text
    assert "3 TEST(S) SKIPPED" in text
    shared = tmp_path / "shared"
    assert (
        f"the article: {shared / 'seed' / 'inner-knee-pain-article.txt'} (MISSING; 1 test(s)"
        in text
    )
    assert f"the exercise clips: {shared / 'data' / 'exercise_clips'} (MISSING; 2 test(s)" in text


def test_every_test_that_reads_shared_skips_in_words_the_warning_knows() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "tests" / "conftest.py")
    assert spec and spec.loader
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    words = [w for _path, ws in conftest.SHARED_NEEDS.values() for w in ws]
    for path in (ROOT / "tests").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        if "shared" not in source or "skipif" not in source or path.name.startswith("test_shared"):
            continue
        reasons = [line for line in source.splitlines() if "skipif(" in line or "reason=" in line]
        for line in reasons:
            if "reason=" in line:
                assert any(w in line for w in words), f"{path}: {line.strip()}"
