"""BrainSTEM models: procedures and subject logs of subjects; behaviors, data acquisitions and
manipulations of sessions; collections of a project's sessions; setups, behavioral assays, data
storages and inventories of their owners; setup types, behavioral categories and paradigms,
suppliers and hardware devices for all

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 13:37:45.129726
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('behavioral_category',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('behavioral_category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_behavioral_category_name'), ['name'], unique=True)

    op.create_table('setup_type',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('setup_type', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_setup_type_name'), ['name'], unique=True)

    op.create_table('supplier',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('website', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('supplier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_name'), ['name'], unique=True)

    op.create_table('behavioral_paradigm',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('category_id', sa.Uuid(), nullable=True),
    sa.Column('original_publication', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reference_url', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('rrid', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('external_identifiers', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['behavioral_category.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('behavioral_paradigm', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_behavioral_paradigm_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_behavioral_paradigm_name'), ['name'], unique=True)

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

    op.create_table('data_storage',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('location', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('data_organization', sa.JSON(), nullable=False),
    sa.Column('data_protocols', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('data_storage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_storage_user_id'), ['user_id'], unique=False)

    op.create_table('hardware_device',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('supplier_id', sa.Uuid(), nullable=False),
    sa.Column('rrid', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('external_identifiers', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('hardware_device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hardware_device_name'), ['name'], unique=True)
        batch_op.create_index(batch_op.f('ix_hardware_device_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('inventory',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('location', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('inventory', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inventory_user_id'), ['user_id'], unique=False)

    op.create_table('setup',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('location', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('setup_type_id', sa.Uuid(), nullable=False),
    sa.Column('specifications', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['setup_type_id'], ['setup_type.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('setup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_setup_setup_type_id'), ['setup_type_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_setup_user_id'), ['user_id'], unique=False)

    op.create_table('behavioral_assay',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('setup_type_id', sa.Uuid(), nullable=False),
    sa.Column('behavioral_paradigm_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['behavioral_paradigm_id'], ['behavioral_paradigm.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['setup_type_id'], ['setup_type.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('behavioral_assay', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_behavioral_assay_behavioral_paradigm_id'), ['behavioral_paradigm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_behavioral_assay_setup_type_id'), ['setup_type_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_behavioral_assay_user_id'), ['user_id'], unique=False)

    op.create_table('setup_hardware_device',
    sa.Column('setup_id', sa.Uuid(), nullable=False),
    sa.Column('hardware_device_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['hardware_device_id'], ['hardware_device.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['setup_id'], ['setup.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('setup_id', 'hardware_device_id')
    )
    with op.batch_alter_table('setup_hardware_device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_setup_hardware_device_hardware_device_id'), ['hardware_device_id'], unique=False)

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
    sa.Column('setup_id', sa.Uuid(), nullable=True),
    sa.Column('behavioral_assay_id', sa.Uuid(), nullable=True),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('order', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['behavioral_assay_id'], ['behavioral_assay.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['session.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['setup_id'], ['setup.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('behavior', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_behavior_behavioral_assay_id'), ['behavioral_assay_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_behavior_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_behavior_setup_id'), ['setup_id'], unique=False)

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
    sa.Column('type_schema_version', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('order', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
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
    sa.Column('type_schema_version', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('order', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
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
        batch_op.drop_index(batch_op.f('ix_behavior_setup_id'))
        batch_op.drop_index(batch_op.f('ix_behavior_session_id'))
        batch_op.drop_index(batch_op.f('ix_behavior_behavioral_assay_id'))

    op.drop_table('behavior')
    with op.batch_alter_table('subject_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subject_log_user_id'))
        batch_op.drop_index(batch_op.f('ix_subject_log_subject_id'))

    op.drop_table('subject_log')
    with op.batch_alter_table('procedure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_procedure_subject_id'))

    op.drop_table('procedure')
    with op.batch_alter_table('setup_hardware_device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_setup_hardware_device_hardware_device_id'))

    op.drop_table('setup_hardware_device')
    with op.batch_alter_table('behavioral_assay', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_behavioral_assay_user_id'))
        batch_op.drop_index(batch_op.f('ix_behavioral_assay_setup_type_id'))
        batch_op.drop_index(batch_op.f('ix_behavioral_assay_behavioral_paradigm_id'))

    op.drop_table('behavioral_assay')
    with op.batch_alter_table('setup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_setup_user_id'))
        batch_op.drop_index(batch_op.f('ix_setup_setup_type_id'))

    op.drop_table('setup')
    with op.batch_alter_table('inventory', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inventory_user_id'))

    op.drop_table('inventory')
    with op.batch_alter_table('hardware_device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hardware_device_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_hardware_device_name'))

    op.drop_table('hardware_device')
    with op.batch_alter_table('data_storage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_storage_user_id'))

    op.drop_table('data_storage')
    with op.batch_alter_table('collection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_project_id'))

    op.drop_table('collection')
    with op.batch_alter_table('behavioral_paradigm', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_behavioral_paradigm_name'))
        batch_op.drop_index(batch_op.f('ix_behavioral_paradigm_category_id'))

    op.drop_table('behavioral_paradigm')
    with op.batch_alter_table('supplier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_name'))

    op.drop_table('supplier')
    with op.batch_alter_table('setup_type', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_setup_type_name'))

    op.drop_table('setup_type')
    with op.batch_alter_table('behavioral_category', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_behavioral_category_name'))

    op.drop_table('behavioral_category')
