"""The browser walks of task 24's registers: a machine found in 城关镇 taken to its elimination
(scrapping proven on the spot with a photo), and 城关镇's weekly patrol report filed with the
template and reviewed by the office."""

from __future__ import annotations

from datetime import date, timedelta

from tests.browser.sources_walk import Check, Step, Walk, common

OFFICE = "walks-office"


def _week(width: int) -> tuple[str, date]:
    """A campaign week of its own per window width (the report's key is the unit's and week's)."""
    monday = date.fromisocalendar(2017, 40 + width % 13, 1)
    year, number, _ = monday.isocalendar()
    return f"{year}-W{number:02d}", monday


def walks(width: int) -> dict[str, Walk]:
    week, monday = _week(width)
    return {
        "nonroad_machinery": Walk(
            {
                **common(f"FDL-W{width}", f"城关镇挖掘机{width}", "hbj"),
                "机械类型": "挖掘机 excavator",
                "排放阶段": "国III stage3",
                "生产日期": "2012-05-01",
                "登记编码": f"HB4101830{width}",
                "所有/使用单位": "某建设工程项目部",
                "使用场所类别": "施工工地",
            },
            [
                Check({"smoke_free": "fail"}, note="作业中冒黑烟，现场责令停止使用"),
                Step("stop", "责令停止使用，限期淘汰"),
                Check({"scrapped": "pass"}, photos=1, note="已送报废拆解，拍照留存"),
                Step("eliminate", "报废拆解完毕，予以淘汰"),
            ],
            "eliminated",
        ),
        "machinery_patrols": Walk(
            {
                **common(f"XC-410183100-{week.replace('-', '')}", f"城关镇{week}巡查报告", ""),
                "报送单位代码": "410183100",
                "周次": week,
                "报送日期": str(monday + timedelta(days=4)),
                "巡查场所数": "9",
                "检查机械台数": "23",
                "发现违法行为数": "2",
                "处罚起数": "2",
                "罚款金额（元）": "40000",
            },
            [Step("review", by=OFFICE)],
            "reviewed",
        ),
    }
