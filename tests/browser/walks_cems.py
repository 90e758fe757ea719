"""Browser walk of the stacks register (task 21): the township lists an outlet of an inventory
firm, fits its CEMS, and the office removes it (a merged outlet) — see
:mod:`tests.browser.sources_walk`."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian.db.engine import transaction
from lantian.emissions.models import Enterprise
from lantian.emissions.service import EnterpriseInput, add_enterprise
from lantian.emissions.uscc import make_code
from tests.browser.sources_walk import TOWNSHIP, Step, Walk, common

#: The office's account for the walks (tests/browser/conftest.py ACCOUNTS).
OFFICE = "walks-office"


def _inventory_firm(credit_code: str, name: str) -> Callable[[sessionmaker[Session]], None]:
    def prepare(sessions: sessionmaker[Session]) -> None:
        with transaction(sessions) as session:
            if session.scalar(select(Enterprise.id).where(Enterprise.credit_code == credit_code)):
                return
            add_enterprise(session, "walks", EnterpriseInput(credit_code, name, TOWNSHIP, "power"))

    return prepare


def walks(width: int) -> dict[str, Walk]:
    credit_code = make_code(f"91410183MA0T{width:05d}")
    firm = f"城关镇浏览器测试电厂{width}"
    return {
        # Task 21: a 150 m power stack surveyed, its CEMS fitted (the MN given), then merged
        # into another outlet and removed by the office.
        "stacks": Walk(
            {
                **common(f"PK-W{width}", f"{firm} 1#排气筒", "hbj"),
                "统一社会信用代码": credit_code,
                "数采仪MN": f"LD4101830W{width:04d}",
                "排气筒高度(m)": "150",
                "行业": "power",
                "燃料": "coal",
                "执行限值": "ultra_low",
                "监测污染物": "烟尘,二氧化硫,氮氧化物",
            },
            [
                Step("install_cems", "自动监控设施已安装"),
                Step("remove", "与 2# 排气筒合并，拆除", by=OFFICE),
            ],
            "removed",
            prepare=_inventory_firm(credit_code, firm),
        ),
    }
