"""Safelist mode (NEUROGATE_SAFELIST): only registered operations run, over HTTP and over the
websocket, called by id, by hash or in full; anything else is refused in GraphQL's format."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from gateway.app import create_app
from gateway.settings import Settings
from tests.live import serve

SPECIES = "query Species { species { name } }"
SPECIES_IN_ANOTHER_LAYOUT = """
# the same operation, as an editor would lay it out
query Species {
  species {
    name
  }
}
"""
ME = "query Me { me { email } }"
UNREGISTERED = "{ users { email } }"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apollo_manifest(folder: Path) -> Path:
    path = folder / "persisted-query-manifest.json"
    operations = [
        {"id": "species-v1", "name": "Species", "type": "query", "body": SPECIES},
        {"id": sha256(ME), "name": "Me", "type": "query", "body": ME},
    ]
    manifest = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
    path.write_text(json.dumps(manifest))
    return path


def plain_map(folder: Path) -> Path:
    path = folder / "persisted-documents.json"
    path.write_text(json.dumps({"species-v1": SPECIES, sha256(ME): ME}))
    return path


def graphql_files(folder: Path) -> Path:
    (folder / "ops" / "nested").mkdir(parents=True)
    (folder / "ops" / "species.graphql").write_text(SPECIES)
    (folder / "ops" / "nested" / "me.graphql").write_text(ME)
    (folder / "ops" / "notes.txt").write_text("not an operation")
    return folder / "ops"


FORMATS = {"apollo-manifest": apollo_manifest, "plain-map": plain_map, "directory": graphql_files}


@pytest.fixture(params=list(FORMATS))
def safelisted(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path) -> Settings:
    return replace(settings, safelist=FORMATS[request.param](tmp_path))


def by_name(name: str) -> dict[str, Any]:
    return {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": name}}}


async def post(app_settings: Settings, *bodies: dict[str, Any]) -> list[httpx.Response]:
    app = create_app(app_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return [await client.post("/graphql", json=body) for body in bodies]


async def test_registered_operations_run_by_hash_and_in_full_in_any_layout(
    safelisted: Settings,
) -> None:
    answers = await post(
        safelisted,
        by_name(sha256(SPECIES)),
        by_name(sha256(ME)),
        {"query": SPECIES},
        {"query": SPECIES_IN_ANOTHER_LAYOUT},
    )
    assert [a.status_code for a in answers] == [200] * 4
    assert [a.json() for a in answers] == [
        {"data": {"species": []}},
        {"data": {"me": None}},
        {"data": {"species": []}},
        {"data": {"species": []}},
    ]


async def test_a_manifest_id_calls_its_operation(settings: Settings, tmp_path: Path) -> None:
    for make in (apollo_manifest, plain_map):
        (answer,) = await post(replace(settings, safelist=make(tmp_path)), by_name("species-v1"))
        assert answer.json() == {"data": {"species": []}}


async def test_anything_unregistered_is_refused_with_a_graphql_error(
    safelisted: Settings,
) -> None:
    unregistered, unknown_id, other_query, introspection = await post(
        safelisted,
        {"query": UNREGISTERED},
        by_name(sha256(UNREGISTERED)),
        {"query": UNREGISTERED, **by_name(sha256(SPECIES))},
        {"query": "{ __schema { queryType { name } } }"},
    )
    for refused in (unregistered, introspection):
        assert refused.status_code == 403
        assert refused.json()["errors"] == [
            {
                "message": "This gateway runs registered operations only, and this one is not "
                "registered.",
                "extensions": {"code": "QUERY_NOT_IN_SAFELIST"},
            }
        ]
    assert unknown_id.status_code == 404
    assert unknown_id.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
    assert other_query.status_code == 400
    code = other_query.json()["errors"][0]["extensions"]["code"]
    assert code == "PERSISTED_QUERY_HASH_MISMATCH"


async def test_graphiql_is_off_in_safelist_mode_unless_asked_for(safelisted: Settings) -> None:
    assert not safelisted.graphiql_enabled
    assert replace(safelisted, graphiql=True).graphiql_enabled
    app = create_app(safelisted)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert "graphiql" not in page.text.lower()


async def test_the_websocket_runs_registered_operations_only(safelisted: Settings) -> None:
    with serve(create_app(safelisted)) as base:
        url = base.replace("http://", "ws://") + "/graphql"
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            for id_, query in (("1", UNREGISTERED), ("2", SPECIES_IN_ANOTHER_LAYOUT)):
                payload = {"query": query}
                await ws.send(json.dumps({"id": id_, "type": "subscribe", "payload": payload}))
            refused = json.loads(await ws.recv())
            assert refused["id"] == "1" and refused["type"] == "error"
            assert refused["payload"][0]["extensions"]["code"] == "QUERY_NOT_IN_SAFELIST"
            ran = json.loads(await ws.recv())
            assert ran == {"id": "2", "type": "next", "payload": {"data": {"species": []}}}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{ not json", "is not JSON"),
        ('["a list"]', "neither an Apollo persisted-query manifest"),
        ('{"format": "apollo-persisted-query-manifest", "operations": [{"id": "x"}]}', "neither"),
        ('{"broken": "query { species { name "}', "registered operation 'broken' is not GraphQL"),
    ],
    ids=["not-json", "a-list", "operation-without-body", "body-not-graphql"],
)
def test_a_broken_safelist_stops_the_gateway_saying_why(
    settings: Settings, tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "safelist.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=problem):
        create_app(replace(settings, safelist=path))


def test_a_missing_safelist_or_an_empty_directory_stops_the_gateway(
    settings: Settings, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        create_app(replace(settings, safelist=tmp_path / "nowhere.json"))
    with pytest.raises(ValueError, match=r"holds no \.graphql files"):
        create_app(replace(settings, safelist=tmp_path))
