"""connectome datasets: access through a project, CAVE management

A dataset that names a project is seen with it (public project: everyone; private: its
members), one without is public; ``cave_managed`` marks a dataset whose BrainCircuits requests
must carry an ``Authorization-Cave`` header.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 13:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('connectome_dataset', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project_id', sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column('cave_managed', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_foreign_key(
            'fk_connectome_dataset_project_id', 'project', ['project_id'], ['id']
        )
        batch_op.create_index(
            batch_op.f('ix_connectome_dataset_project_id'), ['project_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('connectome_dataset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_connectome_dataset_project_id'))
        batch_op.drop_constraint('fk_connectome_dataset_project_id', type_='foreignkey')
        batch_op.drop_column('cave_managed')
        batch_op.drop_column('project_id')
