"""`/api/v1/public/penalties`: the public disclosure list of enforcement actions as JSON (no login;
only disclosed actions that stand, only what a decision discloses — safeguard 三)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from lantian.penalties import disclosure

router = APIRouter(prefix="/api/v1/public", tags=["public 公众发布"])


class DisclosedActionOut(BaseModel):
    decision_number: str = Field(description="处罚决定书文号")
    subject_name: str = Field(description="处罚对象名称")
    action_type: str = Field(description="warning, fine, daily_fine, stop_production, …")
    action_type_zh: str
    amount: float | None = Field(description="罚没合计（元）: a fine plus a daily fine's total")
    daily_fine_days: int | None = Field(description="按日计罚天数")
    legal_basis: str
    decided_on: date | None
    disclosed_on: date
    summary: str


@router.get(
    "/penalties",
    response_model=list[DisclosedActionOut],
    summary="行政处罚公示 / disclosed enforcement actions",
)
def disclosed(request: Request) -> list[DisclosedActionOut]:
    with request.app.state.sessions() as session:
        rows = disclosure.disclosed_actions(session)
    return [DisclosedActionOut(**row.__dict__) for row in rows]
