"""The `kneehab` command. `main(argv, environ)` is the one entrypoint; errors become exit codes here only.

Exit codes: 0 ok · 1 internal error (a bug) · 2 a user mistake (bad input, unknown id, bad file).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

import click
import typer
from rich.console import Console

from kneehab.cli import (
    backup_cmd,
    care_cmd,
    choices_cmd,
    library_cmd,
    motion_cmd,
    plan_cmd,
    progress_cmd,
    report_cmd,
    rules_cmd,
    serve_cmd,
)
from kneehab.cli.context import CliContext
from kneehab.config import load_settings
from kneehab.errors import InvalidInput, UserError

app = typer.Typer(
    name="kneehab",
    help="kneehab: a home exercise program for inner (medial) knee pain. It does not diagnose.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(library_cmd.app, name="library")
plan_cmd.register(app)
care_cmd.register(app)
choices_cmd.register(app)
report_cmd.register(app)
backup_cmd.register(app)
progress_cmd.register(app)
motion_cmd.register(app)
rules_cmd.register(app)
serve_cmd.register(app)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = dict(os.environ if environ is None else environ)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        settings = load_settings(env)
    except Exception as exc:  # bad KNEEHAB_* variable: a user mistake
        err.print(f"error: a KNEEHAB_ setting is not valid: {exc}")
        return 2
    try:
        result = app(
            args=list(sys.argv[1:] if argv is None else argv),
            prog_name="kneehab",
            standalone_mode=False,
            obj=CliContext(settings=settings, environ=env),
        )
    except InvalidInput as exc:
        err.print(f"error: {exc}", markup=False)
        for problem in exc.problems[1:]:
            err.print(f"  - {problem}", markup=False)
        return 2
    except UserError as exc:
        err.print(f"error: {exc}", markup=False)
        return 2
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.exceptions.Abort:
        err.print("stopped.")
        return 130
    except click.ClickException as exc:
        exc.show()
        return 2
    # With standalone_mode=False click returns the code of a typer.Exit instead of raising it.
    return result if isinstance(result, int) else 0


def run() -> None:
    sys.exit(main())
