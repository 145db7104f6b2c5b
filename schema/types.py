"""GraphQL object types built from the entity graph (:mod:`resolvers.catalog`).

Each type is one line naming its entity: :func:`row_type` adds a field per declared attribute
(typed from its column, described as declared) and per relation: a to-one relation is the
related object (or null when missing or hidden), a to-many relation a list with its own
``where``, ``orderBy``, ``limit`` and ``offset``. Objects are the read path's nodes
(:mod:`resolvers.read`): plain fields read attributes, relation fields what was followed.

The types live in this one module so their references to each other resolve by name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

import strawberry
from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Float, Integer, Uuid
from strawberry.scalars import JSON as JSONScalar

from resolvers import catalog
from resolvers.query import Entity
from resolvers.relations import ToOne
from schema.filters import inputs_of
from schema.relations import RowType, followed
from schema.scalars import BigInt

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


def _to_many_field(name: str, target: Entity, description: str) -> Any:
    where, order = inputs_of(target)
    target_name = type_name(target)

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
        "where": Optional[where],  # noqa: UP045
        "order_by": Optional[list[order]],  # type: ignore[valid-type]  # noqa: UP045
        "limit": Optional[int],  # noqa: UP045
        "offset": int,
        "return": f"list[{target_name}]",
    }
    return strawberry.field(resolver=resolve, description=description)


def row_type(entity: Entity) -> Any:
    """Make the decorated class the GraphQL type of ``entity``."""

    def build(cls: type[RowType]) -> type[RowType]:
        cls.entity = entity
        annotations: dict[str, Any] = {}
        for name, attribute in entity.attributes.items():
            annotations[name] = column_scalar(entity.table.c[name])
            setattr(cls, name, strawberry.field(description=attribute.description))
        for name, relation in entity.relations.items():
            target = catalog.ENTITIES[relation.target]
            if isinstance(relation, ToOne):
                annotations[name] = f"Optional[{type_name(target)}]"
                setattr(cls, name, strawberry.field(default=None, description=relation.description))
            else:
                setattr(cls, name, _to_many_field(name, target, relation.description))
        cls.__annotations__ = annotations
        return strawberry.type(cls, name=type_name(entity), description=entity.description)

    return build


@row_type(catalog.USER)
class User(RowType):
    pass


@row_type(catalog.LABORATORY)
class Laboratory(RowType):
    pass


@row_type(catalog.CATEGORY)
class Category(RowType):
    pass


@row_type(catalog.SPECIES)
class Species(RowType):
    pass


@row_type(catalog.STRAIN)
class Strain(RowType):
    pass


@row_type(catalog.APPROVAL)
class Approval(RowType):
    pass


@row_type(catalog.PROJECT)
class Project(RowType):
    pass


@row_type(catalog.SUBJECT)
class Subject(RowType):
    pass


@row_type(catalog.SESSION)
class Session(RowType):
    pass


@row_type(catalog.FILE_UPLOAD)
class FileUpload(RowType):
    pass


@row_type(catalog.BRAIN)
class Brain(RowType):
    pass


@row_type(catalog.CONNECTOME_DATASET)
class ConnectomeDataset(RowType):
    pass


@row_type(catalog.MATERIALIZATION)
class Materialization(RowType):
    pass


@row_type(catalog.SEGMENT)
class Segment(RowType):
    pass


@row_type(catalog.SEGMENT_PROPERTY)
class SegmentProperty(RowType):
    pass


@row_type(catalog.CONNECTION)
class SynapseConnection(RowType):
    pass


ROW_TYPES: tuple[type[RowType], ...] = (
    User,
    Laboratory,
    Category,
    Species,
    Strain,
    Approval,
    Project,
    Subject,
    Session,
    FileUpload,
    Brain,
    ConnectomeDataset,
    Materialization,
    Segment,
    SegmentProperty,
    SynapseConnection,
)
