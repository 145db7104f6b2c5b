"""a subject needs no project: it belongs to its lab (Alyx's projects are optional)

``subject.project_id`` becomes nullable. Who sees such a subject is the visibility rule's
(its lab's members and its responsible user); no data changes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subject', schema=None) as batch_op:
        batch_op.alter_column('project_id', existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    # Subjects without a project cannot stay: they go with their sessions, as the project's
    # deletion would take them.
    op.execute('DELETE FROM subject WHERE project_id IS NULL')
    with op.batch_alter_table('subject', schema=None) as batch_op:
        batch_op.alter_column('project_id', existing_type=sa.Uuid(), nullable=False)
