"""GraphQL over HTTP: the npm ``graphql-http`` audit against a live gateway (every MUST and
every SHOULD), and the answers a client asking for ``application/graphql-response+json``
gets."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import Settings
from tests import node
from tests.conftest import Gateway
from tests.live import serve

GRAPHQL_RESPONSE = "application/graphql-response+json"


async def test_the_graphql_http_audit_passes_with_no_warning(settings: Settings) -> None:
    with serve(create_app(settings)) as base:
        process = await node.start("audit.mjs", base + "/graphql")
        out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0
    results = json.loads(out)
    assert len(results) >= 50  # the audit ran, not an empty list
    not_ok = [f"{r['status']}: {r['name']} ({r['reason']})" for r in results if r["status"] != "ok"]
    assert not_ok == []


async def ask(
    gateway: Gateway, body: dict[str, object], accept: str = GRAPHQL_RESPONSE
) -> httpx.Response:
    return await gateway.client.post("/graphql", json=body, headers={"Accept": accept})


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{ species { name "}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "{ species { noSuchField } }"}, "GRAPHQL_VALIDATION_FAILED"),
        (
            {"query": "query ($n: Int!) { species(limit: $n) { name } }", "variables": {"n": "x"}},
            "BAD_USER_INPUT",
        ),
    ],
    ids=["parse", "validation", "variable-coercion"],
)
async def test_a_request_error_is_a_400_without_data_in_graphql_response_json(
    gateway: Gateway, body: dict[str, object], code: str
) -> None:
    response = await ask(gateway, body)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    answer = response.json()
    assert "data" not in answer
    assert answer["errors"][0]["extensions"]["code"] == code


async def test_clients_asking_for_json_keep_200_and_data_null(gateway: Gateway) -> None:
    response = await ask(gateway, {"query": "{ species { name "}, accept="application/json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["data"] is None
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_a_successful_query_answers_in_the_media_type_asked_for(gateway: Gateway) -> None:
    preferred = await ask(gateway, {"query": "{ species { name } }"})
    assert preferred.status_code == 200
    assert preferred.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert preferred.json() == {"data": {"species": []}}
    legacy = await ask(gateway, {"query": "{ species { name } }"}, accept="*/*")
    assert legacy.headers["content-type"].startswith("application/json")


async def test_a_field_error_is_not_a_request_error(gateway: Gateway) -> None:
    # Executed, with an error at a field: 200, data present (GraphQL over HTTP's "partial").
    response = await ask(gateway, {"query": '{ session(id: "not-a-uuid") { name } }'})
    assert response.status_code == 200
    assert response.json()["data"] == {"session": None}
    assert response.json()["errors"][0]["path"] == ["session"]


@pytest.mark.parametrize(
    ("accept", "status"), [(GRAPHQL_RESPONSE, 400), ("application/json", 200)]
)
async def test_a_subscription_over_plain_http_says_where_subscriptions_are_served(
    gateway: Gateway, accept: str, status: int
) -> None:
    body = {"query": "subscription Watch { approvalEvents { kind } }", "operationName": "Watch"}
    response = await ask(gateway, body, accept=accept)
    assert response.status_code == status
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "WebSocket at /graphql" in error["message"]


async def test_a_query_naming_a_subscription_field_elsewhere_still_runs(gateway: Gateway) -> None:
    # Only the operation that runs counts: a document may hold a subscription beside it.
    body = {
        "query": "query Q { species { name } } subscription S { approvalEvents { kind } }",
        "operationName": "Q",
    }
    response = await ask(gateway, body)
    assert response.status_code == 200
    assert response.json() == {"data": {"species": []}}
