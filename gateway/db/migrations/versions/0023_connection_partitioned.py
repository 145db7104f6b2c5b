"""connection partitioned by materialization on PostgreSQL

As ``partnership`` (0007): an import copies its connections into a table of its own,
``connection_m<id>``, commits it unattached (readers see nothing of it), builds its key while
other work goes on, and attaches it when it publishes. The key gains the partition key,
(id, materialization_id), as PostgreSQL requires of a partitioned table; lookups by id still
use its leading column. Rows written otherwise (the existing ones, ORM inserts, copied
materializations) go to the default partition. SQLite is unchanged.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 19:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


FOREIGN_KEY = 'connection_materialization_id_fkey'


def _connection(key: list[str], **options: object) -> None:
    """The table as 0001 made it, with primary key ``key``, its ids drawn from the sequence
    the first one owned."""
    op.create_table(
        'connection',
        sa.Column(
            'id',
            sa.BigInteger(),
            server_default=sa.text("nextval('connection_id_seq'::regclass)"),
            nullable=False,
        ),
        sa.Column('materialization_id', sa.Integer(), nullable=False),
        sa.Column('pre_id', sa.BigInteger(), nullable=False),
        sa.Column('post_id', sa.BigInteger(), nullable=False),
        sa.Column('neuropil', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('syn_count', sa.Integer(), nullable=False),
        sa.Column('nt_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ['materialization_id'], ['materialization.id'], ondelete='CASCADE', name=FOREIGN_KEY
        ),
        sa.PrimaryKeyConstraint(*key, name='connection_pkey'),
        **options,
    )


def _rebuild_connection(key: list[str], **options: object) -> None:
    """``connection`` again with primary key ``key`` and ``options`` (partitioned or not),
    keeping its rows and its id sequence."""
    op.rename_table('connection', 'connection_before')
    op.execute('ALTER TABLE connection_before RENAME CONSTRAINT connection_pkey TO connection_before_pkey')
    # Its rows are checked already, and the new table takes the name.
    op.drop_constraint(FOREIGN_KEY, 'connection_before', type_='foreignkey')
    _connection(key, **options)
    op.execute('ALTER SEQUENCE connection_id_seq OWNED BY connection.id')
    if options:
        op.execute('CREATE TABLE connection_default PARTITION OF connection DEFAULT')
    op.execute('INSERT INTO connection SELECT * FROM connection_before')
    op.execute('DROP TABLE connection_before CASCADE')


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _rebuild_connection(
            ['id', 'materialization_id'], postgresql_partition_by='LIST (materialization_id)'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _rebuild_connection(['id'])
