"""Alyx's actions on a subject: weighings, water administrations, water restrictions and
surgeries, with the water types and procedure types they name (issue 16)

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-02 17:33:28.741496
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('procedure_type',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('procedure_type', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procedure_type_name'), ['name'], unique=True)

    op.create_table('water_type',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('water_type', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_water_type_name'), ['name'], unique=True)

    op.create_table('surgery',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('lab_id', sa.Uuid(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('narrative', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('start_time', sa.DateTime(), nullable=True),
    sa.Column('end_time', sa.DateTime(), nullable=True),
    sa.Column('outcome_type', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
    sa.Column('implant_weight', sa.Float(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['lab_id'], ['laboratory.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('surgery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surgery_lab_id'), ['lab_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_surgery_subject_id'), ['subject_id'], unique=False)

    op.create_table('water_restriction',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('start_time', sa.DateTime(), nullable=True),
    sa.Column('end_time', sa.DateTime(), nullable=True),
    sa.Column('reference_weight', sa.Float(), nullable=False),
    sa.Column('water_type_id', sa.Uuid(), nullable=True),
    sa.Column('narrative', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['water_type_id'], ['water_type.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('water_restriction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_water_restriction_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_water_restriction_water_type_id'), ['water_type_id'], unique=False)

    op.create_table('weighing',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('date_time', sa.DateTime(), nullable=True),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('weighing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_weighing_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_weighing_user_id'), ['user_id'], unique=False)

    op.create_table('surgery_procedure',
    sa.Column('surgery_id', sa.Uuid(), nullable=False),
    sa.Column('procedure_type_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['procedure_type_id'], ['procedure_type.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['surgery_id'], ['surgery.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('surgery_id', 'procedure_type_id'),
    )
    with op.batch_alter_table('surgery_procedure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surgery_procedure_procedure_type_id'), ['procedure_type_id'], unique=False)

    op.create_table('water_administration',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('session_id', sa.Uuid(), nullable=True),
    sa.Column('date_time', sa.DateTime(), nullable=True),
    sa.Column('water_administered', sa.Float(), nullable=True),
    sa.Column('water_type_id', sa.Uuid(), nullable=True),
    sa.Column('adlib', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['session.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['water_type_id'], ['water_type.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('water_administration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_water_administration_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_water_administration_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_water_administration_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_water_administration_water_type_id'), ['water_type_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('water_administration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_water_administration_water_type_id'))
        batch_op.drop_index(batch_op.f('ix_water_administration_user_id'))
        batch_op.drop_index(batch_op.f('ix_water_administration_subject_id'))
        batch_op.drop_index(batch_op.f('ix_water_administration_session_id'))

    op.drop_table('water_administration')
    with op.batch_alter_table('surgery_procedure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surgery_procedure_procedure_type_id'))

    op.drop_table('surgery_procedure')
    with op.batch_alter_table('weighing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_weighing_user_id'))
        batch_op.drop_index(batch_op.f('ix_weighing_subject_id'))

    op.drop_table('weighing')
    with op.batch_alter_table('water_restriction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_water_restriction_water_type_id'))
        batch_op.drop_index(batch_op.f('ix_water_restriction_subject_id'))

    op.drop_table('water_restriction')
    with op.batch_alter_table('surgery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surgery_subject_id'))
        batch_op.drop_index(batch_op.f('ix_surgery_lab_id'))

    op.drop_table('surgery')
    with op.batch_alter_table('water_type', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_water_type_name'))

    op.drop_table('water_type')
    with op.batch_alter_table('procedure_type', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_procedure_type_name'))

    op.drop_table('procedure_type')
