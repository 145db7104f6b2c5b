"""who did a water restriction or a surgery (Alyx's ``users`` of an action), and water
restrictions in Alyx's order (those under way first)

Existing restrictions and surgeries keep no user: who did them was not recorded.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 12:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gateway.db.order_indexes import create_order_indexes, drop_order_indexes

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

# NULL first in both terms, as Alyx's order puts it on PostgreSQL (an IS NULL term of its own).
RESTRICTIONS_NOW = {
    'water_restriction': (
        '(end_time IS NULL) DESC', 'end_time DESC NULLS LAST',
        '(start_time IS NULL) DESC', 'start_time DESC NULLS LAST',
    ),
}
RESTRICTIONS_BEFORE = {
    'water_restriction': ('end_time DESC NULLS LAST', 'start_time DESC NULLS LAST'),
}


def _users_of(action: str) -> None:
    op.create_table(f'{action}_user',
    sa.Column(f'{action}_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint([f'{action}_id'], [f'{action}.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint(f'{action}_id', 'user_id')
    )
    with op.batch_alter_table(f'{action}_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{action}_user_user_id'), ['user_id'], unique=False)


def upgrade() -> None:
    _users_of('water_restriction')
    _users_of('surgery')
    drop_order_indexes(RESTRICTIONS_BEFORE)
    create_order_indexes(RESTRICTIONS_NOW)


def downgrade() -> None:
    drop_order_indexes(RESTRICTIONS_NOW)
    create_order_indexes(RESTRICTIONS_BEFORE)
    for action in ('surgery', 'water_restriction'):
        with op.batch_alter_table(f'{action}_user', schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{action}_user_user_id'))
        op.drop_table(f'{action}_user')
