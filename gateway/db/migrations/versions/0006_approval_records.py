"""approvals name the record they change by a typed foreign key per taxonomy model

An approval's ``instance_id`` (text) keeps the id it was filed against, whatever happens to
the record; ``species_id``, ``strain_id`` and ``category_id`` relate it to the record itself
while it exists (cleared when it is deleted), so the entity graph can follow approval ->
record and record -> approvals.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# (approval model, column, referenced table, key type)
RECORDS = (
    ('species', 'species_id', 'species', sa.Uuid()),
    ('strain', 'strain_id', 'strain', sa.Uuid()),
    ('category', 'category_id', 'category', sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table('approval', schema=None) as batch_op:
        for _, column, target, kind in RECORDS:
            batch_op.add_column(sa.Column(column, kind, nullable=True))
            batch_op.create_foreign_key(
                f'fk_approval_{column}', target, [column], ['id'], ondelete='SET NULL'
            )
            batch_op.create_index(batch_op.f(f'ix_approval_{column}'), [column], unique=False)
    approval = sa.table(
        'approval',
        sa.column('id', sa.Uuid()),
        sa.column('model', sa.String()),
        sa.column('instance_id', sa.String()),
        *(sa.column(column, kind) for _, column, _, kind in RECORDS),
    )
    bind = op.get_bind()
    for model, column, target, kind in RECORDS:
        records = sa.table(target, sa.column('id', kind))
        rows = bind.execute(
            sa.select(approval.c.id, approval.c.instance_id).where(
                approval.c.model == model, approval.c.instance_id.is_not(None)
            )
        ).all()
        for approval_id, instance_id in rows:
            try:
                key = int(instance_id) if isinstance(kind, sa.Integer) else uuid.UUID(instance_id)
            except ValueError:
                continue
            exists = bind.execute(sa.select(records.c.id).where(records.c.id == key)).first()
            if exists is not None:
                bind.execute(
                    sa.update(approval).where(approval.c.id == approval_id).values({column: key})
                )


def downgrade() -> None:
    with op.batch_alter_table('approval', schema=None) as batch_op:
        for _, column, _, _ in reversed(RECORDS):
            batch_op.drop_index(batch_op.f(f'ix_approval_{column}'))
            batch_op.drop_constraint(f'fk_approval_{column}', type_='foreignkey')
            batch_op.drop_column(column)
