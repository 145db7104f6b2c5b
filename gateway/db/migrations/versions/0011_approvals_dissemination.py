"""approvals for any declared model; regulatory authorities, journals and publications; a
behavioral category's parent

``approval.record_id`` names the record an approval changes for models without a column of
their own (setup types, behavioral categories and paradigms, suppliers, hardware devices,
regulatory authorities, journals). New tables ``regulatory_authority``, ``journal``,
``publication`` and ``project_publication``; ``behavioral_category.parent_id``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 17:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('approval', schema=None) as batch_op:
        batch_op.add_column(sa.Column('record_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_approval_record_id'), ['record_id'], unique=False)

    with op.batch_alter_table('behavioral_category', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            'fk_behavioral_category_parent_id',
            'behavioral_category',
            ['parent_id'],
            ['id'],
            ondelete='SET NULL',
        )
        batch_op.create_index(
            batch_op.f('ix_behavioral_category_parent_id'), ['parent_id'], unique=False
        )

    op.create_table('regulatory_authority',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('abbreviation', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('authority_type', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('website', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('regulatory_authority', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_regulatory_authority_name'), ['name'], unique=True)

    op.create_table('journal',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('website', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_name'), ['name'], unique=True)

    op.create_table('publication',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('authors', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('journal_id', sa.Uuid(), nullable=False),
    sa.Column('abstract', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('doi', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('publication_url', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('pdf_url', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('publication_date', sa.Date(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['journal_id'], ['journal.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_journal_id'), ['journal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_publication_title'), ['title'], unique=False)
        batch_op.create_index(batch_op.f('ix_publication_user_id'), ['user_id'], unique=False)

    op.create_table('project_publication',
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('publication_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'publication_id')
    )
    with op.batch_alter_table('project_publication', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_project_publication_publication_id'), ['publication_id'], unique=False
        )


def downgrade() -> None:
    op.drop_table('project_publication')
    op.drop_table('publication')
    op.drop_table('journal')
    op.drop_table('regulatory_authority')
    with op.batch_alter_table('behavioral_category', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_behavioral_category_parent_id'))
        batch_op.drop_constraint('fk_behavioral_category_parent_id', type_='foreignkey')
        batch_op.drop_column('parent_id')
    with op.batch_alter_table('approval', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_record_id'))
        batch_op.drop_column('record_id')
