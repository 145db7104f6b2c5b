"""the order indexes of the entities added beside 0019 (see 0019 for why), and those that
SQLite's batch alterations since 0019 rebuilt without their directions

Revision ID: 0020
Revises: 0015
Create Date: 2026-12-03 08:00:00.000000
"""

from __future__ import annotations

from gateway.db.order_indexes import (
    create_order_indexes,
    drop_order_indexes,
    rebuild_order_indexes,
)

revision = '0020'
down_revision = '0015'
branch_labels = None
depends_on = None

# table -> its order's terms before the key (NULLS clauses for PostgreSQL only).
ORDERS = {
    'publication': ('publication_date DESC NULLS LAST',),
    'breeding': ('name',),
    'license': ('name',),
    'protocol': ('name',),
    'consumable_stock': ('created_at',),
    'equipment': ('created_at',),
    'procedure_log': ('created_at DESC',),
    'group_membership_invitation': ('created_at DESC',),
    'group_membership_request': ('created_at DESC',),
    'project_membership_invitation': ('created_at DESC',),
    'project_group_membership_invitation': ('created_at DESC',),
    'weighing': ('date_time DESC NULLS LAST',),
    'water_administration': ('date_time DESC NULLS LAST',),
    'water_restriction': ('end_time DESC NULLS LAST', 'start_time DESC NULLS LAST'),
    'surgery': ('start_time DESC NULLS LAST',),
    'file_record': ('created_at',),
}

# Descending order indexes of 0019 on tables altered since (SQLite copied them without).
REBUILT = {
    'procedure': ('date_time DESC NULLS LAST',),
    'subject_log': ('created_at DESC',),
    'file_upload': ('created_at DESC',),
}


def upgrade() -> None:
    create_order_indexes(ORDERS)
    rebuild_order_indexes(REBUILT)


def downgrade() -> None:
    drop_order_indexes(ORDERS)
