"""Template filters: numbers, pollutant names, codes and photos as people read them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from jinja2 import pass_context

from lantian.language import N_, gettext
from lantian.timeutil import format_cn_hour, to_china

#: Indicator keys of the standards kernels → how pages write them.
POLLUTANT_LABELS = {
    "PM25": "PM2.5",
    "PM10": "PM10",
    "SO2": "SO2",
    "NO2": "NO2",
    "CO": "CO",
    "O3": "O3",
    "O3_1H": "O3",
    "O3_8H": "O3(8h)",
    "pm2_5": "PM2.5",
    "pm10": "PM10",
    "so2": "SO2",
    "no2": "NO2",
    "co": "CO",
    "o3": "O3",
}


def pollutant_label(key: str) -> str:
    return POLLUTANT_LABELS.get(key, key)


def format_number(value: float | Fraction | None, decimals: int = 0) -> str:
    """A concentration for a table cell: fixed decimals, "—" when missing."""
    if value is None:
        return "—"
    return f"{float(value):,.{decimals}f}"


#: File name endings of the photos a case page previews inline (what browsers can show).
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp")


def is_photo(filename: str) -> bool:
    """Whether an evidence file is a photo the case page shows as a picture (by its name; the
    file itself is checked by :func:`photo_media_type` before it is served inline)."""
    return filename.lower().endswith(PHOTO_SUFFIXES)


def photo_media_type(data: bytes) -> str | None:
    """The image type of ``data`` from its first bytes (JPEG, PNG, GIF, WebP), or ``None``: only
    these are served inline — never by the name a sender gave, and never SVG (it can carry
    script)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


# --- codes shown by their label (issue 14): one table per kind of code, English msgids whose
# Chinese is in the catalogue; a code no table knows is shown as it is.

#: Industries of the emission lists (:mod:`lantian.emissions.synthetic`, plan's staggered tasks).
INDUSTRY_LABELS = {
    "cement": N_("Cement"),
    "cement_grinding": N_("Cement grinding"),
    "brick_kiln": N_("Brick and tile kilns"),
    "ceramics": N_("Ceramics"),
    "refractory": N_("Refractories"),
    "carbon": N_("Carbon products"),
    "nonferrous_secondary": N_("Secondary non-ferrous metals"),
    "pharmaceutical": N_("Pharmaceuticals (APIs)"),
    "pesticide": N_("Pesticides"),
    "chemical": N_("Chemicals"),
    "power": N_("Power and heat"),
    "foundry": N_("Foundries"),
    "printing": N_("Packaging and printing"),
    "furniture": N_("Furniture"),
    "glass_wool": N_("Glass wool"),
    "rock_wool": N_("Rock wool"),
    "gypsum_board": N_("Gypsum board"),
}

#: States of an emergency reduction list.
LIST_STATUS_LABELS = {
    "in_force": N_("in force"),
    "draft": N_("draft"),
    "superseded": N_("superseded"),
}

#: How a reduction list was chosen (:func:`lantian.emissions.service.build_list`) and how the
#: solver ended.
METHOD_LABELS = {
    "mip": N_("least cost (mixed-integer programme)"),
    "greedy": N_("largest emitters first"),
    "brute_force": N_("every combination"),
    "optimal": N_("optimal"),
    "within_gap": N_("optimal within the gap"),
    "feasible": N_("feasible, not proven optimal"),
}

#: Verbs of audit entries (``plan.add``: the model's kind, then the verb).
AUDIT_VERBS = {
    "add": N_("added"),
    "update": N_("changed"),
    "delete": N_("deleted"),
    "enable": N_("enabled"),
    "disable": N_("disabled"),
    "unlock": N_("unlocked"),
    "password_reset": N_("password reset"),
    "password_change": N_("password changed"),
    "create": N_("created"),
    "revoke": N_("revoked"),
    "review": N_("reviewed"),
    "submit": N_("submitted"),
    "decide": N_("decided"),
}

#: Kinds of audited things (the audit log's ``entity_type`` and the first part of its action).
ENTITY_LABELS = {
    "plan": N_("plan"),
    "campaign_task": N_("campaign task"),
    "progress_report": N_("progress report"),
    "progress": N_("progress report"),
    "user": N_("account"),
    "token": N_("API token"),
    "case": N_("case"),
    "station": N_("station"),
}

