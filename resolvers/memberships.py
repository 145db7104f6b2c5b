"""Groups and the invitations and requests that change who is in a group or a project
(BrainSTEM's users app and stem invitations), as plain async functions.

- A new group's creator is its owner and only member (then its manager too).
- Changing a group's ``users`` (``{username or email: {is_manager, is_owner}}``, or
  ``{"remove": true}``) changes its members' rights, removes members, and invites those who
  are not in it yet: they join by accepting (BrainSTEM's group change). Managers only.
- An invitation is accepted or rejected by its invitee (a group invitation's user; a project
  invitation's user; a project's invitation of a group by that group's managers) and cancelled
  by the managers who may send it. Accepting a project invitation makes the invitee a project
  member with the rights it names, so what they see follows at once, on every surface.
- A request to join a group is accepted or rejected by the group's managers, cancelled by
  whoever asked; ``join`` files one, ``leave`` ends one's own membership.

Each flow is one transaction; the invitation or request is gone once answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, Select, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.auth.permissions import ProjectRole, require_authenticated
from gateway.auth.visibility import managed_group_ids, managed_project_ids
from gateway.db.engine import write_transaction
from gateway.db.models import GroupMember, ProjectMember, User, table
from gateway.errors import BadRequest, Forbidden, NotFound
from resolvers import declared
from resolvers.catalog import ENTITIES
from resolvers.context import Context
from resolvers.experiments import Mode
from resolvers.query import Entity

_group_members, _project_members, _users = table(GroupMember), table(ProjectMember), table(User)
GROUP = ENTITIES["Group"]


class Answer(StrEnum):
    """What may be done with a pending invitation or request."""

    ACCEPT = "accept"
    REJECT = "reject"
    CANCEL = "cancel"


# The entities whose records are answered (:func:`answer`).
ANSWERED = (
    "GroupMembershipInvitation",
    "GroupMembershipRequest",
    "ProjectMembershipInvitation",
    "ProjectGroupMembershipInvitation",
)


# --- groups --------------------------------------------------------------------------------------


async def _creator_owns(conn: AsyncConnection, group_id: Any, user_id: int) -> None:
    values = {"group_id": group_id, "user_id": user_id, "is_manager": True, "is_owner": True}
    await conn.execute(insert(_group_members).values(**values))


async def create_group(ctx: Context, values: Mapping[str, Any]) -> Row[Any]:
    """A new group, owned and managed by its creator, its only member: ``users`` given now
    are not added (BrainSTEM adds, by invitation, on a change of the group)."""
    own = {name: value for name, value in values.items() if name != "users"}
    return await declared.create_record(ctx, GROUP, own, then=_creator_owns)


async def _user_named(conn: AsyncConnection, name: Any) -> int:
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("Name users by username or email.", field="users")
    text = name.strip()
    query = select(_users.c.id).where(
        or_(_users.c.username == text, func.lower(_users.c.email) == text.lower())
    )
    found = (await conn.execute(query)).scalar()
    if found is None:
        raise BadRequest(f'No user "{text}".', field="users")
    return int(found)


def _flag(rights: Mapping[str, Any], name: str) -> bool:
    value = rights.get(name, False)
    if not isinstance(value, bool):
        raise BadRequest(f"{name} must be true or false.", field="users")
    return value


async def _change_users(
    conn: AsyncConnection, ctx: Context, group_id: int, users: Any
) -> None:
    if not isinstance(users, dict):
        raise BadRequest("Expected {user: {is_manager, is_owner}}.", field="users")
    invitations = ENTITIES["GroupMembershipInvitation"].table
    for name, rights in users.items():
        if not isinstance(rights, dict):
            raise BadRequest("Expected {is_manager, is_owner} or {remove: true}.", field="users")
        user_id = await _user_named(conn, name)
        member = (_group_members.c.group_id == group_id) & (_group_members.c.user_id == user_id)
        if _flag(rights, "remove"):
            await conn.execute(delete(_group_members).where(member))
            continue
        flags = {"is_manager": _flag(rights, "is_manager"), "is_owner": _flag(rights, "is_owner")}
        changed = await conn.execute(update(_group_members).where(member).values(**flags))
        if changed.rowcount:
            continue
        pending = select(invitations.c.id).where(
            invitations.c.group_id == group_id, invitations.c.user_id == user_id
        )
        if (await conn.execute(pending)).first() is None:
            now = ctx.now()
            await conn.execute(
                insert(invitations).values(
                    group_id=group_id,
                    user_id=user_id,
                    inviter_id=ctx.principal.user_id,
                    new_manager=flags["is_manager"],
                    new_owner=flags["is_owner"],
                    created_at=now,
                    updated_at=now,
                )
            )
    owners = select(func.count()).where(
        _group_members.c.group_id == group_id, _group_members.c.is_owner.is_(True)
    )
    if not (await conn.execute(owners)).scalar_one():
        raise BadRequest("A group keeps at least one owner.", field="users")


async def change_group(ctx: Context, key: Any, values: Mapping[str, Any], mode: Mode) -> Row[Any]:
    """Rename a group and change who is in it (managers): new users are invited."""
    rest = {name: value for name, value in values.items() if name != "users"}
    if "users" not in values:
        return await declared.change_record(ctx, GROUP, key, rest, mode)

    async def change_users(conn: AsyncConnection, group_id: Any, _user_id: int) -> None:
        await _change_users(conn, ctx, group_id, values["users"])

    # One transaction: a refused member change leaves the group's name as it was too.
    return await declared.change_record(ctx, GROUP, key, rest, mode, then=change_users)


async def leave_group(ctx: Context, key: Any) -> None:
    """End one's own membership of a group (its last owner cannot)."""
    user_id = require_authenticated(ctx.principal)
    group_id = GROUP.field_spec("id").coerce("id", key)
    async with write_transaction(ctx.sessionmaker) as conn:
        member = (_group_members.c.group_id == group_id) & (_group_members.c.user_id == user_id)
        if not (await conn.execute(delete(_group_members).where(member))).rowcount:
            raise BadRequest("You are not a member of this group.")
        owners = select(func.count()).where(
            _group_members.c.group_id == group_id, _group_members.c.is_owner.is_(True)
        )
        if not (await conn.execute(owners)).scalar_one():
            raise BadRequest("The group's last owner cannot leave it.")


