"""Walks of the earth-order and road registers (tasks 30–32): one entry of each kind imported by
城关镇 and taken to its closed state in the browser. The exemption goes through its three steps,
each with its document: the township applies, the sector department (住建局) reviews, the office
records the city government's consent."""

from __future__ import annotations

from tests.browser.sources_walk import Check, Step, Walk, common

OFFICE = "walks-office"
SECTOR = "walks-zjj"


def walks(width: int) -> dict[str, Walk]:
    return {
        # Task 30: application → sector review → city approval, a document with each.
        "earthwork_exemption": Walk(
            {
                **common(f"XTL-W{width}", f"城关镇浏览器测试保障房项目{width}", "zjj"),
                "项目建设单位": "新密市城市建设投资公司",
                "作业类型": "房屋建筑土石方 building",
                "申请理由": "重点项目 key_project",
                "施工期开始": "2017-12-01",
                "施工期结束": "2017-12-31",
                "施工范围半径（米）": "300",
            },
            [
                Step("apply", "项目建设单位申请，附申请函", files=1),
                Step("review", "住建局初审同意，附初审意见", by=SECTOR, files=1),
                Step("approve", "市政府同意，附批复", by=OFFICE, files=1),
            ],
            "approved",
        ),
        # Task 30: works found in the built-up area, stopped with a photo.
        "earthwork_finding": Walk(
            {
                **common(f"TSF-W{width}", f"城关镇浏览器测试拆除{width}", "zjj"),
                "发现日期": "2017-12-15",
                "作业类型": "房屋拆迁（拆除）施工 demolition",
                "施工单位": "某拆迁公司",
            },
            [
                Check({"work_stopped": "pass", "site_covered": "pass"}, photos=1, note="已停工"),
                Step("stop", "责令停工，现场已停止作业"),
            ],
            "stopped",
        ),
        # Task 31(1): a central main road swept by machine over its whole area.
        "main_road": Walk(
            {
                **common(f"DL-W{width}", f"浏览器测试大街{width}", "zjj"),
                "道路等级": "主干道 main",
                "位于中心城区": "是",
                "长度（公里）": "3.2",
                "清扫面积（平方米）": "96000",
                "机械化清扫冲洗率（%）": "100",
                "每日冲洗频次": "2",
            },
            [
                Check({"machine_sweeping": "pass", "no_visible_dust": "pass"}, photos=1),
                Step("mechanise", "洗扫车全覆盖"),
            ],
            "mechanised",
        ),
        # Task 31(1): a 以克论净 check within the limit.
        "road_dust_check": Walk(
            {
                **common(f"YK-W{width}", f"浏览器测试大街以克论净{width}", "zjj"),
                "道路编号": f"DL-W{width}",
                "检测日期": "2017-12-11",
                "积尘负荷（克/平方米）": "6.5",
                "采样点数": "5",
            },
            [Step("confirm", "积尘负荷 6.5 克/平方米，达标")],
            "passed",
        ),
        # Task 32: a week's city clean-up, held and photographed.
        "city_cleanup": Walk(
            {
                **common(f"QJ-W{width}", f"城关镇浏览器测试清洁日{width}", "cjb"),
                "开展日期": "2017-12-08",
                "清洁范围": "道路及公共设施 roads",
                "参加人数": "150",
                "出动车辆": "12",
                "清运垃圾（吨）": "8.5",
            },
            [
                Check({"cleaned": "pass", "facilities_washed": "pass"}, photos=2),
                Step("hold", "护栏、隔离带清洗完成"),
            ],
            "held",
        ),
    }
