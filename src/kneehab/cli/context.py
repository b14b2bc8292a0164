"""What every command receives: settings and the environment, built once in main()."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import typer

from kneehab.config import Settings
from kneehab.domain.exercise import Library
from kneehab.library.load import load_library


@dataclass(frozen=True)
class CliContext:
    settings: Settings
    environ: dict[str, str] = field(default_factory=dict)

    @cached_property
    def library(self) -> Library:
        """The exercise library, loaded once for the command that needs it and passed down (commands
        such as `library check` read the files themselves and never load it here)."""
        return load_library()


def cli_context(ctx: typer.Context) -> CliContext:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliContext)
    return obj
