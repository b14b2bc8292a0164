"""Issue 10 §2 and §6 on both stores: passwords (SP 800-63B), throttling kept in the database,
sessions (a new token each sign-in, idle and absolute expiry, sign out everywhere), one-time links
(single use, expiry), personal access tokens (scope, revocation) and the hash-chained audit trail."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from kneehab.domain.identity import SERVER_ADMIN, Role, Scope
from kneehab.errors import Conflict, InvalidInput, NotFound, Throttled, Unauthorized
from kneehab.services import accounts, audit
from kneehab.store.db import Database, open_database

NOW = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
IDLE, LIFETIME = timedelta(hours=12), timedelta(days=30)


def _person(db: Database, email: str = "alice@example.org") -> int:
    made = accounts.add_account(
        db, email, role="person", clinic_id=None, password=PASSWORD, actor=SERVER_ADMIN, now=NOW
    )
    return made.account_id


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 8 characters"),
        ("x" * 257, "at most 256 characters"),
        ("Alice@Example.org", "other than your email"),
    ],
)
def test_password_rules(db: Database, password: str, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        accounts.add_account(
            db, "alice@example.org", role="person", clinic_id=None, password=password,
            actor=SERVER_ADMIN, now=NOW,
        )  # fmt: skip
    # No composition rules: a long passphrase of lower-case words is fine, 64 characters too.
    accounts.check_password("a" * 64, "alice@example.org")


def test_the_same_email_twice_is_a_conflict_and_a_clinician_needs_a_clinic(db: Database) -> None:
    _person(db)
    with pytest.raises(Conflict):
        _person(db, "ALICE@example.org")
    with pytest.raises(InvalidInput, match="--clinic"):
        accounts.add_account(
            db, "bob@example.org", role="clinician", clinic_id=None, password=PASSWORD,
            actor=SERVER_ADMIN, now=NOW,
        )  # fmt: skip


def test_sign_in_with_one_generic_message_and_a_hash_at_rest(db: Database) -> None:
    _person(db)
    actor = accounts.authenticate(db, "Alice@example.org ", PASSWORD, address="a", now=NOW)
    assert actor.role == Role.PERSON and actor.email == "alice@example.org"
    for email, password in (("alice@example.org", "wrong password"), ("nobody@x.org", PASSWORD)):
        with pytest.raises(Unauthorized) as caught:
            accounts.authenticate(db, email, password, address="a", now=NOW)
        assert str(caught.value) == "email or password is wrong"
    with db.engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM accounts")).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_five_failures_wait_then_sign_in_works_again(db: Database) -> None:
    _person(db)
    for n in range(5):
        with pytest.raises(Unauthorized):
            accounts.authenticate(db, "alice@example.org", "nope", address=f"a{n}", now=NOW)
    with pytest.raises(Throttled) as caught:  # even the right password waits
        accounts.authenticate(db, "alice@example.org", PASSWORD, address="b", now=NOW)
    assert "09:15 UTC" in str(caught.value) and caught.value.retry_after_s == 15 * 60
    later = NOW + timedelta(minutes=15, seconds=1)
    assert accounts.authenticate(db, "alice@example.org", PASSWORD, address="b", now=later)


def test_thirty_failures_from_one_address_wait_whichever_account(db: Database) -> None:
    """The per-address limit: 30 wrong passwords from one address within 15 minutes, spread over ten
    accounts (3 each, under the per-account 5), make every sign-in from there wait, even a right
    password for an account that never failed; another address is not held up."""
    for n in range(10):
        _person(db, f"p{n}@example.org")
    _person(db)
    here = "198.51.100.7"
    for i in range(30):  # one every 20 seconds, 09:00:00 … 09:09:40
        with pytest.raises(Unauthorized):  # the 30th is still a wrong pair, not yet a wait
            accounts.authenticate(
                db,
                f"p{i % 10}@example.org",
                "nope",
                address=here,
                now=NOW + timedelta(seconds=20 * i),
            )
    at = NOW + timedelta(minutes=10)
    with pytest.raises(Throttled) as caught:
        accounts.authenticate(db, "alice@example.org", PASSWORD, address=here, now=at)
    # The oldest of the 30 leaves the window at 09:15: five minutes from 09:10.
    assert caught.value.retry_after_s == 5 * 60
    assert "wait 5 minute(s), until 09:15 UTC" in str(caught.value)
    assert accounts.authenticate(db, "alice@example.org", PASSWORD, address="203.0.113.5", now=at)
    later = NOW + timedelta(minutes=15, seconds=1)  # 29 failures left in the window
    assert accounts.authenticate(db, "alice@example.org", PASSWORD, address=here, now=later)


def test_sessions_expire_rotate_and_end_everywhere(db: Database) -> None:
    _person(db)
    actor = accounts.authenticate(db, "alice@example.org", PASSWORD, address="a", now=NOW)
    first = accounts.start_session(db, actor, now=NOW)
    second = accounts.start_session(db, actor, now=NOW)
    assert first.token != second.token and len(first.token) >= 43  # 256 bits, url-safe
    found = accounts.resolve_session(db, first.token, now=NOW, idle=IDLE, lifetime=LIFETIME)
    assert found is not None and found.actor.account_id == actor.account_id
    assert accounts.csrf_matches(found.csrf_token, first.csrf_token)
    assert not accounts.csrf_matches(found.csrf_token, second.csrf_token)
    idle_out = NOW + IDLE + timedelta(seconds=1)
    assert (
        accounts.resolve_session(db, first.token, now=idle_out, idle=IDLE, lifetime=LIFETIME)
        is None
    )
    assert accounts.resolve_session(db, first.token, now=NOW, idle=IDLE, lifetime=LIFETIME) is None
    # Used every few hours, a session still ends after its absolute lifetime.
    t = NOW
    while t < NOW + LIFETIME:
        assert accounts.resolve_session(db, second.token, now=t, idle=IDLE, lifetime=LIFETIME)
        t += timedelta(hours=11)
    assert accounts.resolve_session(db, second.token, now=t, idle=IDLE, lifetime=LIFETIME) is None
    third = accounts.start_session(db, actor, now=NOW)
    assert accounts.end_all_sessions(db, actor, now=NOW) >= 1
    assert accounts.resolve_session(db, third.token, now=NOW, idle=IDLE, lifetime=LIFETIME) is None


def test_an_invitation_link_works_once_and_expires(db: Database) -> None:
    clinic = accounts.create_clinic(db, "North Clinic", actor=SERVER_ADMIN, now=NOW)
    made = accounts.add_account(
        db, "bob@example.org", role="clinician", clinic_id=clinic, password=None,
        actor=SERVER_ADMIN, now=NOW,
    )  # fmt: skip
    assert made.invitation is not None
    with pytest.raises(Unauthorized):  # no password until the link is used
        accounts.authenticate(db, "bob@example.org", PASSWORD, address="a", now=NOW)
    actor = accounts.use_link(db, made.invitation, PASSWORD, now=NOW + timedelta(days=6))
    assert actor.role == Role.CLINICIAN and actor.clinic_id == clinic
    with pytest.raises(NotFound, match="not valid any more"):
        accounts.use_link(db, made.invitation, "another password", now=NOW + timedelta(days=6))
    reset = accounts.reset_link(db, "bob@example.org", actor=SERVER_ADMIN, now=NOW)
    with pytest.raises(NotFound, match="not valid any more"):
        accounts.use_link(db, reset, "new password 1", now=NOW + timedelta(hours=24, seconds=1))


def test_a_reset_ends_every_session(db: Database) -> None:
    _person(db)
    actor = accounts.authenticate(db, "alice@example.org", PASSWORD, address="a", now=NOW)
    signed = accounts.start_session(db, actor, now=NOW)
    link = accounts.reset_link(db, "alice@example.org", actor=SERVER_ADMIN, now=NOW)
    accounts.use_link(db, link, "a brand new passphrase", now=NOW)
    assert accounts.resolve_session(db, signed.token, now=NOW, idle=IDLE, lifetime=LIFETIME) is None
    with pytest.raises(Unauthorized):
        accounts.authenticate(db, "alice@example.org", PASSWORD, address="a", now=NOW)


def test_tokens_carry_their_scope_and_stop_when_revoked(db: Database) -> None:
    _person(db)
    made = accounts.create_token(
        db, "alice@example.org", scope="read", name="my diary app", actor=SERVER_ADMIN, now=NOW
    )
    actor = accounts.resolve_token(db, made.secret, now=NOW)
    assert actor is not None and actor.token_scope == Scope.READ
    assert accounts.resolve_token(db, made.secret + "x", now=NOW) is None
    accounts.revoke_token(db, made.token_id, actor=SERVER_ADMIN, now=NOW)
    assert accounts.resolve_token(db, made.secret, now=NOW) is None
    with pytest.raises(InvalidInput, match="allowed: read, write"):
        accounts.create_token(
            db, "alice@example.org", scope="admin", name="x", actor=SERVER_ADMIN, now=NOW
        )


def test_the_audit_chain_holds_and_names_the_first_edited_row(db: Database) -> None:
    _person(db)
    for _ in range(2):
        with pytest.raises(Unauthorized):
            accounts.authenticate(db, "alice@example.org", "nope", address="a", now=NOW)
    rows = audit.entries(db, SERVER_ADMIN)
    assert [r.action for r in rows][:2] == ["sign_in", "sign_in"]
    assert {r.outcome for r in rows[:2]} == {"failed"}
    result = audit.verify(db)
    assert result.ok and result.rows == len(rows)
    middle = sorted(r.id for r in rows)[1]
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET outcome = 'ok' WHERE id = :i"), {"i": middle})
    assert audit.verify(db).first_broken == middle
    with db.engine.begin() as conn:  # removing a row breaks the next one's link
        conn.execute(text("UPDATE audit_log SET outcome = 'failed' WHERE id = :i"), {"i": middle})
        conn.execute(text("DELETE FROM audit_log WHERE id = :i"), {"i": middle})
    assert audit.verify(db).first_broken == sorted(r.id for r in rows)[2]


def test_a_look_at_many_people_appends_their_rows_in_order_and_the_chain_holds(
    db: Database,
) -> None:
    """A caseload look appends one row per person in one statement (on PostgreSQL an array per
    column that varies): each row names its person, in the order given, with the shared fields."""
    _person(db)
    shown = [None, *range(900, 1200), 7, None, 5]
    with db.write() as s:
        audit.record_people_tx(
            s, actor=SERVER_ADMIN, action="list_patients", resource="/clinic", now=NOW,
            person_ids=shown, clinic_id=3, request_id="look-1",
        )  # fmt: skip
    with db.write() as s:  # a single row after it chains to the look's last
        audit.record_tx(s, actor=SERVER_ADMIN, action="read_person", resource="/x", now=NOW)
    rows = sorted(audit.entries(db, SERVER_ADMIN, limit=None), key=lambda r: r.id)
    look = [r for r in rows if r.request_id == "look-1"]
    assert [r.person_id for r in look] == shown
    assert {(r.action, r.resource, r.clinic_id, r.at, r.actor_role) for r in look} == {
        ("list_patients", "/clinic", 3, NOW, SERVER_ADMIN.role.value)
    }
    assert rows[-1].action == "read_person"
    result = audit.verify(db)
    assert result.ok and result.rows == len(rows)


def test_the_anchor_shows_rows_removed_from_the_end(db: Database) -> None:
    """The chain alone holds after its newest rows are deleted; the anchor (audit_head) does not."""
    _person(db)
    for _ in range(3):
        with pytest.raises(Unauthorized):
            accounts.authenticate(db, "alice@example.org", "nope", address="a", now=NOW)
    rows = audit.entries(db, SERVER_ADMIN)
    assert audit.verify(db).ok
    newest = sorted(r.id for r in rows)[-2:]
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id >= :i"), {"i": newest[0]})
    result = audit.verify(db)
    assert not result.ok and result.first_broken is None
    assert result.end is not None and "2 row(s) were removed at the end" in result.end


def test_signing_up_with_a_taken_email_is_throttled_per_address(db: Database) -> None:
    """The 409 tells that an email has an account (accepted, docs/security.md); one address gets
    ADDRESS_FAILURES of them in the window, then waits, and the account's owner is not locked out."""
    _person(db)
    for _ in range(accounts.ADDRESS_FAILURES):
        with pytest.raises(Conflict):
            accounts.signup(db, "alice@example.org", "another passphrase", now=NOW, address="x")
    with pytest.raises(Throttled):
        accounts.signup(db, "new@example.org", "another passphrase", now=NOW, address="x")
    accounts.signup(db, "new@example.org", "another passphrase", now=NOW, address="y")
    assert accounts.authenticate(db, "alice@example.org", PASSWORD, address="z", now=NOW)


