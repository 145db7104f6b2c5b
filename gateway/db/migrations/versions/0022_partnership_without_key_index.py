"""partnership on PostgreSQL without its primary key's index

Its rows are written once per import by a GROUP BY over (pre, post), unique by construction,
and read only through the two ranking indexes; the key's index cost each import a third index
build (0.5-0.65 s of 3M rows) and nothing read it. SQLite keeps the key: its table is
clustered on it (WITHOUT ROWID).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 19:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        # Dropped from every partition with the parent's.
        op.execute('ALTER TABLE partnership DROP CONSTRAINT partnership_pkey')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            'ALTER TABLE partnership ADD CONSTRAINT partnership_pkey '
            'PRIMARY KEY (materialization_id, pre_id, post_id)'
        )
