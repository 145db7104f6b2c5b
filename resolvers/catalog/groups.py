"""Groups of users and the invitations and requests that change who is in a group or a
project (BrainSTEM ``users/group``, ``users/group_membership_invitation``,
``users/group_membership_request``, ``stem/project_membership_invitation`` and
``stem/project_group_membership_invitation``). Accepting and rejecting are flows of their own
(:mod:`resolvers.memberships`); the records are written from these declarations."""

from __future__ import annotations

from sqlalchemy import Table

from gateway.db.models import (
    GroupMember,
    GroupMembershipInvitation,
    GroupMembershipRequest,
    ProjectGroupMembershipInvitation,
    ProjectMembershipInvitation,
    UserGroup,
    table,
)
from resolvers.catalog.fields import attributes, columns
from resolvers.catalog.references import camel
from resolvers.query import Attribute, BrainstemName, Entity, Order, Writes
from resolvers.relations import ToMany, ToOne

_group, _members = table(UserGroup), table(GroupMember)
_CREATED, _UPDATED = "When it was created (UTC).", "When it last changed (UTC)."

GROUP = Entity(
    "Group",
    _group,
    columns(_group, "id", "name", "created_at", "updated_at"),
    default_order=(Order("name"),),
    relations={
        "users": ToMany("GroupMember", ("group_id",), description="Who is in it."),
    },
    description="A group of users (BrainSTEM users/group); its creator owns and manages it.",
    plural="groups",
    lookups=("id", "name"),
    writes=Writes.DIRECT,
    attributes=attributes(
        _group,
        id="Its id (an integer, as BrainSTEM's).",
        name=Attribute("Its unique name (at most 150 characters).", writable=True, required=True),
        created_at=_CREATED,
        updated_at=_UPDATED,
    ),
    brainstem=BrainstemName("users", "group", "group", "groups"),
)
GROUP_MEMBER = Entity(
    "GroupMember",
    _members,
    columns(_members, "group_id", "user_id", "is_manager", "is_owner"),
    default_order=(Order("user_id"),),
    key="user_id",
    relations={
        "group": ToOne("Group", "group_id", "The group."),
        "user": ToOne("User", "user_id", "The member."),
    },
    description="A user's membership of a group.",
    attributes=attributes(
        _members,
        is_manager=Attribute("Whether they manage the group (invite, accept, remove)."),
        is_owner=Attribute("Whether they own the group."),
    ),
)


def _invitation(
    name: str,
    row: Table,
    description: str,
    brainstem: BrainstemName,
    relations: dict[str, ToOne],
    author: str,
    **flags: str,
) -> Entity:
    keys = [relation.fk for relation in relations.values()]
    return Entity(
        name,
        row,
        columns(row, "id", *keys, *flags, "created_at", "updated_at"),
        default_order=(Order("created_at", descending=True),),
        relations=relations,
        description=description,
        plural=camel(brainstem.plural),
        lookups=("id",),
        writes=Writes.DIRECT,
        attributes=attributes(
            row,
            id="Its id.",
            **{flag: Attribute(text, writable=True) for flag, text in flags.items()},
            created_at=_CREATED,
            updated_at=_UPDATED,
        ),
        author=author,
        brainstem=brainstem,
    )


def _to(target: str, fk: str, description: str) -> ToOne:
    # No reverse relation: BrainSTEM's users, groups and projects do not list invitations.
    return ToOne(target, fk, description, True, True)


_PROJECT_RIGHTS = {
    "can_change": "Whether accepting lets them change what the project holds.",
    "manage_project": "Whether accepting makes them managers of the project.",
    "own_project": "Whether accepting makes them owners of the project.",
}

GROUP_MEMBERSHIP_INVITATION = _invitation(
    "GroupMembershipInvitation",
    table(GroupMembershipInvitation),
    "A group's invitation of a user, pending until the user accepts or rejects it.",
    BrainstemName(
        "users",
        "group_membership_invitation",
        "group_membership_invitation",
        "group_membership_invitations",
    ),
    {
        "user_account_invitation": _to("User", "user_id", "The invited user."),
        "authgroup": _to("Group", "group_id", "The group they are invited to."),
    },
    "inviter_id",
    new_manager="Whether accepting makes them managers of the group.",
    new_owner="Whether accepting makes them owners of the group.",
)
GROUP_MEMBERSHIP_REQUEST = _invitation(
    "GroupMembershipRequest",
    table(GroupMembershipRequest),
    "A user's request to join a group, pending until a manager of it accepts or rejects it.",
    BrainstemName(
        "users",
        "group_membership_request",
        "group_membership_request",
        "group_membership_requests",
    ),
    {
        "authgroup": _to("Group", "group_id", "The group they ask to join."),
        # Who asks is whoever sends the request: shown, never written.
        "user_account_request": ToOne("User", "user_id", "Who asks to join."),
    },
    "user_id",
)
PROJECT_MEMBERSHIP_INVITATION = _invitation(
    "ProjectMembershipInvitation",
    table(ProjectMembershipInvitation),
    "A project's invitation of a user, pending until the user accepts or rejects it.",
    BrainstemName(
        "stem",
        "project_membership_invitation",
        "project_membership_invitation",
        "project_membership_invitations",
    ),
    {
        "invitee": _to("User", "user_id", "The invited user."),
        "project": _to("Project", "project_id", "The project they are invited to."),
    },
    "inviter_id",
    **_PROJECT_RIGHTS,
)
PROJECT_GROUP_MEMBERSHIP_INVITATION = _invitation(
    "ProjectGroupMembershipInvitation",
    table(ProjectGroupMembershipInvitation),
    "A project's invitation of a group, pending until a manager of the group accepts or "
    "rejects it; accepting makes each of the group's members a member of the project.",
    BrainstemName(
        "stem",
        "project_group_membership_invitation",
        "project_group_membership_invitation",
        "project_group_membership_invitations",
    ),
    {
        "invitee": _to("Group", "group_id", "The invited group."),
        "project": _to("Project", "project_id", "The project it is invited to."),
    },
    "inviter_id",
    **_PROJECT_RIGHTS,
)

ENTITIES = (
    GROUP,
    GROUP_MEMBER,
    GROUP_MEMBERSHIP_INVITATION,
    GROUP_MEMBERSHIP_REQUEST,
    PROJECT_MEMBERSHIP_INVITATION,
    PROJECT_GROUP_MEMBERSHIP_INVITATION,
)
