"""Use-cases: the domain's pure decisions plus the store, with the clock passed in.

One module per use-case; each write is one transaction (`db.write()`) with its safety gates inside,
so the CLI, the web and the API behave the same. A use-case on a person's record takes `Acting(actor,
person_id)` and asks access.py inside that transaction (`acting.authorize`); the exercise library is an
argument, built once by the entrypoint. `today`/`now` are arguments. The database keeps the
raw records (intake, sessions, check-ins, outcomes, events); the current state is rebuilt by
`replay.course_in()` and each new program change is appended as a version row.

Callers use `from kneehab import services` and the names below (each has one home, listed here).
"""

from kneehab.exports.person_export import CSV_COLUMNS, EXPORT_FORMAT
from kneehab.services.acting import Acting, on_machine
from kneehab.services.checkins import CheckInResult, check_in
from kneehab.services.course import (
    HistoryView,
    PainPoint,
    Status,
    course,
    course_json,
    entries_of_day,
    history,
    history_head_of,
    history_of,
    history_of_start,
    program_changes,
    program_versions,
    status,
    today_items,
)
from kneehab.services.enrolment import (
    Enrollment,
    checked_zone,
    current_person_id,
    delete_person,
    enroll,
    people_ids,
    person_today,
    set_timezone,
)
from kneehab.services.exporting import download_csv, download_json, export_csv, export_person
from kneehab.services.outcomes import record_outcome, record_outcomes
from kneehab.services.replay import RULES_V2_KIND, RULES_VERSION
from kneehab.services.review import (
    acknowledge_escalation,
    answer_offer,
    choose_swap,
    clinician_action,
    mark_escalations_seen,
    mark_reviewed,
)
from kneehab.services.rules_upgrade import RulesUpgrade, rules_v2_changes, upgrade_rules
from kneehab.services.safety import (
    SESSION_CHECK_KEY,
    StopRecorded,
    check_status,
    course_and_check,
    rescreen,
    save_session_check,
    session_check,
    stop_exercise,
)
from kneehab.services.sessions import (
    EntryResult,
    load_player_state,
    save_entry,
    save_player_position,
    save_session,
)

__all__ = [
    "CSV_COLUMNS",
    "EXPORT_FORMAT",
    "RULES_V2_KIND",
    "RULES_VERSION",
    "SESSION_CHECK_KEY",
    "Acting",
    "CheckInResult",
    "Enrollment",
    "EntryResult",
    "HistoryView",
    "PainPoint",
    "RulesUpgrade",
    "Status",
    "StopRecorded",
    "acknowledge_escalation",
    "answer_offer",
    "check_in",
    "check_status",
    "checked_zone",
    "choose_swap",
    "clinician_action",
    "course",
    "course_and_check",
    "course_json",
    "current_person_id",
    "delete_person",
    "download_csv",
    "download_json",
    "enroll",
    "entries_of_day",
    "export_csv",
    "export_person",
    "history",
    "history_head_of",
    "history_of",
    "history_of_start",
    "load_player_state",
    "mark_escalations_seen",
    "mark_reviewed",
    "on_machine",
    "people_ids",
    "person_today",
    "program_changes",
    "program_versions",
    "record_outcome",
    "record_outcomes",
    "rescreen",
    "rules_v2_changes",
    "save_entry",
    "save_player_position",
    "save_session",
    "save_session_check",
    "session_check",
    "set_timezone",
    "status",
    "stop_exercise",
    "today_items",
    "upgrade_rules",
]
