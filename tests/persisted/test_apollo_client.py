"""Apollo Client's own persisted-query link (npm ``@apollo/client``) against a live gateway:
it hashes, meets PersistedQueryNotFound, resends with the query, then runs by hash alone."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from gateway.app import create_app
from gateway.settings import Settings
from tests import node
from tests.live import serve
from tests.persisted.support import unique


async def apollo(base: str, query: str, method: str) -> dict[str, Any]:
    process = await node.start("apq.mjs", base + "/graphql", query, method)
    out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0
    return json.loads(out)  # type: ignore[no-any-return]


async def test_apollo_clients_link_registers_then_runs_by_hash_over_get(
    settings: Settings,
) -> None:
    query = unique("query Species { species { name } }")
    with serve(create_app(settings)) as base:
        run = await apollo(base, query, "get")
    assert run["results"] == [{"data": {"species": []}}] * 2
    assert run["exchanges"] == [
        # The hash alone over GET: unknown, never to be cached.
        {"method": "GET", "sentQuery": False, "status": 404, "cacheControl": "no-store"},
        # The link's retry, with the query: it runs and is stored.
        {"method": "POST", "sentQuery": True, "status": 200, "cacheControl": None},
        # The second run: the hash alone, cacheable by a CDN (an anonymous caller).
        {
            "method": "GET",
            "sentQuery": False,
            "status": 200,
            "cacheControl": "public, max-age=60",
        },
    ]


async def test_apollo_clients_link_over_post(settings: Settings) -> None:
    query = unique("query Species { species { name } }")
    with serve(create_app(settings)) as base:
        run = await apollo(base, query, "post")
    assert run["results"] == [{"data": {"species": []}}] * 2
    assert [(e["method"], e["sentQuery"], e["status"]) for e in run["exchanges"]] == [
        ("POST", False, 404),
        ("POST", True, 200),
        ("POST", False, 200),
    ]
