"""Code tables of HJ 212-2017 as data, for the codec, the receiver and the UI.

Sources (restated from spec §5): system codes ST (HJ 212-2017 Table 5), command codes CN
(Table 9), data flags (Table 8), request/execution return codes (QnRtn/ExeRtn, spec §5.3 / Appendix C),
pollutant codes (Appendix B Table B.2, from HJ 524-2009) with their HJ/T 212-2005 codes,
facility states ``SBxxx-RS`` (Table 4).  Vendor aliases are *not* in any standard; they are the
tolerant-mode defaults seen in real deployments (spec §5.8 notes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal


@dataclass(frozen=True, slots=True)
class CodeMeaning:
    """A code with its Chinese and English meaning."""

    code: str
    name_zh: str
    name_en: str


def _table(*rows: tuple[str, str, str]) -> Mapping[str, CodeMeaning]:
    return MappingProxyType({code: CodeMeaning(code, zh, en) for code, zh, en in rows})


#: System codes ST (HJ 212-2017 Table 5).
SYSTEM_CODES: Final = _table(
    ("21", "地表水质量监测", "surface-water quality"),
    ("22", "空气质量监测", "air quality"),
    ("23", "声环境质量监测", "acoustic environment"),
    ("24", "地下水质量监测", "groundwater quality"),
    ("25", "土壤质量监测", "soil quality"),
    ("26", "海水质量监测", "sea-water quality"),
    ("27", "挥发性有机物监测", "VOC monitoring"),
    ("31", "大气环境污染源", "atmospheric pollution source (flue gas)"),
    ("32", "地表水体环境污染源", "surface-water pollution source"),
    ("33", "地下水体环境污染源", "groundwater pollution source"),
    ("34", "海洋环境污染源", "marine pollution source"),
    ("35", "土壤环境污染源", "soil pollution source"),
    ("36", "声环境污染源", "noise source"),
    ("37", "振动环境污染源", "vibration source"),
    ("38", "放射性环境污染源", "radioactive source"),
    ("39", "工地扬尘污染源", "construction-site dust source"),
    ("41", "电磁环境污染源", "electromagnetic source"),
    ("51", "烟气排放过程监控", "flue-gas process monitoring"),
    ("52", "污水排放过程监控", "wastewater process monitoring"),
    ("91", "系统交互", "system interaction"),
)

#: Numeric ST ranges defined by Table 5 (10-29 quality, 30-49 sources, 50-69 process, 91-99
#: system interaction); letter-digit codes A0-Z9 are the extension range.
SYSTEM_CODE_RANGES: Final[tuple[tuple[int, int], ...]] = ((10, 69), (91, 99))

#: Command codes CN of HJ 212-2017 (Table 9).
COMMAND_CODES: Final = _table(
    ("1000", "设置超时时间及重发次数", "set timeout and retry count"),
    ("1011", "提取/上传现场机时间", "get / upload site time"),
    ("1012", "设置现场机时间", "set site time"),
    ("1013", "现场机时间校准请求", "time-calibration request"),
    ("1061", "提取/上传实时数据间隔", "get / upload real-time data interval"),
    ("1062", "设置实时数据间隔", "set real-time data interval"),
    ("1063", "提取/上传分钟数据间隔", "get / upload minute-data interval"),
    ("1064", "设置分钟数据间隔", "set minute-data interval"),
    ("1072", "设置现场机访问密码", "set site password"),
    ("2011", "取污染物实时数据/上传实时数据", "real-time pollutant data"),
    ("2012", "停止察看污染物实时数据", "stop real-time data"),
    ("2021", "取设备运行状态数据/上传", "facility running state"),
    ("2022", "停止察看设备运行状态", "stop facility running state"),
    ("2031", "取污染物日历史数据/上传", "daily pollutant data"),
    ("2041", "取设备运行时间日历史数据/上传", "daily facility running time"),
    ("2051", "取污染物分钟数据/上传", "minute pollutant data"),
    ("2061", "取污染物小时数据/上传", "hourly pollutant data"),
    ("2081", "上传数采仪开机时间", "data-logger restart time"),
    ("3011", "零点校准量程校准", "zero / span calibration"),
    ("3012", "即时采样", "immediate sampling"),
    ("3013", "启动清洗/反吹", "start cleaning / blow-back"),
    ("3014", "比对采样", "comparison sampling"),
    ("3015", "超标留样", "over-limit sample retention"),
    ("3016", "设置采样时间周期", "set sampling period"),
    ("3017", "提取采样时间周期", "get sampling period"),
    ("3018", "提取出样时间", "get sample-out time"),
    ("3019", "提取设备唯一标识", "get instrument unique id"),
    ("3020", "提取/上传现场机信息", "get / upload site information"),
    ("3021", "设置现场机参数", "set site parameters"),
    ("9011", "请求应答", "request acknowledgement"),
    ("9012", "执行结果", "execution result"),
    ("9013", "通知应答", "notification acknowledgement"),
    ("9014", "数据应答", "data acknowledgement"),
)

#: Commands that existed in HJ/T 212-2005 only (removed in 2017, spec §5.9).
COMMAND_CODES_2005_ONLY: Final = _table(
    ("1001", "设置报警时间", "set alarm delay"),
    ("1021", "提取污染物报警门限值", "get pollutant alarm limits"),
    ("1022", "设置污染物报警门限值", "set pollutant alarm limits"),
    ("1031", "提取上位机地址", "get upper-host address"),
    ("1032", "设置上位机地址", "set upper-host address"),
    ("1041", "提取数据上报时间", "get report time"),
    ("1042", "设置数据上报时间", "set report time"),
    ("2071", "取污染物报警记录", "alarm records"),
    ("2072", "上传污染物报警事件", "alarm event"),
)

#: Data flags ``xxxxxx-Flag`` (HJ 212-2017 Table 8; the table is expandable).
DATA_FLAGS: Final = _table(
    ("N", "在线监控（监测）仪器仪表工作正常", "normal"),
    ("F", "在线监控（监测）仪器仪表停运", "instrument stopped"),
    ("M", "在线监控（监测）仪器仪表处于维护期间产生的数据", "maintenance"),
    ("S", "手工输入的设定值", "manually entered set value"),
    ("D", "在线监控（监测）仪器仪表故障", "instrument fault"),
    ("C", "在线监控（监测）仪器仪表处于校准状态", "calibration"),
    ("T", "在线监控（监测）仪器仪表采样数值超过测量上限", "above measuring upper limit"),
    ("B", "在线监控（监测）仪器仪表与数采仪通讯异常", "instrument-logger communication fault"),
)

#: Request return codes ``QnRtn`` carried by 9011 replies (spec §5.3).
QN_RTN_CODES: Final = _table(
    ("1", "准备执行请求", "ready to execute"),
    ("2", "请求被拒绝", "request refused"),
    ("3", "PW 错误", "password error"),
    ("4", "MN 错误", "MN error"),
    ("5", "ST 错误", "ST error"),
    ("6", "Flag 错误", "Flag error"),
    ("7", "QN 错误", "QN error"),
    ("8", "CN 错误", "CN error"),
    ("9", "CRC 校验错误", "CRC error"),
    ("100", "未知错误", "unknown error"),
)

#: Execution return codes ``ExeRtn`` carried by 9012 replies (spec §5.3).
EXE_RTN_CODES: Final = _table(
    ("1", "执行成功", "success"),
    ("2", "执行失败，但不知道原因", "failed, reason unknown"),
    ("3", "命令请求条件错误", "condition error"),
    ("4", "通讯超时", "timeout"),
    ("5", "系统繁忙不能执行", "busy"),
    ("6", "系统故障", "system fault"),
    ("100", "没有数据", "no data"),
)

#: Treatment-facility states ``SBxxx-RS`` (Table 4).
FACILITY_STATES: Final = _table(
    ("0", "关闭", "off"),
    ("1", "运行", "running"),
    ("2", "校准", "calibrating"),
    ("3", "维护", "maintenance"),
    ("4", "报警", "alarm"),
    ("5", "反吹", "blow-back"),
)


@dataclass(frozen=True, slots=True)
class PollutantCode:
    """One row of HJ 212-2017 Appendix B Table B.2 (plus a05024 O3 from HJ 524-2009)."""

    code: str
    name_zh: str
    name_en: str
    code_2005: str | None
    concentration_unit: str | None
    amount_unit: str | None
    number_format: str | None


_P = PollutantCode

#: Pollutant / parameter codes used by air stations and stack monitors (spec §5.8).
#: Units are the table's defaults, which are source-oriented; ambient stations send µg/m³
#: (CO mg/m³), see :data:`AMBIENT_UNITS`.
POLLUTANT_CODES: Final[Mapping[str, PollutantCode]] = MappingProxyType(
    {
        row.code: row
        for row in (
            _P("a00000", "废气", "flue-gas flow", "B02", "m³/s", "m³", "N6.1"),
            _P("a01001", "温度", "ambient temperature", None, "°C", None, "N3.1"),
            _P("a01002", "湿度", "humidity", None, "%", None, "N3.1"),
            _P("a01006", "气压", "pressure", None, "kPa", None, "N5.3"),
            _P("a01007", "风速", "wind speed", None, "m/s", None, "N4.1"),
            _P("a01008", "风向", "wind direction", None, "°", None, "N4"),
            _P("a01010", "林格曼黑度", "Ringelmann blackness", "37", None, None, "N1"),
            _P("a01011", "烟气流速", "flue-gas velocity", "S02", "m/s", None, "N5.2"),
            _P("a01012", "烟气温度", "flue-gas temperature", "S03", "°C", None, "N3.1"),
            _P("a01013", "烟气压力", "flue-gas pressure", "S08", "kPa", None, "N5.3"),
            _P("a01014", "烟气湿度", "flue-gas humidity", "S05", "%", None, "N3.1"),
            _P("a01016", "烟道截面积", "duct cross-section area", "S07", "m²", None, "N4.2"),
            _P("a01017", "烟气动压", "flue-gas dynamic pressure", "S04", "kPa", None, "N5.3"),
            _P("a19001", "氧气含量", "O2 content", "S01", "%", None, "N3.1"),
            _P("a21002", "氮氧化物", "NOx", "03", "mg/m³", "kg", "N5.1"),
            _P("a21003", "一氧化氮", "NO", None, "mg/m³", "kg", "N4.1"),
            _P("a21004", "二氧化氮", "NO2", None, "mg/m³", "kg", "N4.1"),
            _P("a21005", "一氧化碳", "CO", "04", "mg/m³", "kg", "N3.3"),
            _P("a21026", "二氧化硫", "SO2", "02", "mg/m³", "kg", "N5.2"),
            _P("a24088", "非甲烷总烃", "NMHC", None, "mg/m³", "kg", "N7.3"),
            _P("a34001", "总悬浮颗粒物", "TSP", None, "ng/m³", "g", "N4.3"),
            _P("a34002", "可吸入颗粒物", "PM10", None, "ng/m³", "g", "N3.3"),
            _P("a34004", "细颗粒物", "PM2.5", None, "ng/m³", "g", "N3.3"),
            _P("a34011", "降尘", "dust fall", None, "t/(km²·month)", None, None),
            _P("a34013", "烟尘", "smoke dust", "01", "mg/m³", "kg", "N4"),
            _P("a05024", "臭氧", "O3", None, None, None, None),
            _P("w00000", "污水", "wastewater flow", "B01", None, None, None),
            _P("w01018", "化学需氧量", "COD", "011", None, None, None),
            _P("w21003", "氨氮", "NH3-N", "060", None, None, None),
        )
    }
)

#: HJ/T 212-2005 pollutant codes and their 2017 replacements (spec §5.8, "原编码" column).
CODES_2005_TO_2017: Final[Mapping[str, str]] = MappingProxyType(
    {row.code_2005: row.code for row in POLLUTANT_CODES.values() if row.code_2005 is not None}
)

#: Ad-hoc names sent by some ambient devices instead of Table B.2 codes (spec §5.8 notes).
#: Applied in tolerant mode only, unless the caller passes its own table.
DEFAULT_CODE_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "SO2": "a21026",
        "NO2": "a21004",
        "NO": "a21003",
        "NOX": "a21002",
        "NOx": "a21002",
        "CO": "a21005",
        "O3": "a05024",
        "PM25": "a34004",
        "PM2.5": "a34004",
        "PM10": "a34002",
        "TSP": "a34001",
        "TEM": "a01001",
        "RH": "a01002",
        "WS": "a01007",
        "WD": "a01008",
    }
)

#: Units ambient air stations (ST=22) use in practice (spec §0.1): µg/m³, CO in mg/m³.
AMBIENT_UNITS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "a21026": "µg/m³",
        "a21004": "µg/m³",
        "a21003": "µg/m³",
        "a21002": "µg/m³",
        "a05024": "µg/m³",
        "a34001": "µg/m³",
        "a34002": "µg/m³",
        "a34004": "µg/m³",
        "a21005": "mg/m³",
        "a01001": "°C",
        "a01002": "%",
        "a01006": "kPa",
        "a01007": "m/s",
        "a01008": "°",
    }
)

#: Field suffixes of the CP area (``xxxxxx-Suffix``, HJ 212-2017 Table 4) that carry a measured
#: value; ``-Flag``/``-EFlag``/``-SampleTime`` qualify them.
VALUE_FIELDS: Final[frozenset[str]] = frozenset(
    {
        "Rtd",
        "Min",
        "Avg",
        "Max",
        "Cou",
        "ZsRtd",
        "ZsMin",
        "ZsAvg",
        "ZsMax",
        "ZsCou",
        "Data",
        "DayData",
        "NightData",
        "RS",
        "RT",
    }
)

#: Value fields that must be numeric in strict mode (HJ 212-2017 Table 4 formats N…).
NUMERIC_FIELDS: Final[frozenset[str]] = VALUE_FIELDS

#: CP top-level keys that hold a time ``YYYYMMDDhhmmss`` (N14, Table 4).
TIME_KEYS: Final[frozenset[str]] = frozenset(
    {"DataTime", "SystemTime", "BeginTime", "EndTime", "RestartTime", "AlarmTime"}
)

#: What ``DataTime`` of a data upload denotes: an instant, or the start of a period.
PeriodKind = Literal["instant", "minute", "hour", "day", "unknown"]

#: CN of uploads whose ``DataTime`` starts a period, and the period length (spec §5.2).
PERIOD_COMMANDS: Final[Mapping[str, PeriodKind]] = MappingProxyType(
    {
        "2011": "instant",
        "2021": "instant",
        "2051": "minute",
        "2061": "hour",
        "2031": "day",
        "2041": "day",
    }
)
