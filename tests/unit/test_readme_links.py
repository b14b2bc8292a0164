"""The README and the pages point only to what the repository has (issue 9 §6, §7): no RULES.md (the rule
book is written out in docs/clinical-rules.md), and every relative link in the README opens a file."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "src" / "kneehab" / "web" / "templates"


def test_readme_links_open_files_of_the_repository() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text) + re.findall(r'src="([^"]+)"', text)
    local = [link for link in links if not re.match(r"[a-z]+://", link)]
    assert local
    missing = [link for link in local if not (ROOT / link).exists()]
    assert missing == []
    assert "docs/clinical-rules.md" in local


def test_nothing_a_person_reads_points_to_a_rules_md_the_repository_lacks() -> None:
    assert not list(ROOT.glob("RULES.md"))
    assert "RULES.md" not in (ROOT / "README.md").read_text(encoding="utf-8")
    for template in TEMPLATES.glob("*.html"):
        assert "RULES.md" not in template.read_text(encoding="utf-8"), template.name
