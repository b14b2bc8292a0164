"""The server's start-up: its heap settled (kneehab/heap.py) before the first request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from kneehab.heap import settle


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    settle()
    yield