SYSTEM = N_("system")
#: Automatic sources of records: jobs (``system:qc``) and the rules that open cases.
SYSTEM_LABELS = {
    "demo": N_("demo data"),
    "qc": N_("data quality check"),
    "cnemc_import": N_("CNEMC import"),
    "escalation": N_("escalation job"),
    "plan-load": N_("plan loading"),
    "sample.cems_exceedance": N_("sample rule: CEMS hourly exceedance"),
    "cems_exceedance": N_("CEMS hourly exceedance"),
    "execution.production": N_("warning day: production not cut as the list requires"),
    "execution.transport": N_("warning day: freight not stopped or cut"),
    "execution.fleet": N_("heating season: own fleet below 80 % China IV or better"),
}


def _label(table: dict[str, str], code: str | None) -> str:
    if code is None or code == "":
        return "—"
    label = table.get(code)
    return gettext(label) if label else code


def industry_label(code: str | None) -> str:
    return _label(INDUSTRY_LABELS, code)


def list_status_label(code: str | None) -> str:
    return _label(LIST_STATUS_LABELS, code)


def method_label(code: str | None) -> str:
    return _label(METHOD_LABELS, code)


def system_label(code: str | None) -> str:
    """A rule's or a job's code (``sample.cems_exceedance``) as people read it."""
    return _label(SYSTEM_LABELS, code)


def actor_label(actor: str | None) -> str:
    """Who did it: a person's account as it is, a system job (``system:qc``) by its label."""
    if actor and actor.startswith("system:"):
        return f"{gettext(SYSTEM)}: {system_label(actor.removeprefix('system:'))}"
    if actor in SYSTEM_LABELS:
        return system_label(actor)
    return actor or "—"


def audit_action_label(action: str | None) -> str:
    """``plan.add`` → "plan added" (in the page's language)."""
    if not action:
        return "—"
    kind, _, verb = action.rpartition(".")
    words = [_label(ENTITY_LABELS, kind) if kind else "", _label(AUDIT_VERBS, verb)]
    return " ".join(word for word in words if word)


def entity_label(kind: str | None) -> str:
    return _label(ENTITY_LABELS, kind)


def area_names_of(request: Any) -> dict[str, str]:
    """Area code → name (the plan's areas, then the boundaries' districts), read once a process
    (the same table as the office pages, ``app.state.area_names``)."""
    from lantian.monitoring.areas import area_names, read_boundaries
    from lantian.web.plan_state import current_plan

    cached: dict[str, str] | None = getattr(request.app.state, "area_names", None)
    if cached is None:
        cached = area_names(current_plan(request), read_boundaries())
        request.app.state.area_names = cached
    return cached


@pass_context
def area_label(context: Any, code: str | None) -> str:
    """An area's name for its code (``410183110`` → 曲梁镇); the code where no name is known."""
    if not code:
        return "—"
    request = context.get("request")
    if request is None:
        return code
    return area_names_of(request).get(code, code)


_SOLVER_NOTE = re.compile(
    r"^(?P<status>[a-z_]+)(?:, gap (?P<gap>[\d.]+%))?, cost (?P<cost>[\d.,]+) 万元(?P<rest>.*)$",
    re.S,
)


@pass_context
def list_note(context: Any, note: str | None) -> str:
    """A reduction list's note as the optimiser wrote it ("within_gap, gap 0.200%, cost 4718.50
    万元") in the page's language; any other note in its language half ("中文 / English")."""
    from lantian.web.i18n import localize

    language = context.get("lang") or "zh"
    if not note:
        return ""
    found = _SOLVER_NOTE.match(note)
    if found is None:
        return localize(note, language)
    parts = [method_label(found["status"])]
    if found["gap"]:
        parts.append(gettext("gap %(gap)s") % {"gap": found["gap"]})
    parts.append(gettext("cost %(cost)s 10,000 yuan") % {"cost": found["cost"]})
    separator = "，" if language == "zh" else ", "
    rest = localize(found["rest"], language).strip().lstrip("，,").strip()
    return separator.join([*parts, rest] if rest else parts)


@pass_context
def hour_label(context: Any, moment: datetime | None) -> str:
    """An hour-ending time in China time: ``2019年02月20日 06时`` on a Chinese page,
    ``2019-02-20 06:00`` on an English one (24:00 of a day, as HJ 663 labels its last hour)."""
    if moment is None:
        return ""
    if (context.get("lang") or "zh") == "zh":
        return format_cn_hour(moment)
    local = to_china(moment)
    if local.hour == 0 and local.minute == 0:
        return f"{local - timedelta(days=1):%Y-%m-%d} 24:00"
    return f"{local:%Y-%m-%d %H:%M}"


FILTERS = {
    "industry": industry_label,
    "list_status": list_status_label,
    "method": method_label,
    "actor": actor_label,
    "audit_action": audit_action_label,
    "entity": entity_label,
    "system_label": system_label,
    "area": area_label,
    "list_note": list_note,
    "cn_hour": hour_label,
}
