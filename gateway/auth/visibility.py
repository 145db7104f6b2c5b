"""The one visibility rule: (principal, table) -> a SQL predicate on the rows they may see.

List queries and loaders both apply it, so a row hidden here cannot be reached through a
relation, an include, a by-id lookup, a filter or a count. ``None`` means "every row".

Every table declares its rule with its model (``seen_by(Seen.…)``), public ones included: a
table without one is refused (:class:`MissingRule`), at start-up for every table
(:func:`require_rules`) and on any read that reaches it, so a new table is never public by
accident. The rules themselves live here, one function per kind of :class:`Seen`.

Portals (seed 001): ``public`` — only public rows, whoever asks; ``private`` — an authenticated
user's own rows, rows of projects they are a member of, subjects and sessions of their labs
(and subjects they are responsible for), and public rows (reviewers and admins
also see approvals and the brains awaiting review, with their files); ``super`` — admins,
everything.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    FromClause,
    Select,
    Table,
    exists,
    false,
    or_,
    select,
    true,
)

from gateway.auth.principal import Portal, Principal
from gateway.db.models import (
    Brain,
    GroupMember,
    LabMembership,
    Project,
    ProjectMember,
    Session,
    table,
)
from gateway.db.models._base import Seen
from gateway.errors import Forbidden, Unauthenticated

Predicate = ColumnElement[bool]
# A rule gets the rows it judges as a table or an alias of it (a to-one relation folded into a
# list statement joins an alias), so it must name its rows only through that argument. It
# answers None when every row is visible.
Rule = Callable[[Any, Principal], Predicate | None]


class MissingRule(LookupError):
    """A table is read that has no visibility rule: a programming error, never public."""


_projects, _members, _brains = table(Project), table(ProjectMember), table(Brain)
_sessions, _lab_members = table(Session), table(LabMembership)
_group_members = table(GroupMember)


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
    # Never correlated: the ids stand alone whatever statement they are embedded in.
    return select(_projects.c.id).where(_project_visible(_projects, principal)).correlate(None)


_owner = _projects.alias("owner")


def _in_visible_project(rows: Any, principal: Principal) -> Predicate:
    """Rows that belong to a project (subjects, sessions, their project links).

    A correlated EXISTS rather than ``project_id IN (...)``: with IN, SQLite's planner walks
    the project_id index over every row and sorts, instead of reading the wanted order off
    an index and checking each row's project (50 ms against 4 ms on 50,000 sessions).
    """
    return exists().where(_owner.c.id == rows.c.project_id, _project_visible(_owner, principal))


def _in_visible_project_if_any(rows: Any, principal: Principal) -> Predicate:
    """Rows that may belong to a project (connectome datasets): public without one."""
    return or_(rows.c.project_id.is_(None), _in_visible_project(rows, principal))


def caller_lab_ids(principal: Principal) -> Select[tuple[uuid.UUID]]:
    """The labs the caller is a current member of (a membership without an end date)."""
    return (
        select(_lab_members.c.lab_id)
        .where(_lab_members.c.user_id == principal.user_id, _lab_members.c.end_date.is_(None))
        .correlate(None)
    )


def _in_project_or_lab(rows: Any, principal: Principal) -> Predicate:
    """Subjects and sessions: visible with their project (if they have one, which a subject
    need not), and, signed in, to their lab's members; a subject also to its responsible
    user. Seed 003's lab members see their lab's data; Alyx's subjects need no project."""
    in_project = _in_visible_project(rows, principal)
    if not sees_private(principal):
        return in_project
    clauses = [in_project, rows.c.lab_id.in_(caller_lab_ids(principal))]
    if "responsible_user_id" in rows.c:
        clauses.append(rows.c.responsible_user_id == principal.user_id)
    return or_(*clauses)


def _uploaded_by_caller(rows: Any, principal: Principal) -> Predicate:
    return rows.c.uploader_id == principal.user_id if sees_private(principal) else false()


