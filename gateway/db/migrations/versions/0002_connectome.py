"""connectome: per-pair synapse totals (partnership) with the two partner-ranking indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:49:47.595684
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('partnership',
    sa.Column('materialization_id', sa.Integer(), nullable=False),
    sa.Column('pre_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('post_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('syn_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['materialization_id'], ['materialization.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('materialization_id', 'pre_id', 'post_id'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.create_index('ix_partnership_downstream', ['materialization_id', 'pre_id', sa.literal_column('syn_count DESC'), 'post_id'], unique=False)
        batch_op.create_index('ix_partnership_upstream', ['materialization_id', 'post_id', sa.literal_column('syn_count DESC'), 'pre_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('partnership', schema=None) as batch_op:
        batch_op.drop_index('ix_partnership_upstream')
        batch_op.drop_index('ix_partnership_downstream')

    op.drop_table('partnership')
