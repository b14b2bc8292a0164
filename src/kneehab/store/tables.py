"""Table definitions: rows only, no behaviour. Domain models stay the source of truth for values.

Validated domain models (intake, triage, program) are kept whole in JSON columns; the values people
log are columns of their own so clinicians, CSV exports and SQL can read them directly.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names so migrations can refer to them on both databases.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Instants are stored in UTC and always come back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("instants must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        date: Date,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


def _person_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)


class PersonRow(Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    start: Mapped[date]  # program start (day 0)
    pain_ceiling: Mapped[int | None]  # clinician override (RULES D-1)
    morning_tolerance: Mapped[int] = mapped_column(default=1)  # RULES C-5 (v2 default 1)
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)  # D-2 soon-review done
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    # The rule book the course runs under (ADR 0004): 1 for people stored before v2 until
    # `services.upgrade_rules()` records their dated `rules-v2` version.
    rules_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # The person's IANA timezone: "today" is their date (None: the server's zone).
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Goes up with every change to the person's records (under their lock): a derived row computed at
    # an older revision is stale (caseload_rows).
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    # The clinic whose clinicians may see and act for this person (None: self-managed).
    clinic_id: Mapped[int | None] = mapped_column(
        ForeignKey("clinics.id", ondelete="SET NULL"), index=True
    )


class IntakeRow(Base):
    __tablename__ = "intakes"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = _person_fk()
    recorded_at: Mapped[datetime]
    data: Mapped[dict[str, Any]]  # Intake, as validated
    triage_level: Mapped[str] = mapped_column(String(20))
    triage: Mapped[dict[str, Any]]  # Triage, as validated


class ProgramVersionRow(Base):
    """Every program change is a new row; nothing is overwritten."""

    __tablename__ = "program_versions"
    __table_args__ = (UniqueConstraint("person_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = _person_fk()
    version: Mapped[int]
    effective: Mapped[date]
    created_at: Mapped[datetime]
    # plan|progress|regress|pause|stop|resume|phase|unlock|swap|clinician (C-18) | rules-v2 (ADR 0004)
    kind: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(120))  # "planner", "rule P2", "clinician Bob"
    rules: Mapped[list[Any]]
    reason: Mapped[str] = mapped_column(Text)
    exercise_id: Mapped[str | None] = mapped_column(String(80))
    from_dose: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    to_dose: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    program: Mapped[dict[str, Any]]  # the whole Program after this change


class EntryRow(Base):
    """One exercise (and side) in one day's session."""

    __tablename__ = "session_entries"
    __table_args__ = (UniqueConstraint("person_id", "day", "exercise_id", "side_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = _person_fk()
    day: Mapped[date]
    exercise_id: Mapped[str] = mapped_column(String(80))
    side_key: Mapped[str] = mapped_column(String(10))  # side or "" (unique keys cannot hold NULL)
    side: Mapped[str | None] = mapped_column(String(10))
    sets_done: Mapped[int]
    reps: Mapped[list[Any] | None] = mapped_column(JSON)
    hold_s: Mapped[list[Any] | None] = mapped_column(JSON)
    load_kg: Mapped[float | None] = mapped_column(Float)
    step_cm: Mapped[int | None]
    minutes: Mapped[int | None]
    pain_during_max: Mapped[int]
    effort: Mapped[str | None] = mapped_column(String(10))
    rir: Mapped[int | None]
    sharp_pain: Mapped[bool] = mapped_column(Boolean, default=False)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    skip_reason: Mapped[str] = mapped_column(Text, default="")
    camera: Mapped[list[Any] | None] = mapped_column(JSON)  # the camera coach's counts (issue 13)
    paused_when_logged: Mapped[bool] = mapped_column(Boolean, default=False)  # RULES C-13 flag
    recorded_at: Mapped[datetime]


class PlayerStateRow(Base):
    """Where a guided session stopped, so it can resume (one per person and day)."""

    __tablename__ = "player_states"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    state: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class CheckInRow(Base):
    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("person_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = _person_fk()
    day: Mapped[date]
    morning_pain: Mapped[int]
    morning_stiffness: Mapped[int | None]
    avg_pain: Mapped[int | None]
    new_symptoms: Mapped[list[Any]]
    chest_symptoms: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_at: Mapped[datetime]


class RescreenRow(Base):
    """Red flags asked again mid-course (RULES §1.1): acts from `day` on; the intake is not changed."""

    __tablename__ = "rescreens"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = _person_fk()
    day: Mapped[date]
    red_flags: Mapped[list[Any]]  # RF ids answered yes
    cold_foot: Mapped[bool] = mapped_column(Boolean, default=False)
    chest_symptoms: Mapped[bool] = mapped_column(Boolean, default=False)
    new_injury: Mapped[bool] = mapped_column(Boolean, default=False)
    full_set: Mapped[bool] = mapped_column(
        Boolean, default=True
    )  # §1.1: only these restart the week
    triage_level: Mapped[str] = mapped_column(String(20))
    triage: Mapped[dict[str, Any]]  # Triage of these answers, as the person was told it
    recorded_at: Mapped[datetime]


class OutcomeRow(Base):
    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = _person_fk()
    day: Mapped[date]
    measure: Mapped[str] = mapped_column(String(60))
    value: Mapped[float | None] = mapped_column(Float)
    activities: Mapped[list[Any]]
    responses: Mapped[dict[str, Any]]
    recorded_at: Mapped[datetime]


class CourseEventRow(Base):
    """A v2 dated event of the course (EXAMPLES, history file): `swap` (D-10), `offer` (D-12) or
    `clinician` (D-7), its fields as validated JSON; it acts from `day` on."""

    __tablename__ = "course_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = _person_fk()
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(20))  # swap | offer | clinician
    data: Mapped[dict[str, Any]]
    recorded_by: Mapped[str | None] = mapped_column(String(120))
    recorded_at: Mapped[datetime]


class EscalationRow(Base):
    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("person_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = _person_fk()
    day: Mapped[date]
    level: Mapped[str] = mapped_column(String(20))
    rules: Mapped[list[Any]]
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    seen_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))


class CourseSnapshotRow(Base):
    """The replay state after `day` (issue 11 §2): derived from the rows above, so it is never
    backed up, exported or restored (`DERIVED`), and any doubt about it means replaying again.
    It is valid only for the engine, library, rule book and history head it was made with."""

    __tablename__ = "course_snapshots"
    __table_args__ = {"info": {"derived": True}}  # noqa: RUF012  (SQLAlchemy reads it)

    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date]  # the state after this day
    engine: Mapped[str] = mapped_column(String(64))  # the replay engine's source (sha-256)
    library: Mapped[str] = mapped_column(String(64))  # the exercise library (sha-256)
    rules_version: Mapped[int]  # the rule book the engine applies (replay.RULES_VERSION)
    person_rules: Mapped[int]  # the rule book the person's course runs under (ADR 0004)
    head: Mapped[str] = mapped_column(String(64))  # intake, start and settings (sha-256)
    # The dated input rows up to `day` when it was made: "count|latest recorded_at", a cross-check
    # that also catches writes the ORM hook cannot see.
    records: Mapped[str] = mapped_column(String(80))
    state: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


