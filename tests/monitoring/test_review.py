"""Reviews: QC versions on real data, a person's decision, month sign-off, rates that honour them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from lantian.db.audited import acting_as
from lantian.db.engine import session_factory, transaction
from lantian.errors import Conflict, NotFound
from lantian.ingest.station_list import BUNDLED_STATION_LIST, read_station_list
from lantian.monitoring import review
from lantian.monitoring.cnemc_import import import_cnemc_file
from lantian.monitoring.models import Measurement, MeasurementReview, Station
from lantian.monitoring.quality import transmission_rates

DAY_FILE = "data/cnemc/national_daily/china_sites_20190220.csv"  # hours 0-7 (truncated)
ZHENGZHOU = ["1316A", "1317A", "1318A", "1319A", "1320A", "1321A", "1322A", "1323A", "1324A"]


@pytest.fixture
def loaded(db_engine: Engine, shared_dir: Path, tmp_path: Path) -> Engine:
    import_cnemc_file(
        session_factory(db_engine),
        shared_dir / DAY_FILE,
        tmp_path,
        read_station_list(BUNDLED_STATION_LIST),
    )
    return db_engine


def test_qc_run_is_recorded_once_and_raw_values_stay(loaded: Engine) -> None:
    sessions = session_factory(loaded)
    with sessions() as session:
        raw_before = session.execute(select(Measurement.id, Measurement.value)).all()
    with transaction(sessions) as session:
        first = review.run_automatic_qc(session, date(2019, 2, 20), date(2019, 2, 20))
    with transaction(sessions) as session:
        again = review.run_automatic_qc(session, date(2019, 2, 20), date(2019, 2, 20))
    assert first.values_flagged > 0 and first.versions_added == first.values_flagged
    assert again.versions_added == 0
    with sessions() as session:
        assert session.execute(select(Measurement.id, Measurement.value)).all() == raw_before
        reviews = session.scalars(select(MeasurementReview)).all()
    assert all(r.reviewer == "system:qc" and r.version == 1 and r.qc_flags for r in reviews)
    # Every PM2.5-above-PM10 version is invalid, every stuck-only version stays valid.
    assert all(not r.valid for r in reviews if "pm25_above_pm10" in r.qc_flags)
    assert all(r.valid for r in reviews if r.qc_flags == ["stuck"])


def test_a_person_overrides_qc_and_rates_follow(loaded: Engine) -> None:
    sessions = session_factory(loaded)
    with sessions() as session:
        before = {
            r.station_code: r
            for r in transmission_rates(
                session, date(2019, 2, 20), date(2019, 2, 20), "day", ["1316A"]
            )
        }
        target = session.scalars(
            select(Measurement)
            .join(Station)
            .where(
                Station.code == "1316A",
                Measurement.pollutant == "so2",
                Measurement.period_end == datetime(2019, 2, 19, 20, tzinfo=UTC),
            )
        ).one()
    with transaction(sessions) as session:
        first = review.review_measurement(
            session, target.id, valid=False, reviewer="王审核", reason="校准期间 calibration"
        )
    with transaction(sessions) as session:
        second = review.review_measurement(
            session,
            target.id,
            valid=True,
            reviewer="王审核",
            reason="核实有效 confirmed",
            corrected_value=12.0,
        )
    assert (first.version, second.version, second.value) == (1, 2, 12.0)
    with sessions() as session:
        assert session.get(Measurement, target.id).value == target.value  # raw kept
    with transaction(sessions) as session:
        review.review_measurement(
            session, target.id, valid=False, reviewer="王审核", reason="again invalid"
        )
    with sessions() as session:
        after = transmission_rates(session, date(2019, 2, 20), date(2019, 2, 20), "day", ["1316A"])
    hour_was_valid = before["1316A"].valid_hours - after[0].valid_hours
    assert hour_was_valid in (0, 1)
    assert after[0].received_hours == before["1316A"].received_hours


def test_month_sign_off_freezes_values(loaded: Engine) -> None:
    sessions = session_factory(loaded)
    with transaction(sessions) as session:
        review.audit_month(session, "1316A", date(2019, 2, 1), "李站长")
    with sessions() as session:
        measurement_id = session.scalar(
            select(Measurement.id)
            .join(Station)
            .where(
                Station.code == "1316A",
                Measurement.period_end == datetime(2019, 2, 19, 20, tzinfo=UTC),
            )
            .limit(1)
        )
    with pytest.raises(Conflict, match="audited by 李站长"), transaction(sessions) as session:
        review.review_measurement(session, measurement_id, valid=False, reviewer="x", reason="y")
    with pytest.raises(Conflict, match="already audited"), transaction(sessions) as session:
        review.audit_month(session, "1316A", date(2019, 2, 15), "李站长")
    with pytest.raises(Conflict, match="has not ended"), transaction(sessions) as session:
        review.audit_month(session, "1316A", datetime.now(UTC).date(), "李站长")
    with pytest.raises(NotFound, match="no station"), transaction(sessions) as session:
        review.audit_month(session, "9999Z", date(2019, 2, 1), "李站长")
    # QC runs leave audited months alone.
    with transaction(sessions) as session:
        review.run_automatic_qc(session, date(2019, 2, 20), date(2019, 2, 20), ["1316A"])
    with sessions() as session:
        count = session.scalar(
            select(func.count())
            .select_from(MeasurementReview)
            .join(Measurement, Measurement.id == MeasurementReview.measurement_id)
            .join(Station)
            .where(
                Station.code == "1316A", Measurement.period_end > datetime(2019, 1, 1, tzinfo=UTC)
            )
        )
    assert count == 0


def test_planned_stations_are_not_counted(loaded: Engine) -> None:
    sessions = session_factory(loaded)
    with transaction(sessions) as session, acting_as(session, "test"):
        session.add(
            Station(
                code="XM-T104",
                name="超化镇",
                city="新密",
                tier="township",
                area_code="410183104",
                status="planned",
            )
        )
    with sessions() as session:
        rows = transmission_rates(
            session, date(2019, 2, 20), date(2019, 2, 20), "day", [*ZHENGZHOU, "XM-T104"]
        )
    assert [r.station_code for r in rows] == ZHENGZHOU


def test_reviews_and_sign_offs_go_to_the_audit_log(loaded: Engine) -> None:
    from lantian.auth import audit

    sessions = session_factory(loaded)
    with sessions() as session:
        measurement = session.scalars(select(Measurement).order_by(Measurement.id).limit(1)).one()
    with transaction(sessions) as session:
        review.review_measurement(
            session,
            measurement.id,
            valid=False,
            reviewer="王审核",
            reason="仪器校准 calibration",
            corrected_value=None,
        )
    with transaction(sessions) as session:
        review.audit_month(session, "1316A", date(2019, 2, 1), "李站长", note="二月数据确认")
    with sessions() as session:
        entries = audit.newest(session, limit=5)
        assert audit.verify(session).intact
    by_action = {entry.action: entry for entry in entries}
    changed = by_action["measurement.review"]
    assert (changed.actor, changed.entity_id) == ("王审核", str(measurement.id))
    assert changed.before["valid"] is True and changed.after["valid"] is False
    assert changed.reason == "仪器校准 calibration"
    signed = by_action["station_month.audit"]
    assert (signed.actor, signed.entity_id) == ("李站长", "1316A/2019-02")
    assert signed.after == {"status": "audited", "note": "二月数据确认"}
