"""Creating and dropping the indexes that serve each list's default order, for the migrations
that add them (0019, 0020): the models declare the same indexes with ``order_index``.

``orders`` maps a table to its order's terms before the key ``id``, which always ends them,
each with the NULLS clause PostgreSQL needs to place NULL where the gateway's ORDER BY does;
SQLite's indexes place NULL as its ORDER BY does and take no such clause, so it is dropped
there."""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

Orders = dict[str, tuple[str, ...]]

_NULLS = re.compile(r"\s+NULLS\s+(FIRST|LAST)$", re.IGNORECASE)


def create_order_indexes(orders: Orders) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, terms in orders.items():
        written = [_NULLS.sub("", term) if sqlite else term for term in terms]
        columns: list[str | sa.ColumnElement[object]] = [sa.literal_column(t) for t in written]
        columns.append("id")
        op.create_index(f"ix_{table}_order", table, columns, unique=False)


def drop_order_indexes(orders: Orders) -> None:
    for table in orders:
        op.drop_index(f"ix_{table}_order", table_name=table)


def rebuild_order_indexes(orders: Orders) -> None:
    """On SQLite, alembic's batch mode alters a table by copying it and recreates its indexes
    from reflection, which loses each term's direction: a descending order index comes back
    ascending and no longer serves its order. Build those again (PostgreSQL alters in place)."""
    if op.get_bind().dialect.name == "sqlite":
        drop_order_indexes(orders)
        create_order_indexes(orders)
