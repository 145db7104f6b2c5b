"""The Strawberry schema: types, queries and extensions, built by :func:`build_schema`."""

from __future__ import annotations

from functools import cache

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from gateway.settings import Settings
from schema.approvals import ApprovalMutation, ApprovalSubscription
from schema.auth import AuthMutation, AuthQuery
from schema.brains_api import BrainMutation, BrainQuery
from schema.compiled import CompiledReadExecutor
from schema.connectome_api import ConnectomeQuery
from schema.execution import read_plain_fields_directly
from schema.extensions import SchemaSettings, build_extensions
from schema.mutations import build_mutation
from schema.query import REGISTRY, build_query
from schema.scalars import SCALAR_MAP


def _merged(name: str, description: str, parts: tuple[type, ...]) -> type:
    """The root type ``name`` with every field of ``parts`` (``merge_types`` drops the
    description; the root types need one too)."""
    merged = merge_types(name, parts)
    merged.__strawberry_definition__.description = description  # type: ignore[attr-defined]
    return merged


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Strawberry logs every error with its traceback, a client's mistakes too. Here a
        client's error is the request's one log line, and an unexpected one was reported by
        :class:`~schema.extensions.DomainErrors` to be logged once, with the request's id."""


def build_schema(settings: Settings) -> strawberry.Schema:
    """A schema of its own, for whoever changes it (a test comparing executors)."""
    return _build(SchemaSettings.of(settings))


def schema_for(settings: Settings) -> strawberry.Schema:
    """The schema an app serves: one per process for each distinct :class:`SchemaSettings`
    (a test run builds hundreds of apps, and a build takes about half a second). Nothing
    of an app lives in it: what a request needs comes with its context."""
    return _shared(SchemaSettings.of(settings))


def _build(settings: SchemaSettings) -> strawberry.Schema:
    query = _merged(
        "Query",
        "Read the lab's data: lists, connections and lookups of every entity you may see.",
        (build_query(REGISTRY), AuthQuery, BrainQuery, ConnectomeQuery),
    )
    schema = GatewaySchema(
        query=query,
        mutation=_merged(
            "Mutation",
            "Write the lab's data; every mutation answers its result or a typed error.",
            (build_mutation(), AuthMutation, ApprovalMutation, BrainMutation),
        ),
        subscription=_merged(
            "Subscription",
            "Hear about changes as they happen (graphql-transport-ws over WebSocket).",
            (ApprovalSubscription,),
        ),
        extensions=build_extensions(settings),
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP),
        execution_context_class=CompiledReadExecutor,
    )
    read_plain_fields_directly(schema)
    return schema


_shared = cache(_build)
