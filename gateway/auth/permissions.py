"""Who may change what: roles as SQL predicates and plain checks, next to the visibility rule.

Roles: admins may change everything; reviewers review taxonomy approvals; project members are
viewers, editors or managers (managers also send the project's invitations); group managers
change their group, its laboratory and its invitations; brains and uploads belong to their
uploader.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import Select, Table, and_, false, or_, select

from gateway.auth.principal import Principal
from gateway.auth.visibility import (
    Predicate,
    caller_lab_ids,
    managed_group_ids,
    managed_project_ids,
)
from gateway.db.models import (
    Brain,
    FileUpload,
    GroupMembershipRequest,
    Laboratory,
    Project,
    ProjectMember,
    Publication,
    Session,
    Subject,
    UserGroup,
    table,
)
from gateway.db.models._base import Seen
from gateway.errors import Forbidden, Unauthenticated

_members = table(ProjectMember)


class ProjectRole(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    MANAGER = "manager"


EDITING_ROLES = (ProjectRole.EDITOR.value, ProjectRole.MANAGER.value)


def require_authenticated(principal: Principal) -> int:
    if principal.user_id is None:
        raise Unauthenticated("Authentication credentials were not provided.")
    return principal.user_id


def require_reviewer(principal: Principal) -> int:
    user_id = require_authenticated(principal)
    if not (principal.is_reviewer or principal.is_admin):
        raise Forbidden("Only reviewers and administrators may review approvals.")
    return user_id


def require_admin(principal: Principal) -> int:
    user_id = require_authenticated(principal)
    if not principal.is_admin:
        raise Forbidden("Only administrators may do this.")
    return user_id


def editable_project_ids(principal: Principal) -> Select[tuple[uuid.UUID]]:
    return select(_members.c.project_id).where(
        _members.c.user_id == principal.user_id, _members.c.role.in_(EDITING_ROLES)
    )


def _owned_by_project(tbl: Table, principal: Principal) -> Predicate:
    """Rows of a project: its editors and managers. A subject without a project belongs to
    its lab: its lab's members and its responsible user change it."""
    in_project = tbl.c.project_id.in_(editable_project_ids(principal))
    if tbl is not table(Subject):
        return in_project
    without_project = and_(
        tbl.c.project_id.is_(None),
        or_(
            tbl.c.lab_id.in_(caller_lab_ids(principal)),
            tbl.c.responsible_user_id == principal.user_id,
        ),
    )
    return or_(in_project, without_project)


def editable(tbl: Table, principal: Principal) -> Predicate | None:
    """The rows of ``tbl`` that ``principal`` may change; ``None`` for all (admins)."""
    if principal.user_id is None:
        return false()
    if principal.is_admin:
        return None
    if tbl is table(Project):
        return tbl.c.id.in_(editable_project_ids(principal))
    if tbl is table(Subject) or tbl is table(Session):
        return _owned_by_project(tbl, principal)
    if tbl is table(Brain) or tbl is table(FileUpload):
        return tbl.c.uploader_id == principal.user_id
    if tbl is table(Publication):  # shared by everyone, changed by who added it
        return tbl.c.user_id == principal.user_id
    if tbl is table(ProjectMember):
        return false()  # membership changes need a manager (resolvers.experiments)
    if tbl is table(UserGroup):
        return tbl.c.id.in_(managed_group_ids(principal))
    if tbl is table(Laboratory):
        return tbl.c.group_id.in_(managed_group_ids(principal))
    if tbl is table(GroupMembershipRequest):
        return tbl.c.user_id == principal.user_id  # type: ignore[no-any-return]
    if tbl.info.get("visibility") is Seen.INVITATIONS:
        return _invited_by_manager(tbl, principal)
    if tbl.info.get("visibility") is Seen.PERSONAL:
        return tbl.c.user_id == principal.user_id  # type: ignore[no-any-return]
    if tbl.info.get("visibility") in (Seen.IN_PROJECT, Seen.WITH_PARENT):
        return _with_editable_parent(tbl, principal)
    return false()  # taxonomy changes go through approvals; the rest is admin-only


def _invited_by_manager(tbl: Table, principal: Principal) -> Predicate:
    """Invitations: sent, changed and withdrawn by the managers of the project (or, for a
    group invitation, the group) they invite into."""
    if "project_id" in tbl.c:
        return tbl.c.project_id.in_(managed_project_ids(principal))
    return tbl.c.group_id.in_(managed_group_ids(principal))


def _with_editable_parent(tbl: Table, principal: Principal) -> Predicate:
    """Rows changed with the row they belong to (a project's collections, a session's
    behaviors): by whoever may change that row."""
    seen = tbl.info["visibility"]
    if seen is Seen.IN_PROJECT:
        return _owned_by_project(tbl, principal)
    parent_name, column = tbl.info["visibility_parent"]
    parent = tbl.metadata.tables[parent_name]
    rule = editable(parent, principal)
    parents = select(parent.c.id) if rule is None else select(parent.c.id).where(rule)
    return tbl.c[column].in_(parents.correlate(None))
