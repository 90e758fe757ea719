"""Browser walk of the enforcement actions' register (safeguard 三): a fine decided by 市环保局 on a
firm of 城关镇, imported from the template with its dates, then decided, served, executed and closed
by the township (see :mod:`tests.browser.sources_walk`)."""

from __future__ import annotations

from tests.browser.sources_walk import Step, Walk, common


def walks(width: int) -> dict[str, Walk]:
    return {
        "enforcement_action": Walk(
            {
                **common(f"XMHF-W{width}", f"城关镇浏览器测试处罚对象{width}", "hbj", deadline=""),
                "文书号": f"新环罚决字〔2017〕W{width}号",
                "处罚对象类别": "其他 other",
                "对象编号": f"SLW-W{width}",
                "法律依据": "《中华人民共和国大气污染防治法》第九十九条",
                "处罚种类": "罚款 fine",
                "罚款金额（元）": "50000",
                "立案日期": "2017-10-10",
                "决定日期": "2017-10-20",
                "送达日期": "2017-10-22",
                "执行（缴款）日期": "2017-11-05",
            },
            [
                Step("decide", "处罚决定已作出"),
                Step("serve", "决定书已送达"),
                Step("execute", "罚款已缴纳"),
                Step("close", "结案"),
            ],
            "closed",
        ),
    }
