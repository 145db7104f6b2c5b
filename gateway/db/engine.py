"""The database engine: SQLite (aiosqlite) by default, PostgreSQL (asyncpg) by URL."""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 5000


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # LIKE is case-insensitive on SQLite by default but not on PostgreSQL: make startswith and
    # endswith mean the same on both (icontains lowers both sides anyway).
    cursor.execute("PRAGMA case_sensitive_like=ON")
    cursor.close()


def _json_loads(text: str) -> Any:
    """JSON columns (every record's extra fields) read with orjson, several times faster than
    the standard library on pages of records; what orjson refuses but the standard library
    writes (integers beyond 64 bits, NaN) still reads."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    common: dict[str, Any] = {"echo": echo, "json_deserializer": _json_loads}
    if is_sqlite(url):
        engine = create_async_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **common
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, **common)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


# SQLite has one writer at a time. Writers of this process queue here, holding no connection
# while they wait: waiting in SQLite's busy handler instead would hold a pooled connection each,
# and a burst of writers could take every connection and starve the one holding the lock.
_sqlite_writers: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


def _sqlite_writer(engine: AsyncEngine) -> asyncio.Lock:
    return _sqlite_writers.setdefault(engine.sync_engine, asyncio.Lock())


@asynccontextmanager
async def write_transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncConnection]:
    """A connection in a transaction: committed when the block ends, rolled back if it
    raises (so a failed write leaves nothing half-done).

    On SQLite the transaction holds the database's write lock from its first statement
    (``BEGIN IMMEDIATE``), so what it reads stays true until it commits, and concurrent
    writers take turns (other processes wait up to the busy timeout) instead of failing with
    "database is locked" halfway through."""
    engine: AsyncEngine = sessionmaker.kw["bind"]
    if not is_sqlite(engine.url.drivername):
        async with engine.begin() as conn:
            yield conn
        return
    async with _sqlite_writer(engine), engine.connect() as conn:
        # The driver would otherwise open a deferred transaction at the first write only.
        await conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            await conn.rollback()
            raise
        await conn.commit()


def read_connection(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncConnection:
    """A bare connection for a read: lighter than an ORM session for a Core ``select``
    (reads of a list request are a handful of statements, each one round trip)."""
    engine = sessionmaker.kw["bind"]
    return engine.connect()  # type: ignore[no-any-return]
