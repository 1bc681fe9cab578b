"""Keyset pagination: a page costs the same at page 1 and page 5,000 (no deep OFFSET)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from market.core.db import MAX_ID

MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Page:
    """Rows of one page and the cursor (the last row's id) for the next, if there is one."""

    items: list[Any]
    next_after: int | None


def after_id_page(session: Session, stmt: sa.Select, id_column, after: int | None, per_page: int,
                  newest_first: bool = False) -> Page:
    """One page of `stmt` ordered by `id_column`, starting after the id `after`."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    if after is not None:
        stmt = stmt.where(id_column < after if newest_first else id_column > after)
    stmt = stmt.order_by(id_column.desc() if newest_first else id_column).limit(per_page + 1)
    rows = list(session.scalars(stmt).unique())
    more = len(rows) > per_page
    rows = rows[:per_page]
    return Page(rows, _id_of(rows[-1]) if more and rows else None)


def _id_of(row: Any) -> int:
    return row.id


def parse_cursor(value: str | None) -> int | None:
    """A cursor from the query string; junk is treated as the first page."""
    return parse_id(value)


def parse_id(value: str | None) -> int | None:
    """A number typed into a URL, if it is ASCII digits ("²".isdigit() is true, int("²") fails) that an integer
    column can hold; else None."""
    if value and len(value) <= 10 and value.isascii() and value.isdigit() and int(value) <= MAX_ID:
        return int(value)
    return None
