"""Routers: each module holds a page and its JSON twin under /api/v1, built from one view-model."""

from fastapi import APIRouter

from kneehab.web.routes import (
    auth,
    check,
    checkin,
    clinic,
    data,
    figures,
    live,
    outcomes,
    patients,
    program,
    progress,
    rescreen,
    start,
    today,
)

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    auth.api,
    start.router,
    start.api,
    program.router,
    program.api,
    check.router,
    check.api,
    today.router,
    today.api,
    rescreen.router,
    rescreen.api,
    checkin.router,
    checkin.api,
    progress.router,
    progress.api,
    data.router,
    data.api,
    outcomes.router,
    outcomes.api,
    figures.router,
    patients.router,
    patients.api,
    clinic.router,
    clinic.api,
    live.router,
)
