"""The demo's CEMS (plan task 21): HJ 212 data loggers on a handful of the sample stacks that have
a working CEMS, and their hourly flue-gas uploads (CN 2061) from the start of the previous month
to the demo's instant, stored through the receiver's own path — each upload encoded as a frame,
decided on by :func:`lantian.ingest.hj212_session.examine_frame` and written by
:func:`lantian.monitoring.hj212_store.store_frames` — then judged by the scheduled job's function
(:func:`lantian.cems.judge.judge`), so /cems shows rates, exceedance cases (即超即罚) and
daily-penalty days (按日计罚).

The values are invented (示例数据 / sample), seeded, in the shape of a working plant: corrected
concentrations well under the limit with a daily swing, measured O2 a little above the sector's
reference oxygen, a few hours flagged ``M`` (运维) during a calibration, one outlet with transmission
gaps in the previous month (below 90 %: 挂牌督办) and a few short exceeding episodes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from random import Random

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian import clock
from lantian.cems.judge import O2_CODE, judge, previous_month
from lantian.config import get_settings
from lantian.ingest.hj212_session import examine_frame
from lantian.monitoring.devices import add_device, load_device_configs
from lantian.monitoring.hj212_models import Device
from lantian.monitoring.hj212_store import store_frames
from lantian.plan import Plan
from lantian.standards.hj212 import CpArea, Packet, build
from lantian.timeutil import CHINA_TZ

SEED = 2017
#: How many outlets get a data logger in the demo (a handful: the load stays quick).
OUTLETS = 6
#: The data loggers' password (HJ 212 PW) in the demo.
PASSWORD = "123456"  # noqa: S105 — the demo data loggers' HJ 212 PW, published with the demo; never a real device's
#: HJ 212-2017 ST of flue-gas sources (大气环境污染源) and the hourly upload.
ST_FLUE_GAS = "31"
CN_HOUR = "2061"
PEER = "示例数采仪 / sample logger"


@dataclass(frozen=True)
class OutletScript:
    """What happens at one outlet over the demo's weeks (hours as offsets from the first hour)."""

    exceeding: tuple[tuple[int, int, str], ...] = ()  # (first hour, hours, pollutant)
    maintenance: tuple[tuple[int, int], ...] = ()  # (first hour, hours) flagged M
    gaps: frozenset[int] = frozenset()  # hours not transmitted


