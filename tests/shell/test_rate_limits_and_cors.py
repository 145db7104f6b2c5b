"""Seed 000's rate limits (per user, per address, headers, 429) and CORS, on every surface."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models._base import utcnow
from tests.auth.support import bearer, make_user, personal_token


@pytest.mark.one_answer
async def test_every_response_carries_the_rate_limit_headers(make_gateway: Any) -> None:
    gateway = await make_gateway(rate_limit_anonymous="100/minute")
    first = await gateway.client.post("/graphql", json={"query": "{ species { name } }"})
    second = await gateway.client.get("/api/public/taxonomies/species/")
    assert first.headers["X-RateLimit-Limit"] == "100"
    assert first.headers["X-RateLimit-Remaining"] == "99"
    assert second.headers["X-RateLimit-Remaining"] == "98"
    reset = int(first.headers["X-RateLimit-Reset"])
    assert time.time() < reset <= time.time() + 61


async def test_the_anonymous_limit_answers_429_in_each_familys_format(make_gateway: Any) -> None:
    gateway = await make_gateway(rate_limit_anonymous="3/minute")
    for _ in range(3):
        assert (await gateway.client.get("/api/categories/")).status_code != 429
    brainmaps = await gateway.client.get("/api/categories/")
    assert brainmaps.status_code == 429
    assert brainmaps.json()["error"] == "Rate limit exceeded"
    assert 1 <= int(brainmaps.headers["Retry-After"]) <= 60
    assert brainmaps.headers["X-RateLimit-Remaining"] == "0"
    graphql = await gateway.client.post("/graphql", json={"query": "{ species { name } }"})
    assert graphql.status_code == 429
    assert graphql.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    alyx = await gateway.client.get("/subjects")
    assert alyx.status_code == 429 and "throttled" in alyx.json()["detail"]


@pytest.mark.one_answer
async def test_authenticated_users_have_their_own_higher_limit(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    gateway = await make_gateway(
        rate_limit_anonymous="2/minute", rate_limit_authenticated="5/minute"
    )
    user = await make_user(sessionmaker, "ada@lab.org")
    token = await personal_token(sessionmaker, user, now=utcnow())
    query = {"query": "{ me { email } }"}
    for _ in range(2):
        await gateway.client.post("/graphql", json=query)
    assert (await gateway.client.post("/graphql", json=query)).status_code == 429
    answers = [
        await gateway.client.post("/graphql", json=query, headers=bearer(token)) for _ in range(6)
    ]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert answers[0].headers["X-RateLimit-Limit"] == "5"


async def test_health_endpoints_are_never_limited(make_gateway: Any) -> None:
    gateway = await make_gateway(rate_limit_anonymous="1/minute")
    for _ in range(5):
        response = await gateway.client.get("/healthz")
        assert response.status_code == 200
        assert "X-RateLimit-Limit" not in response.headers


async def test_cors_preflight_allows_any_origin_with_the_seeds_methods_and_headers(
    make_gateway: Any,
) -> None:
    gateway = await make_gateway()
    response = await gateway.client.options(
        "/api/brains/",
        headers={
            "Origin": "https://atlas.example.org",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    methods = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert methods == {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
    allowed = {
        h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")
    }
    assert {"authorization", "content-type"} <= allowed


async def test_cors_headers_are_on_answers_and_errors_alike(make_gateway: Any) -> None:
    gateway = await make_gateway()
    origin = {"Origin": "https://atlas.example.org"}
    ok = await gateway.client.post(
        "/graphql", json={"query": "{ species { name } }"}, headers=origin
    )
    refused = await gateway.client.get("/api/auth/me/", headers={**origin, **bearer("nope")})
    for response in (ok, refused):
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert refused.status_code == 401
    assert "X-RateLimit-Remaining" in ok.headers["Access-Control-Expose-Headers"]
    # Every answer varies with the Origin, in one Vary header with what else it varies with.
    assert ok.headers.get_list("vary") == ["Origin"]
    plain = await gateway.client.post("/graphql", json={"query": "{ species { name } }"})
    assert plain.headers.get_list("vary") == ["Origin"]
    assert "Access-Control-Allow-Origin" not in plain.headers
    get = await gateway.client.get(
        "/graphql",
        params={"query": "{ species { name } }"},
        headers={**origin, "Accept": "application/json"},
    )
    (varies,) = get.headers.get_list("vary")
    assert {name.strip() for name in varies.split(",")} == {
        "Accept", "Authorization", "X-Neurogate-Portal", "Origin"
    }
    assert get.headers["Access-Control-Allow-Origin"] == "*"


async def test_a_disallowed_preflight_header_is_refused(make_gateway: Any) -> None:
    gateway = await make_gateway()
    response = await gateway.client.options(
        "/api/brains/",
        headers={
            "Origin": "https://atlas.example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "X-Secret-Sauce",
        },
    )
    assert response.status_code == 400


async def test_a_preflight_may_name_every_header_the_gateway_reads(make_gateway: Any) -> None:
    gateway = await make_gateway()
    read = [
        "Authorization",
        "Content-Type",
        "Apollo-Require-Preflight",
        "X-Apollo-Operation-Name",
        "X-Neurogate-Preflight",
        "X-Neurogate-Portal",
        "Authorization-Cave",
        "X-Request-ID",
        "Range",
        "If-None-Match",
    ]
    for path, method in (("/graphql", "POST"), ("/circuit/segment/property/size", "POST")):
        response = await gateway.client.options(
            path,
            headers={
                "Origin": "https://atlas.example.org",
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": ", ".join(read),
            },
        )
        assert response.status_code == 200, response.text
        allowed = {
            h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")
        }
        assert {h.lower() for h in read} <= allowed


async def test_answers_expose_the_headers_web_apps_read(make_gateway: Any) -> None:
    gateway = await make_gateway()
    response = await gateway.client.get(
        "/api/public/taxonomies/species/", headers={"Origin": "https://atlas.example.org"}
    )
    header = response.headers["Access-Control-Expose-Headers"]
    exposed = {h.strip().lower() for h in header.split(",")}
    assert {
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "retry-after",
        "etag",
        "content-range",
        "x-request-id",
    } <= exposed


async def test_every_answer_carries_a_request_id_the_callers_own_when_it_is_sane(
    make_gateway: Any,
) -> None:
    gateway = await make_gateway()
    given = await gateway.client.get("/healthz", headers={"X-Request-ID": "job-42.step:3"})
    assert given.headers["X-Request-ID"] == "job-42.step:3"
    made = await gateway.client.get("/healthz")
    other = await gateway.client.get("/healthz")
    assert len(made.headers["X-Request-ID"]) == 32
    assert made.headers["X-Request-ID"] != other.headers["X-Request-ID"]
    refused = await gateway.client.get("/healthz", headers={"X-Request-ID": "a b<script>"})
    assert len(refused.headers["X-Request-ID"]) == 32
