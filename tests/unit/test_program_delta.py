"""Program versions stored as what changed (store/program_delta.py): any sequence of JSON documents
decodes to exactly what was encoded, and a real course's versions shrink to a small fraction."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kneehab.domain.intake import Intake
from kneehab.domain.planning import plan
from kneehab.domain.program import ItemStatus
from kneehab.domain.screening import screen
from kneehab.library.load import default_library
from kneehab.store.program_delta import decode_all, encode_all

SCALARS = st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["a", "b", "D-7", ""])
KEYS = st.sampled_from(["items", "dose", "exercise_id", "status", "rules", "note", "x"])
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=20,
)
DOCS = st.dictionaries(KEYS, JSON, max_size=5)


@settings(max_examples=300, deadline=None)
@given(st.lists(DOCS, min_size=1, max_size=6))
def test_any_sequence_of_documents_decodes_to_itself(docs: list[dict[str, Any]]) -> None:
    stored = json.loads(json.dumps(encode_all(docs)))  # as a JSON column gives it back
    assert decode_all(stored) == docs


def test_a_whole_program_reads_as_itself_and_a_dose_change_is_small() -> None:
    lib = default_library()
    intake = Intake.model_validate(
        {"age": 58, "knee": "right", "condition": "medial_knee_oa", "onset": "gradual",
         "weeks_since_onset": 20, "pain_now": 4, "pain_worst_week": 5, "red_flags": []}
    )  # fmt: skip
    program = plan(intake, screen(intake), lib, start=dt.date(2025, 3, 3))
    assert program is not None
    first = program.items[0]
    paused = program.model_copy(
        update={
            "items": (first.model_copy(update={"status": ItemStatus.PAUSED}), *program.items[1:])
        }
    )
    whole = [p.model_dump(mode="json") for p in (program, paused)]
    stored = encode_all(whole)
    assert set(stored[0]) == {"$zlib"}  # the first version is kept whole, compressed
    assert len(json.dumps(stored[0])) < len(json.dumps(whole[0])) / 2
    assert decode_all(stored) == whole
    assert (
        decode_all([whole[0], whole[1]]) == whole
    )  # rows stored whole (before 0008) read the same
    assert len(json.dumps(stored[1])) < len(json.dumps(whole[1])) / 20
