"""Browser walks of the dust-fall registers (tasks 1, 33): a site commissioned once its placement is
checked on site with a photo, and a month's sample accepted (its dust fall and QC verdict computed
on import), each from the township's import of one template row in 城关镇 to its closed state (see
:mod:`tests.browser.sources_walk`)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian.db.engine import transaction
from lantian.sources import service
from lantian.sources.kinds.dust_fall_sites import KIND as SITES
from lantian.sources.kinds.dust_fall_sites import DustFallSite
from tests.browser.sources_walk import TOWNSHIP, Check, Step, Walk, common
from tests.sources.conftest import OFFICE


def _site(key: str, name: str) -> Callable[[sessionmaker[Session]], None]:
    """The site the walk's sample is taken at, in the site register."""

    def prepare(sessions: sessionmaker[Session]) -> None:
        with transaction(sessions) as session:
            if session.scalar(select(DustFallSite.id).where(DustFallSite.key == key)):
                return
            row = SITES.row.model_validate(
                {
                    "key": key,
                    "name": name,
                    "area_code": TOWNSHIP,
                    "unit_code": "hbj",
                    "height_m": 8.5,
                    "collector": "玻璃集尘缸 内径15cm",
                }
            )
            service.save_samples(session, OFFICE, SITES, [row])

    return prepare


def walks(width: int) -> dict[str, Walk]:
    site_key = f"JC-WS{width}"
    site_name = f"城关镇浏览器测试降尘点S{width}"
    return {
        # Task 1: a site laid out, its placement checked on site with a photo, then commissioned.
        "dust_fall_site": Walk(
            {
                **common(f"JC-W{width}", f"城关镇浏览器测试降尘点{width}", "hbj", deadline=""),
                "采样高度（米）": "8.5",
                "集尘缸": "玻璃集尘缸 内径15cm",
            },
            [
                Check({"placement": "pass"}, photos=1, note="距地面 8.5 米，周围无遮挡"),
                Step("commission", "点位布设合格，投入运行"),
            ],
            "operating",
        ),
        # Tasks 1, 33: November's sample of a site, valid by its QC, accepted by the station.
        "dust_fall_sample": Walk(
            {
                **common(f"{site_key}-201711", f"{site_name}2017年11月样品", "hbj", deadline=""),
                "点位编码": site_key,
                "监测月份": "2017-11",
                "放缸日期": "2017-11-01",
                "收缸日期": "2017-12-01",
                "集尘缸口面积（平方厘米）": "176.71",
                "降尘质量（克）": "0.1012",
                "空白质量（克）": "0.0012",
                "集尘缸完好": "是",
                "空白试验合格": "是",
                "异物污染": "无 none",
                "分析编号": f"XMJC-W{width}",
            },
            [Step("accept", "称量复核无误")],
            "accepted",
            prepare=_site(site_key, site_name),
        ),
    }
