"""BrainSTEM equipment, consumable stocks, procedure logs, licenses, protocols, consumables
and breedings; procedures name their consumable, hardware device and protocol, subject logs
their protocol, data acquisitions and manipulations their hardware device

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02 17:35:57.362455
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consumable',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('supplier_id', sa.Uuid(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('comments', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('consumable', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consumable_name'), ['name'], unique=True)
        batch_op.create_index(batch_op.f('ix_consumable_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('license',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('license_number', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('license', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_license_user_id'), ['user_id'], unique=False)

    op.create_table('protocol',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('protocol_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('subtypes', sa.JSON(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('protocol', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_protocol_user_id'), ['user_id'], unique=False)

    op.create_table('consumable_stock',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('inventory_id', sa.Uuid(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('acquisition_date', sa.Date(), nullable=True),
    sa.Column('expiration_date', sa.Date(), nullable=True),
    sa.Column('storage_location', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('storage_conditions', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('intended_use', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('cost', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('consumable_id', sa.Uuid(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('type_schema_version', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['consumable_id'], ['consumable.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['inventory_id'], ['inventory.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('consumable_stock', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consumable_stock_consumable_id'), ['consumable_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consumable_stock_inventory_id'), ['inventory_id'], unique=False)

    op.create_table('equipment',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('setup_id', sa.Uuid(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('date_time', sa.DateTime(), nullable=True),
    sa.Column('consumable_id', sa.Uuid(), nullable=True),
    sa.Column('hardware_device_id', sa.Uuid(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('type_schema_version', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('coordinates_system', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('coordinates_details', sa.JSON(), nullable=False),
    sa.Column('coordinates_schema_version', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['consumable_id'], ['consumable.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hardware_device_id'], ['hardware_device.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['setup_id'], ['setup.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('equipment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_equipment_consumable_id'), ['consumable_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_equipment_hardware_device_id'), ['hardware_device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_equipment_setup_id'), ['setup_id'], unique=False)

    op.create_table('license_holder',
    sa.Column('license_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['license_id'], ['license.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('license_id', 'user_id')
    )
    with op.batch_alter_table('license_holder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_license_holder_user_id'), ['user_id'], unique=False)

    op.create_table('protocol_license',
    sa.Column('protocol_id', sa.Uuid(), nullable=False),
    sa.Column('license_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['license_id'], ['license.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['protocol_id'], ['protocol.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('protocol_id', 'license_id')
    )
    with op.batch_alter_table('protocol_license', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_protocol_license_license_id'), ['license_id'], unique=False)

    op.create_table('license_behavioral_assay',
    sa.Column('license_id', sa.Uuid(), nullable=False),
    sa.Column('behavioral_assay_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['behavioral_assay_id'], ['behavioral_assay.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['license_id'], ['license.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('license_id', 'behavioral_assay_id')
    )
    with op.batch_alter_table('license_behavioral_assay', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_license_behavioral_assay_behavioral_assay_id'), ['behavioral_assay_id'], unique=False)

    op.create_table('breeding',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('mother_id', sa.Uuid(), nullable=False),
    sa.Column('father_id', sa.Uuid(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('weaning_date', sa.Date(), nullable=True),
    sa.Column('litter_size', sa.Integer(), nullable=True),
    sa.Column('expected_genotype', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['father_id'], ['subject.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mother_id'], ['subject.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('breeding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_breeding_father_id'), ['father_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_breeding_mother_id'), ['mother_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_breeding_project_id'), ['project_id'], unique=False)

    op.create_table('license_subject',
    sa.Column('license_id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['license_id'], ['license.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('license_id', 'subject_id')
    )
    with op.batch_alter_table('license_subject', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_license_subject_subject_id'), ['subject_id'], unique=False)

    op.create_table('license_procedure',
    sa.Column('license_id', sa.Uuid(), nullable=False),
    sa.Column('procedure_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['license_id'], ['license.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedure.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('license_id', 'procedure_id')
    )
    with op.batch_alter_table('license_procedure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_license_procedure_procedure_id'), ['procedure_id'], unique=False)

    op.create_table('procedure_log',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('procedure_id', sa.Uuid(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('entries', sa.JSON(), nullable=False),
    sa.Column('type_schema_version', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedure.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('procedure_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procedure_log_procedure_id'), ['procedure_id'], unique=False)

    with op.batch_alter_table('procedure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consumable_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('hardware_device_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('protocol_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_procedure_consumable_id'), ['consumable_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_procedure_hardware_device_id'), ['hardware_device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_procedure_protocol_id'), ['protocol_id'], unique=False)
        batch_op.create_foreign_key('fk_procedure_protocol_id', 'protocol', ['protocol_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key('fk_procedure_consumable_id', 'consumable', ['consumable_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key('fk_procedure_hardware_device_id', 'hardware_device', ['hardware_device_id'], ['id'], ondelete='SET NULL')

    for record in ('data_acquisition', 'manipulation'):
        with op.batch_alter_table(record, schema=None) as batch_op:
            batch_op.add_column(sa.Column('hardware_device_id', sa.Uuid(), nullable=True))
            batch_op.create_index(
                batch_op.f(f'ix_{record}_hardware_device_id'), ['hardware_device_id'], unique=False
            )
            batch_op.create_foreign_key(
                f'fk_{record}_hardware_device_id', 'hardware_device', ['hardware_device_id'],
                ['id'], ondelete='SET NULL',
            )

    with op.batch_alter_table('subject_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protocol_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_subject_log_protocol_id'), ['protocol_id'], unique=False)
        batch_op.create_foreign_key('fk_subject_log_protocol_id', 'protocol', ['protocol_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    for record in ('data_acquisition', 'manipulation'):
        with op.batch_alter_table(record, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{record}_hardware_device_id', type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{record}_hardware_device_id'))
            batch_op.drop_column('hardware_device_id')

    with op.batch_alter_table('subject_log', schema=None) as batch_op:
        batch_op.drop_constraint('fk_subject_log_protocol_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_subject_log_protocol_id'))
        batch_op.drop_column('protocol_id')

    with op.batch_alter_table('procedure', schema=None) as batch_op:
        batch_op.drop_constraint('fk_procedure_protocol_id', type_='foreignkey')
        batch_op.drop_constraint('fk_procedure_consumable_id', type_='foreignkey')
        batch_op.drop_constraint('fk_procedure_hardware_device_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_procedure_protocol_id'))
        batch_op.drop_index(batch_op.f('ix_procedure_hardware_device_id'))
        batch_op.drop_index(batch_op.f('ix_procedure_consumable_id'))
        batch_op.drop_column('protocol_id')
        batch_op.drop_column('hardware_device_id')
        batch_op.drop_column('consumable_id')

    with op.batch_alter_table('procedure_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_procedure_log_procedure_id'))

    op.drop_table('procedure_log')
    with op.batch_alter_table('license_procedure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_license_procedure_procedure_id'))

    op.drop_table('license_procedure')
    with op.batch_alter_table('license_subject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_license_subject_subject_id'))

    op.drop_table('license_subject')
    with op.batch_alter_table('breeding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_breeding_project_id'))
        batch_op.drop_index(batch_op.f('ix_breeding_mother_id'))
        batch_op.drop_index(batch_op.f('ix_breeding_father_id'))

    op.drop_table('breeding')
    with op.batch_alter_table('license_behavioral_assay', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_license_behavioral_assay_behavioral_assay_id'))

    op.drop_table('license_behavioral_assay')
    with op.batch_alter_table('protocol_license', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_protocol_license_license_id'))

    op.drop_table('protocol_license')
    with op.batch_alter_table('license_holder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_license_holder_user_id'))

    op.drop_table('license_holder')
    with op.batch_alter_table('equipment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_equipment_setup_id'))
        batch_op.drop_index(batch_op.f('ix_equipment_hardware_device_id'))
        batch_op.drop_index(batch_op.f('ix_equipment_consumable_id'))

    op.drop_table('equipment')
    with op.batch_alter_table('consumable_stock', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consumable_stock_inventory_id'))
        batch_op.drop_index(batch_op.f('ix_consumable_stock_consumable_id'))

    op.drop_table('consumable_stock')
    with op.batch_alter_table('protocol', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_protocol_user_id'))

    op.drop_table('protocol')
    with op.batch_alter_table('license', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_license_user_id'))

    op.drop_table('license')
    with op.batch_alter_table('consumable', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consumable_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_consumable_name'))

    op.drop_table('consumable')
