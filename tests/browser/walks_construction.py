"""The walks of the dust registers (tasks 28–29): a construction site, a muck truck and a muck
truck found on the road, each imported by 城关镇's staff and taken to its closed state
(collected by ``test_source_walks``). The stop and lift of a site have their own browser test
(``test_construction.py``)."""

from __future__ import annotations

from tests.browser.sources_walk import Check, Step, Walk, common

#: The walks' office account (see test_source_walks.py).
OFFICE = "walks-office"
SIX = (
    "fencing",
    "materials_covered",
    "wet_earthworks",
    "roads_hardened",
    "vehicles_washed",
    "muck_trucks_enclosed",
)


def walks(width: int) -> dict[str, Walk]:
    return {
        # Task 28: inspected with the six 100 % checks all passed, then completed.
        "construction_site": Walk(
            {
                **common(f"GD-W{width}", f"城关镇浏览器测试工地{width}", "zjj"),
                "工程类别": "房屋建筑",
                "建设单位": "新密市某置业有限公司",
                "施工单位": "河南某建设集团有限公司",
                "占地面积（平方米）": "6000",
                "管理员": "张建国",
                "监督员": "李明",
                "网格员": "王华",
                "在线监测": "否",
                "视频监控": "否",
            },
            [
                Check(dict.fromkeys(SIX, "pass"), photos=1, note="六个百分之百全部落实"),
                Step("complete", "主体竣工，销号"),
            ],
            "completed",
        ),
        # Task 29: enclosure and GPS photographed on the spot, approved by the office.
        "muck_truck": Walk(
            {
                **common(f"ZTC-W{width}", f"城关镇浏览器测试渣土车{width}", "zfj"),
                "车牌号": f"豫AW{width:04d}",
                "运输企业": "新密市某渣土运输有限公司",
                "密闭装置": "是",
                "定位系统": "是",
                "核准证号": f"XM-ZT-W{width}",
                "核准有效期至": "2030-06-30",
            },
            [
                Check({"enclosure": "pass", "gps": "pass", "permit": "pass"}, photos=2),
                Step("approve", "密闭装置和定位系统已核查，予以核准", by=OFFICE),
            ],
            "approved",
        ),
        # Task 29: an unregistered truck (黑渣土车) found on the road, punished at the upper limit.
        "muck_truck_finding": Walk(
            {
                **common(f"ZTCC-W{width}", f"城关镇浏览器测试查处{width}", "zfj"),
                "车牌号": f"豫AX{width:04d}",
                "查处日期": "2017-10-09",
                "查处地点类别": "道路",
                "密闭运输": "否",
                "定位在线": "否",
            },
            [Step("punish", "黑渣土车，按上限处罚")],
            "punished",
        ),
    }
