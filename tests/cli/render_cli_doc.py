"""Render docs/cli-reference.md from the real `--help` of every command (run: python tests/cli/render_cli_doc.py).

tests/cli/test_cli_doc.py fails when the committed file differs, so the reference never drifts from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer.main

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "cli-reference.md"

HEADER = """# kneehab command reference

Generated from the commands' own `--help` by `tests/cli/render_cli_doc.py`; a test keeps it in sync.
For a walk-through see [user-guide.md](user-guide.md).
"""


def _walk(cmd: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    out = [(path, cmd)]
    # Typer's groups are not click.Group subclasses in every version: look for sub-commands instead.
    commands = getattr(cmd, "commands", None) or {}
    for name in sorted(commands):
        out.extend(_walk(commands[name], [*path, name]))
    return out


def render() -> str:
    from kneehab.cli.main import app

    root = typer.main.get_command(app)
    parts = [HEADER]
    for path, cmd in _walk(root, ["kneehab"]):
        ctx = cmd.context_class(
            cmd, info_name=" ".join(path), terminal_width=100, max_content_width=100
        )
        help_text = cmd.get_help(ctx).rstrip()
        title = " ".join(path)
        parts.append(f"\n## `{title}`\n\n```text\n{help_text}\n```\n")
    return "".join(parts)


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC}\n")
