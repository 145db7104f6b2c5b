"""The one visibility rule: (principal, table) -> a SQL predicate on the rows they may see.

List queries and loaders both apply it, so a row hidden here cannot be reached through a
relation, an include, a by-id lookup, a filter or a count. ``None`` means "every row".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, ColumnElement, Select, Table, false, select, true

from gateway.auth.principal import Portal, Principal
from gateway.db.models import (
    Approval,
    Brain,
    FileUpload,
    Project,
    Session,
    SessionProject,
    Subject,
    SubjectProject,
    Token,
    table,
)

Predicate = ColumnElement[bool]


def _public_project_ids() -> Select[tuple[uuid.UUID]]:
    return select(table(Project).c.id).where(table(Project).c.is_public.is_(true()))


def _projects(_: Principal) -> Predicate:
    return table(Project).c.is_public.is_(true())


def _in_visible_project(table: Table) -> Callable[[Principal], Predicate]:
    """Rows that belong to a project (subjects, sessions, their project links)."""

    def rule(_: Principal) -> Predicate:
        return table.c.project_id.in_(_public_project_ids())

    return rule


def _brains(_: Principal) -> Predicate:
    return table(Brain).c.verified.is_(true())


def _file_uploads(_: Principal) -> Predicate:
    brains = table(Brain)
    return table(FileUpload).c.id.in_(
        select(brains.c.file_id).where(brains.c.verified.is_(true()), brains.c.file_id.is_not(None))
    )


def _nothing(_: Principal) -> Predicate:
    return false()


_RULES: dict[str, Callable[[Principal], Predicate]] = {
    Project.__tablename__: _projects,
    Subject.__tablename__: _in_visible_project(table(Subject)),
    Session.__tablename__: _in_visible_project(table(Session)),
    SubjectProject.__tablename__: _in_visible_project(table(SubjectProject)),
    SessionProject.__tablename__: _in_visible_project(table(SessionProject)),
    Brain.__tablename__: _brains,
    FileUpload.__tablename__: _file_uploads,
    Approval.__tablename__: _nothing,
    Token.__tablename__: _nothing,
}


def readable_columns(table: Table) -> list[Column[Any]]:
    """The columns of ``table`` a read may select: all but those holding secrets."""
    return [c for c in table.c if not c.info.get("secret")]


def visible(table: Table, principal: Principal) -> Predicate | None:
    """The rows of ``table`` that ``principal`` may see, or ``None`` for all of them.

    Until accounts exist every caller gets the public view; the super portal (admins) sees all.
    """
    if principal.is_admin and principal.portal is Portal.SUPER:
        return None
    rule = _RULES.get(table.name)
    return rule(principal) if rule else None
