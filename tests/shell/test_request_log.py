"""The server's log: every request one line carrying its id; a client's error that line and
nothing more; an unexpected failure its traceback once, with the request's id, whichever part
answered it, and the client only the surface's 500."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway import middleware
from gateway.cli import log_config
from gateway.db.models._base import utcnow
from gateway.graphql_view import GraphQLView
from tests.auth.support import bearer, make_user, personal_token
from tests.conftest import Gateway

Sessionmaker = async_sessionmaker[AsyncSession]
REQUEST_ID = "fuzz-run.7:case-12"
GRAPHQL_RESPONSE = {"Accept": "application/graphql-response+json"}
INTERNAL = {"message": "Internal server error.", "extensions": {"code": "INTERNAL"}}
GRAPHQL_500 = {"errors": [INTERNAL]}


async def _ask(
    gateway: Gateway, method: str, url: str, caplog: pytest.LogCaptureFixture, **kw: Any
) -> Any:
    """The answer, with every record logged at INFO or above while the request ran."""
    headers = {"X-Request-ID": REQUEST_ID, **kw.pop("headers", {})}
    with caplog.at_level(logging.INFO):
        response = await gateway.client.request(method, url, headers=headers, **kw)
    return response


def _served(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the server logged (the test's HTTP client logs each request too)."""
    return [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]


def _the_line(caplog: pytest.LogCaptureFixture) -> logging.LogRecord:
    served = _served(caplog)
    assert len(served) == 1, [r.getMessage() for r in served]
    return served[0]


@pytest.mark.one_answer
@pytest.mark.parametrize(
    ("method", "url", "kw", "status"),
    [
        ("GET", "/api/private/stem/nothing/", {}, 404),
        ("GET", "/api/public/stem/project/?filter{nope}=1", {}, 400),
        ("GET", "/api/brains/", {"headers": bearer("not-a-token")}, 401),
        ("GET", "/users/nobody", {}, 404),
        ("POST", "/graphql", {"json": {"query": "{ nothing }"}}, 200),  # a validation error
        ("POST", "/graphql", {"json": {"query": "{ projects(limit: -1) { id } }"}}, 200),
        ("POST", "/graphql", {"json": {"query": "{"}, "headers": GRAPHQL_RESPONSE}, 400),
    ],
)
async def test_a_client_error_is_one_log_line_without_a_traceback(
    gateway: Gateway,
    caplog: pytest.LogCaptureFixture,
    method: str,
    url: str,
    kw: dict[str, Any],
    status: int,
) -> None:
    response = await _ask(gateway, method, url, caplog, **kw)
    assert response.status_code == status, response.text
    if url == "/graphql":
        assert response.json()["errors"]
    line = _the_line(caplog)
    assert line.exc_info is None and line.levelno == logging.INFO
    assert line.getMessage().startswith(f"{method} {url.split('?')[0]} {status} ")
    assert REQUEST_ID in line.getMessage()
    assert line.request_id == REQUEST_ID  # type: ignore[attr-defined]


def _one_traceback(caplog: pytest.LogCaptureFixture, status: int) -> logging.LogRecord:
    line = _the_line(caplog)
    assert line.exc_info is not None and line.levelno == logging.ERROR
    assert f" {status} " in line.getMessage()
    assert REQUEST_ID in line.getMessage()
    assert line.request_id == REQUEST_ID  # type: ignore[attr-defined]
    return line


async def test_a_routes_500_logs_its_traceback_once_with_the_request_id(
    gateway: Gateway, sessionmaker: Sessionmaker, caplog: pytest.LogCaptureFixture
) -> None:
    async with sessionmaker() as session:  # the database loses a table under the gateway
        await session.execute(text("ALTER TABLE brain RENAME TO brain_gone"))
        await session.commit()
    response = await _ask(gateway, "GET", "/api/brains/", caplog)
    assert (response.status_code, response.json()) == (
        500,
        {"error": "Error", "detail": "Internal server error."},
    )
    assert response.headers["X-Request-ID"] == REQUEST_ID
    assert "Traceback" not in response.text and "brain" not in response.text
    # Served, the line is one JSON object with the traceback inside it.
    line = _as_served(_one_traceback(caplog, 500))
    assert line["level"] == "ERROR" and line["status"] == 500
    # (one record: _the_line; PostgreSQL's driver error is chained under SQLAlchemy's)
    assert line["exc_info"].startswith("Traceback (most recent call last)")
    assert "sqlalchemy.exc." in line["exc_info"]  # what failed: the table is gone