def _script(
    index: int, pollutants: list[str], hours: int, december: int, rng: Random
) -> OutletScript:
    """The outlet's story: the first three exceed (one twice, once in each month), the fourth
    loses uploads in the previous month, every one has a calibration flagged M; the rest are clean."""
    january = december  # the first hour of the demo's month
    calibration = ((rng.randrange(24, hours - 48) // 24) * 24 + 9, rng.randint(2, 4))
    exceeding: list[tuple[int, int, str]] = []
    if index in (0, 1, 2):
        start = january + rng.randrange(2 * 24, 14 * 24)
        exceeding.append((start, rng.randint(2, 5), rng.choice(pollutants)))
    if index == 1:
        start = rng.randrange(5 * 24, december - 5 * 24)
        exceeding.append((start, rng.randint(2, 4), pollutants[-1]))
    maintenance = [calibration]
    if index == 2:
        # A calibration with readings above the limit, flagged M: judged as maintenance, no case.
        maintenance.append((january + 17 * 24 + 10, 3))
    gaps: set[int] = set()
    if index == 3:
        while len(gaps) < december * 12 // 100:  # about 12 % of the previous month lost
            first = rng.randrange(0, december - 6)
            gaps.update(range(first, first + rng.randint(2, 6)))
    return OutletScript(tuple(exceeding), tuple(maintenance), frozenset(gaps))


def _hour_text(moment: datetime) -> str:
    return f"{moment.astimezone(CHINA_TZ):%Y%m%d%H%M%S}"


def _packet(
    mn: str,
    moment: datetime,
    values: list[tuple[str, float, float | None, str]],
    o2: tuple[float, str],
) -> bytes:
    """One hourly upload as an HJ 212-2017 frame (measured ``-Avg``, corrected ``-ZsAvg``, flag)."""
    groups: list[list[tuple[str, str]]] = [[("DataTime", _hour_text(moment))]]
    for code, measured, corrected, flag in values:
        group = [(f"{code}-Avg", f"{measured:.2f}")]
        if corrected is not None:
            group.append((f"{code}-ZsAvg", f"{corrected:.2f}"))
        group.append((f"{code}-Flag", flag))
        groups.append(group)
    groups.append([(f"{O2_CODE}-Avg", f"{o2[0]:.2f}"), (f"{O2_CODE}-Flag", o2[1])])
    packet = Packet(
        qn=_hour_text(moment) + "000",
        st=ST_FLUE_GAS,
        cn=CN_HOUR,
        pw=PASSWORD,
        mn=mn,
        flag="4",  # HJ 212-2017, no acknowledgement asked
        cp=CpArea.from_groups(groups),
    )
    return build(packet)


def _frames(
    stack: object,
    limits: dict[str, float],
    reference_o2: float | None,
    script: OutletScript,
    first_hour: datetime,
    hours: int,
    rng: Random,
) -> list[tuple[datetime, bytes]]:
    mn = str(getattr(stack, "device_mn", ""))
    codes = [code for code in limits]
    level = {code: rng.uniform(0.3, 0.6) for code in codes}
    exceeding = {
        hour: (code, rng.uniform(1.25, 1.9))
        for start, length, code in script.exceeding
        for hour in range(start, start + length)
    }
    maintenance = {h for start, length in script.maintenance for h in range(start, start + length)}
    found = []
    for offset in range(hours):
        if offset in script.gaps:
            continue
        moment = first_hour + timedelta(hours=offset)
        local_hour = moment.astimezone(CHINA_TZ).hour
        swing = 1.0 + 0.15 * math.sin((local_hour - 6) / 24 * 2 * math.pi)
        flag = "M" if offset in maintenance else "N"
        o2 = (reference_o2 if reference_o2 is not None else 14.0) + rng.uniform(0.6, 2.8)
        values: list[tuple[str, float, float | None, str]] = []
        for code in codes:
            corrected = limits[code] * level[code] * swing * rng.uniform(0.85, 1.15)
            if offset in exceeding and exceeding[offset][0] == code:
                corrected = limits[code] * exceeding[offset][1]
            if flag == "M":
                # Span gas during the calibration: readings far off, flagged maintenance.
                corrected = limits[code] * rng.uniform(1.4, 2.2)
            if reference_o2 is None:
                values.append((code, corrected, None, flag))
            else:
                measured = corrected * (21.0 - o2) / (21.0 - reference_o2)
                values.append((code, measured, corrected, flag))
        found.append((moment, _packet(mn, moment, values, (o2, flag))))
    return found


def load_sample_cems(session: Session, plan: Plan) -> str:
    """Register the loggers of a handful of online sample stacks, store their hourly uploads from
    the first day of the previous month to now (the demo's clock) through the receiver's path,
    then run the judgement as the 5-minute job does. Once: a logger already registered means the
    step ran (a second demo changes nothing)."""
    from lantian.sources.kinds.stacks import Stack

    limits_file = plan.emission_limits
    if limits_file is None:
        return "示例自动监控 sample CEMS: 计划无排放限值 / the plan has no emission limits"
    online = list(
        session.scalars(
            select(Stack)
            .where(Stack.is_sample.is_(True), Stack.state == "online", Stack.device_mn.is_not(None))
            .order_by(Stack.key)
        )
    )
    # Different sectors first (a power unit, a cement kiln, a brick kiln …), then the rest.
    chosen: list[Stack] = []
    for stack in online:
        if stack.sector not in {s.sector for s in chosen}:
            chosen.append(stack)
    chosen += [s for s in online if s not in chosen]
    chosen = chosen[:OUTLETS]
    if not chosen:
        return "示例自动监控 sample CEMS: 无已联网的示例排气筒 / no online sample stack"
    mns = [str(stack.device_mn) for stack in chosen]
    if session.scalar(select(Device.id).where(Device.mn.in_(mns)).limit(1)) is not None:
        return "示例自动监控 sample CEMS: 已加载 already loaded"
    now = clock.now()
    today = now.astimezone(CHINA_TZ).date()
    first_day: date = previous_month(today)
    first_hour = datetime.combine(first_day, time(0), CHINA_TZ).astimezone(UTC)
    # Up to the last whole hour before now: its upload arrives a few minutes after it ends.
    last_hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    hours = int((last_hour - first_hour).total_seconds() // 3600)
    december = int(
        (datetime.combine(today.replace(day=1), time(0), CHINA_TZ) - first_hour).total_seconds()
        // 3600
    )
    for stack in chosen:
        add_device(
            session,
            str(stack.device_mn),
            password=PASSWORD,
            source_code=stack.key,
            name=f"{stack.name}（示例 / sample）"[:200],
            protocol="auto",
        )
    configs = load_device_configs(session)
    stored = 0
    for index, stack in enumerate(chosen):
        rng = Random(f"{SEED}:cems:{stack.key}")  # noqa: S311 — seeded randomness makes the demo reproducible; nothing secret is drawn
        codes = [c for c in str(stack.pollutants or "").split(",") if c]
        limits = {
            code: limit
            for code in codes
            if (limit := limits_file.limit(stack.sector, stack.limit_set, code)) is not None
        }
        if not limits:
            continue
        sector = limits_file.sectors.get(stack.sector)
        reference_o2 = sector.reference_o2 if sector is not None else None
        script = _script(index, list(limits), hours, december, rng)
        frames = _frames(stack, limits, reference_o2, script, first_hour, hours, rng)
        outcomes = []
        for moment, frame in frames:
            received = moment + timedelta(hours=1, seconds=rng.randint(20, 240))
            outcomes.append(examine_frame(frame, configs, PEER, received).store)
        verdicts = store_frames(session.connection(), outcomes)
        stored += sum(1 for verdict in verdicts if verdict == "accepted")
    session.flush()
    found = judge(session, plan, get_settings(), today=today)
    return (
        f"示例自动监控 sample CEMS: {len(chosen)} 个排放口 outlets, +{stored} 条小时数据 hourly "
        f"uploads；{found.text()}"
    )
