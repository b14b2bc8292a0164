"""What every command receives: settings and the environment, built once in main()."""

from __future__ import annotations

from dataclasses import dataclass, field

import typer

from kneehab.config import Settings


@dataclass(frozen=True)
class CliContext:
    settings: Settings
    environ: dict[str, str] = field(default_factory=dict)


def cli_context(ctx: typer.Context) -> CliContext:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliContext)
    return obj
