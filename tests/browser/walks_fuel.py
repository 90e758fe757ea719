"""Browser walks of the fuel group (issue 17, tasks 25–27): a fuel station accepted as compliant
once its vapour recovery is checked on site, and a failed fuel sample traced to its supplier and
dealt with, each from the township's import of one template row in 城关镇 to its closed state (see
:mod:`tests.browser.sources_walk`)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lantian.db.engine import transaction
from lantian.sources import service
from lantian.sources.kinds.fuel_stations import KIND as STATIONS
from lantian.sources.kinds.fuel_stations import FuelStation
from tests.browser.sources_walk import TOWNSHIP, Check, Step, Walk, common
from tests.sources.conftest import OFFICE


def _station(key: str, name: str) -> Callable[[sessionmaker[Session]], None]:
    """The station the walk's sample is taken at, in the fuel-station register."""

    def prepare(sessions: sessionmaker[Session]) -> None:
        with transaction(sessions) as session:
            if session.scalar(select(FuelStation.id).where(FuelStation.key == key)):
                return
            row = STATIONS.row.model_validate(
                {
                    "key": key,
                    "name": name,
                    "area_code": TOWNSHIP,
                    "unit_code": "swj",
                    "road_class": "national",
                    "petrol_sales_t": 3000,
                    "vapour_recovery_pct": 90,
                    "urea_on_sale": True,
                    "guo6_on": "2017-09-20",
                }
            )
            service.save_samples(session, OFFICE, STATIONS, [row])

    return prepare


def walks(width: int) -> dict[str, Walk]:
    station_key = f"JYZ-WS{width}"
    station_name = f"城关镇浏览器测试加油站S{width}"
    return {
        # Tasks 25–27: a station meeting every requirement, its vapour recovery checked on site
        # with a photo (task 26: 开展专项检查和抽查), then accepted.
        "fuel_station": Walk(
            {
                **common(f"JYZ-W{width}", f"城关镇浏览器测试加油站{width}", "swj", deadline=""),
                "经营单位": "中国石化新密分公司",
                "成品油零售经营批准证书编号": "HN09999",
                "无证经营（黑加油站点）": "否",
                "道路类别": "国道 national",
                "道路名称": "G310",
                "年销售汽油量（吨）": "6100",
                "油气综合回收效率（%）": "91.5",
                "油气回收检测日期": "2017-08-15",
                "在线监测设备": "是",
                "销售车用尿素": "是",
                "国六油品置换日期": "2017-09-20",
            },
            [
                Check({"vapour_recovery_working": "pass"}, photos=1, note="油气回收设施运行正常"),
                Step("accept", "各项要求核查达标"),
            ],
            "compliant",
        ),
        # Task 25(2)–(3): a failed diesel sample traced to its supplier, then dealt with.
        "fuel_sample": Walk(
            {
                **common(f"YPCJ-W{width}", station_name, "gszjj", deadline=""),
                "加油站编号": station_key,
                "抽检品种": "车用柴油 diesel",
                "牌号": "0# 国六",
                "抽检日期": "2017-11-08",
                "检验结论": "不合格 fail",
                "不合格项目": "硫含量",
                "检验报告编号": f"XMZJ-YP-W{width}",
                "供货单位": "郑州某能源贸易有限公司",
            },
            [
                Step("trace", "追溯至郑州某能源贸易有限公司 2017-10 批次"),
                Step("deal_with", "立案查处，责令停售并罚款"),
            ],
            "dealt_with",
            prepare=_station(station_key, station_name),
        ),
    }