def test_concurrent_token_uses_each_get_their_account_and_their_own_trail_row(db: Database) -> None:
    """Token uses at once are written together (services/group_commit.py): each use still gets its
    own account, last-used time and trail row, a revoked or unknown token gets nobody, and the chain
    holds."""
    _person(db)
    _person(db, "bob@example.org")
    alice = accounts.create_token(
        db, "alice@example.org", scope="read", name="a", actor=SERVER_ADMIN, now=NOW
    )
    bob = accounts.create_token(
        db, "bob@example.org", scope="write", name="b", actor=SERVER_ADMIN, now=NOW
    )
    gone = accounts.create_token(
        db, "bob@example.org", scope="read", name="c", actor=SERVER_ADMIN, now=NOW
    )
    accounts.revoke_token(db, gone.token_id, actor=SERVER_ADMIN, now=NOW)
    before = audit.verify(db).rows
    secrets_ = [alice.secret, bob.secret, gone.secret, "not-a-token"] * 8  # 32 requests
    start = threading.Barrier(len(secrets_))
    found: dict[int, object] = {}

    def use(i: int) -> None:
        start.wait(10)
        when = NOW + timedelta(seconds=i)
        found[i] = accounts.resolve_token(db, secrets_[i], now=when, request_id=f"req-{i}")

    threads = [threading.Thread(target=use, args=(i,)) for i in range(len(secrets_))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(found) == 32
    for i, actor in found.items():
        if secrets_[i] == alice.secret:
            assert actor is not None and actor.label == "alice@example.org"  # type: ignore[attr-defined]
            assert actor.token_scope == Scope.READ  # type: ignore[attr-defined]
        elif secrets_[i] == bob.secret:
            assert actor is not None and actor.label == "bob@example.org"  # type: ignore[attr-defined]
            assert actor.token_scope == Scope.WRITE  # type: ignore[attr-defined]
        else:
            assert actor is None
    checked = audit.verify(db)
    assert checked.first_broken is None and checked.end is None
    assert checked.rows == before + 16  # one row for each use of a live token, none for the rest
    with db.read() as s:
        uses = (
            s.execute(text("SELECT request_id FROM audit_log WHERE action = 'token_use'"))
            .scalars()
            .all()
        )
        last = dict(s.execute(text("SELECT id, last_used_at FROM access_tokens")).all())
    want = {f"req-{i}" for i, x in enumerate(secrets_) if x in (alice.secret, bob.secret)}
    assert sorted(uses) == sorted(want)
    assert last[alice.token_id] is not None and last[bob.token_id] is not None
    assert last[gone.token_id] is None


def test_a_token_revoked_after_its_lookup_is_refused_at_its_write_and_leaves_no_row(
    db: Database,
) -> None:
    """A token's lookup is a read; its use is written after (in a batch). A revocation committed in
    between (another process) is honoured at the write: the use is refused, marks nothing and adds
    no trail row; a live token's use in the same batch is written."""
    _person(db)
    _person(db, "bob@example.org")
    alice = accounts.create_token(
        db, "alice@example.org", scope="read", name="a", actor=SERVER_ADMIN, now=NOW
    )
    bob = accounts.create_token(
        db, "bob@example.org", scope="read", name="b", actor=SERVER_ADMIN, now=NOW
    )
    hits = [accounts.look_up_token(db, alice.secret), accounts.look_up_token(db, bob.secret)]
    assert all(h is not None for h in hits)
    accounts.revoke_token(db, alice.token_id, actor=SERVER_ADMIN, now=NOW)
    before = audit.verify(db).rows
    uses = [accounts.TokenUse(h, NOW, f"req-{n}") for n, h in enumerate(hits) if h is not None]
    assert accounts.write_token_uses(db, uses) == [False, True]
    checked = audit.verify(db)
    assert checked.ok and checked.rows == before + 1
    with db.read() as s:
        rows = s.execute(text("SELECT resource FROM audit_log WHERE action = 'token_use'")).all()
        last = dict(s.execute(text("SELECT id, last_used_at FROM access_tokens")).all())
    assert [r.resource for r in rows] == [f"token/{bob.token_id}"]
    assert last[alice.token_id] is None and last[bob.token_id] is not None
    assert accounts.look_up_token(db, alice.secret) is None


def test_token_uses_of_many_accounts_in_two_processes_at_once_all_succeed(
    db: Database, db_url: str
) -> None:
    """Two app processes (two engines on one database) each write their token uses in batches: a
    batch of several accounts' tokens must take its locks in the same order as every other writer
    (the tokens by id, then the trail), or two batches deadlock on PostgreSQL (found by bench-api:
    59 of 581 requests of 32 people at 32 connections failed)."""
    other = open_database(db_url, upgrade=False)
    try:
        secrets_ = []
        for n in range(16):
            email = f"p{n}@example.org"
            _person(db, email)
            secrets_.append(
                accounts.create_token(
                    db, email, scope="read", name="t", actor=SERVER_ADMIN, now=NOW
                ).secret
            )
        before = audit.verify(db).rows
        rounds, workers = 6, 32
        start = threading.Barrier(workers)
        errors: list[BaseException] = []
        found: list[object] = []

        def use(i: int) -> None:
            where = db if i % 2 else other  # half the requests in each "process"
            for r in range(rounds):
                start.wait(30)
                secret = secrets_[(i // 2 + r) % len(secrets_)]  # both "processes" use each
                try:
                    found.append(accounts.resolve_token(where, secret, now=NOW))
                except BaseException as exc:
                    errors.append(exc)

        threads = [threading.Thread(target=use, args=(i,)) for i in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert errors == [], errors[:3]
        assert len(found) == rounds * workers and all(a is not None for a in found)
        checked = audit.verify(db)
        assert checked.ok and checked.rows == before + rounds * workers
    finally:
        other.close()


def test_withdrawing_or_removing_what_does_not_exist_is_not_found_for_everyone(
    db: Database,
) -> None:
    """The server admin reaches every clinic, so access.py lets the question through: the answer is
    still the 404 of no such invitation, not a crash."""
    with pytest.raises(NotFound, match="no such invitation"):
        accounts.withdraw_invitation(db, 424242, actor=SERVER_ADMIN, now=NOW)
    with pytest.raises(NotFound, match="no such account"):
        accounts.remove_member(db, 424242, actor=SERVER_ADMIN, now=NOW)


def test_token_uses_go_on_after_their_kept_connection_is_lost(db: Database) -> None:
    """A token's use is written on a connection its thread keeps (Database.kept_write); when that
    connection has gone (PostgreSQL restarted, the file's connection closed) the next use gets a
    new one: written, chained, nothing lost."""
    _person(db)
    made = accounts.create_token(
        db, "alice@example.org", scope="read", name="a", actor=SERVER_ADMIN, now=NOW
    )
    assert accounts.resolve_token(db, made.secret, now=NOW) is not None
    kept = db.point_reads._local.kept
    if db.is_sqlite:
        kept.dbapi.close()
    else:
        with open_database(db.url, upgrade=False).engine.connect() as other:
            other.execute(
                text("SELECT pg_terminate_backend(:p)"), {"p": kept.dbapi.info.backend_pid}
            )
    before = audit.verify(db).rows
    assert accounts.resolve_token(db, made.secret, now=NOW) is not None
    checked = audit.verify(db)
    assert checked.ok and checked.rows == before + 1


def test_a_token_use_on_a_trail_without_its_anchor_anchors_it_and_chains_on(db: Database) -> None:
    """A trail restored from a backup made before its anchor (audit_head) was kept: the first token
    use gives it the anchor it would have, then appends; `verify` holds."""
    _person(db)
    made = accounts.create_token(
        db, "alice@example.org", scope="read", name="a", actor=SERVER_ADMIN, now=NOW
    )
    with db.write() as s:
        s.execute(text("DELETE FROM audit_head"))
    rows = audit.verify(db).rows
    assert accounts.resolve_token(db, made.secret, now=NOW) is not None
    checked = audit.verify(db)
    assert checked.ok and checked.rows == rows + 1


def test_a_batch_of_token_uses_waits_for_postgresql_at_most_twice(
    pg_schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch of token uses (services/group_commit.py) holds the trail's lock from its first answer
    to its COMMIT, and under load each wait for the server also costs its thread a turn at the GIL
    (docs/benchmarks.md, tokens4): its statements go out in pipeline mode, and the client waits twice
    — the tokens' marks, the trail's lock and its head; then the rows, the anchor and the COMMIT —
    however many uses and tokens it holds (it waited seven times and more). Every use still has its
    row, chained, committed before the batch returns."""
    import psycopg

    db = open_database(pg_schema_url)
    try:
        _person(db)
        secrets = [
            accounts.create_token(
                db, "alice@example.org", scope="read", name=n, actor=SERVER_ADMIN, now=NOW
            ).secret
            for n in ("a", "b")
        ]
        hits = [accounts.look_up_token(db, s) for s in (*secrets, secrets[0])]
        uses = [accounts.TokenUse(h, NOW, f"r{i}") for i, h in enumerate(hits) if h is not None]
        assert len(uses) == 3
        accounts.write_token_uses(db, uses[:1])  # this thread's kept connection is made
        kept = db.point_reads._local.kept.dbapi
        before = audit.verify(db).rows
        waits = 0  # the waits in which the client blocked for the server's answer
        real_wait = psycopg.Connection.wait

        def counted(self: psycopg.Connection, gen: Any, *args: Any, **kwargs: Any) -> Any:
            def watched() -> Any:
                nonlocal waits
                blocked, answer = False, None
                try:
                    wanted = gen.send(None)
                    while True:
                        if wanted == psycopg.waiting.Wait.R and not blocked and self is kept:
                            blocked, waits = True, waits + 1
                        answer = yield wanted
                        wanted = gen.send(answer)
                except StopIteration as done:
                    return done.value

            return real_wait(self, watched(), *args, **kwargs)

        monkeypatch.setattr(psycopg.Connection, "wait", counted)
        assert accounts.write_token_uses(db, uses) == [True, True, True]
        monkeypatch.undo()
        assert waits <= 2, f"the batch waited for the server {waits} times"
        checked = audit.verify(db)
        assert checked.ok and checked.rows == before + 3
    finally:
        db.close()