def _reviews(principal: Principal) -> bool:
    """Reviewers and admins, in the private view, see what awaits their review."""
    return sees_private(principal) and (principal.is_reviewer or principal.is_admin)


def _brains_rule(rows: Any, principal: Principal) -> Predicate:
    if _reviews(principal):
        return true()
    return or_(rows.c.verified.is_(true()), _uploaded_by_caller(rows, principal))


def _file_uploads_rule(rows: Any, principal: Principal) -> Predicate:
    # correlate(None): these subqueries stand alone even inside a statement that also reads
    # brains or sessions (a brain list with its files folded in, say).
    brain_files = select(_brains.c.file_id).where(_brains.c.file_id.is_not(None))
    if not _reviews(principal):
        brain_files = brain_files.where(_brains.c.verified.is_(true()))
    of_visible_brain = rows.c.id.in_(brain_files.correlate(None))
    of_visible_session = rows.c.session_id.in_(
        select(_sessions.c.id).where(_in_project_or_lab(_sessions, principal)).correlate(None)
    )
    return or_(of_visible_brain, of_visible_session, _uploaded_by_caller(rows, principal))


def _approvals_rule(rows: Any, principal: Principal) -> Predicate:
    if not sees_private(principal):
        return false()
    if _reviews(principal):
        return true()
    return rows.c.submitter_id == principal.user_id  # type: ignore[no-any-return]


def _own_rows(rows: Any, principal: Principal) -> Predicate:
    if not sees_private(principal):
        return false()
    return rows.c.user_id == principal.user_id  # type: ignore[no-any-return]


def _personal(rows: Any, principal: Principal) -> Predicate:
    public = rows.c.is_public.is_(true())
    return or_(public, _own_rows(rows, principal)) if sees_private(principal) else public


def managed_group_ids(principal: Principal) -> Select[tuple[int]]:
    """The groups ``principal`` manages (owners manage theirs)."""
    return (
        select(_group_members.c.group_id)
        .where(
            _group_members.c.user_id == principal.user_id,
            or_(_group_members.c.is_manager.is_(true()), _group_members.c.is_owner.is_(true())),
        )
        .correlate(None)
    )


def managed_project_ids(principal: Principal) -> Select[tuple[uuid.UUID]]:
    """The projects whose membership ``principal`` manages."""
    return (
        select(_members.c.project_id)
        .where(_members.c.user_id == principal.user_id, _members.c.role == "manager")
        .correlate(None)
    )


def _invitations(rows: Any, principal: Principal) -> Predicate:
    """Invitations and requests: seen by whom they name (``user_id``, the invitee or the
    requester), by who sent them, and by the managers of the group or project they are
    about, the ones who may act on them."""
    if not sees_private(principal):
        return false()
    clauses: list[Predicate] = []
    for column in ("user_id", "inviter_id"):
        if column in rows.c:
            clauses.append(rows.c[column] == principal.user_id)
    if "group_id" in rows.c:
        clauses.append(rows.c.group_id.in_(managed_group_ids(principal)))
    if "project_id" in rows.c:
        clauses.append(rows.c.project_id.in_(managed_project_ids(principal)))
    return or_(*clauses)


def _with_parent(tbl: Table) -> Rule:
    """The rule of rows of another row (a session's users, say): visible with that row, as
    its own rule says."""
    parent_name, column = tbl.info["visibility_parent"]
    parent = tbl.metadata.tables[parent_name]
    parents = parent.alias(f"parent_of_{tbl.name}")

    def rule(rows: Any, principal: Principal) -> Predicate | None:
        seen = visible(parent, principal, alias=parents)
        return None if seen is None else exists().where(parents.c.id == rows.c[column], seen)

    return rule


def _everyone(_rows: Any, _principal: Principal) -> None:
    """Public reference data and profiles: every row (secret columns are never read)."""
    return None


