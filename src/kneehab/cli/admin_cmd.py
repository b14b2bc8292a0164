"""The server admin's commands (issue 10 §4): clinics, accounts, access tokens and the audit trail.

The server admin has no account: whoever runs these on the machine acts as "server admin" in the trail.
Secrets (an invitation or reset link, a token) are printed once and stored only as hashes.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from kneehab.cli.care_options import DbOpt, console, database, utc_now
from kneehab.cli.context import cli_context
from kneehab.config import Settings
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.errors import InvalidInput
from kneehab.services import accounts, audit

clinic_app = typer.Typer(help="Clinics.", no_args_is_help=True)
user_app = typer.Typer(help="Accounts: people, clinicians, clinic admins.", no_args_is_help=True)
token_app = typer.Typer(help="Personal access tokens for integrators.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)

BROKEN_TRAIL = 4  # exit code of `audit verify` when the chain does not hold


def link_url(settings: Settings, secret: str) -> str:
    return accounts.link_url(settings.base_url, secret)


@clinic_app.command("create")
def clinic_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The clinic's name.")],
    db_file: DbOpt = None,
) -> None:
    """Create a clinic; prints its id."""
    accounts.clinic_name(name)  # a mistake creates no database
    with database(ctx, db_file, create=True) as db:
        clinic_id = accounts.create_clinic(db, name, actor=SERVER_ADMIN, now=utc_now())
    typer.echo(clinic_id)


def _password_from_stdin() -> str | None:
    """A password piped in (never a prompt echoing it, never an argument in the shell history)."""
    if sys.stdin is None or sys.stdin.isatty():
        return None
    given = sys.stdin.readline().rstrip("\r\n")
    if not given:
        raise InvalidInput("password: stdin was empty; pipe the password in, or use a terminal")
    return given


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account's email address.")],
    role: Annotated[str, typer.Option("--role", help="person, clinician or clinic_admin.")],
    clinic: Annotated[int | None, typer.Option("--clinic", help="The clinic's id.")] = None,
    name: Annotated[str, typer.Option("--name", help="The name shown to others.")] = "",
    db_file: DbOpt = None,
) -> None:
    """Add an account; prints its id. A password piped on stdin is set; at a terminal, a one-time
    invitation link (7 days) is printed instead."""
    accounts.normal_email(email)  # mistakes first, before reading a password
    accounts.account_role(role, clinic)
    password = _password_from_stdin()
    with database(ctx, db_file, create=True) as db:  # a new server's first account
        made = accounts.add_account(
            db, email, role=role, clinic_id=clinic, name=name, password=password,
            actor=SERVER_ADMIN, now=utc_now(),
        )  # fmt: skip
    typer.echo(made.account_id)
    if made.invitation is not None:
        url = link_url(cli_context(ctx).settings, made.invitation)
        typer.echo(f"Invitation link (valid 7 days, once): {url}")


@user_app.command("reset")
def user_reset(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account's email address.")],
    db_file: DbOpt = None,
) -> None:
    """Print a one-time password reset link (valid 24 hours)."""
    accounts.normal_email(email)
    with database(ctx, db_file) as db:
        secret = accounts.reset_link(db, email, actor=SERVER_ADMIN, now=utc_now())
    typer.echo(link_url(cli_context(ctx).settings, secret))


@user_app.command("list")
def user_list(
    ctx: typer.Context,
    clinic: Annotated[int | None, typer.Option("--clinic", help="Only this clinic.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
    db_file: DbOpt = None,
) -> None:
    """List accounts and their tokens' names, scopes and last use (never a password or a token)."""
    with database(ctx, db_file) as db:
        rows = accounts.list_accounts(db, SERVER_ADMIN, clinic)
        tokens = accounts.list_tokens(db, SERVER_ADMIN, [r.id for r in rows])
    held: dict[int, list[dict[str, object]]] = {}
    for t in tokens:
        held.setdefault(t.account_id, []).append(
            {
                "id": t.id,
                "name": t.name,
                "scope": t.scope,
                "created_at": t.created_at.isoformat(),
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "revoked": t.revoked,
            }
        )
    data = [
        {
            "id": r.id,
            "email": r.email,
            "name": r.name,
            "role": r.role,
            "clinic_id": r.clinic_id,
            "person_id": r.person_id,
            "password_set": r.password_hash is not None,
            "removed": r.removed_at is not None,
            "tokens": held.get(r.id, []),
        }
        for r in rows
    ]
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    out = console()
    if not data:
        out.print("No accounts yet.")
    for d in data:
        where = f"clinic {d['clinic_id']}" if d["clinic_id"] is not None else "self-managed"
        state = "" if d["password_set"] else " (no password yet)"
        out.print(f"{d['id']:>4}  {d['email']}  {d['role']}  {where}{state}", markup=False)
        for held_token in held.get(int(str(d["id"])), []):
            last = held_token["last_used_at"]
            used = f"last used {last}" if last else "never used"
            gone = ", revoked" if held_token["revoked"] else ""
            out.print(
                f"      token {held_token['id']} '{held_token['name']}' ({held_token['scope']}): "
                f"{used}{gone}",
                markup=False,
            )


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account the token acts as.")],
    scope: Annotated[str, typer.Option("--scope", help="read or write.")],
    name: Annotated[str, typer.Option("--name", help="What the token is for.")],
    db_file: DbOpt = None,
) -> None:
    """Create a personal access token; prints it once (Authorization: Bearer <token>)."""
    accounts.normal_email(email)
    accounts.token_scope(scope)
    with database(ctx, db_file) as db:
        made = accounts.create_token(
            db, email, scope=scope, name=name, actor=SERVER_ADMIN, now=utc_now()
        )
    typer.echo(f"token {made.token_id}: {made.secret}")
    typer.echo("Shown once: store it now. Revoke with `kneehab token revoke ID`.", err=True)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context,
    token_id: Annotated[int, typer.Argument(help="The token's id.")],
    db_file: DbOpt = None,
) -> None:
    """Revoke a token: it stops working at once."""
    with database(ctx, db_file) as db:
        accounts.revoke_token(db, token_id, actor=SERVER_ADMIN, now=utc_now())
    typer.echo(f"Token {token_id} revoked.")


