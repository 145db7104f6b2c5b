"""GraphQL object types built from the entity graph (:mod:`resolvers.catalog`).

Every entity gets a type with a field per declared attribute (typed from its column,
described as declared) and per relation: a to-one relation is the related object (or null
when missing or hidden), a to-many relation a list with its own ``where``, ``orderBy``,
``limit`` and ``offset``. Objects are the read path's nodes (:mod:`resolvers.read`): plain
fields read attributes, relation fields what was followed. A type other modules name in
their own signatures is declared here by name; the rest exist only in :data:`TYPES`. A named
type may also gain fields with resolvers of their own from a base class declaring them
(``Segment``'s partner lists, from :mod:`schema.segments`).
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from functools import cache
from typing import Any, Optional

import strawberry
from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Float, Integer, Uuid
from strawberry.scalars import JSON as JSONScalar
from strawberry.types.field import StrawberryField

from resolvers import catalog
from resolvers.query import Attribute, Entity
from resolvers.relations import ToOne
from schema.filters import inputs_of
from schema.listing import window_arguments
from schema.relations import RowType, followed
from schema.scalars import BigInt
from schema.segments import SegmentFields

# GraphQL's name of an entity's type, where it differs from the entity's own.
TYPE_NAMES = {"Connection": "SynapseConnection"}

# The GraphQL scalar of a column, by its SQL type (the first match, so subclasses first).
_SCALARS: tuple[tuple[type, Any], ...] = (
    (Uuid, strawberry.ID),
    (BigInteger, BigInt),
    (Integer, int),
    (Boolean, bool),
    (Float, float),
    (DateTime, dt.datetime),
    (Date, dt.date),
    (JSON, JSONScalar),
)


def type_name(entity: Entity) -> str:
    return TYPE_NAMES.get(entity.name, entity.name)


def column_scalar(column: Any, *, nullable: bool | None = None) -> Any:
    """The GraphQL type of a column's values: optional when the column (or ``nullable``)
    says so."""
    found = next((scalar for sql, scalar in _SCALARS if isinstance(column.type, sql)), str)
    optional = column.nullable if nullable is None else nullable
    return Optional[found] if optional else found  # noqa: UP045


def choices_enum(name: str, description: str, choices: tuple[tuple[str, str], ...]) -> Any:
    """A GraphQL enum of stored values (``choices``: value, meaning): members named by the
    value upper-cased (``PENDING``), holding the value itself (``"Pending"``), so a field
    that reads the stored string answers the member."""
    members = {
        value.upper(): strawberry.enum_value(value, description=meaning)
        for value, meaning in choices
    }
    return strawberry.enum(Enum(name, members), description=description)  # type: ignore[misc, call-overload]


@cache
def _attribute_enum(entity: Entity, name: str) -> Any:
    attribute = entity.attributes[name]
    enum_name = type_name(entity) + "".join(part.title() for part in name.split("_"))
    return choices_enum(enum_name, attribute.description, attribute.choices)


def attribute_type(entity: Entity, name: str, *, nullable: bool | None = None) -> Any:
    """The GraphQL type of an attribute: the enum of its choices when it declares them,
    else its column's scalar."""
    column = entity.table.c[name]
    attribute: Attribute = entity.attributes[name]
    if not attribute.choices:
        return column_scalar(column, nullable=nullable)
    optional = column.nullable if nullable is None else nullable
    found = _attribute_enum(entity, name)
    return Optional[found] if optional else found  # noqa: UP045


def _to_many_field(name: str, target: Entity, target_type: type, description: str) -> Any:
    where, order = inputs_of(target)

    def resolve(
        self: Any,
        info: strawberry.Info,
        where: Any = None,
        order_by: Any = None,
        limit: Optional[int] = None,  # noqa: UP045
        offset: int = 0,
    ) -> Any:
        return followed(self, info)

    resolve.__name__ = name
    resolve.__annotations__ = {
        "self": Any,
        "info": strawberry.Info,
        **window_arguments(where, order),
        "return": list[target_type],  # type: ignore[valid-type]
    }
    return strawberry.field(resolver=resolve, description=description)


def _fill(cls: type[RowType], entity: Entity, classes: dict[str, type[RowType]]) -> None:
    """Give ``cls`` a field per attribute and per relation of ``entity``, and the fields its
    base classes declare."""
    cls.entity = entity
    for base in reversed(cls.__mro__[1:]):
        for name, value in vars(base).items():
            if isinstance(value, StrawberryField):
                if name in entity.attributes or name in entity.relations:
                    raise TypeError(f"{entity.name}.{name} is declared twice.")
                setattr(cls, name, value)
    annotations: dict[str, Any] = {}
    for name, attribute in entity.attributes.items():
        annotations[name] = attribute_type(entity, name)
        setattr(cls, name, strawberry.field(description=attribute.description))
    for name, relation in entity.relations.items():
        target = catalog.ENTITIES[relation.target]
        if isinstance(relation, ToOne):
            annotations[name] = Optional[classes[target.name]]  # noqa: UP045
            setattr(cls, name, strawberry.field(default=None, description=relation.description))
        else:
            field = _to_many_field(name, target, classes[target.name], relation.description)
            setattr(cls, name, field)
    cls.__annotations__ = annotations


class Approval(RowType):
    """Named here: other modules return it (the approval workflow's results)."""


class Brain(RowType):
    """Named here: other modules return it (brain uploads and changes)."""


class FileUpload(RowType):
    """Named here: other modules return it (file uploads)."""


class Materialization(RowType):
    """Named here: the connectome view returns it (the materialization it reads)."""


class Segment(SegmentFields, RowType):
    """Named here: the connectome view returns it; it gains partner lists and scores."""


def _build() -> dict[str, type[RowType]]:
    named = {cls.__name__: cls for cls in (Approval, Brain, FileUpload, Materialization, Segment)}
    classes = {
        entity.name: named.get(entity.name)
        or type(type_name(entity), (RowType,), {"__module__": __name__})
        for entity in catalog.ENTITIES.values()
    }
    for name, cls in classes.items():
        _fill(cls, catalog.ENTITIES[name], classes)
    for name, cls in classes.items():
        entity = catalog.ENTITIES[name]
        strawberry.type(cls, name=type_name(entity), description=entity.description)
    return classes


# Every entity's type, by entity name.
TYPES = _build()
ROW_TYPES: tuple[type[RowType], ...] = tuple(TYPES.values())
