"""the order indexes of the entities added beside 0019 (see 0019 for why), and those that
SQLite's batch alterations since 0019 rebuilt without their directions

Revision ID: 0020
Revises: 0013
Create Date: 2026-12-03 08:00:00.000000
"""

from __future__ import annotations

from gateway.db.order_indexes import (
    create_order_indexes,
    drop_order_indexes,
    rebuild_order_indexes,
)

revision = '0020'
down_revision = '0013'
branch_labels = None
depends_on = None

# table -> its order's first term, then (PostgreSQL only) that term's NULLS clause.
ORDERS = {
    'publication': ('publication_date DESC', 'NULLS LAST'),
    'breeding': ('name', None),
    'license': ('name', None),
    'protocol': ('name', None),
    'consumable_stock': ('created_at', None),
    'equipment': ('created_at', None),
    'procedure_log': ('created_at DESC', None),
    'group_membership_invitation': ('created_at DESC', None),
    'group_membership_request': ('created_at DESC', None),
    'project_membership_invitation': ('created_at DESC', None),
    'project_group_membership_invitation': ('created_at DESC', None),
}

# Descending order indexes of 0019 on tables altered since (SQLite copied them without).
REBUILT = {
    'procedure': ('date_time DESC', 'NULLS LAST'),
    'subject_log': ('created_at DESC', None),
}


def upgrade() -> None:
    create_order_indexes(ORDERS)
    rebuild_order_indexes(REBUILT)


def downgrade() -> None:
    drop_order_indexes(ORDERS)
