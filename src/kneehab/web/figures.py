"""Exercise illustrations served as cacheable SVG files instead of being inlined into every page.

Each figure is rendered once per app from the library (a pure function of the exercise), and its URL carries a
short content hash, so browsers may keep it for a year: a changed drawing gets a new URL.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from kneehab.domain.exercise import Exercise, Library
from kneehab.errors import NotFound
from kneehab.library.figures import render_svg

MEDIA_TYPE = "image/svg+xml"
CACHE_CONTROL = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class FigureFile:
    body: bytes
    etag: str  # sha-256 of the body (hex)


class Figures:
    def __init__(self, library: Library) -> None:
        self._library = library
        self._files: dict[str, FigureFile] = {}

    def file(self, exercise_id: str) -> FigureFile:
        found = self._files.get(exercise_id)
        if found is None:
            exercise = self._library.exercises.get(exercise_id)
            if exercise is None:
                raise NotFound(f"figure: there is no exercise '{exercise_id}'")
            # No words inside the drawing: the pages show its panel labels as text of their own
            # (a scaled-down figure drew them at about 9 px on a phone).
            body = render_svg(exercise, labels=False).encode("utf-8")
            found = FigureFile(body=body, etag=hashlib.sha256(body).hexdigest())
            self._files[exercise_id] = found
        return found

    def url(self, exercise: Exercise) -> str:
        """The figure's address, versioned by its content."""
        return f"/figures/{exercise.id}.svg?v={self.file(exercise.id).etag[:12]}"
