"""connectome datasets: access through a project, CAVE management; partner pairs partitioned
by materialization on PostgreSQL

A dataset that names a project is seen with it (public project: everyone; private: its
members), one without is public; ``cave_managed`` marks a dataset whose BrainCircuits requests
must carry an ``Authorization-Cave`` header.

On PostgreSQL ``partnership`` becomes a table partitioned by materialization: an import
writes its pairs into a table of its own, builds its indexes after the load and attaches it,
so imports of different datasets never wait on each other's index builds. Rows written
otherwise (the existing ones, tests' fixtures) go to the default partition.

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


INDEXES = {
    'ix_partnership_downstream': ('pre_id', 'post_id'),
    'ix_partnership_upstream': ('post_id', 'pre_id'),
}


def _partnership(name: str, **options: object) -> None:
    """The table as 0002 made it, under ``name``, with its two ranking indexes."""
    op.create_table(
        name,
        sa.Column('materialization_id', sa.Integer(), nullable=False),
        sa.Column('pre_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('post_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('syn_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['materialization_id'], ['materialization.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('materialization_id', 'pre_id', 'post_id', name=f'{name}_pkey'),
        **options,
    )
    for index, (key, other) in INDEXES.items():
        op.create_index(
            index,
            name,
            ['materialization_id', key, sa.literal_column('syn_count DESC'), other],
            unique=False,
        )


def _rebuild_partnership(**options: object) -> None:
    """``partnership`` again with ``options`` (partitioned or not), keeping its rows."""
    for index in INDEXES:
        op.drop_index(index, table_name='partnership')
    op.rename_table('partnership', 'partnership_before')
    op.execute('ALTER TABLE partnership_before RENAME CONSTRAINT partnership_pkey TO partnership_before_pkey')
    _partnership('partnership', **options)
    if options:
        op.execute('CREATE TABLE partnership_default PARTITION OF partnership DEFAULT')
    op.execute('INSERT INTO partnership SELECT * FROM partnership_before')
    op.execute('DROP TABLE partnership_before CASCADE')


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _rebuild_partnership(postgresql_partition_by='LIST (materialization_id)')
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
    if op.get_bind().dialect.name == 'postgresql':
        _rebuild_partnership()
