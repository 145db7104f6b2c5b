"""The Strawberry schema: types, queries and extensions, built by :func:`build_schema`."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig

from gateway.settings import Settings
from schema.extensions import build_extensions
from schema.query import ROW_TYPES, build_query
from schema.relations import Registry
from schema.scalars import SCALAR_MAP


def build_schema(settings: Settings) -> strawberry.Schema:
    registry = Registry(ROW_TYPES)
    return strawberry.Schema(
        query=build_query(registry),
        extensions=build_extensions(settings),
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP),
    )
