"""Writes ``remote_sensing_vendor_201710.csv``: a month of a remote-sensing vendor's export (遥感监测
数据导出) as the vendor's software saves it — GBK, CRLF, a title line above the header, columns of
its own (序号, 加速度, 图片路径) the platform ignores — with nine bad rows (see
``tests/sources/test_vehicles.py``). Made up (seeded), not real plates.

Run from the repository's root: ``python tests/sources/data/make_remote_sensing_vendor.py``."""

from __future__ import annotations

import random
from pathlib import Path

HEADER = [
    "序号", "检测流水号", "车牌号码", "车牌颜色", "检测时间", "检测地点", "经度", "纬度", "车速(km/h)",
    "加速度(m/s2)", "不透光烟度(%)", "光吸收系数(m-1)", "NO浓度(ppm)", "林格曼黑度", "燃料种类",
    "总质量(kg)", "车辆类型", "检测结果", "车辆生产企业", "排放检验机构", "所属运输企业", "注册登记地",
    "行驶途经地", "图片路径",
]  # fmt: skip
SITES = [
    ("S316省道来集段遥感点", "113.4500", "34.5000"),
    ("G207国道曲梁段遥感点", "113.5200", "34.4500"),
    ("郑少高速新密出口遥感点", "113.3000", "34.6000"),
]
AGENCIES = [
    "新密市安达机动车检测有限公司",
    "新密市通畅机动车检测服务有限公司",
    "郑州市宏远机动车检测有限公司",
    "新密市金鑫机动车安全技术检测有限公司",
    "登封市顺达机动车检测站",
]
MAKERS = [
    "中国重型汽车集团有限公司",
    "陕西汽车集团有限责任公司",
    "一汽解放汽车有限公司",
    "东风商用车有限公司",
    "北汽福田汽车股份有限公司",
]
HAULIERS = ["新密市顺通物流有限公司", "新密市鑫源运输有限公司", "郑州宏达货运有限公司", "个体"]


def main() -> None:
    rng = random.Random(20171031)
    rows: list[dict[str, str]] = []

    def row(
        site: tuple[str, str, str] | None = None, heavy: bool | None = None, **cells: str
    ) -> None:
        number = len(rows) + 1
        drawn_site = rng.choice(SITES)  # drawn even when given: the sequence stays the same
        site = site or drawn_site
        day, hour = rng.randint(1, 31), rng.randint(6, 21)
        drawn_heavy = rng.random() < 0.7
        heavy = drawn_heavy if heavy is None else heavy
        serial = f"XMYG201710{day:02d}{number:04d}"
        values = {
            "序号": str(number),
            "检测流水号": serial,
            "车牌号码": f"豫A{rng.choice('BCDFGHJKLM')}{rng.randint(1000, 9999)}",
            "车牌颜色": "黄" if heavy else "蓝",
            "检测时间": f"2017/10/{day:02d} {hour:02d}:{rng.randint(0, 59):02d}:"
            f"{rng.randint(0, 59):02d}",
            "检测地点": site[0],
            "经度": site[1],
            "纬度": site[2],
            "车速(km/h)": f"{rng.uniform(25, 70):.1f}",
            "加速度(m/s2)": f"{rng.uniform(-0.5, 1.2):.2f}",
            "不透光烟度(%)": f"{rng.uniform(2, 25):.1f}",
            "光吸收系数(m-1)": "",
            "NO浓度(ppm)": str(rng.randint(150, 1200)),
            "林格曼黑度": "0",
            "燃料种类": "柴油" if heavy or rng.random() < 0.3 else "汽油",
            "总质量(kg)": str(rng.randint(12000, 49000)) if heavy else str(rng.randint(1600, 3500)),
            "车辆类型": "重型半挂牵引车" if heavy else "轻型厢式货车",
            "检测结果": "合格",
            "车辆生产企业": rng.choice(MAKERS),
            "排放检验机构": rng.choice(AGENCIES),
            "所属运输企业": rng.choice(HAULIERS),
            "注册登记地": rng.choice(["郑州市", "新密市", "平顶山市", "许昌市"]),
            "行驶途经地": rng.choice(["S316—新密市区", "G207—曲梁—大隗", "郑少高速—新密—登封"]),
            "图片路径": f"\\\\192.168.10.21\\ygimg\\201710\\{serial}.jpg",
        }
        if values["燃料种类"] == "汽油":
            values["不透光烟度(%)"] = ""
        values.update(cells)
        rows.append(values)

    for _ in range(6):
        row()
    # a 31 t diesel lorry exceeding: the environment bureau; a 3.2 t one: the traffic police
    row(heavy=True, **{"不透光烟度(%)": "46.3", "检测结果": "超标", "总质量(kg)": "31000",
                       "排放检验机构": AGENCIES[0]})  # fmt: skip
    row(heavy=False, **{"燃料种类": "柴油", "不透光烟度(%)": "38.9", "检测结果": "超标",
                        "总质量(kg)": "3200", "排放检验机构": AGENCIES[0]})  # fmt: skip
    # black smoke (Ringelmann 2) of a heavy lorry: the traffic police
    row(heavy=True, **{"不透光烟度(%)": "62.0", "林格曼黑度": "2", "检测结果": "黑烟",
                       "总质量(kg)": "25000"})  # fmt: skip
    for _ in range(3):
        row()
    # no verdict given: judged against the limits (opacity 41.7 % > 30 %)
    row(heavy=True, **{"不透光烟度(%)": "41.7", "NO浓度(ppm)": "1720", "检测结果": "",
                       "总质量(kg)": "43000", "排放检验机构": AGENCIES[2]})  # fmt: skip
    for _ in range(3):
        row()
    row(**{"车牌号码": ""})  # no plate
    row(**{"检测时间": "2017/10/32 08:15:00"})  # no such day
    row(**{"车速(km/h)": "-5.0"})  # negative speed
    row(heavy=True, **{"不透光烟度(%)": "135.0"})  # opacity above 100 %
    row(**{"检测结果": "不合格"})  # not one of the vendor's words
    row(heavy=True, **{"不透光烟度(%)": "52.4", "检测结果": "超标", "总质量(kg)": ""})  # no weight
    row(site=("荥阳市界外遥感点", "113.2500", "34.4700"))  # outside the city's townships
    row()
    row(**{"检测流水号": rows[2]["检测流水号"]})  # the serial repeats line 5
    row(**{"不透光烟度(%)": "", "NO浓度(ppm)": "", "林格曼黑度": ""})  # no valid measurement
    for _ in range(2):
        row()
    lines = ["新密市机动车尾气遥感监测数据导出（2017-10-01 至 2017-10-31）", ",".join(HEADER)]
    lines += [",".join(values.get(name, "") for name in HEADER) for values in rows]
    target = Path(__file__).with_name("remote_sensing_vendor_201710.csv")
    target.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))


if __name__ == "__main__":
    main()
