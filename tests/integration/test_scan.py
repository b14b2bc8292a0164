"""Issue 11 §3: the nightly scan works out every person's escalations and caseload row for a date; run
again it does only what is left; the caseload serves its rows while nothing newer exists and a check-in
shows at once."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from kneehab import services
from kneehab.demo_clinic import LENA, PHYSIO, seed_demo_clinic
from kneehab.domain.local_time import local_date
from kneehab.domain.records import CheckIn
from kneehab.library.load import default_library
from kneehab.services import accounts, people
from kneehab.services.acting import on_machine
from kneehab.services.caseload import caseload, compute_row, row_in
from kneehab.services.replay import history_in, replay_readable
from kneehab.services.scan import scan
from kneehab.store import repo
from kneehab.store.db import Database
from kneehab.store.tables import CaseloadRowRow, EscalationRow

NOW = datetime(2026, 3, 20, 6, tzinfo=UTC)
TODAY = NOW.date()


def _physio(db: Database):  # type: ignore[no-untyped-def]
    return accounts.account_actor(db, accounts.find(db, PHYSIO.email).id)


def test_the_scan_is_idempotent_and_the_caseload_reads_it(db: Database) -> None:
    lib = default_library()
    seed_demo_clinic(db, today=TODAY, now=NOW, library=lib)
    everyone = len(services.people_ids(db))
    first = scan(db, today=TODAY, now=NOW, library=lib)
    assert (first.people, first.computed, first.kept) == (everyone, everyone, 0)
    assert first.unreadable == ()
    again = scan(db, today=TODAY, now=NOW, library=lib)
    assert (again.computed, again.kept, again.escalations) == (0, everyone, 0)

    physio = _physio(db)
    kept_rows = caseload(db, physio, today=TODAY, now=NOW, library=lib)
    with db.write() as s:  # forget what the scan kept: the same rows must come out of the records
        s.query(CaseloadRowRow).delete()
    assert caseload(db, physio, today=TODAY, now=NOW, library=lib) == kept_rows

    # A check-in raises the person's revision: their row is worked out again, at once and by the scan.
    someone = next(r for r in kept_rows if r.last_checkin != TODAY)
    services.check_in(
        db, on_machine(someone.id), CheckIn(date=TODAY, morning_pain=7), today=TODAY,
        now=datetime.combine(TODAY, time(7), tzinfo=UTC), library=lib,
    )  # fmt: skip
    now_rows = {r.id: r for r in caseload(db, physio, today=TODAY, now=NOW, library=lib)}
    assert now_rows[someone.id].last_checkin == TODAY
    third = scan(db, today=TODAY, now=NOW, library=lib)
    assert third.computed == 0  # the caseload look above already kept the new row

    services.check_in(
        db, on_machine(someone.id), CheckIn(date=TODAY + timedelta(days=1), morning_pain=3),
        today=TODAY + timedelta(days=1), now=NOW + timedelta(days=1), library=lib,
    )  # fmt: skip
    later = scan(db, today=TODAY + timedelta(days=1), now=NOW + timedelta(days=1), library=lib)
    assert later.computed == everyone  # a new date: everyone's row is worked out for it


def test_the_scan_records_the_days_escalations_once(db: Database) -> None:
    """Escalations were kept only when someone opened a page; the scan records the day's for everyone."""
    lib = default_library()
    seed_demo_clinic(db, today=TODAY, now=NOW, library=lib)
    with db.write() as s:  # as if nobody had opened kneehab today
        s.query(EscalationRow).filter(EscalationRow.day == TODAY).delete()
    report = scan(db, today=TODAY, now=NOW, library=lib)
    lena = accounts.find(db, LENA.email).person_id
    with db.read() as s:
        todays = {
            pid: [e for e in repo.escalations(s, pid) if e.day == TODAY]
            for pid in repo.person_ids(s)
        }
    assert report.escalations == sum(len(v) for v in todays.values()) > 0
    assert [e.level for e in todays[lena]] in (["urgent"], ["emergency"])  # the demo's open warning
    with db.write() as s:
        s.query(CaseloadRowRow).delete()
    assert scan(db, today=TODAY, now=NOW, library=lib).escalations == 0  # never twice for a day


