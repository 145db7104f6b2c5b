"""BrainSTEM models: procedures and subject logs of subjects; behaviors, data acquisitions and
manipulations of sessions; collections of a project's sessions

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 13:09:02.234236
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('collection',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('collection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_project_id'), ['project_id'], unique=False)

    op.create_table('procedure',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('date_time', sa.DateTime(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('type_schema_version', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('coordinates_system', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('coordinates_details', sa.JSON(), nullable=False),
    sa.Column('coordinates_schema_version', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('procedure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procedure_subject_id'), ['subject_id'], unique=False)

    op.create_table('subject_log',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('type_schema_version', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('subject_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subject_log_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subject_log_user_id'), ['user_id'], unique=False)

    op.create_table('behavior',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('order', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['session.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('behavior', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_behavior_session_id'), ['session_id'], unique=False)

    op.create_table('collection_session',
    sa.Column('collection_id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collection.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['session.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('collection_id', 'session_id')
    )
    with op.batch_alter_table('collection_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_session_session_id'), ['session_id'], unique=False)

    op.create_table('data_acquisition',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('type_schema_version', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('order', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['session.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('data_acquisition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_acquisition_session_id'), ['session_id'], unique=False)

    op.create_table('manipulation',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('type_schema_version', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('order', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['session.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('manipulation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manipulation_session_id'), ['session_id'], unique=False)

    op.create_table('behavior_subject',
    sa.Column('behavior_id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['behavior_id'], ['behavior.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('behavior_id', 'subject_id')
    )
    with op.batch_alter_table('behavior_subject', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_behavior_subject_subject_id'), ['subject_id'], unique=False)

    op.create_table('data_acquisition_procedure',
    sa.Column('data_acquisition_id', sa.Uuid(), nullable=False),
    sa.Column('procedure_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['data_acquisition_id'], ['data_acquisition.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedure.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('data_acquisition_id', 'procedure_id')
    )
    with op.batch_alter_table('data_acquisition_procedure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_acquisition_procedure_procedure_id'), ['procedure_id'], unique=False)

    op.create_table('manipulation_procedure',
    sa.Column('manipulation_id', sa.Uuid(), nullable=False),
    sa.Column('procedure_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['manipulation_id'], ['manipulation.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedure.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('manipulation_id', 'procedure_id')
    )
    with op.batch_alter_table('manipulation_procedure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manipulation_procedure_procedure_id'), ['procedure_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('manipulation_procedure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_manipulation_procedure_procedure_id'))

    op.drop_table('manipulation_procedure')
    with op.batch_alter_table('data_acquisition_procedure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_acquisition_procedure_procedure_id'))

    op.drop_table('data_acquisition_procedure')
    with op.batch_alter_table('behavior_subject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_behavior_subject_subject_id'))

    op.drop_table('behavior_subject')
    with op.batch_alter_table('manipulation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_manipulation_session_id'))

    op.drop_table('manipulation')
    with op.batch_alter_table('data_acquisition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_acquisition_session_id'))

    op.drop_table('data_acquisition')
    with op.batch_alter_table('collection_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_session_session_id'))

    op.drop_table('collection_session')
    with op.batch_alter_table('behavior', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_behavior_session_id'))

    op.drop_table('behavior')
    with op.batch_alter_table('subject_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subject_log_user_id'))
        batch_op.drop_index(batch_op.f('ix_subject_log_subject_id'))

    op.drop_table('subject_log')
    with op.batch_alter_table('procedure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_procedure_subject_id'))

    op.drop_table('procedure')
    with op.batch_alter_table('collection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_project_id'))

    op.drop_table('collection')
