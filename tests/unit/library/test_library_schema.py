"""The JSON Schema comes from the loader's model and the copy in docs/ is current."""

from __future__ import annotations

import json
from pathlib import Path

from kneehab.library.schema import DEFAULT_OUT, json_schema, schema_text

REPO = Path(__file__).resolve().parents[3]


def test_schema_describes_the_exercise_file() -> None:
    schema = json_schema()
    assert schema["type"] == "object"
    for field in ("id", "dose", "limits", "progression", "conditions", "figure", "article"):
        assert field in schema["properties"]
    assert set(schema["required"]) >= {"id", "name", "dose", "limits", "figure", "stop_rules"}


def test_docs_copy_is_current() -> None:
    path = REPO / DEFAULT_OUT
    assert path.read_text(encoding="utf-8") == schema_text(), (
        "docs/exercise.schema.json is stale: run `python -m kneehab.library.schema`"
    )
    assert json.loads(path.read_text(encoding="utf-8"))["title"] == "kneehab exercise file"
