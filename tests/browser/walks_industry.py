"""Browser walks of the industrial registers (issue 16): fugitive emissions (tasks 18–19) and VOCs
(task 20). Each entry names an enterprise of the emission inventory by its 统一社会信用代码, so
each walk's ``prepare`` adds its enterprise to the walks' server first (the import refuses a code the
inventory does not hold)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian.db.engine import transaction
from lantian.emissions.models import Enterprise
from lantian.emissions.service import EnterpriseInput, LineInput, add_enterprise
from lantian.emissions.uscc import make_code
from tests.browser.sources_walk import TOWNSHIP, Check, Step, Walk, common

INSPECTOR = "walks-inspector"


def credit_code(kind: str, width: int) -> str:
    """The walk's enterprise: one per kind and window width (GB 32100 check character)."""
    return make_code(f"91410183MA{'6' if kind == 'fugitive' else '7'}{width:06d}")


#: The inventory enterprise each kind's walk names: its industry and one production line.
FIRMS = {
    "fugitive": ("refractory", LineInput("1号窑", pm=0.2)),
    "vocs": ("printing", LineInput("印刷线", vocs=0.1)),
}


def _inventory_firm(kind: str, width: int) -> Callable[[sessionmaker[Session]], None]:
    """The walk's enterprise in the server's inventory, in 城关镇 (``Walk.prepare``)."""
    industry, line = FIRMS[kind]

    def prepare(sessions: sessionmaker[Session]) -> None:
        code = credit_code(kind, width)
        with transaction(sessions) as session:
            if session.scalar(select(Enterprise.id).where(Enterprise.credit_code == code)):
                return
            add_enterprise(
                session,
                "walks",
                EnterpriseInput(
                    credit_code=code,
                    name=f"城关镇浏览器测试{industry}{width}",
                    area_code=TOWNSHIP,
                    industry=industry,
                    output_value=5.0,
                    lines=[line],
                ),
            )

    return prepare


def walks(width: int) -> dict[str, Walk]:
    return {
        # Task 18: the nodes reported; task 19: each node's control checked with a photo, then
        # accepted by the inspectors (任务19：在2017年10月底前，完成无组织排放治理).
        "fugitive": Walk(
            {
                **common(f"WZZ-W{width}", f"城关镇浏览器测试{'refractory'}{width}", "hbj"),
                "统一社会信用代码": credit_code("fugitive", width),
                "行业": "建材 building_materials",
                "无组织排放节点": "原料堆场/颗粒物/密闭储存：封闭料棚；厂区出口/颗粒物/车轮清洗",
                "治理完成时限": "2030-12-31",
            },
            [
                Step("report_survey", "两个无组织排放节点已上报"),
                Check(
                    {
                        "enclosed_storage": "pass",
                        "wheel_washing": "pass",
                        "no_visible_dust": "pass",
                    },
                    photos=3,
                    note="料棚封闭、洗车平台运行，车间无可见烟尘",
                ),
                Step("accept_controls", "两个节点治理到位，验收合格", by=INSPECTOR),
            ],
            "controlled",
            prepare=_inventory_firm("fugitive", width),
        ),
        # Task 20: a printer with activated carbon and low-VOCs inks, accepted on checks with photos.
        "vocs": Walk(
            {
                **common(f"VOC-W{width}", f"城关镇浏览器测试printing{width}", "hbj"),
                "统一社会信用代码": credit_code("vocs", width),
                "行业类别": "包装印刷 printing",
                "治理设施": "活性炭吸附 activated_carbon",
                "使用低VOCs原辅材料": "是",
                "须开展LDAR": "否",
            },
            [
                Step("start", "开始治理"),
                Check(
                    {
                        "enclosed_materials": "pass",
                        "collection": "pass",
                        "facility_running": "pass",
                    },
                    photos=2,
                    note="油墨密闭储存，集气罩接活性炭装置",
                ),
                Step("accept", "治理设施运行正常，验收合格", by=INSPECTOR),
            ],
            "treated",
            prepare=_inventory_firm("vocs", width),
        ),
    }
