"""How entity declarations name their fields: record attributes, allowlisted columns (typed
from the column), filter-only fields on related values, and related values themselves.

A field read from other rows than the entity's own is built here, and only here, as the viewer
sees it (:class:`~resolvers.query.AsSeen`): the rows it reads, and the row its value names,
under their visibility rules (``tests/test_visibility.py`` walks every such field)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Date,
    DateTime,
    Float,
    Integer,
    Table,
    TypeDecorator,
    Uuid,
    and_,
    case,
    exists,
    func,
    not_,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.sql import operators
from sqlalchemy.sql.util import find_tables

from gateway.auth.principal import Principal
from gateway.auth.visibility import names_visible_rows, visible
from resolvers.query import AsSeen, Attribute, FieldSpec, Kind


def kind_of(column: Any) -> Kind:
    """The query-spec kind of a column, from its SQL type."""
    sa_type = column.type
    if isinstance(sa_type, Boolean):
        return Kind.BOOL
    if isinstance(sa_type, BigInteger):
        return Kind.BIGINT
    if isinstance(sa_type, Integer):
        return Kind.INT
    if isinstance(sa_type, Float):
        return Kind.FLOAT
    if isinstance(sa_type, DateTime):
        return Kind.DATETIME
    if isinstance(sa_type, Date):
        return Kind.DATE
    if isinstance(sa_type, Uuid):
        return Kind.UUID
    return Kind.STRING


def columns(table: Table, *names: str) -> dict[str, FieldSpec]:
    """Allow filtering and sorting on these columns of ``table``, typed from the column (a
    foreign key as the viewer sees it: :func:`foreign_key`)."""
    return {name: FieldSpec(foreign_key(table.c[name]), kind_of(table.c[name])) for name in names}


def foreign_key(column: Column[Any]) -> ColumnElement[Any] | AsSeen:
    """``column`` as the viewer sees it: when it names a row of another table, null where
    that row is hidden from them (as their records show it), so a filter on the hidden row's
    id matches nothing. A column whose rows are seen only with the row it names needs no
    check (a session's ``project_id``)."""
    row = column.table
    if all(names_visible_rows(row, column.name, k.column.table) for k in column.foreign_keys):
        return column

    def build(view: Principal) -> ColumnElement[Any]:
        seen = _named_row_seen(column, view)
        return case((and_(*seen), column), else_=null()) if seen else column

    return AsSeen(build)


def _named_row_seen(value: Column[Any], view: Principal) -> list[ColumnElement[bool]]:
    """When ``value`` is a foreign key: that the row it names is one ``view`` may see."""
    rules: list[ColumnElement[bool]] = []
    for key in value.foreign_keys:
        named = key.column.table
        if not isinstance(named, Table) or names_visible_rows(value.table, value.name, named):
            continue
        rows = named.alias()
        rule = visible(named, view, alias=rows)
        if rule is not None:
            rules.append(exists().where(rows.c[key.column.name] == value, rule))
    return rules


def attributes(table: Table, **declared: str | Attribute) -> dict[str, Attribute]:
    """The fields an entity's records show, by column: a description alone declares a
    read-only one. Naming a column ``table`` does not have is an error here, at import."""
    for name in declared:
        table.c[name]
    return {
        name: value if isinstance(value, Attribute) else Attribute(value)
        for name, value in declared.items()
    }


def choices(values: type[StrEnum], **meanings: str) -> tuple[tuple[str, str], ...]:
    """Every stored value of ``values`` with what it means (``meanings`` by member name): an
    :class:`Attribute`'s ``choices``. A member left undescribed is an error here, at import."""
    if set(meanings) != {member.name for member in values}:
        raise ValueError(f"Describe exactly the members of {values.__name__}: {list(values)}.")
    return tuple((member.value, meanings[member.name]) for member in values)


# (the related value's column, how it is reached from the row: None for a column of the row)
Path = tuple[ColumnElement[Any], ColumnElement[bool] | None]


def _seen_along(row: Table, path: Path, view: Principal) -> list[ColumnElement[bool]]:
    """What keeps a path to the rows ``view`` may see: each table it reads besides ``row``
    (related and link rows) visible, and when its value is a foreign key, the row that value
    names visible too. A value reached only through hidden rows then matches nothing, so a
    filter on it cannot confirm that a hidden row exists."""
    value, via = path
    if not isinstance(value, Column) or not isinstance(value.table, Table):
        raise TypeError(f"a related value is a column of a table, not {value!r}")
    read: set[Table] = set()
    if via is not None:
        for tbl in {value.table, *find_tables(via)} - {row}:
            if not isinstance(tbl, Table):  # a rule judges a table's rows, or an alias's given
                raise TypeError(f"a path reads tables, not {tbl!r}")
            read.add(tbl)
    rules = [rule for rule in (visible(tbl, view) for tbl in read) if rule is not None]
    return [*rules, *_named_row_seen(value, view)]


class _AnyRelated(TypeDecorator[Any]):
    """The type of a to-many field: a comparison holds when it holds for some related value
    the viewer may see (an EXISTS per path); ``ne`` and ``isnull`` hold when no such related
    value is equal / any."""

    impl = Uuid
    cache_ok = False  # never reaches a statement: comparisons are rewritten below

    def __init__(self, row: Table, paths: Sequence[Path], view: Principal) -> None:
        super().__init__()
        self.paths = tuple((path, _seen_along(row, path, view)) for path in paths)

    def some(self, op: Any, *other: Any, **kw: Any) -> ColumnElement[bool]:
        return or_(
            *(
                and_(op(value, *other, **kw), *seen)
                if via is None
                else exists().where(via, op(value, *other, **kw), *seen)
                for (value, via), seen in self.paths
            )
        )

    class comparator_factory(TypeDecorator.Comparator[Any]):
        def operate(self, op: Any, *other: Any, **kw: Any) -> ColumnElement[Any]:
            related: _AnyRelated = self.type  # type: ignore[assignment]
            if op is operators.ne:
                return not_(related.some(operators.eq, *other, **kw))
            if op is operators.is_:
                return not_(related.some(operators.is_not, *other, **kw))
            return related.some(op, *other, **kw)


def to_many(
    key: Column[Any], *paths: Path, kind: Kind = Kind.UUID, description: str
) -> FieldSpec:
    """A filter-only field on related values (ids unless ``kind`` says otherwise), as the
    viewer sees them: ``eq``/``in`` (and the text operators) match rows related to the
    value(s) through any of ``paths``, ``ne`` rows related to none, ``isnull`` rows related
    to nothing. ``key`` is the key of the rows filtered."""
    row = key.table
    assert isinstance(row, Table)
    return FieldSpec(
        AsSeen(lambda view: type_coerce(key, _AnyRelated(row, paths, view))),
        kind,
        False,
        description,
    )


def reached_value(row: Table, column: Column[Any], via: ColumnElement[bool]) -> AsSeen:
    """``column`` of the one row ``via`` reaches from ``row``'s (a scalar subquery), as the
    viewer sees it: null when that row, or one on the way, is hidden."""
    return AsSeen(
        lambda view: select(column)
        .where(via, *_seen_along(row, (column, via), view))
        .scalar_subquery()
    )


def related_value(column: Column[Any], key: Column[Any], of: Column[Any]) -> AsSeen:
    """``column`` of the row whose ``key`` is ``of`` (a column of the row filtered)."""
    assert isinstance(of.table, Table)
    return reached_value(of.table, column, key == of)


def scientific_slug(name: ColumnElement[Any] | AsSeen, description: str) -> FieldSpec:
    """A filter-only field: a scientific name lower-cased with its spaces as hyphens
    (``mus-musculus``); compare it with :func:`slug_of_scientific_name` of the value."""

    def slug(of: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.replace(func.lower(of), " ", "-")

    expr = AsSeen(lambda view: slug(name.build(view))) if isinstance(name, AsSeen) else slug(name)
    return FieldSpec(expr, Kind.STRING, sortable=False, description=description)


def slug_of_scientific_name(value: str) -> str:
    return "-".join(value.lower().split())
