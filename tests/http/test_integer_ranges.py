"""Every number a request carries is range-checked where it is parsed: one past what its
column (or the page window) can hold is a 400 in the surface's format, never a statement the
database refuses; and a failure nobody expected still leaves a keep-alive connection usable."""

from __future__ import annotations

import asyncio
import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.app import create_app
from gateway.graphql_view import GraphQLView
from gateway.settings import Settings
from tests.auth.support import admin_token, bearer
from tests.conftest import Gateway
from tests.factories import build
from tests.live import serve

HUGE = 2**63  # one past a 64-bit integer
PAST_INT = 2**31  # one past a 32-bit INTEGER column

# (method, path, body, signed in, the error format: drf, alyx or brainmaps)
REQUESTS = [
    ("GET", f"/api/public/stem/session/?offset={HUGE}", None, False, "drf"),
    ("GET", f"/api/public/stem/session/?limit=1&offset={PAST_INT}", None, False, "drf"),
    ("GET", f"/sessions?offset={HUGE}", None, True, "alyx"),  # Alyx reads need sign-in
    ("GET", f"/sessions?number={HUGE}", None, True, "alyx"),  # Alyx reads need sign-in
    ("GET", f"/sessions?number={PAST_INT}", None, True, "alyx"),  # Alyx reads need sign-in
    ("GET", f"/api/brains/?page={HUGE}", None, False, "brainmaps"),
    ("GET", "/api/brains/?page=2147483647&page_size=100", None, False, "brainmaps"),
    ("GET", f"/files/{HUGE}", None, False, "drf"),
    ("GET", f"/files/{PAST_INT}", None, False, "drf"),
    ("GET", f"/api/private/users/user/{HUGE}/", None, True, "drf"),
    ("GET", f"/api/private/taxonomies/speciesapproval/?filter{{reviewer}}={HUGE}", None, True,
     "drf"),
    ("PATCH", f"/api/brains/{HUGE}/", {"name": "renamed"}, True, "brainmaps"),
    ("DELETE", f"/api/brains/{HUGE}/", None, True, "brainmaps"),
    ("GET", f"/api/brains/{-HUGE - 1}/", None, False, "brainmaps"),
]  # fmt: skip


def _assert_format(body: Any, errors: str) -> None:
    if errors == "brainmaps":
        assert set(body) == {"error", "detail"}, body
    elif errors == "alyx":
        assert body.get("status_code") == 400 or all(isinstance(v, list) for v in body.values())
    else:
        assert "detail" in body or all(isinstance(v, list) for v in body.values()), body
    assert "Internal server error" not in json.dumps(body)


@pytest.mark.parametrize(
    ("method", "path", "body", "signed_in", "errors"),
    REQUESTS,
    ids=[f"{method} {path}" for method, path, *_ in REQUESTS],
)
async def test_a_number_out_of_range_is_a_400_in_the_surface_format(
    gateway: Gateway,
    sessionmaker: async_sessionmaker[AsyncSession],
    method: str,
    path: str,
    body: Any,
    signed_in: bool,
    errors: str,
) -> None:
    headers = bearer(await admin_token(sessionmaker)) if signed_in else {}
    response = await gateway.client.request(method, path, json=body, headers=headers)
    assert response.status_code == 400, response.text
    _assert_format(response.json(), errors)


async def test_the_last_page_any_table_could_have_is_still_answered(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The bound is the window's, not a guess: the furthest offset allowed is a plain page."""
    headers = bearer(await admin_token(sessionmaker), "Token")  # Alyx reads need sign-in
    for path in ("/api/public/stem/session/?offset=2147483647", "/sessions?offset=2147483647"):
        response = await gateway.client.get(path, headers=headers)
        assert response.status_code == 200, response.text


async def test_graphql_bigint_past_64_bits_is_refused_before_execution(gateway: Gateway) -> None:
    for query, variables in (
        (f'{{ synapseConnection(id: "{HUGE}") {{ id }} }}', None),
        ("query ($id: BigInt!) { synapseConnection(id: $id) { id } }", {"id": str(HUGE)}),
        ("query ($id: BigInt!) { synapseConnection(id: $id) { id } }", {"id": -HUGE - 1}),
    ):
        body = await gateway.graphql(query, variables)
        assert body.get("data") is None, body
        codes = {error["extensions"]["code"] for error in body["errors"]}
        assert "INTERNAL_SERVER_ERROR" not in codes, body
        assert "BigInt must be from" in body["errors"][0]["message"]


async def test_numbers_written_past_their_column_are_field_errors(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    token = await admin_token(sessionmaker)

    async def recipe(world: Any) -> str:
        return str((await world.project(name="open_project")).id)

    project = await build(sessionmaker, recipe)
    for field, value, expected in (
        ("number", HUGE, "less than or equal to 2147483647"),
        ("n_trials", -PAST_INT - 1, "greater than or equal to -2147483648"),
    ):
        response = await gateway.client.post(
            "/sessions",
            json={"projects": ["open_project"], field: value},
            headers=bearer(token, "Token"),
        )
        assert response.status_code == 400, response.text
        assert expected in response.json()[field][0]
    # JSON the encoder could not send back (GraphQL's JSON scalar takes any integer).
    response = await gateway.client.post(
        "/graphql",
        json={
            "query": "mutation ($input: SessionInput!) { createSession(input: $input) {"
            " ... on ValidationError { field message } } }",
            "variables": {"input": {"projectIds": [project], "extraFields": {"big": HUGE * 2}}},
        },
        headers=bearer(token),
    )
    refused = response.json()["data"]["createSession"]
    assert "numbers must fit in 64 bits" in refused["message"], refused


async def test_a_list_of_names_refuses_items_that_are_not_names(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    token = await admin_token(sessionmaker)
    for field in ("projects", "users"):
        for items in ([None], [5], [""], ["open_project", None]):
            response = await gateway.client.post(
                "/sessions", json={field: items}, headers=bearer(token, "Token")
            )
            assert response.status_code == 400, (field, items, response.text)
            assert set(response.json()) == {field, "status_code"}, response.json()


async def test_a_null_project_id_is_a_field_error_on_every_surface(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    token = await admin_token(sessionmaker)
    response = await gateway.client.post(
        "/api/private/stem/session/",
        json={"name": "x", "projects": [None]},
        headers=bearer(token),
    )
    assert response.status_code == 400, response.text
    assert list(response.json()) == ["projects"]


def _exchange(base: str, requests: list[tuple[str, str, bytes | None]]) -> list[int]:
    """Send ``requests`` one after another on one keep-alive connection (``http.client``
    never reconnects behind the caller's back); their statuses."""
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname or "", url.port)
    statuses = []
    try:
        for method, path, body in requests:
            headers = {"content-type": "application/json"} if body is not None else {}
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            assert response.getheader("connection") != "close"
            statuses.append(response.status)
    finally:
        conn.close()
    return statuses


async def test_after_an_unexpected_failure_the_same_connection_serves_the_next_request(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: Any) -> Any:
        raise RuntimeError("a bug in the GraphQL view")

    # A failure outside every route's own handler: the GraphQL view answers nothing itself.
    monkeypatch.setattr(GraphQLView, "get_context", broken)
    query = json.dumps({"query": "{ projects { id } }"}).encode()
    with serve(create_app(settings)) as base:
        statuses = await asyncio.to_thread(
            _exchange,
            base,
            [
                ("POST", "/graphql", query),
                ("GET", "/healthz", None),
                ("GET", f"/api/public/stem/session/?offset={HUGE}", None),
                ("GET", "/healthz", None),
            ],
        )
    assert statuses == [500, 200, 400, 200]
