"""Alyx's data app: dataset types, data formats, data repositories, revisions, tags and the
file records that place a dataset in a repository; a dataset's md5, version, revision and
default flag

Revision ID: 0015
Revises: 0010
Create Date: 2026-12-02 17:35:00.833856
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('data_format',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('file_extension', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('matlab_loader_function', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('python_loader_function', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('file_extension'),
    )
    with op.batch_alter_table('data_format', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_format_name'), ['name'], unique=True)

    op.create_table('data_repository',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('globus_path', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('hostname', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('data_url', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('repository_type', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('globus_endpoint_id', sa.Uuid(), nullable=True),
    sa.Column('globus_is_personal', sa.Boolean(), nullable=False),
    sa.Column('json_data', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('data_repository', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_repository_name'), ['name'], unique=True)

    op.create_table('revision',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revision_name'), ['name'], unique=True)

    op.create_table('tag',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=1023), nullable=False),
    sa.Column('protected', sa.Boolean(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tag_name'), ['name'], unique=True)

    op.create_table('dataset_type',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=1023), nullable=False),
    sa.Column('filename_pattern', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('dataset_type', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_type_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dataset_type_name'), ['name'], unique=True)

    op.create_table('dataset_tag',
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['file_upload.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tag.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dataset_id', 'tag_id'),
    )
    with op.batch_alter_table('dataset_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_tag_tag_id'), ['tag_id'], unique=False)

    op.create_table('file_record',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('data_repository_id', sa.Uuid(), nullable=False),
    sa.Column('relative_path', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('exists', sa.Boolean(), nullable=False),
    sa.Column('json_data', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['data_repository_id'], ['data_repository.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['dataset_id'], ['file_upload.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('data_repository_id', 'relative_path'),
    )
    with op.batch_alter_table('file_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_file_record_data_repository_id'), ['data_repository_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_file_record_dataset_id'), ['dataset_id'], unique=False)

    with op.batch_alter_table('file_upload', schema=None) as batch_op:
        batch_op.add_column(sa.Column('md5', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('revision_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('default_dataset', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.create_index(batch_op.f('ix_file_upload_revision_id'), ['revision_id'], unique=False)
        batch_op.create_foreign_key('fk_file_upload_revision_id_revision', 'revision', ['revision_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('file_upload', schema=None) as batch_op:
        batch_op.drop_constraint('fk_file_upload_revision_id_revision', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_file_upload_revision_id'))
        batch_op.drop_column('default_dataset')
        batch_op.drop_column('revision_id')
        batch_op.drop_column('version')
        batch_op.drop_column('md5')

    with op.batch_alter_table('file_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_file_record_dataset_id'))
        batch_op.drop_index(batch_op.f('ix_file_record_data_repository_id'))

    op.drop_table('file_record')
    with op.batch_alter_table('dataset_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_tag_tag_id'))

    op.drop_table('dataset_tag')
    with op.batch_alter_table('dataset_type', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_type_name'))
        batch_op.drop_index(batch_op.f('ix_dataset_type_created_by_id'))

    op.drop_table('dataset_type')
    with op.batch_alter_table('tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tag_name'))

    op.drop_table('tag')
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revision_name'))

    op.drop_table('revision')
    with op.batch_alter_table('data_repository', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_repository_name'))

    op.drop_table('data_repository')
    with op.batch_alter_table('data_format', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_format_name'))

    op.drop_table('data_format')
