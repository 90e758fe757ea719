"""`/api/v1/cases`: inspection cases and their timelines, for the reader's scope.

Authenticated by an API token (``Authorization: Bearer lt_…``) or the browser's session; a unit or
township account sees its own cases only. Changes go through the pages and the CLI (and other
modules call :func:`lantian.supervision.service.open_case` in process).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from lantian.auth.permissions import Principal
from lantian.errors import NotFound
from lantian.supervision import service
from lantian.web.access import require_api_account
from lantian.web.api.pagination import Limit, Offset, Page, RecordId

router = APIRouter(prefix="/api/v1/cases", tags=["supervision 督查"])


class CaseOut(BaseModel):
    id: int
    source: str
    reference: str | None
    title: str
    description: str
    area_code: str | None
    site: str | None
    longitude: float | None
    latitude: float | None
    severity: str
    unit_code: str | None
    state: str = Field(description="assigned, forwarded, rectifying, reported or closed")
    listed: bool = Field(description="under listed supervision (挂牌督办)")
    overdue_since: datetime | None
    deadline: datetime | None
    occurrences: int
    first_seen_at: datetime
    last_seen_at: datetime
    closed_at: datetime | None
    is_sample: bool


class EvidenceOut(BaseModel):
    id: int
    filename: str
    sha256: str
    size_bytes: int


class TimelineEntryOut(BaseModel):
    event: str
    from_state: str | None
    to_state: str
    actor: str
    at: datetime
    note: str
    evidence: list[EvidenceOut]


class CaseDetailOut(CaseOut):
    timeline: list[TimelineEntryOut]


def api_principal(request: Request) -> Principal:
    """The bearer token's account, else the session's (see ``require_api_account``)."""
    return require_api_account(request, "see inspection cases")


@router.get("", response_model=Page[CaseOut], summary="督查案件 / inspection cases")
def list_cases(
    request: Request,
    state: str | None = Query(
        None, description="assigned, forwarded, rectifying, reported, closed"
    ),
    unit: str | None = Query(None, description="responsible unit code"),
    area: str | None = Query(None, description="9-digit area code"),
    overdue: bool = Query(False, description="only overdue cases"),
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[CaseOut]:
    who = api_principal(request)
    with request.app.state.sessions() as session:
        rows, total = service.list_cases(
            session, who, state=state, unit_code=unit, area_code=area,
            overdue=overdue or None, limit=limit, offset=offset,
        )  # fmt: skip
        items = [CaseOut.model_validate(row, from_attributes=True) for row in rows]
    return Page[CaseOut].of(items, total, limit, offset)


@router.get(
    "/{case_id}", response_model=CaseDetailOut, summary="案件及办理经过 / case and timeline"
)
def get_case(request: Request, case_id: RecordId) -> CaseDetailOut:
    who = api_principal(request)
    with request.app.state.sessions() as session:
        rows, _ = service.list_cases(session, who, case_id=case_id, limit=1)
        if not rows:
            raise NotFound(f"案件 {case_id} 不存在或无权查看 / no case {case_id} you may read")
        base = CaseOut.model_validate(rows[0], from_attributes=True)
        timeline = [
            TimelineEntryOut(
                event=event.event,
                from_state=event.from_state,
                to_state=event.to_state,
                actor=event.actor,
                at=event.at,
                note=event.note,
                evidence=[EvidenceOut.model_validate(f, from_attributes=True) for f in files],
            )
            for event, files in service.timeline(session, case_id)
        ]
    return CaseDetailOut(**base.model_dump(), timeline=timeline)
