"""The Strawberry schema: types, queries and extensions, built by :func:`build_schema`."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from gateway.settings import Settings
from schema.auth import AuthMutation, AuthQuery
from schema.extensions import build_extensions
from schema.query import ROW_TYPES, build_query
from schema.relations import Registry
from schema.scalars import SCALAR_MAP


def build_schema(settings: Settings) -> strawberry.Schema:
    registry = Registry(ROW_TYPES)
    query = merge_types("Query", (build_query(registry), AuthQuery))
    return strawberry.Schema(
        query=query,
        mutation=merge_types("Mutation", (AuthMutation,)),
        extensions=build_extensions(settings),
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP),
    )
