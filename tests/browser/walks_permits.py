"""Browser walks of the permits group (issue 16): discharge permits (task 22), open-pit mines
(task 35) and fireworks findings (task 36), each from the township's import of one template row
in 城关镇 to its closed state (see :mod:`tests.browser.sources_walk`)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian.db.engine import transaction
from lantian.emissions.models import Enterprise
from lantian.emissions.service import EnterpriseInput, add_enterprise
from lantian.emissions.uscc import make_code
from tests.browser.sources_walk import TOWNSHIP, Check, Step, Walk, common

#: The office's account for the walks (tests/browser/conftest.py ACCOUNTS).
OFFICE = "walks-office"


def _inventory_firm(credit_code: str, name: str) -> Callable[[sessionmaker[Session]], None]:
    """The walk's cement works in the emission inventory (a permit names an inventory firm)."""

    def prepare(sessions: sessionmaker[Session]) -> None:
        with transaction(sessions) as session:
            if session.scalar(select(Enterprise.id).where(Enterprise.credit_code == credit_code)):
                return
            add_enterprise(session, "walks", EnterpriseInput(credit_code, name, TOWNSHIP, "cement"))

    return prepare


def walks(width: int) -> dict[str, Walk]:
    credit_code = make_code(f"91410183MA0W{width:05d}")
    firm = f"城关镇浏览器测试水泥厂{width}"
    return {
        # Task 22: the permit's number and date filed, the certificate photographed, then issued
        # by the office (``issue`` has roles OFFICE_ROLES | {"unit"}: 市环保局 issues permits).
        "discharge_permit": Walk(
            {
                # the deadline left empty: the plan's 10-31 for cement applies
                **common(f"PW-W{width}", firm, "hbj", deadline=""),
                "统一社会信用代码": credit_code,
                "行业": "cement",
                "许可证编号": f"{credit_code}001P",
                "发证日期": "2017-10-20",
                "有效期至": "2020-10-19",
            },
            [
                Check({"permit_seen": "pass"}, photos=1, note="许可证正本拍照"),
                Step("issue", "许可证已核发", by=OFFICE),
            ],
            "issued",
            prepare=_inventory_firm(credit_code, firm),
        ),
        # Task 35(3): an illegal quarry closed by 9-30, each closure check photographed.
        "open_pit_mine": Walk(
            {
                **common(f"KS-W{width}", f"城关镇浏览器测试石料场{width}", "gtj"),
                "整治类别": "依法关闭 close",
                "矿种": "建筑石料",
                "采矿权人": "某石料厂",
            },
            [
                Check(
                    {"mining_stopped": "pass", "equipment_removed": "pass", "power_cut": "pass"},
                    photos=3,
                    note="停采、拆除、断电到位",
                ),
                Step("close", "依法关闭"),
            ],
            "closed",
        ),
        # Task 36: fireworks set off in the city seat's ban zone, confiscated with a photo.
        "fireworks_finding": Walk(
            {
                **common(f"YH-W{width}", f"城关镇浏览器测试燃放{width}", "gaj"),
                "发现日期": "2018-02-15",
                "违法行为": "燃放 setting_off",
                "数量（箱）": "3",
                "当事人": "张某",
            },
            [
                Step("investigate", "立案查处"),
                Check({"confiscated": "pass"}, photos=1, note="收缴烟花 3 箱"),
                Step("deal", "收缴并罚款"),
            ],
            "dealt_with",
        ),
    }
