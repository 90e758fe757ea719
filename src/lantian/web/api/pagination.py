"""One page shape for every list the API returns: items, the total, and where the next page starts."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel

ItemT = TypeVar("ItemT")

#: The largest number a database integer column holds on every backend (PostgreSQL's
#: ``integer``). An id or offset above it names nothing, and sent on to the database it made the
#: driver fail (PostgreSQL: out of range; SQLite: OverflowError) — a server error where the input
#: is wrong, as the API fuzzing found (tests/web/test_api_fuzz.py). The faces refuse it (422).
MAX_DATABASE_INT = 2**31 - 1

#: Query parameters of every paginated endpoint.
Limit = Annotated[int, Query(ge=1, le=1000, description="items per page (1–1000)")]
Offset = Annotated[int, Query(ge=0, le=MAX_DATABASE_INT, description="items to skip")]
#: The number (database id) of a record in a path: ``/api/v1/cases/{case_id}``.
RecordId = Annotated[int, Path(le=MAX_DATABASE_INT, description="the record's number")]


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    total: int
    limit: int
    offset: int
    next_offset: int | None

    @classmethod
    def of(cls, items: list[ItemT], total: int, limit: int, offset: int) -> Page[ItemT]:
        following = offset + len(items)
        return cls(
            items=items,
            total=total,
            limit=limit,
            offset=offset,
            next_offset=following if following < total else None,
        )
