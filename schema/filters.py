"""GraphQL ``where:`` and ``orderBy:`` inputs, generated from each entity's allowlist.

Only allowlisted fields appear in the input types, so GraphQL validation already refuses an
unknown field; the parsed input becomes the shared query spec, which checks it again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from enum import Enum
from functools import cache
from typing import Any, Optional

import strawberry
from strawberry.utils.str_converters import to_snake_case

from resolvers.catalog import ENTITIES
from resolvers.query import (
    OPS_BY_KIND,
    AllOf,
    AnyOf,
    Condition,
    Entity,
    Filter,
    Kind,
    Not,
    Order,
    Related,
)
from resolvers.relations import ToOne
from schema.scalars import BigInt

# The Python attribute of each operator on a filter input, and its query-spec name.
_OP_ATTRS = {
    "eq": "eq",
    "ne": "ne",
    "in_": "in",
    "iexact": "iexact",
    "icontains": "icontains",
    "startswith": "startswith",
    "endswith": "endswith",
    "gt": "gt",
    "gte": "gte",
    "lt": "lt",
    "lte": "lte",
    "is_null": "isnull",
}
# What each operator matches, shared by every filter input.
_OP_DESCRIPTIONS = {
    "eq": "Equal to this value.",
    "ne": "Not equal to this value.",
    "in": "Equal to one of these values.",
    "iexact": "Equal to this text, ignoring case.",
    "icontains": "Contains this text, ignoring case.",
    "startswith": "Starts with this text (case-sensitive).",
    "endswith": "Ends with this text (case-sensitive).",
    "gt": "Greater (later) than this value.",
    "gte": "Greater (later) than or equal to this value.",
    "lt": "Less (earlier) than this value.",
    "lte": "Less (earlier) than or equal to this value.",
    "isnull": "true: it has no value; false: it has one.",
}


def _filter_input(name: str, value_type: Any, ops: frozenset[str]) -> type:
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {}
    for attr, op in _OP_ATTRS.items():
        if op not in ops:
            continue
        description = _OP_DESCRIPTIONS[op]
        if op == "in":
            annotations[attr] = Optional[list[value_type]]  # noqa: UP045
            namespace[attr] = strawberry.field(name="in", default=None, description=description)
        elif op == "isnull":
            annotations[attr] = Optional[bool]  # noqa: UP045
            namespace[attr] = strawberry.field(name="isNull", default=None, description=description)
        else:
            annotations[attr] = Optional[value_type]  # noqa: UP045
            namespace[attr] = strawberry.field(default=None, description=description)
    namespace["__annotations__"] = annotations
    return strawberry.input(type(name, (), namespace), description=f"Conditions on a {name[:-6]}.")


_VALUE_TYPES = {
    Kind.STRING: ("String", str),
    Kind.INT: ("Int", int),
    Kind.BIGINT: ("BigInt", BigInt),
    Kind.FLOAT: ("Float", float),
    Kind.BOOL: ("Boolean", bool),
    Kind.DATETIME: ("DateTime", dt.datetime),
    Kind.DATE: ("Date", dt.date),
    Kind.UUID: ("UUID", uuid.UUID),
}
FILTER_INPUTS = {
    kind: _filter_input(f"{label}Filter", value_type, OPS_BY_KIND[kind])
    for kind, (label, value_type) in _VALUE_TYPES.items()
}


@strawberry.enum(description="Which way to sort.")
class Direction(Enum):
    ASC = strawberry.enum_value("asc", description="Smallest (earliest) first; nulls first.")
    DESC = strawberry.enum_value("desc", description="Largest (latest) first; nulls last.")


@cache
def inputs_of(entity: Entity) -> tuple[type, type]:
    """The entity's ``where`` and ``orderBy`` input types, built once for every field that
    lists it (its root list and connection, and every to-many relation to it)."""
    return where_input(entity), _order_input(entity)


# Each entity's ``<Entity>Where`` class, registered before its fields are filled in, so a
# to-one relation back to an entity whose input is being built (a behavioral category's
# ``parent``, or any cycle of to-one relations) refers to that class instead of building it
# again, forever. Strawberry resolves the reference when the schema is built.
_WHERE: dict[str, type] = {}


def field_description(entity: Entity, name: str) -> str:
    """What an allowlisted field holds: its attribute's description, the field's own, or
    the id of the to-one relation it is the key of."""
    attribute = entity.attributes.get(name)
    if attribute is not None:
        return attribute.description
    if entity.fields[name].description:
        return entity.fields[name].description
    for relation_name, relation in entity.relations.items():
        if isinstance(relation, ToOne) and relation.fk == name:
            return f"The id of its {relation_name.replace('_', ' ')}."
    raise ValueError(f"Describe {entity.name}.{name}: it is neither an attribute nor a key.")


def where_input(entity: Entity) -> type:
    """``<Entity>Where``: one optional filter per allowlisted field, conditions on the rows
    its to-one relations name, plus ``and``, ``or`` and ``not``."""
    built = _WHERE.get(entity.name)
    if built is not None:
        return built
    cls = type(f"{entity.name}Where", (), {})
    _WHERE[entity.name] = cls
    annotations: dict[str, Any] = {
        name: Optional[FILTER_INPUTS[spec.kind]]  # noqa: UP045
        for name, spec in entity.fields.items()
    }
    namespace: dict[str, Any] = {
        name: strawberry.field(default=None, description=field_description(entity, name))
        for name in annotations
    }
    # Conditions on the row a to-one relation names (``session: {subject: {...}}``).
    for name, relation in entity.relations.items():
        if isinstance(relation, ToOne):
            target_where = where_input(ENTITIES[relation.target])
            annotations[name] = Optional[target_where]  # noqa: UP045
            namespace[name] = strawberry.field(
                default=None, description=f"Conditions on its {name} (one it may see)."
            )
    for attr, value in namespace.items():
        setattr(cls, attr, value)
    annotations["and_"] = Optional[list[cls]]  # type: ignore[valid-type]  # noqa: UP045
    annotations["or_"] = Optional[list[cls]]  # type: ignore[valid-type]  # noqa: UP045
    annotations["not_"] = Optional[cls]  # type: ignore[valid-type]  # noqa: UP045
    cls.and_ = strawberry.field(  # type: ignore[attr-defined]
        name="and", default=None, description="Every one of these holds."
    )
    cls.or_ = strawberry.field(  # type: ignore[attr-defined]
        name="or", default=None, description="At least one of these holds."
    )
    cls.not_ = strawberry.field(  # type: ignore[attr-defined]
        name="not", default=None, description="This does not hold."
    )
    cls.__annotations__ = annotations
    return strawberry.input(cls, description=f"Which {entity.name} rows to return.")


def _order_input(entity: Entity) -> type:
    """``<Entity>Order``: a sortable field and a direction."""
    sortable = [name for name, spec in entity.fields.items() if spec.sortable]
    members = {
        name.upper(): strawberry.enum_value(name, description=f"Sort by {name}.")
        for name in sortable
    }
    fields_enum = strawberry.enum(
        Enum(f"{entity.name}OrderField", members),  # type: ignore[misc, call-overload]
        description=f"The fields {entity.name} rows can be sorted by.",
    )
    cls = type(
        f"{entity.name}Order",
        (),
        {
            "__annotations__": {"field": fields_enum, "direction": Direction},
            "field": strawberry.field(description="The field to sort by."),
            "direction": strawberry.field(
                default=Direction.ASC, description="Which way (default ASC)."
            ),
        },
    )
    return strawberry.input(cls, description=f"One key to sort {entity.name} rows by.")


# Keys of a parsed input that differ from the query spec's names. A ``where`` arrives as a
# Strawberry input object at a root field (attributes by Python name) and as graphql-core's
# coerced dict under a relation (keys by GraphQL name); both read the same way.
_KEYS = {"and_": "and", "or_": "or", "not_": "not", "in_": "in", "is_null": "isnull"}


def _entries(value: Any) -> list[tuple[str, Any]]:
    items = value.items() if isinstance(value, Mapping) else vars(value).items()
    named = ((to_snake_case(key), item) for key, item in items if item is not None)
    return [(_KEYS.get(key, key), item) for key, item in named]


def to_condition(where: Any, entity: Entity) -> Condition | None:
    """The query-spec condition of a parsed ``<Entity>Where`` input on ``entity``."""
    if where is None:
        return None
    parts: list[Condition] = []
    for name, value in _entries(where):
        if name == "and":
            parts.extend(c for c in (to_condition(w, entity) for w in value) if c is not None)
        elif name == "or":
            alternatives = [c for c in (to_condition(w, entity) for w in value) if c is not None]
            if alternatives:
                parts.append(AnyOf(tuple(alternatives)))
        elif name == "not":
            negated = to_condition(value, entity)
            if negated is not None:
                parts.append(Not(negated))
        elif isinstance(relation := entity.relations.get(name), ToOne):
            target = ENTITIES[relation.target]
            related = to_condition(value, target)
            if related is not None:
                parts.append(Related(relation.fk, target, related))
        else:
            parts.extend(Filter(name, op, op_value) for op, op_value in _entries(value))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def to_order(order_by: list[Any] | None) -> tuple[Order, ...]:
    """The query-spec ordering of parsed ``<Entity>Order`` inputs (objects or dicts)."""
    orders = []
    for item in order_by or ():
        field, direction = (
            (item["field"], item.get("direction", Direction.ASC))
            if isinstance(item, Mapping)
            else (item.field, item.direction)
        )
        orders.append(Order(_value(field), descending=_value(direction) == Direction.DESC.value))
    return tuple(orders)


def _value(member: Any) -> Any:
    return member.value if isinstance(member, Enum) else member
