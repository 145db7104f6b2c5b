"""Compiled reads (schema.compiled): a compilable root field is one statement building its
JSON in the database, and answers exactly what the normal path answers."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx
import orjson
from graphql import get_introspection_query
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.graphql_view import GraphQLView
from gateway.settings import Settings
from schema import build_schema
from schema import compiled as compiled_statements
from tests.differential import answer, assert_same_both_ways
from tests.test_statement_counts import QUERY, _arrange

NESTED = """
query ($limit: Int!) {
  sessions(limit: $limit) {
    id
    subject { nickname species { name } }
    project { name }
  }
}
"""

# Shapes the compiler takes, and some it hands back to the normal path, each sent both ways.
CORPUS: list[tuple[str, dict[str, Any]]] = [
    (NESTED, {"limit": 1000}),
    (QUERY, {"limit": 50}),
    ("{ sessions(limit: 3, offset: 2) { __typename id name startTime endTime number } }", {}),
    (
        "{ a: sessions(limit: 2) { id } b: sessions(limit: 1, offset: 5) { ...S } } "
        "fragment S on Session { name subject { nickname } }",
        {},
    ),
    (
        "query ($s: Boolean!) { sessions(limit: 4) { id name @skip(if: $s) "
        "project @include(if: $s) { name } } }",
        {"s": True},
    ),
    (
        "query ($s: Boolean!) { sessions(limit: 4) { id name @skip(if: $s) "
        "project @include(if: $s) { name } } }",
        {"s": False},
    ),
    ("{ sessions(orderBy: [{field: NAME, direction: DESC}], limit: 7) { name } }", {}),
    ('{ sessions(where: {name: {startswith: "s1"}}, limit: 20) { name } }', {}),
    ("{ projects { id name isPublic sessions(limit: 3) { name subject { nickname } } } }", {}),
    ("{ projects { name sessions(limit: 2, offset: 1, orderBy: [{field: NAME}]) { name } } }", {}),
    ("{ subjects(limit: 5) { nickname species { name id } } }", {}),
    ("{ sessions(limit: 100000) { id } }", {}),
    ("{ sessions(limit: -1) { id } }", {}),
    ("{ sessions(offset: -1) { id } }", {}),
    ("{ projects { sessions(limit: 100000) { id } } }", {}),
    ('{ session(id: "not-a-uuid") { id } }', {}),
    ('{ session(id: "00000000-0000-0000-0000-000000000000") { id name } }', {}),
    ("{ sessionsConnection(first: 3) { totalCount edges { node { name } } } }", {}),
    ("{ sessions(limit: 2) { name } sessionsConnection(first: 2) { totalCount } }", {}),
    ("{ species { name } }", {}),
    ("{ projects { id isPublic tags extraFields createdAt updatedAt description } }", {}),
    ("{ subjects(limit: 10) { nickname sex project { isPublic } } }", {}),
    ("{ sessions(limit: 5) { createdAt startTime endTime extraFields qc nTrials } }", {}),
    ('{ projectByName(name: "nothing") { id } }', {}),
]


async def test_every_corpus_query_answers_the_same_compiled_and_not(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _arrange(sessionmaker, 1000)
    gateway = await make_gateway(max_page_size=1000)
    for query, variables in CORPUS:
        await assert_same_both_ways(gateway, query, variables, {})
    data = await gateway.data("{ sessions(limit: 1) { id } }")
    (session,) = data["sessions"]
    lookup = "query ($id: ID!) { session(id: $id) { id name subject { nickname } } }"
    await assert_same_both_ways(gateway, lookup, {"id": session["id"]}, {})


async def test_the_nested_thousand_session_query_is_one_statement(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _arrange(sessionmaker, 1000)
    gateway = await make_gateway(max_page_size=1000)
    gateway.statements.reset()
    data = await gateway.data(NESTED, {"limit": 1000})
    assert len(data["sessions"]) == 1000
    assert all(s["subject"]["species"]["name"] and s["project"]["name"] for s in data["sessions"])
    assert gateway.statements.count == 1, gateway.statements.statements
    assert "json" in gateway.statements.statements[0].lower()


async def test_a_mixed_document_compiles_one_root_field_and_reads_the_other(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _arrange(sessionmaker, 20)
    gateway = await make_gateway()
    query = "{ sessions(limit: 2) { name } sessionsConnection(first: 2) { totalCount } }"
    gateway.statements.reset()
    status, body = await answer(gateway, query, None, {}, compiled=True)
    assert status == 200 and "errors" not in body
    assert len(body["data"]["sessions"]) == 2
    assert body["data"]["sessionsConnection"]["totalCount"] == 20


async def test_compiled_reads_can_be_turned_off(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _arrange(sessionmaker, 20)
    gateway = await make_gateway(compiled_reads=False)
    gateway.statements.reset()
    await gateway.data(NESTED, {"limit": 5})
    statements = gateway.statements.statements
    assert not any("json_object" in s or "json_build_object" in s for s in statements)


CONNECTIONS: list[tuple[str, dict[str, Any]]] = [
    ("{ sessionsConnection(first: 3) { totalCount edges { cursor node { name } } } }", {}),
    (
        "{ sessionsConnection(first: 2) { __typename pageInfo { __typename hasNextPage "
        "hasPreviousPage startCursor endCursor } nodes { id subject { nickname } } } }",
        {},
    ),
    (
        '{ sessionsConnection(first: 2, after: "b2Zmc2V0OjE=") { pageInfo { hasNextPage '
        "hasPreviousPage startCursor endCursor } edges { __typename cursor node { name } } } }",
        {},
    ),
    (
        '{ sessionsConnection(where: {name: {eq: "nothing"}}) { totalCount pageInfo { '
        "hasNextPage startCursor endCursor } edges { cursor } nodes { name } } }",
        {},
    ),
    ('{ sessionsConnection(after: "bad") { totalCount } }', {}),
    ('{ sessionsConnection(where: {name: {eq: "nothing"}}) { totalCount } }', {}),
    ("{ sessionsConnection { __typename } }", {}),
    ("{ sessionsConnection(first: 5000) { totalCount } }", {}),
    (
        "{ projectsConnection(first: 4, orderBy: [{field: NAME, direction: DESC}]) { totalCount "
        "edges { node { name sessions(limit: 2) { name } } } } }",
        {},
    ),
    ("{ sessions(limit: 3) { name projects { name } } }", {}),
]


async def test_connections_and_many_to_many_answer_the_same_compiled_and_not(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _arrange(sessionmaker, 60)
    gateway = await make_gateway()
    for query, variables in CONNECTIONS:
        await assert_same_both_ways(gateway, query, variables, {})
    for query in (CONNECTIONS[0][0], CONNECTIONS[-2][0], CONNECTIONS[-1][0]):
        gateway.statements.reset()
        await gateway.data(query)
        assert gateway.statements.count == 1, "\n\n".join(gateway.statements.statements)


LOOKUP = "query ($id: ID!) { session(id: $id) { id name subject { nickname } } }"


def _view(gateway: Any) -> GraphQLView:
    return next(
        route.endpoint
        for route in gateway.app.routes
        if isinstance(getattr(route, "endpoint", None), GraphQLView)
    )


def _lookup_entries() -> list[Any]:
    return [c for _, c in compiled_statements._cache.values() if c.variables == {"id"}]


async def test_a_lookup_by_any_id_is_one_cached_statement_with_the_id_bound(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _arrange(sessionmaker, 30)
    gateway = await make_gateway()
    sessions = (await gateway.data("{ sessions(limit: 6) { id name } }"))["sessions"]
    compiled_statements._cache.clear()
    operations = _view(gateway).compiled_operations
    before = len(operations)
    for session in sessions:
        data = await gateway.data(LOOKUP, {"id": session["id"]})
        assert (data["session"]["id"], data["session"]["name"]) == (session["id"], session["name"])
    missing = await gateway.data(LOOKUP, {"id": str(uuid.uuid4())})
    assert missing == {"session": None}
    assert len(_lookup_entries()) == 1
    assert len(compiled_statements._cache) == 1
    assert len(operations) == before + 1


def _executions(gateway: Any, monkeypatch: Any) -> list[str]:
    """The documents the gateway's schema executes from now on."""
    schema = _view(gateway).schema
    executed: list[str] = []
    execute = schema.execute

    async def counted(query: Any, *args: Any, **kwargs: Any) -> Any:
        executed.append(query)
        return await execute(query, *args, **kwargs)

    monkeypatch.setattr(schema, "execute", counted)
    return executed


