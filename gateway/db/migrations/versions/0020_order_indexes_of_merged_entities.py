"""the order indexes of the entities added beside 0019 (see 0019 for why)

Revision ID: 0020
Revises: 0011
Create Date: 2026-12-03 08:00:00.000000
"""

from __future__ import annotations

from gateway.db.order_indexes import create_order_indexes, drop_order_indexes

revision = '0020'
down_revision = '0011'
branch_labels = None
depends_on = None

# table -> its order's first term, then (PostgreSQL only) that term's NULLS clause.
ORDERS = {
    'publication': ('publication_date DESC', 'NULLS LAST'),
}


def upgrade() -> None:
    create_order_indexes(ORDERS)


def downgrade() -> None:
    drop_order_indexes(ORDERS)
