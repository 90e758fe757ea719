"""The browser walk of the straw-burning fire points (task 34): a patrol's finding in 城关镇,
imported with the template, checked on the spot with a photo (burning confirmed), then dealt with
once the fire is out (another photo)."""

from __future__ import annotations

from tests.browser.sources_walk import Check, Step, Walk, common


def walks(width: int) -> dict[str, Walk]:
    return {
        "fire_point": Walk(
            {
                **common(f"FP-W{width}", f"城关镇巡查发现火点{width}", "njj", "2030-12-31"),
                "来源": "巡查发现 patrol",
                "发现时间": "2017-10-15 13:36",
            },
            [
                Check(
                    {"on_spot": "pass", "no_burning": "fail"},
                    photos=1,
                    note="到场核查：村南地块焚烧玉米秸秆",
                ),
                Step("confirm", "确认焚烧"),
                Check({"put_out": "pass"}, photos=1, note="明火扑灭，过火地块已清理"),
                Step("deal", "处置完毕"),
            ],
            "dealt",
        ),
    }
