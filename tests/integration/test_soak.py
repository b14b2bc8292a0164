"""Issue 11 §4, the small soak inside the suite: a real `kneehab serve` process is killed with SIGKILL
a few times while people write through the HTTP API; every write it answered 2xx must be stored exactly
once and the database must pass its integrity check. `make soak` runs the same harness 100 times per
store (bench/soak.py; results in docs/benchmarks.md, Durability)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _harness() -> ModuleType:
    # bench/ is not on the test path: load the one harness by its file, so both runs share it.
    name = "kneehab_soak_harness"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "soak.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.mark.xdist_group("soak")  # two server processes at once would only compete for the CPUs
def test_killed_server_loses_and_duplicates_nothing(db_url: str, tmp_path: Path) -> None:
    soak = _harness()
    if db_url.startswith("sqlite"):
        (tmp_path / "data").mkdir(exist_ok=True)
    result = soak.run_soak(db_url, tmp_path / "soak", kills=5, writers=2, writes_between=3)
    acks, found = result.acks, result.findings
    assert not result.failures, result.failures
    # Writes were answered between the kills (the harness kills only after new answers).
    assert acks.total >= 4 and acks.accounts, soak.report_row(result)
    assert acks.refused == []
    assert found.lost == []
    assert found.duplicates == []
    assert found.integrity == []
    assert found.rows["accounts"] >= len(acks.accounts)
