"""`kneehab scan` (issue 11 §3) from the command line, on SQLite and PostgreSQL: one process or
`--jobs 2` worker processes give the same report, and a wrong `--jobs` is refused in words."""

from __future__ import annotations


def test_scan_with_worker_processes(run) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run("populate", "--people", "3", "--days", "20", "--start", "2025-03-03")
    assert code == 0, err
    code, out, err = run("scan", "--today", "2025-03-23", "--jobs", "2")
    assert code == 0, err
    assert "Scanned 3 people for 2025-03-23: 3 worked out now, 0 already current" in out
    code, out, err = run("scan", "--today", "2025-03-23")
    assert code == 0, err
    assert "0 worked out now, 3 already current, 0 new escalations" in out  # idempotent
    code, out, err = run("scan", "--today", "2025-03-23", "--jobs", "0")
    assert code != 0
    assert "--jobs: 0 is not allowed; give 1 to 32" in out + err
