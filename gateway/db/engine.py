"""The database engine: SQLite (aiosqlite) by default, PostgreSQL (asyncpg) by URL."""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import asyncpg
import orjson
from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from gateway.db.lent import lend_for, lender
from gateway.errors import BadRequest, NeurogateError, Unavailable

SQLITE_BUSY_TIMEOUT_MS = 5000
# A PostgreSQL server that does not answer is an outage to report, not a request to hold open.
POSTGRES_CONNECT_TIMEOUT_S = 5.0
# asyncpg prepares every statement; SQLAlchemy keeps this many prepared per connection, so a
# read the gateway sent before skips PostgreSQL's parse and plan (the gateway's read statements
# are a few hundred shapes at most).
POSTGRES_STATEMENT_CACHE_SIZE = 500
# Connections a process keeps open. Past these the pool opens overflow connections and closes
# each as soon as it is checked in: a new connection (its TLS attempt, authentication and
# start-up) per request, several milliseconds of CPU, for as long as the load lasts. So the
# pool keeps what a busy worker uses at once (a few dozen concurrent requests), and overflows
# only past that.
POSTGRES_POOL_SIZE = 20
POSTGRES_MAX_OVERFLOW = 10


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


NUL_REFUSED = "Text may not contain the NUL character (U+0000)."
_SEQUENCES = (list, tuple)
_CONTAINERS = (list, tuple, dict)


def _holds_nul(value: Any) -> bool:
    """Whether ``value`` (a statement's parameter: text, a list of them, a JSON document) has
    a string with U+0000 in it."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        value = [*value, *value.values()]
    if isinstance(value, _SEQUENCES):
        for item in value:  # most often a statement's few parameters: a loop, no calls
            if isinstance(item, str):
                if "\x00" in item:
                    return True
            elif isinstance(item, _CONTAINERS) and _holds_nul(item):
                return True
    return False


def _refuse_nul(parameters: Any) -> None:
    """Text bound for the database never holds U+0000: PostgreSQL refuses it in any text,
    SQLite would keep it, and the clients' own services (Django REST framework's fields and
    filters) answer 400 "Null characters are not allowed." So every surface answers a 400 in
    its format, on both databases, for a filter, a lookup or a write alike (rolled back whole,
    as any failed write)."""
    if _holds_nul(parameters):
        raise BadRequest(NUL_REFUSED)


def _before_statement(
    _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, _many: bool
) -> None:
    """Every statement's parameters (``before_cursor_execute``): see :func:`_refuse_nul`."""
    _refuse_nul(parameters)


def _json_dumps(value: Any) -> str:
    """JSON columns as SQLAlchemy writes them (``json.dumps``), refusing U+0000 in their
    strings too: written as an escape, it would pass the statement's check, and PostgreSQL
    could not turn it back into text (``->>``). (SQLAlchemy wraps what this raises:
    :func:`_own_error` unwraps it.)"""
    text = json.dumps(value)
    if "\\u0000" in text:
        _refuse_nul(value)
    return text


def _json_loads(text: str) -> Any:
    """JSON columns (every record's extra fields) read with orjson, several times faster than
    the standard library on pages of records; what orjson refuses but the standard library
    writes (integers beyond 64 bits, NaN) still reads."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


# What says the server is gone (stopped, restarting, unreachable), as opposed to a statement
# it refused: asyncpg's connection errors (class 08), "cannot connect now" (starting up or
# shutting down), "terminating connection due to administrator command", and the socket's own.
_UNREACHABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.ConnectionDoesNotExistError,
)


def _is_unreachable(error: BaseException | None) -> bool:
    seen = 0
    while error is not None and seen < 8:  # the driver wraps its error in SQLAlchemy's
        if isinstance(error, _UNREACHABLE):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _unavailable() -> Unavailable:
    return Unavailable("The database is unavailable; try again shortly.")


def _own_error(context: ExceptionContext) -> BaseException | None:
    """The gateway's own error raised while a statement was prepared (:func:`_json_dumps`)
    as itself, not wrapped in SQLAlchemy's ``StatementError``."""
    if isinstance(context.original_exception, NeurogateError):
        return context.original_exception
    return None


