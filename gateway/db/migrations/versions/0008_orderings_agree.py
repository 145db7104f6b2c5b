"""sessions: the index of their default order says NULLS LAST on PostgreSQL too

The default order is ``start_time DESC NULLS LAST, id``. SQLite's descending index already
keeps NULL last; PostgreSQL's keeps it first, so there the index (0004) could not serve the
order and every page sorted all matching sessions.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 13:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _session_index(start_time: str) -> None:
    op.drop_index('ix_session_start_time_id', table_name='session')
    op.create_index(
        'ix_session_start_time_id',
        'session',
        [sa.literal_column(start_time), 'id'],
        unique=False,
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _session_index('start_time DESC NULLS LAST')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _session_index('start_time DESC')
