"""From a GraphQL selection to the entity graph's include tree (:mod:`resolvers.read`).

The tree is built from the selection as graphql-core itself collects it, with the operation's
variables: fragments are merged, aliases kept apart and ``@skip``/``@include`` applied, so
what is read is exactly what will be resolved. A scalar field reads its column; a to-one
relation (merged across aliases) is followed into the attribute of its name, which plain
field resolution reads; a to-many relation is followed once per response key, with its own
arguments, into the attribute of that key (:func:`followed`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo, get_named_type
from graphql.execution.collect_fields import (
    FieldDetails,
    FieldDetailsList,
    FragmentDetails,
    collect_subfields,
)
from graphql.execution.values import VariableValues, get_argument_values
from strawberry.utils.str_converters import to_camel_case

from gateway.errors import QueryError
from resolvers.query import Entity, QuerySpec, Window
from resolvers.read import Follow, Include
from resolvers.relations import ToOne
from schema.filters import to_condition, to_order


class RowType:
    """Mixin for Strawberry types whose objects are nodes of the entity graph's ``entity``."""

    entity: ClassVar[Entity]
    # The columns each field with a resolver of its own (by Python name) reads of its node,
    # beyond the key: read whenever the field is selected.
    reads: ClassVar[Mapping[str, tuple[str, ...]]] = {}


class Registry:
    """The row types of one schema by GraphQL type name, with what each GraphQL field of
    theirs reads: a column or a relation of the entity, or the columns a resolver reads."""

    def __init__(self, types: Iterable[type[RowType]]) -> None:
        self.types = {t.__name__: t for t in types}
        self.column_of = {
            name: {to_camel_case(c.name): c.name for c in t.entity.table.c}
            for name, t in self.types.items()
        }
        self.relation_of = {
            name: {to_camel_case(rel): rel for rel in t.entity.relations}
            for name, t in self.types.items()
        }
        self.reads_of = {
            name: {to_camel_case(field): columns for field, columns in t.reads.items()}
            for name, t in self.types.items()
        }


def raw(info: strawberry.Info) -> GraphQLResolveInfo:
    return info._raw_info


def field_details(info: strawberry.Info) -> FieldDetailsList:
    """The current field as graphql-core collected it (every node of its response key)."""
    return [FieldDetails(node, None) for node in raw(info).field_nodes]


def _collect(
    info: GraphQLResolveInfo, object_type: GraphQLObjectType, details: FieldDetailsList
) -> dict[str, FieldDetailsList]:
    fragments = {name: FragmentDetails(node) for name, node in info.fragments.items()}
    collected = collect_subfields(
        info.schema, fragments, _variables(info), info.operation, object_type, details
    )
    return collected.grouped_field_set


def _variables(info: GraphQLResolveInfo) -> VariableValues:
    # Strawberry hands resolvers the coerced values alone; graphql-core reads them from here.
    return VariableValues({}, info.variable_values)  # type: ignore[arg-type]


def _object_type(info: GraphQLResolveInfo, name: str) -> GraphQLObjectType:
    found = info.schema.get_type(name)
    assert isinstance(found, GraphQLObjectType), name
    return found


def under(
    info: strawberry.Info, type_name: str, details: FieldDetailsList, *path: str
) -> FieldDetailsList:
    """The field details under ``path`` (field names, e.g. ``edges``, ``node``: whatever
    response keys aliases give them) of a selection on ``type_name``."""
    graphql_info = raw(info)
    current, object_type = details, _object_type(graphql_info, type_name)
    for name in path:
        grouped = _collect(graphql_info, object_type, current)
        current = [
            d for found in grouped.values() if found[0].node.name.value == name for d in found
        ]
        field = object_type.fields[name]
        named = get_named_type(field.type)
        assert isinstance(named, GraphQLObjectType)
        object_type = named
    return current


def selects(info: strawberry.Info, type_name: str, details: FieldDetailsList, name: str) -> bool:
    """Whether the field ``name`` is selected on ``type_name`` (under any alias)."""
    grouped = _collect(raw(info), _object_type(raw(info), type_name), details)
    return any(found[0].node.name.value == name for found in grouped.values())


def include_of(
    info: strawberry.Info, registry: Registry, type_name: str, details: FieldDetailsList
) -> Include:
    """The include tree of a selection (``details``) on the row type ``type_name``."""
    return _include(raw(info), registry, type_name, details)


def _include(
    info: GraphQLResolveInfo, registry: Registry, type_name: str, details: FieldDetailsList
) -> Include:
    if not details:
        return Include()
    object_type = _object_type(info, type_name)
    entity = registry.types[type_name].entity
    columns_here, relations_here = registry.column_of[type_name], registry.relation_of[type_name]
    reads_here = registry.reads_of[type_name]
    columns: set[str] = set()
    to_one: dict[str, FieldDetailsList] = {}
    follows: list[Follow] = []
    for response_key, found in _collect(info, object_type, details).items():
        name = found[0].node.name.value
        if name in columns_here:
            columns.add(columns_here[name])
            continue
        if name in reads_here:
            columns.update(reads_here[name])
            continue
        relation_name = relations_here.get(name)
        if relation_name is None:
            continue
        target_type = get_named_type(object_type.fields[name].type).name
        if isinstance(entity.relations[relation_name], ToOne):
            to_one.setdefault(relation_name, []).extend(found)
            continue
        arguments = get_argument_values(
            object_type.fields[name],
            found[0].node,
            _variables(info),
            found[0].fragment_variable_values,
        )
        spec = QuerySpec(
            where=to_condition(arguments.get("where"), registry.types[target_type].entity),
            order=to_order(arguments.get("orderBy")),
            window=_window(name, arguments, info.context.settings.max_page_size),
        )
        include = _include(info, registry, target_type, found)
        follows.append(Follow(relation_name, include, key=response_key, spec=spec))
    for relation_name, found in to_one.items():
        target_type = get_named_type(object_type.fields[to_camel_case(relation_name)].type).name
        follows.append(Follow(relation_name, _include(info, registry, target_type, found)))
    return Include(tuple(sorted(columns)), tuple(follows))


def _window(field: str, arguments: dict[str, Any], max_limit: int) -> Window:
    """A to-many field's window, refused before anything is read when out of range."""
    limit = arguments.get("limit")
    offset = arguments.get("offset", 0)
    if limit is not None and not 0 <= limit <= max_limit:
        raise QueryError(f"limit on {field} must be between 0 and {max_limit}.")
    if offset < 0:
        raise QueryError(f"offset on {field} must not be negative.")
    return Window(limit=max_limit if limit is None else limit, offset=offset)


def followed(node: Any, info: strawberry.Info) -> Any:
    """What a to-many field followed into ``node``: the list under the field's response
    key (each response key is followed with its own arguments)."""
    return node.__dict__[info.path.key]
