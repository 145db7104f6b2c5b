"""Abusive documents are refused before execution; unexpected failures never leak details."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Gateway


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body["errors"]]


async def test_a_query_deeper_than_the_limit_is_refused(make_gateway: Any) -> None:
    gateway = await make_gateway(max_query_depth=3)
    ok = await gateway.graphql("{ sessions { subject { species { name } } } }")
    assert "errors" not in ok
    deep = await gateway.graphql("{ sessions { subject { species { category { name } } } } }")
    assert _codes(deep) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "exceeds maximum operation depth" in deep["errors"][0]["message"]


async def test_too_many_aliases_are_refused(make_gateway: Any) -> None:
    gateway = await make_gateway(max_query_aliases=3)
    query = "{ " + " ".join(f"a{i}: species {{ name }}" for i in range(4)) + " }"
    body = await gateway.graphql(query)
    assert _codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "aliases" in body["errors"][0]["message"].lower()


async def test_a_document_with_too_many_tokens_is_refused(make_gateway: Any) -> None:
    gateway = await make_gateway(max_query_tokens=50)
    query = "{ species { " + " ".join(["name"] * 60) + " } }"
    body = await gateway.graphql(query)
    assert body.get("data") is None
    assert "token" in body["errors"][0]["message"].lower()


async def test_an_unexpected_failure_is_masked_without_a_traceback(
    gateway: Gateway, engine: AsyncEngine
) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("DROP TABLE connection"))
    body = await gateway.graphql("{ synapseConnections { id } }")
    assert body["errors"] == [
        {
            "message": "Internal server error.",
            "locations": [{"line": 1, "column": 3}],
            "path": ["synapseConnections"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR"},
        }
    ]