@pytest.mark.one_answer
async def test_a_graphql_fields_failure_logs_its_traceback_once_with_the_request_id(
    gateway: Gateway, sessionmaker: Sessionmaker, caplog: pytest.LogCaptureFixture
) -> None:
    async with sessionmaker() as session:
        await session.execute(text("ALTER TABLE project RENAME TO project_gone"))
        await session.commit()
    query = {"query": "{ projects(limit: 1) { id } }"}
    response = await _ask(gateway, "POST", "/graphql", caplog, json=query)
    errors = response.json()["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["INTERNAL_SERVER_ERROR"]
    assert "project_gone" not in response.text and "Traceback" not in response.text
    _one_traceback(caplog, 200)


async def _broken(*_: Any) -> Any:
    raise RuntimeError("secret internals")


@pytest.mark.one_answer
@pytest.mark.parametrize(
    ("owner", "name", "url", "kw", "expected"),
    [
        # The GraphQL view leaves its own failures to what is around it.
        (GraphQLView, "get_context", "/graphql", {"json": {"query": "{ me { id } }"}}, GRAPHQL_500),
        # A middleware's failure, before any route: in the format of the route asked.
        (
            middleware,
            "authenticate",
            "/subjects",
            {"headers": bearer("some-token")},
            {"detail": "Internal server error.", "status_code": 500},
        ),
    ],
    ids=["graphql-view", "middleware"],
)
async def test_a_failure_nothing_answered_is_a_500_in_the_surfaces_format_logged_once(
    gateway: Gateway,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    owner: Any,
    name: str,
    url: str,
    kw: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    monkeypatch.setattr(owner, name, _broken)
    method = "POST" if "json" in kw else "GET"
    response = await _ask(gateway, method, url, caplog, **kw)
    assert (response.status_code, response.json()) == (500, expected)
    assert response.headers["X-Request-ID"] == REQUEST_ID
    assert "secret" not in response.text
    _one_traceback(caplog, 500)


async def test_each_request_is_logged_with_its_own_id_given_or_made(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        made = await gateway.client.get("/healthz")
        unsafe = await gateway.client.get("/healthz", headers={"X-Request-ID": "a b\tc"})
        too_long = await gateway.client.get("/healthz", headers={"X-Request-ID": "x" * 129})
    answered = [r.headers["X-Request-ID"] for r in (made, unsafe, too_long)]
    assert all(len(i) == 32 for i in answered) and len(set(answered)) == 3
    assert [r.request_id for r in _served(caplog)] == answered  # type: ignore[attr-defined]


def _as_served(record: logging.LogRecord) -> dict[str, Any]:
    """``record`` as `neurogate serve` writes it: one line, one JSON object."""
    options = dict(log_config()["formatters"]["json"])
    formatter = options.pop("()")
    assert formatter == "pythonjsonlogger.json.JsonFormatter"
    text = JsonFormatter(**options).format(record)
    assert "\n" not in text
    return json.loads(text)  # type: ignore[no-any-return]


async def test_the_line_says_who_asked_what_where_and_how_much_it_cost(
    gateway: Gateway, sessionmaker: Sessionmaker, caplog: pytest.LogCaptureFixture
) -> None:
    user = await make_user(sessionmaker, "ana@lab.org")
    token = await personal_token(sessionmaker, user, now=utcnow())
    gateway.statements.reset()
    response = await _ask(
        gateway, "GET", "/api/private/stem/project/", caplog, headers=bearer(token)
    )
    assert response.status_code == 200
    line = _as_served(_the_line(caplog))
    assert token not in json.dumps(line)  # the principal's id, never its credential
    assert line["duration_ms"] > 0 and line["time"]
    assert {k: v for k, v in line.items() if k not in ("duration_ms", "time")} == {
        "level": "INFO",
        "logger": "neurogate.requests",
        "message": line["message"],
        "request_id": REQUEST_ID,
        "method": "GET",
        "path": "/api/private/stem/project/",
        "status": 200,
        "surface": "brainstem",
        "route": "/api/private/{path:path}",
        "principal": user,
        "statements": gateway.statements.count,
        "operations": [],
    }


@pytest.mark.one_answer
async def test_the_line_names_the_graphql_operation_and_an_anonymous_caller(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    query = {"query": "query Projects { projects(limit: 1) { id } }"}
    await _ask(gateway, "POST", "/graphql", caplog, json=query)
    line = _as_served(_the_line(caplog))
    assert (line["surface"], line["route"], line["status"]) == ("graphql", "/graphql", 200)
    assert (line["principal"], line["operations"]) == (None, ["query Projects"])


async def test_a_refusal_before_routing_names_the_route_it_was_going_to(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    await _ask(gateway, "GET", "/subjects/x", caplog, headers=bearer("not-a-token"))
    line = _as_served(_the_line(caplog))
    assert (line["status"], line["surface"], line["route"]) == (403, "alyx", "/subjects/{nickname}")
    assert "not-a-token" not in json.dumps(line)

