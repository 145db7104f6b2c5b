"""every list's default order has an index that serves it

A page of a list in its default order (resolvers/catalog: name, newest first, position in the
session, ...) then the key streams from an index instead of sorting every matching row. Orders
by a unique column alone need none beyond its own (the key no longer follows it). NULL goes
where the gateway's ORDER BY puts it: SQLite's indexes do that by themselves and take no NULLS
clause; PostgreSQL's are told.

Revision ID: 0019
Revises: 0010
Create Date: 2026-12-02 18:00:00.000000
"""

from __future__ import annotations

from gateway.db.order_indexes import create_order_indexes, drop_order_indexes

revision = '0019'
down_revision = '0010'
branch_labels = None
depends_on = None

# table -> its order's terms before the key (NULLS clauses for PostgreSQL only).
ORDERS = {
    'approval': ('created_at DESC',),
    'behavior': ('"order" NULLS FIRST',),
    'data_acquisition': ('"order" NULLS FIRST',),
    'manipulation': ('"order" NULLS FIRST',),
    'subject_log': ('created_at DESC',),
    'procedure': ('date_time DESC NULLS LAST',),
    'behavioral_assay': ('name',),
    'data_storage': ('name',),
    'inventory': ('name',),
    'setup': ('name',),
    'cohort': ('name',),
    'collection': ('name',),
    'brain': ('created_at DESC',),
    'file_upload': ('created_at DESC',),
    'materialization': ('version DESC',),
}


def upgrade() -> None:
    create_order_indexes(ORDERS)


def downgrade() -> None:
    drop_order_indexes(ORDERS)
