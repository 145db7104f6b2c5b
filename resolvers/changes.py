"""Whether data changed: a stamp of tables that changes whenever a row of them is added,
removed or changed, for answers built once and served until then (ONE's cache tables)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, func, select

from resolvers.context import Context


async def stamp(ctx: Context, tables: Sequence[Table]) -> tuple[Any, ...]:
    """Per table, its row count and latest ``updated_at`` (when it has one), read in one
    statement: equal stamps mean no row was added, removed or changed in between (a change
    sets ``updated_at``; link tables without one change only by rows added or removed)."""
    parts = []
    for table in tables:
        parts.append(select(func.count()).select_from(table).scalar_subquery())
        if "updated_at" in table.c:
            parts.append(select(func.max(table.c.updated_at)).scalar_subquery())
    async with ctx.sessionmaker() as session:
        row = (await session.execute(select(*parts))).one()
    return tuple(row)