@audit_app.command("list")
def audit_list(
    ctx: typer.Context,
    person: Annotated[
        str | None, typer.Option("--person", help="Only rows about this person (email).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of lines.")] = False,
    db_file: DbOpt = None,
) -> None:
    """The audit trail, newest first (never a health value)."""
    if person is not None:
        accounts.normal_email(person)
    with database(ctx, db_file) as db:
        person_id = None
        if person is not None:
            email = accounts.normal_email(person)
            found = accounts.find(db, email)
            if found is None or found.person_id is None:
                raise InvalidInput(f"--person: no enrolled person with the account {email}")
            person_id = found.person_id
        rows = audit.entries(db, SERVER_ADMIN, person_id=person_id, limit=None)
    data = [
        {
            "id": r.id,
            "at": r.at.isoformat(),
            "actor": r.actor,
            "actor_role": r.actor_role,
            "person_id": r.person_id,
            "clinic_id": r.clinic_id,
            "action": r.action,
            "resource": r.resource,
            "request_id": r.request_id,
            "outcome": r.outcome,
        }
        for r in rows
    ]
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    out = console()
    for d in data:
        out.print(
            f"{str(d['at'])[:19]}  {d['actor']} ({d['actor_role']})  {d['action']}  {d['resource']}  "
            f"{d['outcome']}",
            markup=False,
        )


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, db_file: DbOpt = None) -> None:
    """Check that no row of the trail was edited or removed; exit 4 naming the first broken row."""
    with database(ctx, db_file) as db:
        result = audit.verify(db)
    if result.ok:
        typer.echo(f"The audit trail is intact ({result.rows} rows).")
        return
    if result.first_broken is not None:
        typer.echo(
            f"The audit trail is broken at row {result.first_broken}: that row or one before it "
            "was edited or removed.",
            err=True,
        )
    else:
        typer.echo(f"The audit trail does not end where it should: {result.end}.", err=True)
    raise typer.Exit(BROKEN_TRAIL)


def register(app: typer.Typer) -> None:
    app.add_typer(clinic_app, name="clinic")
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    app.add_typer(audit_app, name="audit")
