"""Read a JSON file into a validated model, turning every problem into one InvalidInput that names the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from kneehab.domain.validation import describe_errors
from kneehab.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def read_json(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{what} file '{path}' does not exist") from None
    except IsADirectoryError:
        raise InvalidInput(f"{what} file '{path}' is a folder, not a file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InvalidInput(f"{what} file '{path}' cannot be read: {err}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidInput(
            f"{what} file '{path}' is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})"
        ) from None


def validate(model: type[M], data: Any, what: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems = describe_errors(err.errors())
        head = f"{what} is not valid: {problems[0]}"
        raise InvalidInput(head, problems=[head, *problems[1:]]) from None


def read_model(path: Path, model: type[M], what: str) -> M:
    return validate(model, read_json(path, what), what)
