"""`kneehab library ...`: list, show, check, figures."""

from __future__ import annotations

import typer

app = typer.Typer(help="The exercise library: list, show, check, figures.", no_args_is_help=True)
