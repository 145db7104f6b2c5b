"""Groups of users (BrainSTEM ``users/group``) and the invitations and requests that change
who is in a group or a project (BrainSTEM ``users/groupmembershipinvitation``,
``users/groupmembershiprequest``, ``stem/projectmembershipinvitation`` and
``stem/projectgroupmembershipinvitation``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from gateway.db.models._base import (
    Seen,
    created_at,
    order_index,
    seen_by,
    updated_at,
    uuid_pk,
)


class UserGroup(SQLModel, table=True):
    """A named group of users; BrainSTEM gives groups integer ids, as it does users."""

    __tablename__ = "user_group"
    __table_args__ = seen_by(Seen.EVERYONE)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=150, unique=True, index=True)
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class GroupMember(SQLModel, table=True):
    """Who is in a group: rosters are public, as lab memberships are."""

    __tablename__ = "group_member"
    __table_args__ = seen_by(Seen.EVERYONE)

    group_id: int = Field(foreign_key="user_group.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(
        foreign_key="user_account.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    is_manager: bool = Field(default=False)
    is_owner: bool = Field(default=False)


class _GroupAsk(SQLModel):
    """What an invitation into a group or a request to join one holds: the group and the user
    (the invitee, or who asks)."""

    id: uuid.UUID = uuid_pk()
    group_id: int = Field(foreign_key="user_group.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class GroupMembershipInvitation(_GroupAsk, table=True):
    """A group's managers invite a user (``user_id``); the invitee accepts or rejects."""

    __tablename__ = "group_membership_invitation"
    __table_args__ = (
        UniqueConstraint("group_id", "user_id"),
        seen_by(Seen.INVITATIONS),
    )

    inviter_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    new_manager: bool = Field(default=False)
    new_owner: bool = Field(default=False)


class GroupMembershipRequest(_GroupAsk, table=True):
    """A user (``user_id``) asks to join a group; its managers accept or reject."""

    __tablename__ = "group_membership_request"
    __table_args__ = (
        UniqueConstraint("group_id", "user_id"),
        seen_by(Seen.INVITATIONS),
    )


class _ProjectInvitation(SQLModel):
    """What an invitation into a project holds: the project, who sent it, and the rights
    accepting gives."""

    id: uuid.UUID = uuid_pk()
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    inviter_id: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    can_change: bool = Field(default=False)
    manage_project: bool = Field(default=False)
    own_project: bool = Field(default=False)
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class ProjectMembershipInvitation(_ProjectInvitation, table=True):
    """A project's managers invite a user (``user_id``) with the rights accepting gives."""

    __tablename__ = "project_membership_invitation"
    __table_args__ = (
        UniqueConstraint("project_id", "user_id"),
        seen_by(Seen.INVITATIONS),
    )

    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")


class ProjectGroupMembershipInvitation(_ProjectInvitation, table=True):
    """A project's managers invite a group; one of the group's managers accepts for it."""

    __tablename__ = "project_group_membership_invitation"
    __table_args__ = (
        UniqueConstraint("project_id", "group_id"),
        seen_by(Seen.INVITATIONS),
    )

    group_id: int = Field(foreign_key="user_group.id", index=True, ondelete="CASCADE")


order_index(GroupMembershipInvitation, "-created_at", "id")
order_index(GroupMembershipRequest, "-created_at", "id")
order_index(ProjectMembershipInvitation, "-created_at", "id")
order_index(ProjectGroupMembershipInvitation, "-created_at", "id")
