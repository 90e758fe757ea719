"""`/api/v1/emissions`: reduction lists and their check against the plan's targets (task 41)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from lantian.auth.permissions import can, resource
from lantian.emissions import service
from lantian.emissions.targets import POLLUTANTS, plan_targets
from lantian.errors import NotAllowed
from lantian.web.access import require_api_account
from lantian.web.api.pagination import Limit, Offset, Page, RecordId
from lantian.web.plan_state import current_plan

router = APIRouter(prefix="/api/v1/emissions", tags=["emissions 减排"])


class ListOut(BaseModel):
    id: int
    name: str
    plan: str
    inventory_year: int
    status: str = Field(description="draft, in_force or superseded")
    method: str = Field(description="manual, import, mip or greedy")
    created_by: str
    created_at: datetime
    note: str | None
    sample: bool = Field(description="示例数据: made from the generated sample inventory")


class LevelRatiosOut(BaseModel):
    level: str
    reductions: dict[str, float] = Field(description="t/d per pollutant")
    ratios: dict[str, float] = Field(description="share of the whole-city emission")
    targets: dict[str, float]


class ShortfallOut(BaseModel):
    level: str
    pollutants: list[str]
    kind: str = Field(description="single, trade_sum, trade_pooled or trade_floor")
    required_ratio: float
    achieved_ratio: float
    missing_ratio: float
    missing_tonnes: dict[str, float] = Field(
        description="t/d of each pollutant that alone closes it"
    )
    message: str


class CheckOut(BaseModel):
    reduction_list: ListOut
    passes: bool
    levels: list[LevelRatiosOut]
    shortfalls: list[ShortfallOut]
    not_cumulative: int


def _require_read(request: Request) -> None:
    who = require_api_account(request, "read reduction lists")
    if not can(who, "read", resource("reduction_list")):
        raise NotAllowed("无权查看减排清单 / not allowed to read reduction lists")


@router.get("/lists", response_model=Page[ListOut])
def lists(request: Request, limit: Limit = 100, offset: Offset = 0) -> Page[ListOut]:
    _require_read(request)
    with request.app.state.sessions() as session:
        everything = service.all_lists(session)
        items = [
            ListOut.model_validate(item, from_attributes=True)
            for item in everything[offset : offset + limit]
        ]
    return Page[ListOut].of(items, len(everything), limit, offset)


@router.get("/lists/{list_id}/check", response_model=CheckOut)
def check(request: Request, list_id: RecordId) -> CheckOut:
    """Ratios per level and pollutant, and every shortfall (level, pollutant, by how much)."""
    _require_read(request)
    targets = plan_targets(current_plan(request))
    with request.app.state.sessions() as session:
        stored, result = service.check_stored_list(session, list_id, targets)
        listed = ListOut.model_validate(stored, from_attributes=True)
    return CheckOut(
        reduction_list=listed,
        passes=result.passes,
        levels=[
            LevelRatiosOut(
                level=level,
                reductions={p.value: result.reductions[level][p] for p in POLLUTANTS},
                ratios={p.value: v for p, v in result.ratios[level].items()},
                targets={p.value: t for p, t in targets.ratios.get(level, {}).items()},
            )
            for level in targets.levels.keys
        ],
        shortfalls=[
            ShortfallOut(
                level=s.level,
                pollutants=[p.value for p in s.pollutants],
                kind=s.requirement.kind,
                required_ratio=s.requirement.required_ratio,
                achieved_ratio=s.achieved_ratio,
                missing_ratio=s.missing_ratio,
                missing_tonnes={p.value: v for p, v in s.missing_tonnes.items()},
                message=s.message(),
            )
            for s in result.shortfalls
        ],
        not_cumulative=len(result.not_cumulative),
    )
