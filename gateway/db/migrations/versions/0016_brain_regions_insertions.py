"""brain regions, probe insertions and trajectory estimates

Atlas brain regions (keyed by their atlas id, each naming its parent), the probe insertions of
sessions and the trajectory estimates of insertions (Alyx's experiments app).

Revision ID: 0016
Revises: 0019
Create Date: 2026-12-02 17:36:24.454279
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0016'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('brain_region',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('atlas', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('acronym', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('rgb', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('ontology', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['brain_region.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('atlas', 'acronym'),
    sa.UniqueConstraint('atlas', 'name')
    )
    with op.batch_alter_table('brain_region', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_brain_region_acronym'), ['acronym'], unique=False)
        batch_op.create_index(batch_op.f('ix_brain_region_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_brain_region_parent_id'), ['parent_id'], unique=False)

    op.create_table('probe_insertion',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('serial', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('json_data', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['session.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('session_id', 'name')
    )
    with op.batch_alter_table('probe_insertion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_probe_insertion_session_id'), ['session_id'], unique=False)

    op.create_table('trajectory_estimate',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('probe_insertion_id', sa.Uuid(), nullable=False),
    sa.Column('x', sa.Float(), nullable=True),
    sa.Column('y', sa.Float(), nullable=True),
    sa.Column('z', sa.Float(), nullable=True),
    sa.Column('depth', sa.Float(), nullable=True),
    sa.Column('theta', sa.Float(), nullable=True),
    sa.Column('phi', sa.Float(), nullable=True),
    sa.Column('roll', sa.Float(), nullable=True),
    sa.Column('provenance', sa.Integer(), nullable=False),
    sa.Column('coordinate_system', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('json_data', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['probe_insertion_id'], ['probe_insertion.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('probe_insertion_id', 'provenance')
    )
    with op.batch_alter_table('trajectory_estimate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trajectory_estimate_probe_insertion_id'), ['probe_insertion_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('trajectory_estimate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trajectory_estimate_probe_insertion_id'))

    op.drop_table('trajectory_estimate')
    with op.batch_alter_table('probe_insertion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_probe_insertion_session_id'))

    op.drop_table('probe_insertion')
    with op.batch_alter_table('brain_region', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_brain_region_parent_id'))
        batch_op.drop_index(batch_op.f('ix_brain_region_name'))
        batch_op.drop_index(batch_op.f('ix_brain_region_acronym'))

    op.drop_table('brain_region')
