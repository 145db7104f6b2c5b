"""Column helpers shared by every table module."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Uuid,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal
from sqlmodel import Field


def utcnow() -> datetime:
    """Timestamps are stored as naive UTC on both databases and rendered with a ``Z``."""
    return datetime.now(UTC).replace(tzinfo=None)


def uuid_pk() -> Any:
    return Field(default_factory=uuid.uuid4, primary_key=True)


def created_at() -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(), nullable=False)


def updated_at() -> Any:
    return Field(
        default_factory=utcnow,
        sa_type=DateTime(),
        nullable=False,
        sa_column_kwargs={"onupdate": utcnow},
    )


def json_field(default: Any = None) -> Any:
    if default is None:
        return Field(default=None, sa_type=JSON, nullable=True)
    return Field(default_factory=lambda: type(default)(default), sa_type=JSON, nullable=False)


# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid), which is 64-bit there anyway.
BIGINT_ID = BigInteger().with_variant(Integer(), "sqlite")

# Marks a column that holds a secret (a password or token hash): never selected for reading.
SECRET = {"info": {"secret": True}}


class Seen(StrEnum):
    """Who may see a table's rows: the visibility rule (``gateway.auth.visibility``) every
    table declares with :func:`seen_by`. A table that declares none is refused."""

    EVERYONE = "everyone"  # reference data and public profiles
    NOBODY = "nobody"  # read only by the flows that own them
    PROJECTS = "projects"  # the projects: public ones, and those one is a member of
    IN_PROJECT = "in_project"  # rows of a project (its ``project_id``): seen with it
    IN_PROJECT_IF_ANY = "in_project_if_any"  # seen with its project; without one, by everyone
    # Subjects and sessions: seen with their project, by their lab's members, and (subjects)
    # by their responsible user.
    IN_PROJECT_OR_LAB = "in_project_or_lab"
    WITH_PARENT = "with_parent"  # rows of another row (``parent``): seen with it
    BRAINS = "brains"  # verified brains; one's own uploads; reviewers see every one
    FILES = "files"  # files of visible brains and sessions, and one's own
    APPROVALS = "approvals"  # one's own proposals; reviewers see every one
    OWN = "own"  # one's own rows (``user_id``)
    PERSONAL = "personal"  # one's own rows (``user_id``) and those made public (``is_public``)
    # Invitations and requests: their invitee or requester (``user_id``), their inviter, and
    # the managers of the group (``group_id``) or project (``project_id``) they are about.
    INVITATIONS = "invitations"


def order_index(model: Any, *fields: str, null_largest: Collection[str] = ()) -> Index:
    """The index that serves ``model``'s default list order, so a page streams from it instead
    of sorting every matching row: ``fields`` as the entity's order names them (``-`` for
    descending, ending on the key), NULL placed as ``Entity.compile_order`` places it (first
    when ascending, last when descending; for the fields in ``null_largest``, an ``IS NULL``
    term of its own first). tests/db/test_order_plans.py reads the plans."""
    table = model.__table__
    terms: list[Any] = []
    for name in fields:
        column = table.c[name.lstrip("-")]
        descending = name.startswith("-")
        if column.name in null_largest:
            is_null = column.is_(None).self_group()  # an index expression is parenthesised
            terms.append(is_null.desc() if descending else is_null.asc())
        term = column.desc() if descending else column.asc()
        if column.nullable:
            term = term.nulls_last() if descending else term.nulls_first()
        terms.append(term)
    return Index(f"ix_{table.name}_order", *terms)


def declared_for(element: Any, dialect_name: str) -> bool:
    """Whether ``element`` (an index, a constraint) exists on ``dialect_name``: everywhere
    unless its ``ddl_if(dialect=...)`` names other backends."""
    condition = getattr(element, "_ddl_if", None)
    dialects = getattr(condition, "dialect", None)
    if dialects is None:
        return True
    return dialect_name in ((dialects,) if isinstance(dialects, str) else dialects)


def include_declared_for(dialect_name: str) -> Any:
    """Alembic's ``include_object`` hook for ``dialect_name``: the models' indexes that
    exist on another backend only are no difference (Alembic does not read ``ddl_if``)."""

    def include(element: Any, name: Any, type_: str, reflected: bool, compare_to: Any) -> bool:
        return reflected or declared_for(element, dialect_name)

    return include


def seen_by(rule: Seen, *, parent: tuple[str, str] | None = None) -> dict[str, Any]:
    """The table arguments declaring ``rule``; ``WITH_PARENT`` names the parent table and
    the column naming the parent row, e.g. ``("session", "session_id")``."""
    if (rule is Seen.WITH_PARENT) != (parent is not None):
        raise ValueError("WITH_PARENT, and only it, names its parent")
    return {"info": {"visibility": rule, "visibility_parent": parent}}


_UNKNOWN_SAFETY = uuid.SafeUUID.unknown


def _uuid_from_hex(value: str | None) -> uuid.UUID | None:
    if value is None:
        return None
    # uuid.UUID(hex) re-parses and validates text we wrote ourselves; building it from the
    # integer is three times cheaper, which shows on lists of thousands of rows.
    made = object.__new__(uuid.UUID)
    object.__setattr__(made, "int", int(value, 16))
    object.__setattr__(made, "is_safe", _UNKNOWN_SAFETY)
    return made


class HexUuid(Uuid[uuid.UUID]):
    """``Uuid`` with a faster reader for backends that keep UUIDs as 32 hex characters
    (SQLite); native UUID backends (PostgreSQL) are unchanged."""

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        if self.as_uuid and not (dialect.supports_native_uuid and self.native_uuid):
            return _uuid_from_hex
        return super().result_processor(dialect, coltype)


def use_fast_uuids(metadata: MetaData) -> None:
    """Read every UUID column of ``metadata`` through :class:`HexUuid`."""
    for tbl in metadata.tables.values():
        for column in tbl.columns:
            if type(column.type) is Uuid:
                column.type = HexUuid()


class UuidText(ColumnElement[str]):
    """A UUID column read as its canonical text (``8-4-4-4-12`` lowercase hex), computed by
    the database: no UUID object is built for a value that is only shown (a page of related
    ids can hold tens of thousands)."""

    type = String()
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column

    @property
    def _from_objects(self) -> list[Any]:
        return self.column._from_objects


@compiles(UuidText, "sqlite")
def _uuid_text_sqlite(element: UuidText, compiler: SQLCompiler, **kw: Any) -> str:
    # Stored as 32 hex digits (lowercase, as Uuid writes them): insert the dashes.
    column = compiler.process(element.column, **kw)
    parts = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
    return " || '-' || ".join(f"substr({column}, {start}, {n})" for start, n in parts)


@compiles(UuidText)
def _uuid_text_native(element: UuidText, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.column, **kw)} AS TEXT)"


class JsonArrayOf(ColumnElement[str]):
    """The JSON array (as text) of ``value`` over the rows of the select it is placed in, in
    ``order``; ``[]`` when there are none. SQLite (before 3.44) takes no ORDER BY inside an
    aggregate: there the rows must come in that order from a subquery, as SQLite keeps it."""

    type = String()
    inherit_cache = True
    _traverse_internals = [
        ("value", InternalTraversal.dp_clauseelement),
        ("order", InternalTraversal.dp_clauseelement_list),
    ]

    def __init__(self, value: ColumnElement[Any], *order: ColumnElement[Any]) -> None:
        self.value = value
        self.order = list(order)

    @property
    def _from_objects(self) -> list[Any]:
        return self.value._from_objects


@compiles(JsonArrayOf, "sqlite")
def _json_array_sqlite(element: JsonArrayOf, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array({compiler.process(element.value, **kw)})"


@compiles(JsonArrayOf)
def _json_array_native(element: JsonArrayOf, compiler: SQLCompiler, **kw: Any) -> str:
    order = ", ".join(compiler.process(o, **kw) for o in element.order)
    # As text, as on SQLite (asyncpg would hand a json value over already decoded).
    array = f"json_agg({compiler.process(element.value, **kw)} ORDER BY {order})"
    return f"CAST(coalesce({array}, '[]') AS TEXT)"