def _outage(context: ExceptionContext) -> BaseException | None:
    """A statement that found the database gone is :class:`Unavailable` (503 on every
    surface). SQLAlchemy has already invalidated the pool on a disconnect, so the next
    checkout connects afresh: recovery needs no restart, and no ping before every checkout."""
    if context.is_disconnect or _is_unreachable(context.original_exception):
        return _unavailable()
    return _own_error(context)


def _drop_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled connection the server has closed (a restart terminates every session, and the
    driver sees it arrive) is replaced at checkout, with no round trip; the pool connects
    afresh. Only a connection lost silently is found by its next statement."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this connection")


@contextmanager
def _unreachable_is_unavailable() -> Iterator[None]:
    """What the driver raises when the server cannot be reached, as :class:`Unavailable`."""
    try:
        yield
    except Exception as error:
        if _is_unreachable(error):
            raise _unavailable() from error
        raise


def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    """A connection attempt that cannot reach the server is :class:`Unavailable` too (the
    driver's socket errors never reach ``handle_error``, which sees the DBAPI's own only)."""
    with _unreachable_is_unavailable():
        return dialect.connect(*cargs, **cparams)


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    common: dict[str, Any] = {
        "echo": echo,
        "json_serializer": _json_dumps,
        "json_deserializer": _json_loads,
    }
    if is_sqlite(url):
        engine = create_async_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **common
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "before_cursor_execute", _before_statement)
        event.listen(engine.sync_engine, "handle_error", _own_error)
        return engine
    engine = create_async_engine(
        url,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=POSTGRES_MAX_OVERFLOW,
        connect_args={
            "timeout": POSTGRES_CONNECT_TIMEOUT_S,
            "prepared_statement_cache_size": POSTGRES_STATEMENT_CACHE_SIZE,
        },
        **common,
    )
    lend_for(
        engine,
        timeout=POSTGRES_CONNECT_TIMEOUT_S,
        statement_cache_size=POSTGRES_STATEMENT_CACHE_SIZE,
    )
    event.listen(engine.sync_engine, "do_connect", _connect)
    event.listen(engine.sync_engine, "checkout", _drop_closed)
    event.listen(engine.sync_engine, "handle_error", _outage)
    event.listen(engine.sync_engine, "before_cursor_execute", _before_statement)
    return engine


async def fetch_value(engine: AsyncEngine, sql: str, args: tuple[Any, ...]) -> Any:
    """The first value ``sql`` answers, on a connection lent for it (:mod:`gateway.db.lent`;
    PostgreSQL only): :class:`Unavailable` when the server is gone, as on the pool."""
    lent = lender(engine)
    if lent is None:
        raise ValueError(f"{engine.dialect.name} lends no connections")
    _refuse_nul(args)
    with _unreachable_is_unavailable():
        return await lent.fetchval(sql, args)


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
    (reads of a list request are a handful of statements, each one round trip). On
    PostgreSQL it runs in autocommit: no BEGIN before the statements nor ROLLBACK after them,
    two round trips of three for a one-statement read. Nothing is lost: at the default
    isolation level (read committed) each statement sees its own snapshot in a transaction
    too."""
    engine: AsyncEngine = sessionmaker.kw["bind"]
    if is_sqlite(engine.url.drivername):
        return engine.connect()
    return _autocommit(engine).connect()


_autocommit_engines: weakref.WeakKeyDictionary[Any, AsyncEngine] = weakref.WeakKeyDictionary()


def _autocommit(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` in autocommit, sharing its pool (built once per engine)."""
    found = _autocommit_engines.get(engine)
    if found is None:
        found = _autocommit_engines[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return found
