"""groups, invitations and requests; BrainSTEM's laboratory fields; Alyx's user ids

New tables: ``user_group`` and ``group_member`` (BrainSTEM groups), the invitations and
requests that change group and project membership, and ``lab_principal_investigator``.
``laboratory`` gains BrainSTEM's fields (its group, description, website, department, city,
country) and ``updated_at``; ``user_account`` gains ``alyx_id``, the UUID the Alyx surface
shows, one drawn for each existing user.

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-02 18:00:00.000000
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
    ]


def _user(name: str = 'user_id', *, nullable: bool = False, ondelete: str = 'CASCADE') -> sa.Column:
    return sa.Column(
        name, sa.Integer(), sa.ForeignKey('user_account.id', ondelete=ondelete), nullable=nullable
    )


def _flags(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.Boolean(), nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        'user_group',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=150), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_user_group_name'), 'user_group', ['name'], unique=True)
    op.create_table(
        'group_member',
        sa.Column(
            'group_id', sa.Integer(), sa.ForeignKey('user_group.id', ondelete='CASCADE'),
            nullable=False,
        ),
        _user(),
        *_flags('is_manager', 'is_owner'),
        sa.PrimaryKeyConstraint('group_id', 'user_id'),
    )
    op.create_index(op.f('ix_group_member_user_id'), 'group_member', ['user_id'], unique=False)
    for name, target, extra in (
        ('group_membership_invitation', 'group', [
            _user('inviter_id', nullable=True, ondelete='SET NULL'),
            *_flags('new_manager', 'new_owner'),
        ]),
        ('group_membership_request', 'group', []),
        ('project_membership_invitation', 'project', [
            _user('inviter_id', nullable=True, ondelete='SET NULL'),
            *_flags('can_change', 'manage_project', 'own_project'),
        ]),
        ('project_group_membership_invitation', 'project_group', [
            _user('inviter_id', nullable=True, ondelete='SET NULL'),
            *_flags('can_change', 'manage_project', 'own_project'),
        ]),
    ):
        columns = [sa.Column('id', sa.Uuid(), nullable=False)]
        if target.startswith('project'):
            columns.append(sa.Column(
                'project_id', sa.Uuid(), sa.ForeignKey('project.id', ondelete='CASCADE'),
                nullable=False,
            ))
        if target.endswith('group'):
            columns.append(sa.Column(
                'group_id', sa.Integer(), sa.ForeignKey('user_group.id', ondelete='CASCADE'),
                nullable=False,
            ))
        if target != 'project_group':
            columns.append(_user())
        pair = ('project_id' if target.startswith('project') else 'group_id',
                'group_id' if target == 'project_group' else 'user_id')
        op.create_table(
            name, *columns, *extra, *_timestamps(),
            sa.PrimaryKeyConstraint('id'),
            sa.UniqueConstraint(*pair),
        )
        for column in dict.fromkeys(pair):
            op.create_index(op.f(f'ix_{name}_{column}'), name, [column], unique=False)
    op.create_table(
        'lab_principal_investigator',
        sa.Column(
            'lab_id', sa.Uuid(), sa.ForeignKey('laboratory.id', ondelete='CASCADE'),
            nullable=False,
        ),
        _user(),
        sa.PrimaryKeyConstraint('lab_id', 'user_id'),
    )
    op.create_index(
        op.f('ix_lab_principal_investigator_user_id'), 'lab_principal_investigator', ['user_id'],
        unique=False,
    )
    with op.batch_alter_table('laboratory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        for name, length in (
            ('description', 500), ('website', 200), ('department', 100), ('city', 100),
            ('country', 100),
        ):
            batch_op.add_column(
                sa.Column(name, sa.String(length=length), nullable=False, server_default='')
            )
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_laboratory_group_id'), ['group_id'], unique=False)
        batch_op.create_foreign_key(
            'fk_laboratory_group_id_user_group', 'user_group', ['group_id'], ['id'],
            ondelete='SET NULL',
        )
    op.execute('UPDATE laboratory SET updated_at = created_at')
    with op.batch_alter_table('laboratory', schema=None) as batch_op:
        for name in ('description', 'website', 'department', 'city', 'country'):
            batch_op.alter_column(name, existing_type=sa.String(), server_default=None)
        batch_op.alter_column('updated_at', existing_type=sa.DateTime(), nullable=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alyx_id', sa.Uuid(), nullable=True))
    users = sa.table('user_account', sa.column('id', sa.Integer()), sa.column('alyx_id', sa.Uuid()))
    bind = op.get_bind()
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        bind.execute(users.update().where(users.c.id == user_id).values(alyx_id=uuid.uuid4()))
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column('alyx_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.create_index(batch_op.f('ix_user_account_alyx_id'), ['alyx_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_account_alyx_id'))
        batch_op.drop_column('alyx_id')
    with op.batch_alter_table('laboratory', schema=None) as batch_op:
        batch_op.drop_constraint('fk_laboratory_group_id_user_group', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_laboratory_group_id'))
        for name in ('group_id', 'description', 'website', 'department', 'city', 'country',
                     'updated_at'):
            batch_op.drop_column(name)
    op.drop_table('lab_principal_investigator')
    for name in ('project_group_membership_invitation', 'project_membership_invitation',
                 'group_membership_request', 'group_membership_invitation'):
        op.drop_table(name)
    op.drop_table('group_member')
    op.drop_table('user_group')
