"""Browser walks of the vehicles group (task 23): a vehicle emission test and a testing agency,
each from the township's import of one template row in 城关镇 to its closed state (see
:mod:`tests.browser.sources_walk`)."""

from __future__ import annotations

from tests.browser.sources_walk import Check, Step, Walk, common

#: The office's account for the walks (tests/browser/conftest.py ACCOUNTS).
OFFICE = "walks-office"


def walks(width: int) -> dict[str, Walk]:
    return {
        # Task 23(2): a 31 t diesel lorry exceeding at a roadside check is the environment
        # bureau's (the routing sets the unit whatever the row says); penalised, turned back.
        "vehicle_test": Walk(
            {
                **common(f"LJ-W{width}", f"豫A{width:05d} 路检", "gaj"),
                "车牌号码": f"豫A{width:05d}",
                "检测时间": "2017-10-15 09:30",
                "检测方式": "路检路查 roadside",
                "不透光烟度（%）": "48.5",
                "燃料种类": "柴油 diesel",
                "总质量（t）": "31",
                "车辆类型": "重型半挂牵引车",
                "检测结论": "超标 exceed",
                "排放检验机构": "新密市浏览器测试机动车检测有限公司",
                "所属运输企业": "新密市浏览器测试物流有限公司",
            },
            [
                Check({"penalised": "pass", "turned_back": "pass"}, note="罚款并劝返"),
                Step("deal", "依法处罚并劝返"),
            ],
            "dealt_with",
        ),
        # Task 23(3): a spot check finds a false test report; the office revokes the licence.
        "testing_agency": Walk(
            {
                **common(f"JY-W{width}", f"新密市浏览器测试机动车检测有限公司{width}", "hbj"),
                "检验检测机构资质认定证书编号": f"1616{width:08d}",
                "检测线数": "4",
            },
            [
                Check(
                    {"reports_genuine": "fail", "equipment_valid": "pass"},
                    note="抽查发现出具虚假检验报告",
                ),
                Step("revoke", "报请取消排放检验资质", by=OFFICE),
            ],
            "revoked",
        ),
    }