def is_derived(table: Any) -> bool:
    """A table rebuilt from the others (left out of backups, exports and restores)."""
    return bool(table.info.get("derived"))


# --- accounts (issue 10): who may sign in, and what they did --------------------------------------


class ClinicRow(Base):
    __tablename__ = "clinics"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class AccountRow(Base):
    """Someone who signs in: a person (patient), a clinician or a clinic admin. A person's account
    owns one `persons` row once enrolled; the server admin has no account (CLI only)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower case
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))  # person | clinician | clinic_admin
    clinic_id: Mapped[int | None] = mapped_column(
        ForeignKey("clinics.id", ondelete="RESTRICT"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), unique=True
    )
    password_hash: Mapped[str | None] = mapped_column(String(200))  # argon2id; None until set
    created_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]  # removed from the clinic: cannot sign in


class AuthSessionRow(Base):
    """A signed-in browser: only the hash of the cookie's token is kept."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class LoginAttemptRow(Base):
    """Failed sign-ins, kept in the database so throttling holds across processes."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_key: Mapped[str] = mapped_column(String(64), index=True)  # hash of the lower-case email
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime]


class OneTimeLinkRow(Base):
    """An invitation (7 days) or a password reset (24 h): single use, only its hash kept."""

    __tablename__ = "one_time_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # invite | reset | join
    clinic_id: Mapped[int | None]  # join: the clinic a self-managed person is invited into
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class InvitationRow(Base):
    """A clinic's invitation to an email (migration 0014), the same whether or not the email has an
    account: nothing about an account is read or made until the invitee uses the link (a new email
    sets a password, an existing account enters its own). Single use, only the link's hash kept."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]  # used, or replaced by a newer invitation of the same email


