"""Reading any entity: one list core (filter, order, exact count, window) and lookups by key.

List reads return SQLAlchemy Core rows, not ORM objects: they are several times cheaper to
build, and every surface converts them into its own shape anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, func, select

from gateway.auth.visibility import readable_columns, visible
from gateway.db.engine import read_connection
from gateway.errors import NotFound
from resolvers.context import Context
from resolvers.query import Entity, QuerySpec, Window, check_window


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Row[Any]]
    total: int | None
    window: Window


def _visible_select(ctx: Context, entity: Entity, columns: tuple[str, ...] | None) -> Any:
    names = None if columns is None else (entity.key, *columns)
    stmt = select(*readable_columns(entity.table, names))
    rule = visible(entity.table, ctx.principal)
    return stmt if rule is None else stmt.where(rule)


async def list_rows(
    ctx: Context,
    entity: Entity,
    spec: QuerySpec,
    *,
    with_total: bool = True,
    columns: tuple[str, ...] | None = None,
) -> Page:
    """The visible rows of ``entity`` matching ``spec``, one window of them, and the exact
    number of matching rows (when ``with_total``). Rows carry only ``columns`` (and the key)
    when given, every readable column otherwise."""
    max_size = ctx.settings.max_page_size
    window = spec.window or Window(limit=max_size)
    check_window(window, max_page_size=max_size)
    stmt = entity.apply(_visible_select(ctx, entity, columns), spec)
    async with read_connection(ctx.sessionmaker) as session:
        rows = (await session.execute(stmt.limit(window.limit).offset(window.offset))).all()
        total = None
        if with_total:
            if window.offset == 0 and len(rows) < window.limit:
                total = len(rows)  # the window holds every match: no second statement needed
            else:
                count = select(func.count()).select_from(stmt.order_by(None).subquery())
                total = (await session.execute(count)).scalar_one()
    return Page(rows=list(rows), total=total, window=window)


async def get_row(ctx: Context, entity: Entity, field: str, value: Any) -> Row[Any]:
    """The one visible row whose ``field`` equals ``value``; missing and hidden rows are the
    same :class:`NotFound`, so ids cannot be probed."""
    spec = entity.field_spec(field)
    key = spec.coerce(field, value)
    row = await ctx.loaders.by_key(entity.table, field).load(key)
    if row is None:
        raise NotFound(f"{entity.name} not found.")
    return row  # type: ignore[no-any-return]
