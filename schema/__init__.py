"""The Strawberry schema: types, queries and extensions, built by :func:`build_schema`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLObjectType
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from gateway.settings import Settings
from schema.approvals import ApprovalMutation, ApprovalSubscription
from schema.auth import AuthMutation, AuthQuery
from schema.brains_api import BrainMutation, BrainQuery
from schema.connectome_api import ConnectomeQuery
from schema.extensions import build_extensions
from schema.query import REGISTRY, build_query
from schema.scalars import SCALAR_MAP

# Where Strawberry keeps a GraphQL field's own definition (its schema converter's back-ref).
_DEFINITION = "strawberry-definition"


def build_schema(settings: Settings) -> strawberry.Schema:
    query = merge_types("Query", (build_query(REGISTRY), AuthQuery, BrainQuery, ConnectomeQuery))
    schema = strawberry.Schema(
        query=query,
        mutation=merge_types("Mutation", (AuthMutation, ApprovalMutation, BrainMutation)),
        subscription=merge_types("Subscription", (ApprovalSubscription,)),
        extensions=build_extensions(settings),
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP),
    )
    _read_plain_fields_directly(schema)
    return schema


def _read_plain_fields_directly(schema: strawberry.Schema) -> None:
    """Resolve fields that have no resolver with one ``getattr``.

    Strawberry reaches the attribute of such a field through two wrapper calls; a list of
    1,000 sessions resolves 11,000 of them, and the wrappers alone cost a few milliseconds
    (measured in bench/graphql_sessions.py). Fields with resolvers, permissions or
    extensions keep Strawberry's own resolver.
    """
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field in graphql_type.fields.values():
            definition = (field.extensions or {}).get(_DEFINITION)
            if (
                definition is not None
                and definition.base_resolver is None
                and not definition.extensions
                and getattr(field.resolve, "_is_default", False)
            ):
                field.resolve = _attribute(definition.python_name)


def _attribute(name: str) -> Callable[..., Any]:
    def resolve(source: Any, _info: Any) -> Any:
        return getattr(source, name)

    return resolve