class AccessTokenRow(Base):
    """A personal access token for integrators: named, scoped, shown once, kept hashed."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(10))  # read | write
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class AuditRow(Base):
    """Append-only: who read or changed whose data, sign-ins, tokens, invitations, role changes.
    Never a health value. `hash` chains each row to the one before it (`kneehab audit verify`)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(index=True)  # no FK: the trail outlives accounts
    actor: Mapped[str] = mapped_column(String(254))  # email, "server admin" or "anonymous"
    actor_role: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(index=True)
    clinic_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(40))
    resource: Mapped[str] = mapped_column(String(200))
    request_id: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(20))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The end of the audit trail: how many rows it has and the newest row's hash, written in the
    same transaction as each append (migration 0013). The chain alone cannot show that its newest
    rows were removed; this row can. One row, id 1."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    rows: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))


class DraftRow(Base):
    """Step-by-step answers (first run, re-screen) between steps, keyed by the hash of a random
    cookie; expire after 24 h. Never logged."""

    __tablename__ = "drafts"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    data: Mapped[dict[str, Any]]
    expires_at: Mapped[datetime]


class CalendarFeedRow(Base):
    """A person's private calendar subscription (issue 14 §2): the webcal URL's secret, kept hashed, and
    the reminder time chosen for it. One per person; revoking deletes the row, so the old URL is a 404."""

    __tablename__ = "calendar_feeds"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remind_at: Mapped[str] = mapped_column(String(5))  # HH:MM, 24-hour
    created_at: Mapped[datetime]


class CaseloadRowRow(Base):
    """The nightly scan's result for one person (issue 11 §3): their caseload row on `day`, computed at
    `revision` of their records. Derived: used only while the day and the revision still match."""

    __tablename__ = "caseload_rows"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date]
    revision: Mapped[int]
    data: Mapped[dict[str, Any]]
    computed_at: Mapped[datetime]


class LiveParkedRow(Base):
    """A camera-coach set whose connection dropped (issue 13 §2), kept a short while so the page can
    resume it on whichever server or worker its next connection reaches. It holds the motion
    pipeline's running state (counters, smoothed angles, the events so far), never a frame or a
    landmark of the stream; it is deleted when taken, when it expires, and with the person. Derived:
    never backed up, exported or restored."""

    __tablename__ = "live_parked"
    __table_args__ = {"info": {"derived": True}}  # noqa: RUF012  (SQLAlchemy reads it)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha-256 of the token
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    exercise: Mapped[str] = mapped_column(String(64))
    state: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime]


# Parents before children: the order restore inserts and the reverse of the order it deletes.
TABLES = (
    ClinicRow,
    PersonRow,
    IntakeRow,
    ProgramVersionRow,
    EntryRow,
    PlayerStateRow,
    CheckInRow,
    RescreenRow,
    OutcomeRow,
    CourseEventRow,
    EscalationRow,
    AccountRow,
    AuthSessionRow,
    LoginAttemptRow,
    OneTimeLinkRow,
    InvitationRow,
    AccessTokenRow,
    AuditRow,
    AuditHeadRow,
    DraftRow,
    CalendarFeedRow,
    CaseloadRowRow,
)