async def join_group(ctx: Context, key: Any) -> Row[Any]:
    """Ask to join a group: a pending request its managers answer."""
    request = ENTITIES["GroupMembershipRequest"]
    return await declared.create_record(ctx, request, {"group_id": key})


# --- answering invitations and requests -----------------------------------------------------------


def _membership(entity: Entity, row: Row[Any]) -> tuple[Any, dict[str, Any]]:
    """The membership accepting ``row`` grants: its table and values."""
    if entity.name in ("GroupMembershipInvitation", "GroupMembershipRequest"):
        manager = getattr(row, "new_manager", False)
        owner = getattr(row, "new_owner", False)
        return _group_members, {
            "group_id": row.group_id,
            "user_id": row.user_id,
            "is_manager": manager or owner,
            "is_owner": owner,
        }
    role = ProjectRole.VIEWER
    if row.can_change:
        role = ProjectRole.EDITOR
    if row.manage_project or row.own_project:
        role = ProjectRole.MANAGER
    return _project_members, {
        "project_id": row.project_id,
        "role": role.value,
        "is_owner": row.own_project,
    }


async def _grant(conn: AsyncConnection, entity: Entity, row: Row[Any]) -> None:
    """Make the invitee (or requester) a member; an existing member keeps the greater rights
    (a project's invitation of a group grants each of its members)."""
    tbl, values = _membership(entity, row)
    if entity.name == "ProjectGroupMembershipInvitation":
        members = select(_group_members.c.user_id).where(_group_members.c.group_id == row.group_id)
        user_ids = list((await conn.execute(members)).scalars())
    else:
        user_ids = [row.user_id]
    rank = {role.value: n for n, role in enumerate(ProjectRole)}
    for user_id in user_ids:
        keys = {k: v for k, v in values.items() if k in ("group_id", "project_id")}
        keys["user_id"] = user_id
        where = [tbl.c[k] == v for k, v in keys.items()]
        current = (await conn.execute(select(tbl).where(*where))).first()
        if current is None:
            await conn.execute(insert(tbl).values(**{**values, **keys}))
            continue
        merged = {"is_owner": current.is_owner or values["is_owner"]}
        if tbl is _project_members:
            merged["role"] = max(current.role, values["role"], key=lambda r: rank.get(r, 0))
        else:
            merged["is_manager"] = current.is_manager or values["is_manager"]
        await conn.execute(update(tbl).where(*where).values(**merged))


def _answers(entity: Entity, row: Row[Any], ctx: Context) -> set[Answer]:
    """What the caller may do with ``row`` (beyond seeing it)."""
    user_id = ctx.principal.user_id
    allowed: set[Answer] = set()
    if entity.name == "GroupMembershipRequest":
        if row.user_id == user_id:
            allowed.add(Answer.CANCEL)
        return allowed
    if entity.name != "ProjectGroupMembershipInvitation" and row.user_id == user_id:
        allowed |= {Answer.ACCEPT, Answer.REJECT}
    if getattr(row, "inviter_id", None) == user_id:
        allowed.add(Answer.CANCEL)
    return allowed


async def _managed(
    conn: AsyncConnection, ctx: Context, entity: Entity, row: Row[Any]
) -> set[Answer]:
    """Answers the caller may give as a manager: of the group a request or a project's
    invitation of a group is for (accept, reject), of the project or group that invites
    (cancel)."""
    found: set[Answer] = set()
    principal = ctx.principal
    query: Select[Any]
    if "group_id" in entity.table.c and entity.name != "GroupMembershipInvitation":
        query = managed_group_ids(principal).where(_group_members.c.group_id == row.group_id)
        if principal.is_admin or (await conn.execute(query)).first() is not None:
            found |= {Answer.ACCEPT, Answer.REJECT}
    if entity.name == "GroupMembershipInvitation":
        query = managed_group_ids(principal).where(_group_members.c.group_id == row.group_id)
    elif "project_id" in entity.table.c:
        managed = managed_project_ids(principal)
        query = managed.where(_project_members.c.project_id == row.project_id)
    else:
        return found
    if principal.is_admin or (await conn.execute(query)).first() is not None:
        found.add(Answer.CANCEL)
    return found


async def answer(ctx: Context, entity: Entity, key: Any, how: str) -> Row[Any]:
    """Accept, reject or cancel the pending invitation or request ``key`` of ``entity``;
    the record as it was. One the caller may not see is a 404; one they may see but not
    answer that way, a 403."""
    require_authenticated(ctx.principal)
    if entity.name not in ANSWERED:
        raise NotFound("Not found.")
    try:
        wanted = Answer(how)
    except ValueError as exc:
        raise NotFound("Not found.") from exc
    key = declared.key_of(entity, key)
    async with write_transaction(ctx.sessionmaker) as conn:
        row = await declared.visible_row(conn, ctx, entity, key)
        allowed = _answers(entity, row, ctx) | await _managed(conn, ctx, entity, row)
        if wanted not in allowed:
            raise Forbidden(f"You may not {wanted.value} this {entity.name}.")
        if wanted is Answer.ACCEPT:
            await _grant(conn, entity, row)
        await conn.execute(delete(entity.table).where(entity.table.c.id == row.id))
        return row
