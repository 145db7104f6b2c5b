"""Who may change what: roles as SQL predicates and plain checks, next to the visibility rule.

Roles: admins may change everything; reviewers review taxonomy approvals; project members are
viewers, editors or managers; brains and uploads belong to their uploader.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import Select, Table, and_, false, or_, select

from gateway.auth.principal import Principal
from gateway.auth.visibility import Predicate, caller_lab_ids
from gateway.db.models import Brain, FileUpload, Project, ProjectMember, Session, Subject, table
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
    return false()  # taxonomy changes go through approvals; the rest is admin-only


def managed_project_ids(principal: Principal) -> Select[tuple[uuid.UUID]]:
    """Projects whose membership ``principal`` may change."""
    return select(_members.c.project_id).where(
        _members.c.user_id == principal.user_id, _members.c.role == ProjectRole.MANAGER.value
    )
