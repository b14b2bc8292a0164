"""What every route receives: the app's state, the clock and "the current person", each through one dependency.

There is one local person for now. `current_person` is the single place that decides who that is, so accounts
(and clinicians acting for a person) later change this function and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, Request

from kneehab import services
from kneehab.config import Settings
from kneehab.domain.exercise import Library
from kneehab.errors import NotFound
from kneehab.store.db import Database
from kneehab.web.drafts import Drafts
from kneehab.web.figures import Figures

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Local wall-clock time, timezone-aware (the person's "today" is their local date)."""
    return datetime.now().astimezone()


@dataclass(frozen=True)
class WebState:
    settings: Settings
    db: Database
    library: Library
    clock: Clock
    figures: Figures
    drafts: Drafts = field(default_factory=Drafts)  # first-run answers between steps


@dataclass(frozen=True)
class Now:
    now: datetime

    @property
    def today(self) -> date:
        return self.now.date()


class NoPerson(NotFound):
    """Nobody has been through the first-run screening yet: pages send the browser to /start."""

    def __init__(self) -> None:
        super().__init__("no one is enrolled yet: answer the safety questions at /start first")


def get_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def get_now(state: Annotated[WebState, Depends(get_state)]) -> Now:
    return Now(state.clock())


def current_person(state: Annotated[WebState, Depends(get_state)]) -> int:
    """The person this request acts for: the one local person (NoPerson until first run is done)."""
    person_id = services.current_person_id(state.db)
    if person_id is None:
        raise NoPerson()
    return person_id


State = Annotated[WebState, Depends(get_state)]
Clocked = Annotated[Now, Depends(get_now)]
Person = Annotated[int, Depends(current_person)]
