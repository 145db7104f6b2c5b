"""The differential check of compiled reads: one query answered by the same gateway, over
the same data, with compiled reads off (the normal path) and on; the answers must be equal
(status, data, errors). Conftest runs it on every query a test sends when
NEUROGATE_TEST_DIFFERENTIAL=1; tests/test_compiled_reads.py runs it on its own corpus."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from graphql import GraphQLError, OperationType, get_operation_ast, parse

# How many queries were compared, and how many differed (reported by the plugin's summary).
COMPARED = {"queries": 0}


def is_query(document: str) -> bool:
    try:
        operation = get_operation_ast(parse(document), None)
    except GraphQLError:
        return True  # both ways answer the same parse error
    return operation is None or operation.operation == OperationType.QUERY


async def answer(
    gateway: Any,
    query: str,
    variables: dict[str, Any] | None,
    headers: dict[str, str],
    *,
    compiled: bool,
) -> tuple[int, Any]:
    """The gateway's answer with compiled reads on or off; its statement counter untouched."""
    state = gateway.app.state
    original = state.settings
    counter = gateway.statements
    saved = counter.count, list(counter.statements)
    state.settings = replace(original, compiled_reads=compiled)
    try:
        response = await gateway.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
    finally:
        state.settings = original
        counter.count = saved[0]
        counter.statements[:] = saved[1]
    return response.status_code, response.json()


async def assert_same_both_ways(
    gateway: Any, query: str, variables: dict[str, Any] | None, headers: dict[str, str]
) -> None:
    if not is_query(query):
        return
    normal = await answer(gateway, query, variables, headers, compiled=False)
    fast = await answer(gateway, query, variables, headers, compiled=True)
    COMPARED["queries"] += 1
    assert fast == normal, f"compiled read differs for {query!r} {variables!r}"