def test_a_row_from_the_recent_records_is_the_row_from_the_whole_history(db: Database) -> None:
    """The caseload and the scan read only the last 14 days of records, every clinician action and
    the latest check-in and entry days (caseload.row_in); the row is the one the whole history gives,
    today and a month later, when nobody has logged anything in the last 14 days."""
    lib = default_library()
    seed_demo_clinic(db, today=TODAY, now=NOW, library=lib)
    patients = people.patients(db, _physio(db), now=NOW)
    assert len(patients) >= 3
    for day in (TODAY, TODAY + timedelta(days=30)):
        with db.read() as s:
            for patient in patients:
                row, course = row_in(s, patient, max(day, patient.start), lib)
                whole = history_in(s, patient.id, max(day, patient.start))
                assert row == compute_row(patient, whole, lib, course), (patient.id, day)
                # The course itself (its tail taken from the recent records when the person's
                # snapshot is within them) is the full replay's, decision for decision.
                full = replay_readable(whole, lib)
                assert (course.decisions, course.escalation, course.program) == (
                    full.decisions,
                    full.escalation,
                    full.program,
                ), (patient.id, day)
                if day > TODAY:
                    assert row.last_checkin is None or row.last_checkin <= TODAY


def _outcome(found: object) -> object:
    """A row and the course's decisions, escalation and program, or the C-13 error in words."""
    if isinstance(found, Exception):
        return (type(found).__name__, str(found))
    row, course = found  # type: ignore[misc]
    return row, course.decisions, course.escalation, course.program


