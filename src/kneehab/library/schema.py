"""The exercise file format as JSON Schema, generated from the one model the loader uses (never restated).

`python -m kneehab.library.schema [PATH]` writes it (default: docs/exercise.schema.json) so editors can
validate and autocomplete exercise files; docs/library.md explains the fields.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from kneehab.domain.exercise import Exercise

DEFAULT_OUT = Path("docs") / "exercise.schema.json"


def json_schema() -> dict[str, Any]:
    """JSON Schema of one exercise file (exercises/ID.toml)."""
    schema: dict[str, Any] = Exercise.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "kneehab exercise file"
    return schema


def schema_text() -> str:
    """The schema as stable, sorted JSON text (same model, same bytes)."""
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schema(path: Path = DEFAULT_OUT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(schema_text(), encoding="utf-8")
    return path


if __name__ == "__main__":  # pragma: no cover - a developer convenience
    print(write_schema(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT))
