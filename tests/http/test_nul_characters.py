"""Text with U+0000 in it is a 400 in the surface's format on both databases (PostgreSQL
cannot hold it in any text; DRF, which the clients' own services run, answers "Null characters
are not allowed."), whether it filters a read, names a lookup or is written, and a refused
write leaves nothing behind."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.engine import NUL_REFUSED
from gateway.db.models import Project, Session, User
from tests.auth.support import admin_token, bearer
from tests.conftest import Gateway
from tests.factories import build

NUL = "open\x00project"

# (method, path, JSON body, Authorization scheme or None, the error format)
REQUESTS = [
    ("GET", "/api/private/stem/project/?filter{name}=open%00project", None, "Bearer", "drf"),
    ("POST", "/api/private/stem/project/", {"name": NUL, "description": "x"}, "Bearer", "drf"),
    ("POST", "/api/auth/token/", {"email": "ada\x00@lab.org", "password": "x" * 12}, None, "drf"),
    ("GET", "/subjects?nickname=M%00001", None, "Token", "alyx"),
    ("GET", "/subjects/M%00001", None, "Token", "alyx"),
    # In a JSON field too.
    ("POST", "/sessions", {"projects": ["open_project"], "json": {"note": NUL}}, "Token", "alyx"),
    ("GET", "/api/brains/?species=mo%00use", None, None, "brainmaps"),
    ("POST", "/api/auth/login/", {"email": "ada\x00@lab.org", "password": "x" * 12}, None,
     "brainmaps"),
]  # fmt: skip


async def _rows(sessionmaker: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _open_project(sessionmaker: async_sessionmaker[AsyncSession]) -> str:
    async def recipe(world: Any) -> str:
        return str((await world.project(name="open_project")).id)

    return await build(sessionmaker, recipe)


@pytest.mark.parametrize(
    ("method", "path", "body", "scheme", "errors"),
    REQUESTS,
    ids=[f"{method} {path}" for method, path, *_ in REQUESTS],
)
async def test_rest_text_with_nul_is_a_400_in_the_family_format(
    gateway: Gateway,
    sessionmaker: async_sessionmaker[AsyncSession],
    method: str,
    path: str,
    body: Any,
    scheme: str | None,
    errors: str,
) -> None:
    await _open_project(sessionmaker)
    headers = bearer(await admin_token(sessionmaker), scheme) if scheme else {}
    counts = [await _rows(sessionmaker, model) for model in (Project, Session, User)]
    response = await gateway.client.request(method, path, json=body, headers=headers)
    assert response.status_code == 400, response.text
    expected = {
        "drf": {"detail": NUL_REFUSED},
        "alyx": {"detail": NUL_REFUSED, "status_code": 400},
        "brainmaps": {"error": "Invalid request parameters", "detail": NUL_REFUSED},
    }[errors]
    assert response.json() == expected
    assert [await _rows(sessionmaker, model) for model in (Project, Session, User)] == counts


async def test_alyx_login_form_with_nul_is_a_400(gateway: Gateway) -> None:
    response = await gateway.client.post(
        "/auth-token", data={"username": "ada\x00", "password": "x" * 12}
    )
    assert response.status_code == 400, response.text
    assert response.json() == {"detail": NUL_REFUSED, "status_code": 400}


async def test_graphql_text_with_nul_is_bad_user_input_and_writes_nothing(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    project = await _open_project(sessionmaker)
    headers = bearer(await admin_token(sessionmaker))
    reads = [
        ("query ($n: String!) { projects(where: {name: {eq: $n}}) { name } }", {"n": NUL}),
        ('{ projects(where: {name: {eq: "open\\u0000project"}}) { name } }', None),
        ("query ($n: String!) { projectByName(name: $n) { name } }", {"n": NUL}),
    ]
    for query, variables in reads:
        body = await gateway.graphql(query, variables, **headers)
        assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
            (NUL_REFUSED, "BAD_USER_INPUT")
        ], body
    before = [await _rows(sessionmaker, model) for model in (Project, Session)]
    writes = [
        ("createProject", "ProjectInput", {"name": NUL, "description": "x"}),
        ("createProject", "ProjectInput", {"name": "fine", "description": NUL}),
        # In a JSON field too.
        ("createSession", "SessionInput", {"projectIds": [project], "extraFields": {"n": NUL}}),
    ]
    for mutation, kind, values in writes:
        query = (
            f"mutation ($input: {kind}!) {{ {mutation}(input: $input) {{"
            " __typename ... on ValidationError { message } } }"
        )
        body = await gateway.graphql(query, {"input": values}, **headers)
        assert body["data"][mutation] == {"__typename": "ValidationError", "message": NUL_REFUSED}
    assert [await _rows(sessionmaker, model) for model in (Project, Session)] == before
    # A plain one still works: the refusal was the NUL's alone.
    body = await gateway.graphql(
        "query ($n: String!) { projects(where: {name: {eq: $n}}) { name } }",
        {"n": "open_project"},
        **headers,
    )
    assert body == {"data": {"projects": [{"name": "open_project"}]}}
