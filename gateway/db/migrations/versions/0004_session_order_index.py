"""sessions: an index in their default order (start_time descending, then id)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 05:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        'ix_session_start_time_id',
        'session',
        [sa.literal_column('start_time DESC'), 'id'],
        unique=False,
    )
    op.drop_index('ix_session_start_time', table_name='session')


def downgrade() -> None:
    op.create_index('ix_session_start_time', 'session', ['start_time'], unique=False)
    op.drop_index('ix_session_start_time_id', table_name='session')