def test_the_scans_batched_rows_are_row_in_s_rows(db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The scan reads a batch of people's records together (caseload_batch.rows_in); each row and
    course is exactly what caseload.row_in gives that person, for a varied population (the demo
    clinic's open warning sign, flare-up and stopped course; populated courses with a snapshot;
    clinician actions before and after a snapshot's day; a library that cannot read a course), on
    the first nights, after a gap longer than a snapshot is reused for, and before a start."""
    from kneehab.demo import DEMO_INTAKE
    from kneehab.domain.identity import SERVER_ADMIN
    from kneehab.domain.records import ClinicianAction
    from kneehab.services import caseload_batch
    from kneehab.services.populate import populate
    from kneehab.services.review import clinician_action
    from kneehab.store import scan_repo

    lib = default_library()
    seed_demo_clinic(db, today=TODAY, now=NOW, library=lib)
    populate(db, people=5, days=30, start=TODAY - timedelta(days=30), library=lib, now=NOW)
    services.enroll(  # a start after the first nights
        db, DEMO_INTAKE, actor=SERVER_ADMIN, start=TODAY + timedelta(days=5), now=NOW, library=lib
    )
    with db.read() as s:
        everyone = [people.Patient(*p) for p in scan_repo.people(s)]
    populated = [p for p in everyone if p.email.endswith("@example.test")]
    before, after = populated[0].id, populated[1].id
    for pid, day, action in (
        (before, TODAY - timedelta(days=3), {"action": "set_condition", "value": {"condition": "patellofemoral_pain"}}),
        (before, TODAY - timedelta(days=2), {"action": "set_ceiling", "value": 4}),
        (after, TODAY, {"action": "review"}),
    ):  # fmt: skip
        clinician_action(
            db, on_machine(pid), ClinicianAction(date=day, reason="Seen in clinic.", **action),
            today=TODAY, now=NOW, by="Ben (physio)", library=lib,
        )  # fmt: skip

    fast = []
    slow = caseload_batch.row_in
    monkeypatch.setattr(
        caseload_batch, "row_in", lambda s, p, d, lib: fast.append(p.id) or slow(s, p, d, lib)
    )
    gone = "bridge"  # in most programs: their records name it
    unreadable_lib = lib.model_copy(
        update={"exercises": {k: v for k, v in lib.exercises.items() if k != gone}}
    )
    for day, library in (
        (TODAY, lib),
        (TODAY + timedelta(days=1), lib),
        (TODAY + timedelta(days=2), lib),
        (TODAY + timedelta(days=2), unreadable_lib),
        (TODAY + timedelta(days=12), lib),
        (TODAY + timedelta(days=13), lib),
    ):
        fast.clear()
        with db.read() as s:
            batched = caseload_batch.rows_in(s, everyone, day, library)
            assert list(batched) == [p.id for p in everyone]
            for patient in everyone:
                try:
                    single: object = row_in(s, patient, max(day, patient.start), library)
                except Exception as err:  # compared below, as the scan sees it
                    single = err
                assert _outcome(batched[patient.id]) == _outcome(single), (patient.id, day)
        errors = [v for v in batched.values() if isinstance(v, Exception)]
        assert bool(errors) == (library is unreadable_lib), errors  # C-13 for some, in words
        if library is lib and day != TODAY + timedelta(days=12):
            # The batch worked out most rows itself (the others: no snapshot that fits yet); 12
            # days on, every snapshot was too old, and row_in kept a fresh one for the next night.
            assert len(fast) < len(everyone) / 2, (day, fast)
            scan(db, today=day, now=NOW + (day - TODAY), library=lib)  # the night: snapshots kept


def test_the_scan_with_worker_processes_keeps_what_one_process_keeps(
    db: Database, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """`kneehab scan --jobs 2`: the batches shared by two worker processes give the same kept rows,
    escalations, counts and C-13 list as one process."""
    from kneehab.services import scan as scanning
    from kneehab.services.populate import populate

    lib = default_library()
    seed_demo_clinic(db, today=TODAY, now=NOW, library=lib)
    populate(db, people=4, days=20, start=TODAY - timedelta(days=20), library=lib, now=NOW)
    monkeypatch.setattr(scanning, "BATCH", 3)  # several batches for the workers to share

    def kept() -> tuple[object, ...]:
        with db.read() as s:
            rows = sorted((r.person_id, r.day, r.revision, r.data) for r in s.query(CaseloadRowRow))
            escalations = sorted(
                (e.person_id, e.day, e.level, e.rules, e.message) for e in s.query(EscalationRow)
            )
        return rows, escalations

    def forget() -> None:
        with db.write() as s:
            s.query(CaseloadRowRow).delete()
            s.query(EscalationRow).filter(EscalationRow.day == TODAY).delete()

    forget()
    seen: list[tuple[int, int]] = []
    two = scan(
        db, today=TODAY, now=NOW, library=lib, jobs=2, progress=lambda d, t: seen.append((d, t))
    )
    with_two = kept()
    forget()
    one = scan(db, today=TODAY, now=NOW, library=lib)
    assert (two, with_two) == (one, kept())
    assert two.computed == two.people > 3 and two.escalations > 0
    assert seen[-1] == (two.people, two.people)  # the progress bar reaches the end


def test_without_a_date_each_person_is_scanned_for_their_own_today(db: Database) -> None:
    """Issue 11 §1: "today" is the person's date in the scan too. At 11:00 UTC it is already the next
    day in Auckland and still the same day in Los Angeles: each row is kept for that person's own
    date, the one the caseload asks for, so a second run (and the caseload's look) has nothing left."""
    lib = default_library()
    seed_demo_clinic(db, today=TODAY, now=NOW, library=lib)
    ids = services.people_ids(db)
    zones = {ids[0]: "Pacific/Auckland", ids[1]: "America/Los_Angeles"}
    with db.write() as s:
        for pid, zone in zones.items():
            repo.set_person_timezone(s, pid, zone)
    at = datetime.combine(TODAY, time(11), tzinfo=UTC)
    report = scan(db, today=None, now=at, library=lib)
    assert report.computed == len(ids)
    assert {TODAY, TODAY + timedelta(days=1)} <= set(report.days)
    with db.read() as s:
        days = {r.person_id: r.day for r in s.query(CaseloadRowRow)}
    assert days[ids[0]] == TODAY + timedelta(days=1)  # Auckland: already tomorrow
    assert days[ids[1]] == TODAY  # Los Angeles: still today
    server_day = local_date(at, None)  # nobody else has a zone: the server's
    assert all(days[pid] == server_day for pid in ids if pid not in zones)
    again = scan(db, today=None, now=at, library=lib)
    assert (again.computed, again.kept) == (0, len(ids))
