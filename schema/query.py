"""The Query type: for every entity the graph lists at the root (its ``plural``) a list, a
Relay connection and a lookup by each of its unique fields (its ``lookups``)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.utils.str_converters import to_snake_case

from schema.listing import FieldFactory
from schema.relations import Registry
from schema.types import ROW_TYPES, column_scalar

# The row types and their relations; mutations use it to return objects like queries do.
REGISTRY = Registry(ROW_TYPES)


def lookup_names(plural: str, singular: str, lookups: tuple[str, ...]) -> list[tuple[str, str]]:
    """(field name, key) of each lookup: ``session(id:)``, ``projectByName(name:)``; where
    one and many are called the same (``species``), the key lookup too says what it is by
    (``speciesById``)."""
    names = []
    for key in lookups:
        if key == "id" and singular != plural:
            names.append((singular, key))
        else:
            names.append((f"{singular}_by_{key}", key))
    return names


def build_query(registry: Registry) -> type:
    factory = FieldFactory(registry)
    fields: dict[str, Any] = {}
    for type_ in ROW_TYPES:
        entity = type_.entity
        if not entity.plural:
            continue
        name = type_.__name__
        fields[entity.plural] = factory.list_field(
            type_, f"{name} rows, filtered, ordered and paged by limit/offset."
        )
        fields[f"{entity.plural}_connection"] = factory.connection_field(
            type_, f"{name} rows as a Relay connection (first/after, totalCount)."
        )
        singular = to_snake_case(name)
        for field_name, key in lookup_names(entity.plural, singular, entity.lookups):
            key_type = column_scalar(entity.table.c[key], nullable=False)
            fields[field_name] = factory.lookup_field(
                type_, key, key_type, f"One {name} by {key}; null if missing or hidden."
            )
    return strawberry.type(type("Query", (), fields), description="Read the lab's data.")
