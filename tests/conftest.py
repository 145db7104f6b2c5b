"""The real app on a real, clean database for every test: SQLite always, and PostgreSQL too
when NEUROGATE_TEST_POSTGRES_URL is set (CI sets it)."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from gateway.app import create_app
from gateway.db.engine import create_engine, session_factory
from gateway.db.migrate import upgrade
from gateway.settings import Settings

POSTGRES_URL = os.environ.get("NEUROGATE_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", *(["postgres"] if POSTGRES_URL else [])]


def _run_sync(make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a coroutine to completion from sync code, even while a test's event loop runs
    (session fixtures are first requested from inside async fixtures)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(make())).result()


def _migrate(url: str) -> None:
    async def run() -> None:
        engine = create_engine(url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    _run_sync(run)


def _pg_admin_dsn() -> str:
    assert POSTGRES_URL
    return make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(False)


def _pg_url(database: str) -> str:
    assert POSTGRES_URL
    return make_url(POSTGRES_URL).set(database=database).render_as_string(False)


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(_pg_admin_dsn())
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrate(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    name = f"ng_template_{os.getpid()}"
    _run_sync(lambda: _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    _run_sync(lambda: _pg_admin(f'CREATE DATABASE "{name}"'))
    _migrate(_pg_url(name))
    yield name
    _run_sync(lambda: _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database of each backend, private to one test."""
    if request.param == "sqlite":
        path = tmp_path / "neurogate.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    with postgres_copy(request.getfixturevalue("postgres_template")) as url:
        yield url


@contextmanager
def postgres_copy(template: str) -> Iterator[str]:
    """A PostgreSQL database of its own, copied from the migrated ``template`` (a test's, from
    ``database_url``, or a module's), dropped after."""
    name = f"ng_test_{uuid.uuid4().hex[:12]}"
    _run_sync(lambda: _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield _pg_url(name)
    finally:
        _run_sync(lambda: _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def settings_on_a_copy(template: Path, folder: Path) -> Settings:
    """Settings for a gateway of its own on a copy of the migrated ``template`` database in
    ``folder`` (a live server's, a browser's, a fuzzer's), without rate limits in the way."""
    shutil.copyfile(template, folder / "neurogate.db")
    return unlimited_settings(f"sqlite+aiosqlite:///{folder / 'neurogate.db'}", folder)


def unlimited_settings(database_url: str, folder: Path) -> Settings:
    """Settings for a gateway of its own on ``database_url``, its storage in ``folder``,
    without rate limits in the way."""
    return Settings(
        database_url=database_url,
        storage_dir=folder / "storage",
        rate_limit_anonymous="1000000/minute",
        rate_limit_authenticated="1000000/minute",
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # Tests make many requests from one address within a minute: rate limits are tested on
    # their own, with the defaults (tests/shell/test_rate_limits_and_cors.py).
    return Settings(
        database_url=database_url,
        storage_dir=tmp_path / "storage",
        rate_limit_anonymous="100000/minute",
        rate_limit_authenticated="100000/minute",
    )


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine of the test's own, for arranging data and checking what was written."""
    eng = create_engine(database_url)
    yield eng
    await eng.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []

    def __call__(self, *args: Any) -> None:
        self.count += 1
        self.statements.append(args[2])

    def reset(self) -> None:
        self.count = 0
        self.statements.clear()


# NEUROGATE_TEST_DIFFERENTIAL=1: every GraphQL query a test posts through its gateway's client
# is first answered both ways (compiled reads on and off) and the answers compared
# (tests/differential.py).
DIFFERENTIAL = os.environ.get("NEUROGATE_TEST_DIFFERENTIAL") == "1"


@dataclass
class Gateway:
    """The running app with an in-process HTTP client and a counter of its SQL statements."""

    app: Starlette
    client: httpx.AsyncClient
    statements: StatementCounter

    async def graphql(
        self, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code in (200, 400), response.text
        return response.json()  # type: ignore[no-any-return]

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        """The ``data`` of a query that must succeed."""
        body = await self.graphql(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]


def _differential(request: pytest.FixtureRequest) -> bool:
    """Whether the test's gateway answers each query both ways: not for a test marked
    ``one_answer``, which counts what one request does (its log lines, metrics, rate-limit
    hits, statements or body bytes read), as answering it three times would multiply them."""
    return DIFFERENTIAL and request.node.get_closest_marker("one_answer") is None


async def start_gateway(
    settings: Settings, *, differential: bool = DIFFERENTIAL
) -> tuple[Any, Gateway]:
    app = create_app(settings)
    lifespan = app.router.lifespan_context(app)
    await lifespan.__aenter__()
    counter = StatementCounter()
    event.listen(app.state.engine.sync_engine, "before_cursor_execute", counter)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    gateway = Gateway(app=app, client=client, statements=counter)
    if differential:
        from tests.differential import DifferentialTransport

        gateway.client = httpx.AsyncClient(
            transport=DifferentialTransport(gateway), base_url="http://testserver"
        )
    return lifespan, gateway


@pytest.fixture
async def gateway(settings: Settings, request: pytest.FixtureRequest) -> AsyncIterator[Gateway]:
    lifespan, gw = await start_gateway(settings, differential=_differential(request))
    try:
        yield gw
    finally:
        await gw.client.aclose()
        await lifespan.__aexit__(None, None, None)


@pytest.fixture
async def make_gateway(settings: Settings, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """Start a gateway with some settings changed: ``await make_gateway(max_page_size=1000)``."""
    started: list[tuple[Any, Gateway]] = []

    async def make(**changes: Any) -> Gateway:
        lifespan, gw = await start_gateway(
            replace(settings, **changes), differential=_differential(request)
        )
        started.append((lifespan, gw))
        return gw

    yield make
    for lifespan, gw in started:
        await gw.client.aclose()
        await lifespan.__aexit__(None, None, None)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """An xdist worker hands its differential counts to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if DIFFERENTIAL and workeroutput is not None:
        from tests.differential import COMPARED

        workeroutput["compared"] = dict(COMPARED)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """The controller adds up its workers' differential counts."""
    if DIFFERENTIAL:
        from tests.differential import COMPARED

        for name, count in getattr(node, "workeroutput", {}).get("compared", {}).items():
            COMPARED[name] += count


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if DIFFERENTIAL:
        from tests.differential import COMPARED

        terminalreporter.write_line(
            f"compiled reads: {COMPARED['queries']} queries answered both ways and equal, "
            f"{COMPARED['compiled']} of them by a compiled statement"
        )
