"""The one visibility rule: (principal, table) -> a SQL predicate on the rows they may see.

List queries and loaders both apply it, so a row hidden here cannot be reached through a
relation, an include, a by-id lookup, a filter or a count. ``None`` means "every row".

Portals (seed 001): ``public`` — only public rows, whoever asks; ``private`` — an authenticated
user's own rows, rows of projects they are a member of, and public rows; ``super`` — admins,
everything.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy import Column, ColumnElement, Select, Table, exists, false, or_, select, true

from gateway.auth.principal import Portal, Principal
from gateway.db.models import (
    Approval,
    Brain,
    DeviceLogin,
    FileUpload,
    Project,
    ProjectMember,
    Session,
    SessionProject,
    Subject,
    SubjectProject,
    Token,
    table,
)
from gateway.errors import Forbidden, Unauthenticated

Predicate = ColumnElement[bool]

_projects, _members, _brains = table(Project), table(ProjectMember), table(Brain)
_uploads, _sessions = table(FileUpload), table(Session)


def sees_private(principal: Principal) -> bool:
    return principal.is_authenticated and principal.portal is not Portal.PUBLIC


def _project_visible(projects: Any, principal: Principal) -> Predicate:
    """The condition on a ``project`` table (or alias) that makes one of its rows visible."""
    public = projects.c.is_public.is_(true())
    if not sees_private(principal):
        return public
    member = exists().where(
        _members.c.project_id == projects.c.id, _members.c.user_id == principal.user_id
    )
    return or_(public, member)


def visible_project_ids(principal: Principal) -> Select[tuple[uuid.UUID]]:
    return select(_projects.c.id).where(_project_visible(_projects, principal))


def _projects_rule(principal: Principal) -> Predicate:
    return _project_visible(_projects, principal)


def _in_visible_project(tbl: Table) -> Callable[[Principal], Predicate]:
    """Rows that belong to a project (subjects, sessions, their project links).

    A correlated EXISTS rather than ``project_id IN (...)``: with IN, SQLite's planner walks
    the project_id index over every row and sorts, instead of reading the wanted order off
    an index and checking each row's project (50 ms against 4 ms on 50,000 sessions).
    """
    owner = _projects.alias("owner")

    def rule(principal: Principal) -> Predicate:
        return exists().where(owner.c.id == tbl.c.project_id, _project_visible(owner, principal))

    return rule


def _uploaded_by_caller(tbl: Table, principal: Principal) -> Predicate:
    return tbl.c.uploader_id == principal.user_id if sees_private(principal) else false()


def _brains_rule(principal: Principal) -> Predicate:
    return or_(_brains.c.verified.is_(true()), _uploaded_by_caller(_brains, principal))


def _file_uploads_rule(principal: Principal) -> Predicate:
    of_verified_brain = _uploads.c.id.in_(
        select(_brains.c.file_id).where(
            _brains.c.verified.is_(true()), _brains.c.file_id.is_not(None)
        )
    )
    of_visible_session = _uploads.c.session_id.in_(
        select(_sessions.c.id).where(_sessions.c.project_id.in_(visible_project_ids(principal)))
    )
    return or_(of_verified_brain, of_visible_session, _uploaded_by_caller(_uploads, principal))


def _approvals_rule(principal: Principal) -> Predicate:
    if not sees_private(principal):
        return false()
    if principal.is_reviewer or principal.is_admin:
        return true()
    return table(Approval).c.submitter_id == principal.user_id


def _tokens_rule(principal: Principal) -> Predicate:
    if not sees_private(principal):
        return false()
    return table(Token).c.user_id == principal.user_id


def _nothing(_: Principal) -> Predicate:
    return false()


_RULES: dict[str, Callable[[Principal], Predicate]] = {
    "project": _projects_rule,
    "subject": _in_visible_project(table(Subject)),
    "session": _in_visible_project(_sessions),
    "subject_project": _in_visible_project(table(SubjectProject)),
    "session_project": _in_visible_project(table(SessionProject)),
    "brain": _brains_rule,
    "file_upload": _file_uploads_rule,
    "approval": _approvals_rule,
    "token": _tokens_rule,
    table(DeviceLogin).name: _nothing,
}


def readable_columns(tbl: Table, names: Iterable[str] | None = None) -> list[Column[Any]]:
    """The columns of ``tbl`` a read may select (only ``names``, when given): never those
    holding secrets."""
    columns = tbl.c if names is None else [tbl.c[name] for name in dict.fromkeys(names)]
    return [c for c in columns if not c.info.get("secret")]


def visible(tbl: Table, principal: Principal) -> Predicate | None:
    """The rows of ``tbl`` that ``principal`` may see, or ``None`` for all of them."""
    if principal.portal is Portal.SUPER and principal.is_admin:
        return None
    rule = _RULES.get(tbl.name)
    return rule(principal) if rule else None


def in_portal(principal: Principal, portal: Portal) -> Principal:
    """``principal`` asking for ``portal``'s view: the private view needs credentials, the
    super view needs an admin."""
    if portal is not Portal.PUBLIC and not principal.is_authenticated:
        raise Unauthenticated("Authentication credentials were not provided.")
    if portal is Portal.SUPER and not principal.is_admin:
        raise Forbidden("Only administrators may use the super portal.")
    return replace(principal, portal=portal)
