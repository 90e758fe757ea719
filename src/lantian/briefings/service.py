"""Making, keeping and reading issued briefings (one write path: typed request → this service →
the ``briefings`` table, audited; files in :class:`lantian.files.FileStore`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian import clock
from lantian.auth.permissions import Action, Principal, can, resource
from lantian.briefings import charts, documents
from lantian.briefings.figures import KINDS, Briefing, Kind, build_briefing, period_of
from lantian.briefings.models import FORMATS, IssuedBriefing
from lantian.db.audited import acting_as
from lantian.errors import Invalid, NotAllowed, NotFound
from lantian.files import FileStore
from lantian.plan import Plan

MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class BriefingRequest(BaseModel):
    """What a face asks for: the kind and any day of the week or month."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    day: date


def parse_request(kind: str, day: str) -> BriefingRequest:
    """The request of a form or command line (``Invalid`` naming the field at fault)."""
    if kind not in KINDS:
        raise Invalid(
            f"简报类型应为 weekly 或 monthly，而不是 {kind!r} / kind is weekly or monthly",
            field="kind",
        )
    text = day.strip()
    try:
        parsed = date.fromisoformat(f"{text}-01" if len(text) == 7 else text)
    except ValueError:
        raise Invalid(
            f"日期应为 YYYY-MM-DD（月报可为 YYYY-MM），而不是 {day!r} / the day is YYYY-MM-DD",
            field="day",
        ) from None
    return BriefingRequest(kind=kind, day=parsed)


def parse_day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(
            f"{name} 应为 YYYY-MM-DD / {name} is YYYY-MM-DD: {text!r}", field=name
        ) from None


def may_read(who: Principal) -> bool:
    """Briefings are the campaign's reports to its leaders: every account that reads the whole
    campaign (the office, leaders, inspectors, administrators) reads them."""
    return (
        not who.is_public
        and who.role not in ("unit", "township")
        and can(who, Action.READ, resource("report"))
    )


def may_make(who: Principal) -> bool:
    """The office (and administrators) make a briefing on demand."""
    return may_read(who) and can(who, Action.WRITE, resource("report"))


def require_reader(who: Principal) -> None:
    if not may_read(who):
        raise NotAllowed(
            "简报供攻坚办、市领导和督查组阅读 / briefings are for the office and leaders"
        )


@dataclass(frozen=True)
class Rendered:
    briefing: Briefing
    files: dict[str, bytes]  # format → bytes


def render(briefing: Briefing) -> Rendered:
    images = charts.charts(briefing)
    return Rendered(
        briefing,
        {
            "docx": documents.briefing_docx(briefing, images),
            "pdf": documents.briefing_pdf(briefing, images),
            "xlsx": documents.briefing_xlsx(briefing),
        },
    )


def find_briefing(session: Session, kind: str, first: date) -> IssuedBriefing | None:
    return session.scalars(
        select(IssuedBriefing).where(IssuedBriefing.kind == kind, IssuedBriefing.first_day == first)
    ).first()


def make_briefing(
    session: Session,
    store: FileStore,
    plan: Plan,
    request: BriefingRequest,
    actor: str,
    *,
    issued_on: date | None = None,
) -> IssuedBriefing:
    """Build, render and keep the briefing of ``request``'s week or month; recorded (or, made
    again, updated with the new files, keeping its number) as ``actor``, audited."""
    first, last = period_of(request.kind, request.day)
    today = issued_on or clock.today()
    if first > today:
        raise Invalid(
            f"{first} 起的时段尚未开始 / the period starting {first} has not begun", field="day"
        )
    briefing = build_briefing(session, plan, request.kind, request.day, today)
    rendered = render(briefing)
    stored = {fmt: store.put_bytes(rendered.files[fmt]) for fmt in FORMATS}
    row = find_briefing(session, request.kind, first)
    action = "briefing.make" if row is None else "briefing.remake"
    with acting_as(session, actor, action=action):
        if row is None:
            row = IssuedBriefing(kind=request.kind, first_day=first)
            session.add(row)
        row.last_day = last
        row.number = briefing.number
        row.document_number = briefing.document_number
        row.title = briefing.title
        for fmt in FORMATS:
            setattr(row, f"{fmt}_sha256", stored[fmt].sha256)
            setattr(row, f"{fmt}_path", stored[fmt].path)
        row.generated_at = clock.now()
        row.generated_by = actor
    return row


def list_briefings(session: Session, limit: int = 200) -> list[IssuedBriefing]:
    """The issued briefings, the newest period first."""
    return list(
        session.scalars(
            select(IssuedBriefing)
            .order_by(IssuedBriefing.first_day.desc(), IssuedBriefing.kind)
            .limit(limit)
        )
    )


def briefing_file(
    session: Session, store: FileStore, briefing_id: int, fmt: str
) -> tuple[IssuedBriefing, bytes]:
    """An issued briefing's file in ``fmt`` (docx, pdf, xlsx), checked against its hash."""
    if fmt not in FORMATS:
        raise NotFound(f"没有 {fmt} 格式 / no {fmt!r} rendering")
    row = session.get(IssuedBriefing, briefing_id)
    if row is None:
        raise NotFound(f"没有第 {briefing_id} 号简报 / no briefing {briefing_id}")
    return row, store.read(getattr(row, f"{fmt}_path"), getattr(row, f"{fmt}_sha256"))


def file_name(row: IssuedBriefing, fmt: str) -> str:
    """简报 file name: 新密市…周报-2018-01-15.docx (the kind's word and the period's start)."""
    return f"{row.title}-{row.first_day:%Y-%m-%d}.{fmt}"
