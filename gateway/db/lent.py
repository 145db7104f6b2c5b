"""One statement straight on the driver: PostgreSQL connections lent one statement at a time.

A compiled read (:mod:`resolvers.compiled`) is one statement outside any transaction, whose
answer is one text value. Around it, a checkout and checkin of SQLAlchemy's pool cost about
43 µs of CPU, and asyncpg's own pool about 30 µs (its timeouts, reset and idle timers), where
the statement itself costs 17 µs (measured in one process, 5,000 lookups each). So the engine
keeps a few asyncpg connections of its own for these statements, lent by popping a list: the
checkout of a request path that is otherwise only the statement.

A lent connection is never in a transaction and holds no session state (no SET, LISTEN or
cursor is ever issued on it), so nothing needs resetting when it comes back. One whose
statement failed in any way is closed rather than lent again. The connections are closed with
the engine's pool (on SQLAlchemy's ``engine_disposed``).
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only

# Connections each engine lends at most at once; more concurrent statements wait their turn
# (on two cores a few statements in flight keep PostgreSQL busy).
LENT_CONNECTIONS = 8
CLOSE_TIMEOUT_S = 2.0

Connect = Callable[[], Awaitable[asyncpg.Connection]]


class Lender:
    """Up to ``size`` connections, each lent for one statement at a time."""

    def __init__(self, connect: Connect, size: int = LENT_CONNECTIONS) -> None:
        self.connect = connect
        self.size = size
        self._idle: list[asyncpg.Connection] = []
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._open = 0  # open, or being opened
        self._closed = False

    async def fetchval(self, sql: str, args: tuple[Any, ...]) -> Any:
        """The first column of the first row ``sql`` answers (prepared once per connection,
        in asyncpg's statement cache)."""
        connection = await self._lend()
        try:
            value = await connection.fetchval(sql, *args)
        except BaseException:
            self._discard(connection)
            raise
        self._give_back(connection)
        return value

    async def _lend(self) -> asyncpg.Connection:
        while True:
            if self._closed:
                self._wake()  # the next waiter learns it too
                raise asyncpg.InterfaceError("the engine has been disposed")
            while self._idle:
                connection = self._idle.pop()
                if not connection.is_closed():  # the server closed it (a restart, say)
                    return connection
                self._open -= 1
            if self._open < self.size:
                self._open += 1
                try:
                    return await self.connect()
                except BaseException:
                    self._open -= 1
                    self._wake()
                    raise
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self._wake()  # woken and cancelled at once: pass the turn on
                with suppress(ValueError):
                    self._waiting.remove(waiter)
                raise

    def _give_back(self, connection: asyncpg.Connection) -> None:
        if self._closed:
            self._discard(connection)
            return
        self._idle.append(connection)
        self._wake()

    def _discard(self, connection: asyncpg.Connection) -> None:
        self._open -= 1
        self._wake()
        with suppress(Exception):  # its event loop may be gone with it
            connection.terminate()

    def _wake(self) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def close(self) -> None:
        """Close the idle connections; those lent are closed as they come back."""
        self._closed = True
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        for connection in idle:
            try:
                await connection.close(timeout=CLOSE_TIMEOUT_S)
            except Exception:
                with suppress(Exception):
                    connection.terminate()
        self._wake()


_connectors: weakref.WeakKeyDictionary[Engine, Connect] = weakref.WeakKeyDictionary()
_lenders: weakref.WeakKeyDictionary[Engine, Lender] = weakref.WeakKeyDictionary()

# What SQLAlchemy's asyncpg dialect takes from a URL for itself, not for asyncpg.connect.
_DIALECT_ONLY = ("prepared_statement_cache_size", "prepared_statement_name_func")


def lend_for(engine: AsyncEngine, **connect_args: Any) -> None:
    """Have ``engine`` lend connections, made as its dialect makes them (host, port,
    credentials, TLS and the other settings of its URL) with ``connect_args``; closed with
    its pool."""
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    for name in _DIALECT_ONLY:
        cparams.pop(name, None)
    cparams.update(connect_args)
    _connectors[engine.sync_engine] = lambda: asyncpg.connect(*cargs, **cparams)
    event.listen(engine.sync_engine, "engine_disposed", _close_lent)


def lender(engine: AsyncEngine) -> Lender | None:
    """``engine``'s lender (made at its first statement), or None for an engine that lends
    nothing (SQLite)."""
    found = _lenders.get(engine.sync_engine)
    if found is None:
        connect = _connectors.get(engine.sync_engine)
        if connect is None:
            return None
        found = _lenders[engine.sync_engine] = Lender(connect)
    return found


def _close_lent(engine: Engine) -> None:
    """SQLAlchemy's ``engine_disposed`` listener (it runs inside the awaiting
    ``AsyncEngine.dispose``): the lent connections closed with the pool. An engine used again
    after that lends new ones."""
    found = _lenders.pop(engine, None)
    if found is not None:
        await_only(found.close())
