"""`kneehab serve`: check the database is current (never migrate it: `kneehab db upgrade` does, ADR 0006),
seed the demo clinic when asked, print the address, run the web app in one process or, with
`--workers N`, in N (gunicorn with uvicorn workers, web/server.py)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from kneehab import services
from kneehab.cli.context import cli_context
from kneehab.config import LOOPBACK_HOSTS, Settings
from kneehab.demo_clinic import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo_clinic
from kneehab.errors import InvalidInput
from kneehab.services import accounts
from kneehab.store.db import sqlite_path


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("serve")(serve)


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.", min=1, max=65535)] = None,
    db: Annotated[
        Path | None,
        typer.Option("--db", help="SQLite database file (default: kneehab.db in the data folder)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="App processes (default 1; about one per CPU core). More than 1 runs gunicorn "
            "with uvicorn workers.",
            min=1,
            max=64,
        ),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="On an empty server, add the demo clinic (an admin, a physio, four people); "
            "the sign-in page lists the demo accounts.",
        ),
    ] = False,
) -> None:
    """Start the kneehab web app (the embedded SQLite database unless KNEEHAB_DATABASE_URL is set)."""
    # The web stack loads only here, so every other `kneehab` command starts without FastAPI/uvicorn.
    from kneehab.web.app import create_app
    from kneehab.web.deps import system_clock
    from kneehab.web.logs import configure_logging
    from kneehab.web.server import serve_one_process

    settings = cli_context(ctx).settings
    updates: dict[str, object] = {}
    if workers is not None:
        updates["workers"] = workers
    if host is not None:
        updates["host"] = host
    if port is not None:
        updates["port"] = port
    if db is not None:
        updates["database_url"] = f"sqlite:///{db.expanduser().resolve()}"
    settings = settings.model_copy(update=updates)
    _refuse_an_open_network(settings)
    metrics_dir = None
    if settings.workers > 1:
        # Named before any import of prometheus-client, so every worker writes its values to files.
        from kneehab.web.server import prepare_metrics_dir

        metrics_dir = prepare_metrics_dir(settings)
    # Refuses a database that is behind (StoreError naming `kneehab db upgrade`: exit 2, no traceback).
    app = create_app(settings)
    state = app.state.web
    now = system_clock()
    # ADR 0004: stored courses move to the current rule book from today, with a dated event each.
    moved = services.upgrade_rules(state.db, today=now.date(), now=now, library=state.library)
    if moved:
        people = "1 enrolled person" if len(moved) == 1 else f"{len(moved)} enrolled people"
        typer.echo(f"Applied the updated exercise rules to {people}.")
    if demo:
        if not accounts.any_account(state.db):
            seed_demo_clinic(state.db, today=now.date(), now=now, library=state.library)
            typer.echo(
                "Added the demo clinic: a clinic admin, a physio and four people "
                f"(every password: {DEMO_PASSWORD}; the sign-in page lists them)."
            )
        app.state.demo_accounts = [
            {"email": a.email, "who": a.who, "password": a.password} for a in DEMO_ACCOUNTS
        ]
    typer.echo(_which_database(settings.effective_database_url, db))
    typer.echo(f"kneehab is running at http://{settings.host}:{settings.port}  (Ctrl+C stops it)")
    demo_accounts = list(getattr(app.state, "demo_accounts", []))
    if settings.workers > 1:
        from kneehab.web.server import Server

        state.db.close()  # each worker opens its own connections after the fork
        configure_logging(settings.log_level)  # the arbiter's lines too; workers inherit it
        try:
            Server(settings, demo_accounts=demo_accounts).run()
        finally:
            if metrics_dir is not None:
                shutil.rmtree(metrics_dir, ignore_errors=True)
        return
    serve_one_process(app, settings)


LOOPBACK_BINDS = ("127.0.0.1", "localhost", "::1")


def _refuse_an_open_network(settings: Settings) -> None:
    """Health data over plain http on a network is readable by anyone on the way: serving beyond
    loopback needs an https public_url (TLS at a proxy), or the explicit insecure setting, which
    is then shouted about."""
    if settings.host in LOOPBACK_BINDS or settings.host.startswith("127."):
        return
    https = (settings.public_url or "").lower().startswith("https://")
    if not https and not settings.allow_insecure_network:
        raise InvalidInput(
            f"--host: {settings.host} would serve health data over plain http beyond this "
            "machine; put kneehab behind an https proxy and set KNEEHAB_PUBLIC_URL=https://… "
            "(see docs/security.md), or keep the default 127.0.0.1"
        )
    if not https:
        typer.echo(
            "WARNING: serving beyond this machine over plain http "
            "(KNEEHAB_ALLOW_INSECURE_NETWORK is set): anyone on the network can read what is sent.",
            err=True,
        )
    if not settings.public_url and settings.allowed_hosts == LOOPBACK_HOSTS:
        typer.echo(
            "WARNING: only the names in KNEEHAB_ALLOWED_HOSTS are answered (loopback names by "
            "default); add the name people will use.",
            err=True,
        )


def _which_database(url: str, db: Path | None) -> str:
    """The line that says which database this server uses, and how the other commands reach it."""
    path = sqlite_path(url)
    where = (
        f"the SQLite file {path}" if path is not None else "the database in KNEEHAB_DATABASE_URL"
    )
    if db is not None:  # other commands use it only when they are given the same --db
        return f"Using {where} (give the `kneehab` commands --db {db} to use it too)."
    return f"Using {where} (the `kneehab` commands use the same one by default)."
