"""Creating and dropping the indexes that serve each list's default order, for the migrations
that add them (0019, 0020): the models declare the same indexes with ``order_index``.

``orders`` maps a table to its order's first term and, for PostgreSQL only, that term's NULLS
clause (SQLite's indexes place NULL as its ORDER BY does and take no such clause); the key
``id`` always follows."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

Orders = dict[str, tuple[str, str | None]]


def create_order_indexes(orders: Orders) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, (first, nulls) in orders.items():
        term = f"{first} {nulls}" if postgres and nulls else first
        op.create_index(f"ix_{table}_order", table, [sa.literal_column(term), "id"], unique=False)


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
