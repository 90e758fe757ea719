"""Import of CNEMC station files into measurements (all-or-nothing per file, idempotent).

Each file is kept as uploaded in the file store (:mod:`lantian.files`) and recorded as an
:class:`~lantian.monitoring.models.ImportBatch`. The six hourly concentrations (PM2.5, PM10, SO2,
NO2, O3, CO) are stored raw with their hour-ending time; the published AQI and the ``*_24h`` /
``O3_8h`` columns are derived products that lantian recomputes with :mod:`lantian.standards`, so they
are not stored as measurements. Re-importing the same file changes nothing; a different file with
overlapping hours adds only the values not yet stored (the first received value is never overwritten).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import Table, select
from sqlalchemy.orm import Session, sessionmaker

from lantian import clock
from lantian.db.audited import system_actor
from lantian.db.bulk import insert_ignoring_conflicts
from lantian.db.engine import transaction
from lantian.errors import InputError
from lantian.ingest.cnemc import CnemcFile, read_cnemc
from lantian.ingest.station_list import StationRecord
from lantian.monitoring.models import Measurement, Station
from lantian.monitoring.service import upsert_stations
from lantian.monitoring.uploads import (
    identify_upload,
    keep_upload,
    open_batch,
    record_rejection,
)

#: CNEMC row type → lantian pollutant code of the six hourly concentrations.
CNEMC_POLLUTANTS = {
    "SO2": "so2",
    "NO2": "no2",
    "PM10": "pm10",
    "PM2.5": "pm2_5",
    "CO": "co",
    "O3": "o3",
}
NATURAL_KEY = ("station_id", "pollutant", "averaging", "period_end", "source")
CHUNK_ROWS = 20_000
MEASUREMENTS: Table = Measurement.__table__  # type: ignore[assignment]


#: Who registers the stations a CNEMC file names when no person is given (the import job).
CNEMC_IMPORT_ACTOR = system_actor("cnemc_import")


@dataclass(frozen=True)
class CnemcImportResult:
    """What one file's import did."""

    path: Path
    batch_id: int
    already_imported: bool
    values_in_file: int
    values_added: int
    values_already_stored: int
    stations_added: int
    unknown_stations: tuple[str, ...]
    notes: tuple[str, ...]


def import_cnemc_file(
    sessions: sessionmaker[Session],
    path: Path,
    data_dir: Path,
    reference_stations: Iterable[StationRecord] = (),
    on_chunk: Callable[[int], None] | None = None,
    *,
    actor: str = CNEMC_IMPORT_ACTOR,
    shift: timedelta = timedelta(0),
) -> CnemcImportResult:
    """Import one CNEMC ``china_sites`` file (wide, multi-day, transposed; plain or ``.gz``).

    Stations missing from the registry are registered from ``reference_stations`` (the CNEMC
    station list); codes found nowhere are registered under their code alone and reported. The
    registrations are audited as ``actor`` (the importing person, or the import job); the hourly
    values are data from the file, not a person's change, and are not audited row by row.

    ``shift`` moves every hour of the file by a fixed span: only the demo uses it, to place its
    real 2019 values inside the demo plan's period (:data:`lantian.demo.DEMO_SHIFT`, documented in
    the demo's PROVENANCE.md); an import of measured data never shifts.
    """
    checksum, previous = identify_upload(sessions, path, "cnemc")
    if previous is not None:
        return CnemcImportResult(
            path,
            previous.id,
            True,
            previous.rows_loaded + previous.rows_skipped,
            0,
            previous.rows_loaded + previous.rows_skipped,
            0,
            (),
            (),
        )
    try:
        content = read_cnemc(path)
    except ValueError as error:
        refusal = InputError(f"{path}: 不是 CNEMC 站点文件 / not a CNEMC station file: {error}")
        record_rejection(sessions, "cnemc", path, checksum, data_dir, str(refusal))
        raise refusal from None

    kept = keep_upload(path, data_dir, checksum)

    references = {record.code: record for record in reference_stations}
    received_at = clock.real_now()  # a fact about the world (lantian.clock.real_now)
    with transaction(sessions) as session:
        station_ids, stations_added, unknown = _register_stations(
            session, content.stations, references, actor
        )
        batch = open_batch(session, "cnemc", path, checksum, kept)
        total = added = 0
        connection = session.connection()
        for rows in _measurement_rows(content, station_ids, batch.id, received_at, shift):
            total += len(rows)
            added += insert_ignoring_conflicts(connection, MEASUREMENTS, rows, NATURAL_KEY)
            if on_chunk:
                on_chunk(len(rows))
        notes = tuple(f"{note.kind} (line {note.line}): {note.detail}" for note in content.skipped)
        batch.status = "loaded"
        batch.rows_loaded = added
        batch.rows_skipped = total - added
        batch.finished_at = clock.now()
        batch.message = "\n".join(notes) or None
    return CnemcImportResult(
        path, batch.id, False, total, added, total - added, stations_added, tuple(unknown), notes
    )


def _register_stations(
    session: Session, codes: Iterable[str], references: dict[str, StationRecord], actor: str
) -> tuple[dict[str, int], int, list[str]]:
    wanted = [code for code in codes if code]
    known = _station_ids(session, wanted)
    missing = [code for code in wanted if code not in known]
    unknown = [code for code in missing if code not in references]
    records = [
        references.get(code) or StationRecord(code, code, "", None, None) for code in missing
    ]
    added = upsert_stations(session, records, actor=actor).added if records else 0
    if records:
        known |= _station_ids(session, missing)
    return known, added, unknown


def _station_ids(session: Session, codes: list[str]) -> dict[str, int]:
    rows = session.execute(select(Station.code, Station.id).where(Station.code.in_(codes)))
    return {code: station_id for code, station_id in rows}


def _measurement_rows(
    content: CnemcFile,
    station_ids: dict[str, int],
    batch_id: int,
    received_at: datetime,
    shift: timedelta = timedelta(0),
) -> Iterable[list[dict[str, object]]]:
    """Rows for the measurements table, in chunks, skipping missing cells."""
    ids = np.array([station_ids.get(code, -1) for code in content.stations], dtype=np.int64)
    times = [(moment + shift).astimezone(UTC) for moment in content.times]
    chunk: list[dict[str, object]] = []
    for type_name, pollutant in CNEMC_POLLUTANTS.items():
        values = content.series(type_name)  # (time, station), NaN = missing
        t_index, s_index = np.nonzero(~np.isnan(values) & (ids >= 0)[None, :])
        for t, s in zip(t_index.tolist(), s_index.tolist(), strict=True):
            chunk.append(
                {
                    "station_id": int(ids[s]),
                    "pollutant": pollutant,
                    "averaging": "1h",
                    "period_end": times[t],
                    "value": float(values[t, s]),
                    "flag": "N",
                    "source": "cnemc",
                    "batch_id": batch_id,
                    "received_at": received_at,
                }
            )
            if len(chunk) >= CHUNK_ROWS:
                yield chunk
                chunk = []
    if chunk:
        yield chunk
