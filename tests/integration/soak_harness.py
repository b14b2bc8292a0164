"""bench/soak.py, loaded by its file (bench/ is not on the test path): the one harness that starts and
kills `kneehab serve` processes, for the durability and the two-server tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def soak_harness() -> ModuleType:
    name = "kneehab_soak_harness"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "soak.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
