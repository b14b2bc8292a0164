"""The `kneehab` command. `main(argv, environ)` is the one entrypoint; errors become exit codes here only.

Exit codes: 0 ok · 1 internal error (a bug: one plain line; KNEEHAB_DEBUG=1 shows the traceback) · 2 a user mistake (bad input, unknown id, bad file, a missing
argument, an unknown option or command, input that ended early) · 3 the questionnaire stopped on an emergency
answer · 4 `audit verify` found the trail edited · 130 stopped with Ctrl+C. None of them shows a Python traceback for a mistake.

Typer 0.2x carries its own copy of click (`typer._click`) whose exceptions are not `click`'s; older
typers raise `click`'s own. Both families are caught here, so a usage mistake is a message, never a traceback.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Mapping, Sequence
from types import ModuleType

import typer
from pydantic import ValidationError
from rich.console import Console

from kneehab.cli import (
    admin_cmd,
    backup_cmd,
    care_cmd,
    choices_cmd,
    db_cmd,
    exports_cmd,
    library_cmd,
    motion_cmd,
    plan_cmd,
    populate_cmd,
    progress_cmd,
    report_cmd,
    rules_cmd,
    safety_cmd,
    scan_cmd,
    serve_cmd,
)
from kneehab.cli.context import CliContext
from kneehab.config import load_settings
from kneehab.domain.validation import describe_errors
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
safety_cmd.register(app)
choices_cmd.register(app)
report_cmd.register(app)
backup_cmd.register(app)
progress_cmd.register(app)
motion_cmd.register(app)
populate_cmd.register(app)
rules_cmd.register(app)
serve_cmd.register(app)
admin_cmd.register(app)
db_cmd.register(app)
exports_cmd.register(app)
scan_cmd.register(app)

STOPPED = 130  # the shell's code for Ctrl+C


def _click_modules() -> list[ModuleType]:
    """The click exception modules in use: typer's vendored copy and/or click itself."""
    found = []
    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            found.append(importlib.import_module(name))
        except ImportError:
            continue
    return found


def _classes(name: str, *extra: type[BaseException]) -> tuple[type[BaseException], ...]:
    classes = [getattr(m, name) for m in _click_modules() if hasattr(m, name)]
    return tuple(dict.fromkeys([*classes, *extra]))


EXIT = _classes("Exit", typer.Exit)
ABORT = _classes("Abort", typer.Abort)
NO_ARGS = _classes("NoArgsIsHelpError")
USAGE = _classes("UsageError")
CLICK_ERROR = _classes("ClickException")


def _stopped(err: Console) -> int:
    err.print("\nStopped (Ctrl+C). Nothing more was saved.")
    return STOPPED


def _input_ended(err: Console) -> int:
    err.print(
        "\nerror: the input ended before every question was answered (nothing was saved). "
        "Answer each question, or give the values as options (see --help)."
    )
    return 2


PLAIN_WORDS: tuple[tuple[str, str], ...] = (
    (r"Input should be a valid integer.*", "must be a whole number"),
    (r"Input should be a valid number.*", "must be a number"),
    (r"Input should be less than or equal to (\S+)", r"must be \1 or less"),
    (r"Input should be greater than or equal to (\S+)", r"must be \1 or more"),
    (r"Input should be less than (\S+)", r"must be less than \1"),
    (r"Input should be greater than (\S+)", r"must be more than \1"),
)


def _given(argv: Sequence[str], opts: Sequence[str]) -> str | None:
    """What was typed for option `opts` (`--port abc` or `--port=abc`), for the message."""
    for i, arg in enumerate(argv):
        for opt in opts:
            if arg == opt and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(f"{opt}="):
                return arg[len(opt) + 1 :]
    return None


def _plain(exc: BaseException, argv: Sequence[str]) -> str:
    """`Invalid value for '--port': Input should be a valid integer…` → `--port: 'abc' must be a whole number`."""
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    found = re.fullmatch(r"Invalid value for '([^']+)': (.*)", message, flags=re.S)
    if not found:
        return message
    name, why = found.groups()
    for pattern, words in PLAIN_WORDS:
        why = re.sub(pattern, words, why)
    param = getattr(exc, "param", None)
    value = _given(argv, getattr(param, "opts", ()) or ())
    return f"{name}: '{value}' {why}" if value is not None else f"{name}: {why}"


def _usage(err: Console, exc: BaseException, argv: Sequence[str]) -> int:
    """A click usage mistake in kneehab's words: what is wrong, then how to get help."""
    if isinstance(exc, NO_ARGS):  # a group or command run bare: its help, then exit 2
        help_text = str(getattr(exc, "message", exc))
        err.print(help_text.rstrip(), markup=False)
        return 2
    ctx = getattr(exc, "ctx", None)
    err.print(f"error: {_plain(exc, argv)}", markup=False)
    if ctx is not None:
        err.print(f"Usage: {ctx.get_usage().removeprefix('Usage: ')}", markup=False)
    path = ctx.command_path if ctx is not None else "kneehab"
    err.print(f"See `{path} --help` for what is allowed.", markup=False)
    return 2


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = dict(os.environ if environ is None else environ)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        settings = load_settings(env)
    except ValidationError as exc:  # bad KNEEHAB_* variable: a user mistake
        for problem in describe_errors(exc.errors()):
            name, _, why = problem.partition(": ")
            err.print(f"error: KNEEHAB_{name.upper()}: {why} (see docs/settings.md)", markup=False)
        return 2
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = app(
            args=args,
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
    except EXIT as exc:
        code = int(getattr(exc, "exit_code", 0) or 0)
        return _stopped(err) if code == STOPPED else code
    except ABORT as exc:
        # click turns EOF at a prompt into Abort (older clicks do the same for Ctrl+C).
        cause = exc.__cause__ or exc.__context__
        return _stopped(err) if isinstance(cause, KeyboardInterrupt) else _input_ended(err)
    except USAGE as exc:
        return _usage(err, exc, args)
    except CLICK_ERROR as exc:
        err.print(f"error: {getattr(exc, 'format_message', exc.__str__)()}", markup=False)
        return 2
    except EOFError:
        return _input_ended(err)
    except KeyboardInterrupt:
        return _stopped(err)
    except Exception as exc:  # a bug: one plain line, the details only on request
        if env.get("KNEEHAB_DEBUG") or os.environ.get("KNEEHAB_DEBUG"):
            raise
        err.print(
            "error: kneehab stopped because of a problem in kneehab itself — a bug, not something "
            f"you did ({type(exc).__name__}). What was saved before it is kept. Please report it "
            "with the command you ran; run it again with KNEEHAB_DEBUG=1 to see the details.",
            markup=False,
        )
        return 1
    # With standalone_mode=False typer returns the code of a typer.Exit (and 130 for Ctrl+C).
    if result == STOPPED:
        return _stopped(err)
    return result if isinstance(result, int) else 0


def run() -> None:
    sys.exit(main())
