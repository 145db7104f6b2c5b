"""The Strawberry schema: types, queries and extensions, built by :func:`build_schema`."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from gateway.settings import Settings
from schema.approvals import ApprovalMutation, ApprovalSubscription
from schema.auth import AuthMutation, AuthQuery
from schema.brains_api import BrainMutation, BrainQuery
from schema.connectome_api import ConnectomeQuery
from schema.execution import PlainListExecutor, read_plain_fields_directly
from schema.extensions import build_extensions
from schema.mutations import build_mutation
from schema.query import REGISTRY, build_query
from schema.scalars import SCALAR_MAP


def build_schema(settings: Settings) -> strawberry.Schema:
    query = merge_types("Query", (build_query(REGISTRY), AuthQuery, BrainQuery, ConnectomeQuery))
    schema = strawberry.Schema(
        query=query,
        mutation=merge_types(
            "Mutation", (build_mutation(), AuthMutation, ApprovalMutation, BrainMutation)
        ),
        subscription=merge_types("Subscription", (ApprovalSubscription,)),
        extensions=build_extensions(settings),
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP),
        execution_context_class=PlainListExecutor,
    )
    read_plain_fields_directly(schema)
    return schema
