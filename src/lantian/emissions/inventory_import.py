"""Import the emission inventory from a CSV file: one row per production line or process.

Columns (UTF-8, a header row; enterprise columns repeat on each of its lines and must agree):

    credit_code, name, area_code, industry, grade, permit_number, output_value, key_transport,
    line, process, fuel, meets_special_limits, so2, nox, pm, vocs,
    so2_source, nox_source, pm_source, vocs_source, livelihood_duty, max_load, approval

Emissions are normal daily amounts in t/d; sources are permit, cems or inventory (default
inventory); ``livelihood_duty`` is heating, waste_coprocessing, hazardous_waste or other, with
``max_load`` its approved maximum load as a share (0.6) or a percentage (60). Every problem is
reported with its row, column and reason, and nothing is written unless every row is valid.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.emissions.models import EMISSION_SOURCES, GRADES, LIVELIHOOD_DUTIES, Enterprise
from lantian.emissions.service import (
    AREA_CODE,
    DutyInput,
    EnterpriseInput,
    LineInput,
    add_enterprise,
)
from lantian.emissions.targets import POLLUTANTS
from lantian.emissions.uscc import problem as credit_code_problem
from lantian.errors import InputError

COLUMNS = (
    "credit_code",
    "name",
    "area_code",
    "industry",
    "grade",
    "permit_number",
    "output_value",
    "key_transport",
    "line",
    "process",
    "fuel",
    "meets_special_limits",
    "so2",
    "nox",
    "pm",
    "vocs",
    "so2_source",
    "nox_source",
    "pm_source",
    "vocs_source",
    "livelihood_duty",
    "max_load",
    "approval",
)
REQUIRED = ("credit_code", "name", "area_code", "industry", "line")
_ENTERPRISE_FIELDS = (
    "name",
    "area_code",
    "industry",
    "grade",
    "permit_number",
    "output_value",
    "key_transport",
    "livelihood_duty",
    "max_load",
    "approval",
)
_TRUE = {"1", "true", "yes", "y", "是", "√"}
_FALSE = {"", "0", "false", "no", "n", "否"}


@dataclass
class InventoryImport:
    enterprises: list[EnterpriseInput] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _where(row: int, column: str) -> str:
    return f"第 {row} 行，{column} 列 / row {row}, column {column}"


def parse_inventory(text: str, *, sample: bool = False) -> list[EnterpriseInput]:
    """Enterprises with their lines from CSV text, or InputError listing every problem."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"缺少列 / missing columns: {', '.join(missing)}")
        if unknown:
            parts.append(f"未知列 / unknown columns: {', '.join(unknown)}")
        raise InputError(f"第 1 行（表头） / row 1 (header): {'; '.join(parts)}")
    problems: list[str] = []
    found: dict[str, tuple[int, dict[str, str], EnterpriseInput]] = {}
    for number, raw in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}

        def report(column: str, why: str, number: int = number) -> None:
            problems.append(f"{_where(number, column)}: {why}")

        before = len(problems)
        for column in REQUIRED:
            if not row.get(column):
                report(column, "不能为空 / must not be empty")
        code = row.get("credit_code", "")
        if code:
            reason = credit_code_problem(code)
            if reason:
                report("credit_code", reason)
        if row.get("area_code") and not AREA_CODE.match(row["area_code"]):
            report("area_code", "应为 9 位统计区划代码 / must be the 9-digit NBS township code")
        grade = row.get("grade", "").upper()
        if grade and grade not in GRADES:
            report("grade", f"应为 A–D，实为 {grade} / must be A–D")
        numbers: dict[str, float | None] = {}
        for column in ("output_value", "so2", "nox", "pm", "vocs", "max_load"):
            text_value = row.get(column, "")
            if not text_value:
                numbers[column] = None
                continue
            try:
                value = float(text_value)
            except ValueError:
                report(column, f"应为数字，实为 {text_value!r} / not a number")
                continue
            if not math.isfinite(value) or value < 0:
                report(column, f"应为非负数，实为 {text_value} / must be ≥ 0")
                continue
            numbers[column] = value
        load = numbers.get("max_load")
        if load is not None and load > 1:
            load = load / 100 if load <= 100 else None
            if load is None:
                report(
                    "max_load", "最大负荷应为 0–1 或 0–100% / the load is a share or a percentage"
                )
        duty = row.get("livelihood_duty", "")
        if duty and duty not in LIVELIHOOD_DUTIES:
            report("livelihood_duty", f"应为 {'/'.join(LIVELIHOOD_DUTIES)} / unknown duty {duty!r}")
        if duty and load is None:
            report(
                "max_load", "保民生任务须有核定最大负荷 / a livelihood duty needs its approved load"
            )
        sources: dict[str, str] = {}
        for pollutant in POLLUTANTS:
            column = f"{pollutant.value}_source"
            source = row.get(column, "") or "inventory"
            if source not in EMISSION_SOURCES:
                report(column, f"应为 {'/'.join(EMISSION_SOURCES)} / unknown source {source!r}")
            sources[pollutant.value] = source
        flags: dict[str, bool] = {}
        for column in ("key_transport", "meets_special_limits"):
            flag = row.get(column, "").lower()
            if flag not in _TRUE | _FALSE:
                report(column, f"应为 是/否 或 1/0，实为 {flag!r} / must be yes/no or 1/0")
            flags[column] = flag in _TRUE
        if len(problems) > before:
            continue
        line = LineInput(
            name=row["line"],
            process=row.get("process") or None,
            fuel=row.get("fuel") or None,
            meets_special_limits=flags["meets_special_limits"],
            sources=sources,
            **{p.value: numbers.get(p.value) or 0.0 for p in POLLUTANTS},
        )
        if code in found:
            first_row, first_values, enterprise = found[code]
            for column in _ENTERPRISE_FIELDS:
                if row.get(column, "") != first_values.get(column, ""):
                    report(
                        column,
                        f"与第 {first_row} 行同一企业的值不一致 / differs from row {first_row} of "
                        "the same enterprise",
                    )
            if any(existing.name == line.name for existing in enterprise.lines):
                report("line", f"生产线 {line.name} 重复 / the line appears twice")
            enterprise.lines.append(line)
            continue
        enterprise = EnterpriseInput(
            credit_code=code,
            name=row["name"],
            area_code=row["area_code"],
            industry=row["industry"],
            grade=grade or None,
            permit_number=row.get("permit_number") or None,
            output_value=numbers.get("output_value"),
            key_transport=flags["key_transport"],
            sample=sample,
            lines=[line],
            duties=[DutyInput(duty, load or 0.0, row.get("approval") or None)] if duty else [],
        )
        found[code] = (number, row, enterprise)
    if problems:
        raise InputError(
            f"排放清单有 {len(problems)} 处错误，未导入任何数据 / {len(problems)} problems, "
            "nothing was imported:\n" + "\n".join(problems[:200])
        )
    if not found:
        raise InputError("文件中没有企业 / the file holds no enterprise")
    return [entry[2] for entry in found.values()]


def import_inventory(session: Session, actor: str, text: str) -> int:
    """Add every enterprise of the CSV (audited, one entry each); refuse codes already present."""
    enterprises = parse_inventory(text)
    codes = [e.credit_code for e in enterprises]
    present = set(
        session.scalars(select(Enterprise.credit_code).where(Enterprise.credit_code.in_(codes)))
    )
    if present:
        raise InputError(
            f"已在清单中，未导入任何数据 / already in the inventory, nothing imported: "
            f"{', '.join(sorted(present))}"
        )
    for enterprise in enterprises:
        add_enterprise(session, actor, enterprise, reason="inventory import")
    return len(enterprises)
