"""``/metrics``: requests by surface, route template and status, their latency, GraphQL
operations, SQL statements per request, rate-limit refusals and subscription connections, in
Prometheus' text format, for this host or whoever holds the metrics token."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.app import create_app
from gateway.db.models._base import utcnow
from gateway.settings import Settings
from tests.auth.support import bearer, make_user, personal_token
from tests.conftest import Gateway
from tests.live import serve

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
METRICS_TOKEN = "prometheus-scrape-secret-0123456789"


def samples_of(text: str) -> Samples:
    """Every sample of an exposition, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, metric: str, /, **labels: str) -> float:
    return samples.get((metric, frozenset(labels.items())), 0.0)


async def scrape(client: httpx.AsyncClient, **headers: str) -> Samples:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples_of(response.text)


async def test_requests_are_counted_by_surface_route_template_and_status(
    gateway: Gateway,
) -> None:
    client = gateway.client
    assert (await client.get("/api/public/stem/project/")).status_code == 200
    assert (await client.get("/users/nobody-here")).status_code == 404
    assert (await client.get("/users/nobody-either")).status_code == 404
    assert (await client.get("/no/such/place/7f3a")).status_code == 404
    samples = await scrape(client)
    requests = "neurogate_requests_total"
    stem = {"surface": "brainstem", "route": "/api/public/{path:path}", "method": "GET"}
    assert value(samples, requests, **stem, status="200") == 1
    alyx = {"surface": "alyx", "route": "/users/{username}", "method": "GET"}
    assert value(samples, requests, **alyx, status="404") == 2
    unrouted = {"surface": "unrouted", "route": "unrouted", "method": "GET", "status": "404"}
    assert value(samples, requests, **unrouted) == 1
    # Paths clients choose never become series of their own.
    scraped = (await client.get("/metrics")).text
    assert "nobody-here" not in scraped and "7f3a" not in scraped
    latency = "neurogate_request_duration_seconds_count"
    assert value(samples, latency, surface="alyx", route="/users/{username}") == 2
    assert value(samples, latency, surface="brainstem", route=stem["route"]) == 1


@pytest.mark.one_answer
async def test_graphql_operations_are_counted_by_type_and_name(gateway: Gateway) -> None:
    await gateway.data("query Projects { projects(limit: 1) { id } }")
    await gateway.data("query Projects { projects(limit: 2) { id } }")
    await gateway.data("{ species(limit: 1) { name } }")
    signed_in = await gateway.graphql(
        'mutation SignIn { login(login: "nobody@lab.org", password: "wrong-password") '
        "{ __typename } }"
    )
    assert "errors" not in signed_in, signed_in
    refused = await gateway.graphql("query Broken { nothing }")  # never executed
    assert refused["errors"]
    samples = await scrape(gateway.client)
    operations = "neurogate_graphql_operations_total"
    assert value(samples, operations, type="query", name="Projects") == 2
    assert value(samples, operations, type="query", name="anonymous") == 1
    assert value(samples, operations, type="mutation", name="SignIn") == 1
    assert value(samples, operations, type="query", name="Broken") == 0
    requests = {"surface": "graphql", "route": "/graphql", "method": "POST", "status": "200"}
    assert value(samples, "neurogate_requests_total", **requests) == 5


async def test_sql_statements_per_request_are_observed(gateway: Gateway) -> None:
    gateway.statements.reset()
    listed = await gateway.client.get("/api/public/stem/session/?include[]=projects.*")
    assert listed.status_code == 200
    ran = gateway.statements.count
    assert ran > 0
    samples = await scrape(gateway.client)
    assert value(samples, "neurogate_sql_statements_per_request_sum", surface="brainstem") == ran
    assert value(samples, "neurogate_sql_statements_per_request_count", surface="brainstem") == 1


async def test_rate_limit_refusals_are_counted_by_surface_and_caller(make_gateway: object) -> None:
    gateway: Gateway = await make_gateway(rate_limit_anonymous="2/minute")  # type: ignore[operator]
    answers = [(await gateway.client.get("/api/categories/")).status_code for _ in range(4)]
    assert answers == [200, 200, 429, 429]
    samples = await scrape(gateway.client)  # /metrics itself is never limited
    refusals = "neurogate_rate_limit_refusals_total"
    assert value(samples, refusals, surface="brainmaps", caller="address") == 2
    requests = {"surface": "brainmaps", "route": "/api/categories/", "method": "GET"}
    assert value(samples, "neurogate_requests_total", **requests, status="429") == 2


async def test_only_this_host_reads_metrics_without_a_token(gateway: Gateway) -> None:
    elsewhere = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gateway.app, client=("10.1.2.3", 5000)),
        base_url="http://testserver",
    )
    async with elsewhere:
        refused = await elsewhere.get("/metrics")
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("Metrics are served to this host only")
    assert "neurogate_requests" not in refused.text
    await scrape(gateway.client)  # 127.0.0.1


async def test_with_a_metrics_token_only_its_holder_reads_metrics(make_gateway: object) -> None:
    gateway: Gateway = await make_gateway(metrics_token=METRICS_TOKEN)  # type: ignore[operator]
    elsewhere = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gateway.app, client=("10.1.2.3", 5000)),
        base_url="http://testserver",
    )
    async with elsewhere:
        # The token is Prometheus', not a user's: the gateway's sign-in never sees it.
        samples = await scrape(elsewhere, **bearer(METRICS_TOKEN))
        assert ("neurogate_subscription_connections", frozenset()) in samples
        for headers in ({}, bearer(METRICS_TOKEN + "x"), bearer(METRICS_TOKEN, "Token")):
            assert (await elsewhere.get("/metrics", headers=headers)).status_code == 403
    # From this host too: the token is the rule once it is set.
    assert (await gateway.client.get("/metrics")).status_code == 403


def test_a_short_metrics_token_is_refused() -> None:
    with pytest.raises(ValueError, match="NEUROGATE_METRICS_TOKEN must be at least 16"):
        Settings.from_env({"NEUROGATE_METRICS_TOKEN": "short"})


async def test_subscription_connections_are_counted_while_open(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    user = await make_user(sessionmaker, "rita@lab.org", is_reviewer=True)
    token = await personal_token(sessionmaker, user, now=utcnow())
    with serve(create_app(settings)) as base:
        url = base.replace("http://", "ws://") + "/graphql"
        async with httpx.AsyncClient(base_url=base) as client:
            async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
                init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
                await ws.send(json.dumps(init))
                assert json.loads(await ws.recv())["type"] == "connection_ack"
                subscribe = {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": "subscription Watch { approvalEvents { kind } }"},
                }
                await ws.send(json.dumps(subscribe))
                await client.post("/graphql", json={"query": "{ me { id } }"})  # a round trip
                open_ = await scrape(client)
                assert value(open_, "neurogate_subscription_connections") == 1
            # The server sees the close frame a moment after the client has sent it.
            for _ in range(100):
                closed = await scrape(client)
                if value(closed, "neurogate_subscription_connections") == 0:
                    break
                await asyncio.sleep(0.05)
            assert value(closed, "neurogate_subscription_connections") == 0
            assert value(closed, "neurogate_subscription_connections_opened_total") == 1
            operation = {"type": "subscription", "name": "Watch"}
            assert value(closed, "neurogate_graphql_operations_total", **operation) == 1
