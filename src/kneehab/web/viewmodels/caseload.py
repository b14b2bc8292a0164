"""View-model of the caseload (issue 12 §1): one model serves the page and its JSON twin; templates
only display. One person's review is in viewmodels/patient_review.py."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from kneehab.domain.caseload import FLAGS
from kneehab.services.caseload import CaseloadRow
from kneehab.web.viewmodels.sparkline import sparkline


class Flag(BaseModel):
    key: str
    label: str
    rules: list[str]


class CaseloadItem(BaseModel):
    id: int
    name: str
    url: str
    condition: str
    phase: str
    day: int
    last_checkin: date | None
    adherence: str
    adherence_share: float | None
    sparkline_svg: str
    sparkline_text: str
    morning_pain: list[int | None]
    flags: list[Flag]
    review_on: date | None
    tier: int
    since: date
    why: str
    rules: list[str]


class CaseloadView(BaseModel):
    heading: str = "Caseload"
    today: date
    intro: str = (
        "Everyone in your clinic, the person who needs you first at the top (D-9). Opening a "
        'person is noted in their "Who has looked at my data" list.'
    )
    flag: str = ""
    search: str = ""
    flag_choices: list[Flag]
    items: list[CaseloadItem]
    count: int


def adherence_words(share: float | None) -> str:
    return "not yet (day 14)" if share is None else f"{round(share * 100)} %"


def flag_views(keys: tuple[str, ...] | list[str]) -> list[Flag]:
    return [Flag(key=k, label=FLAGS[k][0], rules=list(FLAGS[k][1])) for k in keys]


def caseload_view(rows: list[CaseloadRow], *, today: date, flag: str, search: str) -> CaseloadView:
    items = []
    for r in rows:
        svg, words = sparkline(r.morning_pain)
        items.append(
            CaseloadItem(
                id=r.id,
                name=r.name,
                url=f"/clinic/patients/{r.id}",
                condition=r.condition.replace("_", " "),
                phase=r.phase or "—",
                day=r.day,
                last_checkin=r.last_checkin,
                adherence=adherence_words(r.adherence),
                adherence_share=r.adherence,
                sparkline_svg=svg,
                sparkline_text=words,
                morning_pain=list(r.morning_pain),
                flags=flag_views(r.flags),
                review_on=r.review_on,
                tier=r.tier,
                since=r.since,
                why=r.why,
                rules=list(r.rules),
            )
        )
    return CaseloadView(
        today=today,
        flag=flag,
        search=search,
        flag_choices=flag_views(list(FLAGS)),
        items=items,
        count=len(items),
    )
