"""How entity declarations name their fields: record attributes, allowlisted columns (typed
from the column), filter-only fields on related values, and related values themselves."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Float,
    Integer,
    Table,
    TypeDecorator,
    Uuid,
    exists,
    func,
    not_,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.sql import operators

from resolvers.query import Attribute, FieldSpec, Kind


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
    """Allow filtering and sorting on these columns of ``table``, typed from the column."""
    return {name: FieldSpec(table.c[name], kind_of(table.c[name])) for name in names}


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


class _AnyRelated(TypeDecorator[Any]):
    """The type of a to-many field: a comparison holds when it holds for some related value
    (an EXISTS per path); ``ne`` and ``isnull`` hold when no related value is equal / any."""

    impl = Uuid
    cache_ok = False  # never reaches a statement: comparisons are rewritten below

    def __init__(self, paths: Sequence[Path]) -> None:
        super().__init__()
        self.paths = tuple(paths)

    def some(self, op: Any, *other: Any, **kw: Any) -> ColumnElement[bool]:
        return or_(
            *(
                op(value, *other, **kw)
                if via is None
                else exists().where(via, op(value, *other, **kw))
                for value, via in self.paths
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
    key: ColumnElement[Any], *paths: Path, kind: Kind = Kind.UUID, description: str
) -> FieldSpec:
    """A filter-only field on related values (ids unless ``kind`` says otherwise): ``eq``/``in``
    (and the text operators) match rows related to the value(s) through any of ``paths``,
    ``ne`` rows related to none, ``isnull`` rows related to nothing."""
    return FieldSpec(type_coerce(key, _AnyRelated(paths)), kind, False, description)


def related_value(
    column: ColumnElement[Any], key: ColumnElement[Any], of: ColumnElement[Any]
) -> ColumnElement[Any]:
    """``column`` of the row whose ``key`` is ``of`` (a scalar subquery: one related value)."""
    return select(column).where(key == of).scalar_subquery()


def scientific_slug(expr: ColumnElement[Any], description: str) -> FieldSpec:
    """A filter-only field: a scientific name lower-cased with its spaces as hyphens
    (``mus-musculus``); compare it with :func:`slug_of_scientific_name` of the value."""
    slug = func.replace(func.lower(expr), " ", "-")
    return FieldSpec(slug, Kind.STRING, sortable=False, description=description)


def slug_of_scientific_name(value: str) -> str:
    return "-".join(value.lower().split())