def _nothing(_rows: Any, _principal: Principal) -> Predicate:
    return false()


_RULES: dict[Seen, Rule] = {
    Seen.EVERYONE: _everyone,
    Seen.NOBODY: _nothing,
    Seen.PROJECTS: _project_visible,
    Seen.IN_PROJECT: _in_visible_project,
    Seen.IN_PROJECT_IF_ANY: _in_visible_project_if_any,
    Seen.IN_PROJECT_OR_LAB: _in_project_or_lab,
    Seen.BRAINS: _brains_rule,
    Seen.FILES: _file_uploads_rule,
    Seen.APPROVALS: _approvals_rule,
    Seen.OWN: _own_rows,
    Seen.PERSONAL: _personal,
    Seen.INVITATIONS: _invitations,
}


def _rule_of(tbl: Table) -> Seen:
    """The rule ``tbl`` declares (with its model, ``seen_by``); none is an error."""
    declared = tbl.info.get("visibility")
    if declared is None:
        raise MissingRule(f"Table '{tbl.name}' has no visibility rule.")
    return declared  # type: ignore[no-any-return]


@cache
def _rule_for(tbl: Table) -> Rule:
    seen = _rule_of(tbl)
    return _with_parent(tbl) if seen is Seen.WITH_PARENT else _RULES[seen]


def names_visible_rows(tbl: Table, column: str, target: Table) -> bool:
    """Whether ``column`` of every row of ``tbl`` the caller may see names a row of
    ``target`` the caller may see too (so a reader need not check those ids again): the
    ``project_id`` of a row seen with its project does."""
    return (
        column == "project_id"
        and target.name == _projects.name
        and _rule_of(tbl) is Seen.IN_PROJECT
    )


def readable_columns(tbl: Table, names: Iterable[str] | None = None) -> list[Column[Any]]:
    """The columns of ``tbl`` a read may select (only ``names``, when given): never those
    holding secrets."""
    columns = tbl.c if names is None else [tbl.c[name] for name in dict.fromkeys(names)]
    return [c for c in columns if not c.info.get("secret")]


def visible(
    tbl: Table, principal: Principal, *, alias: FromClause | None = None
) -> Predicate | None:
    """The rows of ``tbl`` (read through ``alias`` when given) that ``principal`` may see, or
    ``None`` for all of them."""
    rule = _rule_for(tbl)  # a table without one is refused, whoever asks
    if principal.portal is Portal.SUPER and principal.is_admin:
        return None
    if alias is None:
        # The credential presented changes nothing the rule says.
        return _visible_rows(tbl, replace(principal, token_id=None))
    return rule(alias, principal)


@lru_cache(maxsize=1024)  # about 5.7 kB each (tracemalloc): 6 MB at most
def _visible_rows(tbl: Table, principal: Principal) -> Predicate | None:
    """A table's rule for one caller, built once: the expression is immutable SQL whose
    subqueries read memberships when it runs, so the same caller's next request can share
    it, and building it costs 130-160 µs (most of a small read's own Python)."""
    return _rule_for(tbl)(tbl, principal)


def require_rules(tables: Iterable[Table]) -> None:
    """Refuse, at start-up, any of ``tables`` without a visibility rule."""
    missing = sorted(t.name for t in tables if t.info.get("visibility") is None)
    if missing:
        raise MissingRule(f"No visibility rule for: {', '.join(missing)}.")


def in_portal(principal: Principal, portal: Portal) -> Principal:
    """``principal`` asking for ``portal``'s view: the private view needs credentials, the
    super view needs an admin."""
    if portal is not Portal.PUBLIC and not principal.is_authenticated:
        raise Unauthenticated("Authentication credentials were not provided.")
    if portal is Portal.SUPER and not principal.is_admin:
        raise Forbidden("Only administrators may use the super portal.")
    return replace(principal, portal=portal)
