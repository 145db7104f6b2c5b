"""Connections lent one statement at a time (:mod:`gateway.db.lent`), on a real PostgreSQL:
never more than the lender's size at once, a failed or ended connection never lent again, a
waiter that gives up passing its turn on, the connections closed with the engine, and a
server that is gone an :class:`Unavailable` as on the pool. (SQLite lends nothing: its
compiled reads run on SQLAlchemy's connection.)"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from gateway.db.engine import create_engine, fetch_value
from gateway.db.lent import Lender, lender
from gateway.errors import Unavailable
from tests.conftest import POSTGRES_URL

PID = "SELECT pg_backend_pid()"


def _dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


def _lender(database_url: str, size: int) -> Lender:
    return Lender(lambda: asyncpg.connect(_dsn(database_url)), size=size)


async def _alive(database_url: str, pid: int) -> bool:
    conn = await asyncpg.connect(_dsn(database_url))
    try:
        alive = await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid)
        return bool(alive)
    finally:
        await conn.close()


def test_sqlite_lends_nothing() -> None:
    assert lender(create_engine("sqlite+aiosqlite:///:memory:")) is None


if POSTGRES_URL:  # what is lent is PostgreSQL's
    on_postgres = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

    @on_postgres
    async def test_concurrent_statements_share_at_most_size_connections(
        database_url: str,
    ) -> None:
        lent = _lender(database_url, size=2)
        sql = "SELECT pg_backend_pid()::text || ':' || $1::text FROM pg_sleep(0.02)"
        try:
            answers = await asyncio.gather(*(lent.fetchval(sql, (str(i),)) for i in range(12)))
        finally:
            await lent.close()
        assert [a.split(":")[1] for a in answers] == [str(i) for i in range(12)]
        assert len({a.split(":")[0] for a in answers}) == 2

    @on_postgres
    async def test_a_failed_statement_closes_its_connection(database_url: str) -> None:
        lent = _lender(database_url, size=1)
        try:
            first = await lent.fetchval(PID, ())
            with pytest.raises(asyncpg.PostgresError):
                await lent.fetchval("SELECT 1 / $1::int", (0,))
            second = await lent.fetchval(PID, ())
        finally:
            await lent.close()
        assert second != first and not await _alive(database_url, first)

    @on_postgres
    async def test_a_connection_the_server_ended_is_not_lent_again(database_url: str) -> None:
        lent = _lender(database_url, size=1)
        other = _lender(database_url, size=1)
        try:
            first = await lent.fetchval(PID, ())
            assert await other.fetchval("SELECT pg_terminate_backend($1)", (first,))
            for _ in range(50):  # the server's goodbye reaches the client a moment later
                if not await _alive(database_url, first):
                    break
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.05)
            second = await lent.fetchval(PID, ())
        finally:
            await lent.close()
            await other.close()
        assert second != first

    @on_postgres
    async def test_a_waiter_that_gives_up_passes_its_turn_on(database_url: str) -> None:
        lent = _lender(database_url, size=1)
        try:
            busy = asyncio.create_task(lent.fetchval("SELECT pg_sleep(0.2)::text", ()))
            await asyncio.sleep(0.05)
            quitter = asyncio.create_task(lent.fetchval("SELECT 'quitter'", ()))
            patient = asyncio.create_task(lent.fetchval("SELECT 'patient'", ()))
            await asyncio.sleep(0.02)
            quitter.cancel()
            assert await asyncio.wait_for(patient, 5) == "patient"
            await busy
            with pytest.raises(asyncio.CancelledError):
                await quitter
        finally:
            await lent.close()

    @on_postgres
    async def test_waiters_are_told_when_the_lender_closes(database_url: str) -> None:
        lent = _lender(database_url, size=1)
        busy = asyncio.create_task(lent.fetchval("SELECT pg_sleep(0.2)::text", ()))
        await asyncio.sleep(0.05)
        waiters = [asyncio.create_task(lent.fetchval("SELECT 'w'", ())) for _ in range(3)]
        await asyncio.sleep(0.02)
        await lent.close()
        assert await busy == ""  # the statement under way ends; its connection is closed
        for waiter in waiters:
            with pytest.raises(asyncpg.InterfaceError, match="disposed"):
                await asyncio.wait_for(waiter, 5)

    @on_postgres
    async def test_the_engine_closes_what_it_lent_when_disposed(database_url: str) -> None:
        engine = create_engine(database_url)
        pid = await fetch_value(engine, PID, ())
        assert await fetch_value(engine, PID, ()) == pid  # lent again, not opened anew
        await engine.dispose()
        assert not await _alive(database_url, pid)
        again = await fetch_value(engine, PID, ())  # used again: it lends new ones
        assert again != pid
        await engine.dispose()
        assert not await _alive(database_url, again)

    @on_postgres
    async def test_a_server_that_is_gone_is_unavailable(database_url: str) -> None:
        gone = make_url(database_url).set(host="127.0.0.1", port=1)
        engine = create_engine(gone.render_as_string(False))
        try:
            with pytest.raises(Unavailable):
                await fetch_value(engine, PID, ())
        finally:
            await engine.dispose()