def _app_client(gateway: Any) -> httpx.AsyncClient:
    """Straight to the app: a differential run's client would answer each query twice more."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gateway.app), base_url="http://testserver"
    )


def _names(data: dict[str, Any]) -> list[str]:
    return sorted(session["name"] for session in data["sessions"])


async def test_a_filter_value_given_by_a_variable_is_bound_in_one_cached_statement(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _arrange(sessionmaker, 30)
    gateway = await make_gateway()
    by_name = "query ($n: String!) { sessions(where: {name: {eq: $n}}) { name } }"
    compiled_statements._cache.clear()
    for name, expected in [("s1", ["s1"]), ("s2", ["s2"]), ("s_", []), ("", []), ("s29", ["s29"])]:
        assert _names(await gateway.data(by_name, {"n": name})) == expected
        await assert_same_both_ways(gateway, by_name, {"n": name}, {})
    (compiled,) = (c for _, c in compiled_statements._cache.values())
    assert compiled.variables == {"n"}


async def test_a_filter_that_escapes_its_value_is_kept_per_value_or_form(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """LIKE patterns escape ``%`` and ``_``: a statement binding the raw value would let
    ``s_`` match every two-letter name."""
    await _arrange(sessionmaker, 30)
    gateway = await make_gateway()
    compiled_statements._cache.clear()
    for op in ("iexact", "startswith", "icontains"):
        query = f"query ($n: String!) {{ sessions(where: {{name: {{{op}: $n}}}}) {{ name }} }}"
        for value in (str(uuid.uuid4()), "12", "S1", "s_", "s%", "s1"):
            await assert_same_both_ways(gateway, query, {"n": value}, {})
        assert _names(await gateway.data(query, {"n": "s_"})) == []
    # Used twice, as a parameter and as a pattern: kept for its value.
    both = (
        "query ($n: String!) "
        "{ sessions(where: {or: [{name: {eq: $n}}, {name: {startswith: $n}}]}) { name } }"
    )
    for value in ("s1", "s_", "s2"):
        await assert_same_both_ways(gateway, both, {"n": value}, {})
    assert _names(await gateway.data(both, {"n": "s2"})) == ["s2", *(f"s2{i}" for i in range(10))]


async def test_a_bound_filter_value_skips_graphql_for_every_value(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession], monkeypatch: Any
) -> None:
    await _arrange(sessionmaker, 30)
    gateway = await make_gateway()
    executed = _executions(gateway, monkeypatch)
    query = (
        "query ($n: String!, $p: UUID) { sessions(where: {name: {eq: $n}}) { name } "
        "p: sessions(where: {project: {id: {eq: $p}}}, limit: 2) { name } }"
    )
    project = (await gateway.data("{ projects(limit: 1) { id } }"))["projects"][0]["id"]
    client = _app_client(gateway)
    async with client:
        for name in ("s1", "s2", "s3"):
            variables = {"n": name, "p": project}
            response = await client.post("/graphql", json={"query": query, "variables": variables})
            assert response.json().get("data"), response.text
            assert [s["name"] for s in response.json()["data"]["sessions"]] == [name]
        assert executed.count(query) == 1  # then the statements alone, for any name
    for name in ("s1", "s4"):
        await assert_same_both_ways(gateway, query, {"n": name, "p": project}, {})
    await assert_same_both_ways(gateway, query, {"n": "s1", "p": "not-a-uuid"}, {})


async def test_a_cached_operation_skips_parsing_validation_and_execution(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession], monkeypatch: Any
) -> None:
    await _arrange(sessionmaker, 30)
    gateway = await make_gateway()
    sessions = (await gateway.data("{ sessions(limit: 5) { id name } }"))["sessions"]
    executed = _executions(gateway, monkeypatch)
    client = _app_client(gateway)

    async def lookup(query: str, session: dict[str, Any]) -> Any:
        response = await client.post("/graphql", json={"query": query, "variables": session})
        assert response.status_code == 200 and "errors" not in response.json()
        return response.json()["data"]["session"]

    async with client:
        await lookup(LOOKUP, {"id": sessions[0]["id"]})
        assert executed == [LOOKUP]  # the first time: GraphQL all the way
        gateway.statements.reset()
        for session in sessions[1:]:
            found = await lookup(LOOKUP, {"id": session["id"]})
            assert found["name"] == session["name"]
        assert executed == [LOOKUP]  # then the statement alone
        assert gateway.statements.count == len(sessions) - 1
        # A document that is not the same text is not the cached operation.
        await lookup(LOOKUP + " ", {"id": sessions[0]["id"]})
        assert executed == [LOOKUP, LOOKUP + " "]


async def test_a_cached_operation_refuses_bad_variables_as_the_normal_path_does(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _arrange(sessionmaker, 30)
    gateway = await make_gateway(max_page_size=50)
    (session,) = (await gateway.data("{ sessions(limit: 1) { id } }"))["sessions"]
    page = "query ($n: Int) { sessions(limit: $n) { id } }"
    for query, good, bad in [
        (
            LOOKUP,
            {"id": session["id"]},
            [
                {"id": 5},
                {"id": None},
                {},
                {"id": "not-a-uuid"},
                {"id": ["x"]},
                {"id": {"a": 1}},
            ],
        ),
        (page, {"n": 3}, [{"n": 51}, {"n": -1}, {"n": "3"}, {"n": 2**40}, {"n": 2**70}]),
    ]:
        await gateway.data(query, good)  # cached now
        for variables in bad:
            await assert_same_both_ways(gateway, query, variables, {})
            body = (await answer(gateway, query, variables, {}, compiled=True))[1]
            assert body.get("errors"), (query, variables)
        await assert_same_both_ways(gateway, query, good, {})


async def test_a_page_size_given_by_a_variable_is_part_of_the_cache_key(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _arrange(sessionmaker, 30)
    gateway = await make_gateway(max_query_cost=20)
    page = "query ($n: Int) { sessions(limit: $n) { id } }"
    assert len((await gateway.data(page, {"n": 2}))["sessions"]) == 2
    assert len((await gateway.data(page, {"n": 7}))["sessions"]) == 7
    refused = await gateway.graphql(page, {"n": 25})  # over the cost limit, cached or not
    assert refused["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    await assert_same_both_ways(gateway, page, {"n": 25}, {})


async def test_an_aliased_node_of_a_connection_edge_is_read_on_the_normal_path(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _arrange(sessionmaker, 10)
    gateway = await make_gateway(compiled_reads=False)
    query = (
        "{ sessionsConnection(first: 3) { t: totalCount info: pageInfo { hasNextPage } "
        "e: edges { n: node { id name } } ns: nodes { name } } }"
    )
    body = await gateway.graphql(query)
    assert "errors" not in body, body
    page = body["data"]["sessionsConnection"]
    assert page["t"] == 10 and page["info"] == {"hasNextPage": True}
    assert [edge["n"]["name"] for edge in page["e"]] == [node["name"] for node in page["ns"]]
    assert all(edge["n"]["id"] for edge in page["e"]) and len(page["e"]) == 3
    on = await make_gateway()
    assert (await on.graphql(query)) == body


async def test_a_cached_operation_is_answered_as_the_view_answers_it(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession], caplog: Any
) -> None:
    await _arrange(sessionmaker, 10)
    gateway = await make_gateway()
    (session,) = (await gateway.data("{ sessions(limit: 1) { id } }"))["sessions"]
    named = "query Lookup($id: ID!) { session(id: $id) { id name } }"
    client = _app_client(gateway)
    answers = []
    async with client:
        for accept in (
            "application/graphql-response+json",
            "application/graphql-response+json",
            "application/json",
            "*/*",
        ):
            with caplog.at_level(logging.INFO, logger="neurogate.requests"):
                caplog.clear()
                response = await client.post(
                    "/graphql",
                    json={"query": named, "variables": session, "operationName": "Lookup"},
                    headers={"accept": accept, "origin": "https://app.example"},
                )
            (line,) = [r for r in caplog.records if r.name == "neurogate.requests"]
            assert line.operations == ["query Lookup"] and line.statements == 1
            per_request = {"x-request-id", "x-ratelimit-remaining"}
            headers = {k: v for k, v in response.headers.items() if k not in per_request}
            answers.append((response.status_code, headers, response.content))
    first, hit, *others = answers
    assert hit == first  # the first is GraphQL's answer, the second the cached statement's
    assert first[1]["content-type"] == "application/graphql-response+json"
    assert hit[1]["access-control-allow-origin"] == "*"  # CORS, as every answer
    assert [a[1]["content-type"] for a in others] == ["application/json"] * 2
    assert orjson.loads(first[2])["data"]["session"]["id"] == session["id"]


def test_the_schema_executes_without_a_gateway_context() -> None:
    """Tools that introspect the schema itself (schemathesis, the SDL export) execute it with
    no gateway context: the compiling executor stays out of their way."""
    schema = build_schema(Settings.from_env())
    result = schema.execute_sync(get_introspection_query())
    assert result.errors is None, result.errors
    assert result.data is not None and result.data["__schema"]["queryType"]["name"] == "Query"
