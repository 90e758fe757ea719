"""The standing in force of measurements: the newest review version of each."""

from __future__ import annotations

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantian.monitoring.models import POLLUTANTS, MeasurementReview


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
        rows = session.scalars(
            select(MeasurementReview).join(
                newest,
                (MeasurementReview.measurement_id == newest.c.measurement_id)
                & (MeasurementReview.version == newest.c.v),
            )
        )
        found |= {review.measurement_id: review for review in rows}
    return found


def validity_overrides(
    session: Session, measurement_keys: dict[int, tuple[str, int, int]], shape: tuple[int, ...]
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per pollutant: (has_review, valid, value) grids from the reviews in force.

    ``measurement_keys`` maps a measurement id to (pollutant, time index, station index).
    """
    result = {
        p: (np.zeros(shape, np.bool_), np.zeros(shape, np.bool_), np.full(shape, np.nan))
        for p in POLLUTANTS
    }
    for measurement_id, review in latest_reviews(session, list(measurement_keys)).items():
        pollutant, t, s = measurement_keys[measurement_id]
        has, valid, value = result[pollutant]
        has[t, s], valid[t, s], value[t, s] = True, review.valid, review.value
    return result
