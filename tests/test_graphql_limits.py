"""Abusive documents are refused before execution (depth, aliases and fields as expanded,
the rows they may read, filters and variables beyond their bounds, introspection when it is
off); unexpected failures never leak details."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import Gateway
from tests.live import serve


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


def fan_out(levels: int) -> str:
    """The issue's document: each fragment spreads the one below it twice, so ``levels``
    levels select 2**levels ids (29 levels: 1.1 KB)."""
    fragments = ["fragment L0 on Project { id }"] + [
        f"fragment L{i} on Project {{ ...L{i - 1} ...L{i - 1} }}" for i in range(1, levels + 1)
    ]
    return f"{{ projects(limit: 1) {{ ...L{levels} }} }}\n" + "\n".join(fragments)


async def test_fragments_are_counted_as_spread_and_a_fan_out_is_refused_at_once(
    gateway: Gateway,
) -> None:
    gateway.statements.reset()
    started = time.perf_counter()
    body = await gateway.graphql(fan_out(20))
    elapsed = time.perf_counter() - started
    assert _codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "selects 1048577 fields once its fragments are expanded" in body["errors"][0][
        "message"
    ]
    assert elapsed < 1.0  # measured once per fragment, never expanded
    assert gateway.statements.count == 0


async def test_a_fan_out_never_stalls_a_live_gateway_for_other_requests(
    settings: Settings,
) -> None:
    async def timed(client: httpx.AsyncClient, query: str) -> tuple[float, dict[str, Any]]:
        started = time.perf_counter()
        response = await client.post("/graphql", json={"query": query})
        return time.perf_counter() - started, response.json()

    with serve(create_app(settings)) as base:
        async with httpx.AsyncClient(base_url=base, timeout=10) as attacker, httpx.AsyncClient(
            base_url=base, timeout=10
        ) as other:
            attack = asyncio.ensure_future(timed(attacker, fan_out(29)))
            await asyncio.sleep(0.01)
            (other_time, other_body), (attack_time, attack_body) = await asyncio.gather(
                timed(other, "{ species(limit: 1) { name } }"), attack
            )
    assert _codes(attack_body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert other_body == {"data": {"species": []}}
    assert attack_time < 1.0 and other_time < 1.0  # the target: 100 ms, and 1 s


async def test_the_expanded_selection_counts_each_spread_and_alias(make_gateway: Any) -> None:
    gateway = await make_gateway(max_query_fields=20)
    fragment = "fragment F on Species { name scientificName }"
    fits = "{ " + " ".join(f"a{i}: species {{ ...F }}" for i in range(6)) + " }\n" + fragment
    assert "errors" not in await gateway.graphql(fits)  # 6 x (1 + 2) = 18 fields
    over = "{ " + " ".join(f"a{i}: species {{ ...F }}" for i in range(7)) + " }\n" + fragment
    body = await gateway.graphql(over)  # 21 fields
    assert _codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "selects 21 fields" in body["errors"][0]["message"]


async def test_aliases_inside_a_fragment_count_once_per_spread(make_gateway: Any) -> None:
    gateway = await make_gateway(max_query_aliases=5)
    query = (
        "{ species { ...A } more: species { ...A } }\n"
        "fragment A on Species { a: name b: name }"
    )  # 1 + 2 x 2 = 5 aliases
    assert "errors" not in await gateway.graphql(query)
    two_more = "x: species { ...A } y: species { ...A }"
    body = await gateway.graphql(query.replace("more: species { ...A }", two_more))
    assert _codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "uses 8 aliases" in body["errors"][0]["message"]


async def test_a_chain_of_fragments_nesting_past_the_stack_is_refused_as_too_deep(
    make_gateway: Any,
) -> None:
    gateway = await make_gateway(max_query_tokens=100_000)
    links = 2000
    fragments = "\n".join(
        f"fragment F{i} on Session {{ project {{ sessions {{ ...F{i + 1} }} }} }}"
        for i in range(links)
    )
    query = f"{{ sessions {{ ...F0 }} }}\n{fragments}\nfragment F{links} on Session {{ id }}"
    body = await gateway.graphql(query)
    # graphql-core's own rules give up on such a chain too ("Validation aborted."), cleanly
    assert set(_codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert body["errors"][0]["message"] == "'anonymous' exceeds maximum operation depth of 10"


MILLION_ROWS = (
    "{ projects(limit: 100) { sessions(limit: 100) { project { sessions(limit: 100) { id } } } } }"
)


async def test_a_page_over_the_page_size_is_refused_as_such_not_by_its_cost(
    gateway: Gateway,
) -> None:
    body = await gateway.graphql("{ species(limit: 1000000) { name } }")
    assert _codes(body) == ["BAD_USER_INPUT"]
    assert "over the maximum of 100" in body["errors"][0]["message"]


async def test_a_query_asking_for_too_many_rows_is_refused_before_any_statement(
    gateway: Gateway,
) -> None:
    gateway.statements.reset()
    body = await gateway.graphql(MILLION_ROWS)
    assert body["data"] is None
    (error,) = body["errors"]
    # 100 projects, 100 x 100 sessions, as many projects, 100 x 100 x 100 sessions
    assert error["extensions"] == {
        "code": "MAX_COST_EXCEEDED",
        "cost": 1_020_100,
        "maxCost": 50_000,
    }
    assert "1020100 rows" in error["message"]
    assert gateway.statements.count == 0


async def test_the_cost_reads_page_sizes_from_variables(make_gateway: Any) -> None:
    gateway = await make_gateway(max_query_cost=2550)
    query = "query ($n: Int) { projects(limit: $n) { sessions(limit: $n) { id } } }"
    assert "errors" not in await gateway.graphql(query, {"n": 50})  # 50 + 50 x 50
    body = await gateway.graphql(query, {"n": 51})
    assert body["errors"][0]["extensions"]["cost"] == 51 + 51 * 51


async def test_a_list_without_a_limit_costs_its_default_page(make_gateway: Any) -> None:
    gateway = await make_gateway(max_page_size=5, max_query_cost=30)
    query = "{ projects { sessions { id } } }"
    assert "errors" not in await gateway.graphql(query)  # 5 + 5 x 5
    gateway = await make_gateway(max_page_size=6, max_query_cost=30)
    body = await gateway.graphql(query)
    assert body["errors"][0]["extensions"]["cost"] == 6 + 6 * 6


async def test_a_connection_sizes_the_lists_it_holds(make_gateway: Any) -> None:
    gateway = await make_gateway(max_query_cost=90)
    # the connection, then 30 edges with a node each, and 30 nodes
    query = "{ sessionsConnection(first: 30) { totalCount edges { node { id } } nodes { id } } }"
    body = await gateway.graphql(query)
    assert body["errors"][0]["extensions"]["cost"] == 1 + 30 * 2 + 30
    assert "errors" not in await gateway.graphql(query.replace("30", "20"))


async def test_a_branch_left_out_by_a_directive_costs_nothing(make_gateway: Any) -> None:
    gateway = await make_gateway(max_query_cost=100)
    query = (
        "query ($all: Boolean!) { projects(limit: 10) { id "
        "sessions(limit: 100) @include(if: $all) { id } } }"
    )
    assert "errors" not in await gateway.graphql(query, {"all": False})
    body = await gateway.graphql(query, {"all": True})
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


SESSIONS_WHERE = "query ($w: SessionWhere) { sessions(where: $w) { id } }"


async def test_a_filter_with_thousands_of_alternatives_is_refused_quickly(
    gateway: Gateway,
) -> None:
    where = {"or": [{"name": {"eq": f"s{i}"}} for i in range(10_000)]}
    gateway.statements.reset()
    started = time.perf_counter()
    body = await gateway.graphql(SESSIONS_WHERE, {"w": where})
    elapsed = time.perf_counter() - started
    assert _codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == (
        "The variables may hold at most 1000 input objects (each condition of a where: is one)."
    )
    assert gateway.statements.count == 0
    assert elapsed < 1.0


async def test_a_filter_with_more_conditions_than_the_bound_is_refused(gateway: Gateway) -> None:
    where = {"or": [{"name": {"eq": f"s{i}"}} for i in range(300)]}  # and the or itself
    gateway.statements.reset()
    body = await gateway.graphql(SESSIONS_WHERE, {"w": where})
    assert _codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "A filter may hold at most 300 conditions."
    assert gateway.statements.count == 0
    where["or"].pop()
    assert "errors" not in await gateway.graphql(SESSIONS_WHERE, {"w": where})


async def test_a_filter_nested_too_deep_is_refused(gateway: Gateway) -> None:
    where: dict[str, Any] = {"name": {"eq": "x"}}
    for _ in range(9):
        where = {"not": where}
    assert "errors" not in await gateway.graphql(SESSIONS_WHERE, {"w": where})  # 10 deep
    body = await gateway.graphql(SESSIONS_WHERE, {"w": {"not": where}})
    assert _codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "A filter may nest and, or and not at most 10 deep."


async def test_an_in_list_longer_than_the_bound_is_refused(gateway: Gateway) -> None:
    names = [f"s{i}" for i in range(1001)]
    body = await gateway.graphql(SESSIONS_WHERE, {"w": {"name": {"in": names}}})
    assert _codes(body) == ["BAD_USER_INPUT"]
    assert "'in' on name may list at most 1000 values." in body["errors"][0]["message"]
    fits = {"w": {"name": {"in": names[:1000]}}}
    assert "errors" not in await gateway.graphql(SESSIONS_WHERE, fits)


@pytest.mark.parametrize("levels", [500, 10_000])
async def test_variables_nested_too_deep_are_a_400_naming_the_bound(
    gateway: Gateway, levels: int
) -> None:
    where = '{"and":[' * levels + '{"name":{"eq":"x"}}' + "]}" * levels
    raw = '{"query": "' + SESSIONS_WHERE + '", "variables": {"w": ' + where + "}}"
    response = await gateway.client.post(
        "/graphql", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "JSON nested more than 64 levels deep is refused.",
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ]
    }


async def test_introspection_is_on_in_development_and_graphiql_gets_its_schema(
    gateway: Gateway,
) -> None:
    body = await gateway.graphql(get_introspection_query(descriptions=True))
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
    page = await gateway.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


async def test_introspection_turned_off_is_a_clear_error(make_gateway: Any) -> None:
    gateway = await make_gateway(introspection=False)
    body = await gateway.graphql("{ __schema { queryType { name } } }")
    assert set(_codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert body["errors"][0]["message"] == (
        "GraphQL introspection has been disabled, but the requested query contained the "
        "field '__schema'."
    )
    body = await gateway.graphql('{ __type(name: "Session") { name } }')
    assert set(_codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert await gateway.data("{ __typename }") == {"__typename": "Query"}
    page = await gateway.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 404  # GraphiQL follows introspection unless set


def test_introspection_defaults_to_on_in_development_and_off_in_production() -> None:
    production = {"NEUROGATE_ENV": "production", "NEUROGATE_SECRET_KEY": "k" * 40}
    assert Settings.from_env({}).introspection_enabled
    assert Settings.from_env({}).graphiql_enabled
    assert not Settings.from_env(production).introspection_enabled
    assert not Settings.from_env(production).graphiql_enabled
    opened = Settings.from_env({**production, "NEUROGATE_INTROSPECTION": "true"})
    assert opened.introspection_enabled and opened.graphiql_enabled
    assert not Settings.from_env({"NEUROGATE_INTROSPECTION": "false"}).introspection_enabled


def test_the_cost_limit_defaults_to_five_pages_of_nested_pages() -> None:
    assert Settings().query_cost_limit == 50_000
    assert Settings(max_page_size=1000).query_cost_limit == 5_000_000
    assert Settings.from_env({"NEUROGATE_MAX_QUERY_COST": "7"}).query_cost_limit == 7
