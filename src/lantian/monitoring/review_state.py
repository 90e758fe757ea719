"""The standing in force of measurements: the newest review version of each."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import Subquery, func, select
from sqlalchemy.orm import Session

from lantian.monitoring.models import POLLUTANTS, Measurement, MeasurementReview

if TYPE_CHECKING:
    from lantian.monitoring.quality import HourlyGrid


def latest_reviews(session: Session, measurement_ids: list[int]) -> dict[int, MeasurementReview]:
    """The review in force (newest version) of each measurement that has one."""
    found: dict[int, MeasurementReview] = {}
    for start in range(0, len(measurement_ids), 5000):
        chunk = measurement_ids[start : start + 5000]
        newest = (
            select(MeasurementReview.measurement_id, func.max(MeasurementReview.version).label("v"))
            .where(MeasurementReview.measurement_id.in_(chunk))
            .group_by(MeasurementReview.measurement_id)
            .subquery()
        )
        found |= _in_force(session, newest)
    return found


def _in_force(session: Session, newest: Subquery) -> dict[int, MeasurementReview]:
    """The reviews named by a (measurement_id, v = newest version) subquery, by measurement."""
    rows = session.scalars(
        select(MeasurementReview).join(
            newest,
            (MeasurementReview.measurement_id == newest.c.measurement_id)
            & (MeasurementReview.version == newest.c.v),
        )
    )
    return {review.measurement_id: review for review in rows}


def reviews_in_span(
    session: Session, start: datetime, end: datetime, station_ids: list[int]
) -> dict[int, MeasurementReview]:
    """The review in force of every reviewed measurement labelled in (start, end] at the stations.

    One query over the span (instead of one per few thousand measurement ids): a page that shows
    a whole network's last days stays fast however many values it covers.
    """
    in_span = (
        select(MeasurementReview.measurement_id, func.max(MeasurementReview.version).label("v"))
        .join(Measurement, Measurement.id == MeasurementReview.measurement_id)
        .where(
            Measurement.period_end > start,
            Measurement.period_end <= end,
            Measurement.station_id.in_(station_ids),
        )
        .group_by(MeasurementReview.measurement_id)
        .subquery()
    )
    return _in_force(session, in_span)


def validity_overrides(
    session: Session, grid: HourlyGrid
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per pollutant: (has_review, valid, value) grids from the reviews in force in the grid."""
    shape = (len(grid.hours), len(grid.stations))
    result = {
        p: (np.zeros(shape, np.bool_), np.zeros(shape, np.bool_), np.full(shape, np.nan))
        for p in POLLUTANTS
    }
    if not grid.hours or not grid.stations:
        return result
    start = grid.hours[0] - timedelta(hours=1)
    reviews = reviews_in_span(session, start, grid.hours[-1], [s.id for s in grid.stations])
    for measurement_id, review in reviews.items():
        key = grid.keys.get(measurement_id)
        if key is None:  # e.g. a value of another averaging period
            continue
        pollutant, t, s = key
        has, valid, value = result[pollutant]
        has[t, s], valid[t, s], value[t, s] = True, review.valid, review.value
    return result
