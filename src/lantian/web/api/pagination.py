"""One page shape for every list the API returns: items, the total, and where the next page starts."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

ItemT = TypeVar("ItemT")

#: Query parameters of every paginated endpoint.
Limit = Annotated[int, Query(ge=1, le=1000, description="items per page (1–1000)")]
Offset = Annotated[int, Query(ge=0, description="items to skip")]


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
