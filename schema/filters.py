"""GraphQL ``where:`` and ``orderBy:`` inputs, generated from each entity's allowlist.

Only allowlisted fields appear in the input types, so GraphQL validation already refuses an
unknown field; the parsed input becomes the shared query spec, which checks it again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum
from typing import Any, Optional

import strawberry

from resolvers.query import OPS_BY_KIND, AllOf, AnyOf, Condition, Entity, Filter, Kind, Order
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


def _filter_input(name: str, value_type: Any, ops: frozenset[str]) -> type:
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {}
    for attr, op in _OP_ATTRS.items():
        if op not in ops:
            continue
        if op == "in":
            annotations[attr] = Optional[list[value_type]]  # noqa: UP045
            namespace[attr] = strawberry.field(name="in", default=None)
        elif op == "isnull":
            annotations[attr] = Optional[bool]  # noqa: UP045
            namespace[attr] = strawberry.field(name="isNull", default=None)
        else:
            annotations[attr] = Optional[value_type]  # noqa: UP045
            namespace[attr] = None
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


@strawberry.enum
class Direction(Enum):
    ASC = "asc"
    DESC = "desc"


def where_input(entity: Entity) -> type:
    """``<Entity>Where``: one optional filter per allowlisted field, plus ``and`` / ``or``."""
    annotations: dict[str, Any] = {
        name: Optional[FILTER_INPUTS[spec.kind]]  # noqa: UP045
        for name, spec in entity.fields.items()
    }
    namespace: dict[str, Any] = {name: None for name in annotations}
    cls = type(f"{entity.name}Where", (), namespace)
    annotations["and_"] = Optional[list[cls]]  # type: ignore[valid-type]  # noqa: UP045
    annotations["or_"] = Optional[list[cls]]  # type: ignore[valid-type]  # noqa: UP045
    cls.and_ = strawberry.field(name="and", default=None)  # type: ignore[attr-defined]
    cls.or_ = strawberry.field(name="or", default=None)  # type: ignore[attr-defined]
    cls.__annotations__ = annotations
    return strawberry.input(cls, description=f"Which {entity.name} rows to return.")


def order_input(entity: Entity) -> type:
    """``<Entity>Order``: a sortable field and a direction."""
    sortable = [name for name, spec in entity.fields.items() if spec.sortable]
    fields_enum = strawberry.enum(
        Enum(f"{entity.name}OrderField", {name.upper(): name for name in sortable})  # type: ignore[misc, call-overload]
    )
    cls = type(
        f"{entity.name}Order",
        (),
        {
            "__annotations__": {"field": fields_enum, "direction": Direction},
            "direction": Direction.ASC,
        },
    )
    return strawberry.input(cls, description=f"One key to sort {entity.name} rows by.")


def to_condition(where: Any) -> Condition | None:
    """The query-spec condition of a parsed ``<Entity>Where`` input."""
    if where is None:
        return None
    parts: list[Condition] = []
    for name, value in vars(where).items():
        if value is None:
            continue
        if name == "and_":
            parts.extend(c for c in (to_condition(w) for w in value) if c is not None)
        elif name == "or_":
            alternatives = [c for c in (to_condition(w) for w in value) if c is not None]
            if alternatives:
                parts.append(AnyOf(tuple(alternatives)))
        else:
            for attr, op_value in vars(value).items():
                if op_value is not None:
                    parts.append(Filter(name, _OP_ATTRS[attr], op_value))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def to_order(order_by: list[Any] | None) -> tuple[Order, ...]:
    return tuple(
        Order(item.field.value, descending=item.direction is Direction.DESC)
        for item in order_by or ()
    )
