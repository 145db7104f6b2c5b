"""The differential check of compiled reads: one query answered by the same gateway, over
the same data, with compiled reads off (the normal path) and on; the answers must be equal
(status, data, errors). Conftest runs it on every query a test sends when
NEUROGATE_TEST_DIFFERENTIAL=1; tests/test_compiled_reads.py runs it on its own corpus."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import httpx
from graphql import GraphQLError, OperationType, get_operation_ast, parse

_COMPILED = "AS obj"  # the column of every compiled statement's rows

# How many queries were compared, and how many differed (reported by the plugin's summary).
COMPARED = {"queries": 0, "compiled": 0}


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
    payload = {"query": query, "variables": variables or {}}
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gateway.app), base_url="http://testserver"
    )
    async with client:
        return await _with_settings(
            gateway, compiled, client.post("/graphql", json=payload, headers=headers)
        )


async def assert_same_both_ways(
    gateway: Any, query: str, variables: dict[str, Any] | None, headers: dict[str, str]
) -> None:
    if not is_query(query):
        return
    normal = await answer(gateway, query, variables, headers, compiled=False)
    fast = await answer(gateway, query, variables, headers, compiled=True)
    COMPARED["queries"] += 1
    assert fast == normal, f"compiled read differs for {query!r} {variables!r}"


class DifferentialTransport(httpx.AsyncBaseTransport):
    """The in-process transport of a test's gateway that, before sending a GraphQL query
    posted as JSON, answers it both ways and compares the answers: every query a test sends
    through its client is checked, whatever helper sent it."""

    def __init__(self, gateway: Any) -> None:
        self.gateway = gateway
        self.inner = httpx.ASGITransport(app=gateway.app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        payload = _graphql_payload(request, await request.aread())
        if payload is not None:
            normal = await self._answer(request, payload, compiled=False)
            fast = await self._answer(request, payload, compiled=True)
            COMPARED["queries"] += 1
            assert fast == normal, f"compiled read differs for {payload!r}"
        return await self.inner.handle_async_request(request)

    async def _answer(
        self, request: httpx.Request, payload: dict[str, Any], *, compiled: bool
    ) -> tuple[int, Any]:
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in {"content-length"}
        }
        async with httpx.AsyncClient(
            transport=self.inner, base_url="http://testserver"
        ) as client:
            return await _with_settings(
                self.gateway,
                compiled,
                client.post(request.url.path, json=payload, headers=headers),
            )


def _graphql_payload(request: httpx.Request, body: bytes) -> dict[str, Any] | None:
    if request.method != "POST" or request.url.path != "/graphql":
        return None
    if not request.headers.get("content-type", "").startswith("application/json"):
        return None
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # the gateway's own refusal is what is tested
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return None
    if payload.get("extensions") or not is_query(payload["query"]):
        return None
    return payload


async def _with_settings(gateway: Any, compiled: bool, sending: Any) -> tuple[int, Any]:
    state = gateway.app.state
    original = state.settings
    counter = gateway.statements
    saved = counter.count, list(counter.statements)
    counter.reset()
    state.settings = replace(original, compiled_reads=compiled)
    try:
        response = await sending
        if compiled and any(_COMPILED in s for s in counter.statements):
            COMPARED["compiled"] += 1
    finally:
        state.settings = original
        counter.count = saved[0]
        counter.statements[:] = saved[1]
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text
