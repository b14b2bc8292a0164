"""docs/clinical-rules.md is rendered from the spec tables; it must not drift from them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).with_name("render_rules_doc.py")


def test_clinical_rules_doc_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("render_rules_doc", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.render()
    doc: Path = module.DOC
    assert doc.exists(), "run: python tests/spec/render_rules_doc.py"
    assert doc.read_text(encoding="utf-8") == expected, (
        "docs/clinical-rules.md is out of date; run: python tests/spec/render_rules_doc.py"
    )
    for rule in ("P1", "P2", "P3", "P4", "P5", "C-7", "C-8", "E1", "E2", "E11"):
        assert rule in expected
