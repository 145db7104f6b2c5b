"""Automatic persisted queries (Apollo's protocol) driven over a live uvicorn with httpx:
the PersistedQueryNotFound round trip, hashes that do not match, GET with Cache-Control,
and only executable queries stored."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models._base import utcnow
from gateway.settings import Settings
from tests.auth.support import make_user, personal_token
from tests.persisted.support import NOT_FOUND, live_client, persisted, unique


def get_params(query: str, *, with_query: bool = False) -> dict[str, str]:
    params = {"extensions": json.dumps(persisted(query))}
    if with_query:
        params["query"] = query
    return params


async def test_an_unknown_hash_answers_persisted_query_not_found_then_the_query_registers(
    settings: Settings,
) -> None:
    query = unique("{ species { name } }")
    async with live_client(settings) as client:
        first = await client.post("/graphql", json={"extensions": persisted(query)})
        assert first.status_code == 404
        assert first.json() == {"data": None, "errors": [NOT_FOUND]}
        assert first.headers["content-type"].startswith("application/json")

        both = await client.post(
            "/graphql", json={"query": query, "extensions": persisted(query)}
        )
        assert both.status_code == 200
        assert both.json() == {"data": {"species": []}}

        by_hash = await client.post("/graphql", json={"extensions": persisted(query)})
        assert by_hash.status_code == 200
        assert by_hash.json() == {"data": {"species": []}}


async def test_a_query_whose_hash_does_not_match_is_refused_and_not_stored(
    settings: Settings,
) -> None:
    victim = unique("{ species { name } }")
    attacker = "{ me { email } }"
    async with live_client(settings) as client:
        refused = await client.post(
            "/graphql", json={"query": attacker, "extensions": persisted(victim)}
        )
        assert refused.status_code == 400
        error = refused.json()["errors"][0]
        assert error["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
        assert refused.json()["data"] is None

        later = await client.post("/graphql", json={"extensions": persisted(victim)})
        assert later.json()["errors"] == [NOT_FOUND]


@pytest.mark.parametrize(
    "query",
    [
        "{ species { name ",  # does not parse
        "{ species { noSuchField } }",  # does not validate
        "{ a: species { name } " + " ".join(f"a{i}: species {{ name }}" for i in range(40)) + " }",
    ],
    ids=["parse", "validation", "too-many-aliases"],
)
async def test_a_query_that_cannot_run_is_not_stored(settings: Settings, query: str) -> None:
    query = unique(query)
    async with live_client(settings) as client:
        sent = await client.post(
            "/graphql", json={"query": query, "extensions": persisted(query)}
        )
        assert sent.json()["errors"][0]["extensions"]["code"].startswith("GRAPHQL_")
        later = await client.post("/graphql", json={"extensions": persisted(query)})
        assert later.json()["errors"] == [NOT_FOUND]


async def test_a_malformed_persisted_query_extension_is_a_400_in_graphql_format(
    settings: Settings,
) -> None:
    async with live_client(settings) as client:
        for extension in (
            {"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}},
            {"persistedQuery": {"version": 1, "sha256Hash": "not-a-hash"}},
            {"persistedQuery": {"version": 1}},
            {"persistedQuery": "yes"},
        ):
            answer = await client.post("/graphql", json={"extensions": extension})
            assert answer.status_code == 400, extension
            assert answer.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_hash_only_get_answers_with_a_public_cache_control_for_anonymous_callers(
    settings: Settings,
) -> None:
    query = unique("{ species { name } }")
    async with live_client(settings) as client:
        # Accept */* (curl's): a GET naming a persisted query is not the GraphiQL page.
        missing = await client.get(
            "/graphql", params=get_params(query), headers={"Accept": "*/*"}
        )
        assert missing.status_code == 404
        assert missing.json()["errors"] == [NOT_FOUND]
        assert missing.headers["cache-control"] == "no-store"

        registered = await client.get("/graphql", params=get_params(query, with_query=True))
        assert registered.json() == {"data": {"species": []}}

        cached = await client.get("/graphql", params=get_params(query))
        assert cached.status_code == 200
        assert cached.json() == {"data": {"species": []}}
        assert cached.headers["cache-control"] == "public, max-age=60"
        varies = {name.strip() for name in cached.headers["vary"].split(",")}
        assert {"Accept", "Authorization", "X-Neurogate-Portal"} <= varies


async def test_a_signed_in_callers_get_answer_is_not_kept_by_any_cache(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    user_id = await make_user(sessionmaker, "ada@lab.org")
    token = await personal_token(sessionmaker, user_id, now=utcnow())
    query = unique("{ me { email } }")
    async with live_client(settings) as client:
        auth = {"Authorization": f"Bearer {token}"}
        await client.get("/graphql", params=get_params(query, with_query=True), headers=auth)
        mine = await client.get("/graphql", params=get_params(query), headers=auth)
        assert mine.json() == {"data": {"me": {"email": "ada@lab.org"}}}
        assert mine.headers["cache-control"] == "private, no-store"

        anonymous = await client.get("/graphql", params=get_params(query))
        assert anonymous.json() == {"data": {"me": None}}
        assert anonymous.headers["cache-control"] == "public, max-age=60"


async def test_a_persisted_mutation_is_refused_over_get(settings: Settings) -> None:
    mutation = unique('mutation { proposeSpecies(input: {name: "Mus"}) { __typename } }')
    async with live_client(settings) as client:
        await client.post("/graphql", json={"extensions": persisted(mutation)})
        answer = await client.get("/graphql", params=get_params(mutation, with_query=True))
        # In GraphQL's format (Strawberry's own refusal is plain text).
        assert answer.status_code == 400
        assert answer.json() == {
            "errors": [
                {
                    "message": "mutations are not allowed when using GET",
                    "extensions": {"code": "BAD_USER_INPUT"},
                }
            ]
        }


async def test_with_max_age_zero_anonymous_answers_must_be_revalidated(
    settings: Settings,
) -> None:
    query = unique("{ species { name } }")
    settings = replace(settings, graphql_get_max_age=0)
    async with live_client(settings) as client:
        answer = await client.get("/graphql", params={"query": query})
        assert answer.headers["cache-control"] == "no-cache"


async def test_with_persisted_queries_off_a_hash_answers_not_supported(
    settings: Settings,
) -> None:
    query = unique("{ species { name } }")
    settings = replace(settings, persisted_queries=False)
    async with live_client(settings) as client:
        answer = await client.post(
            "/graphql", json={"query": query, "extensions": persisted(query)}
        )
        assert answer.status_code == 400
        assert answer.json()["errors"] == [
            {
                "message": "PersistedQueryNotSupported",
                "extensions": {"code": "PERSISTED_QUERY_NOT_SUPPORTED"},
            }
        ]


async def test_a_get_query_takes_its_variables_and_operation_name_from_the_url(
    settings: Settings,
) -> None:
    query = unique(
        "query None { species(limit: 0) { name } } "
        "query Some($n: Int!) { species(limit: $n) { name } }"
    )
    async with live_client(settings) as client:
        params = {**get_params(query, with_query=True), "operationName": "Some"}
        params["variables"] = json.dumps({"n": 5})
        first = await client.get("/graphql", params=params)
        assert first.json() == {"data": {"species": []}}
        del params["query"]
        by_hash = await client.get("/graphql", params=params)
        assert by_hash.json() == {"data": {"species": []}}
        assert by_hash.headers["cache-control"] == "public, max-age=60"
        params["variables"] = json.dumps({"n": "five"})
        wrong = await client.get("/graphql", params=params)
        assert wrong.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert wrong.headers["cache-control"] == "no-store"


def test_the_persisted_query_settings_are_read_from_the_environment(tmp_path: Path) -> None:
    env = {
        "NEUROGATE_REDIS_URL": "redis://127.0.0.1:6379/3",
        "NEUROGATE_PERSISTED_QUERIES": "false",
        "NEUROGATE_PERSISTED_QUERY_CACHE_BYTES": "1024",
        "NEUROGATE_PERSISTED_QUERY_TTL_SECONDS": "60",
        "NEUROGATE_SAFELIST": str(tmp_path / "manifest.json"),
        "NEUROGATE_GRAPHQL_GET_MAX_AGE": "0",
    }
    settings = Settings.from_env(env)
    assert settings.redis_url == "redis://127.0.0.1:6379/3"
    assert settings.persisted_queries is False
    assert settings.persisted_query_cache_bytes == 1024
    assert settings.persisted_query_ttl_seconds == 60
    assert settings.safelist == tmp_path / "manifest.json"
    assert settings.graphql_get_max_age == 0
    defaults = Settings.from_env({})
    assert defaults.redis_url is None and defaults.safelist is None
    assert defaults.persisted_queries and defaults.graphql_get_max_age == 60
    for name, value in (
        ("NEUROGATE_PERSISTED_QUERY_CACHE_BYTES", "0"),
        ("NEUROGATE_PERSISTED_QUERY_TTL_SECONDS", "-1"),
        ("NEUROGATE_GRAPHQL_GET_MAX_AGE", "-5"),
        ("NEUROGATE_PERSISTED_QUERIES", "maybe"),
    ):
        with pytest.raises(ValueError, match=name):
            Settings.from_env({name: value})
