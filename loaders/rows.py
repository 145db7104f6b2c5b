"""The batch function that fetches visible rows by key (related rows in general are read by
:mod:`resolvers.read`, which uses it for to-one relations below the root).

It answers in key order (``None`` for misses), applies the visibility rule, opens its own
database session, and can be *filled* in bulk: ``fill(keys)`` fetches every key not yet
known in one statement and primes the loader, so nested fields of rows already loaded need no
per-item async work.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import Row, Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.auth.principal import Principal
from gateway.auth.visibility import readable_columns, visible
from gateway.db.engine import read_connection

# SQLite allows 32,766 bound parameters and PostgreSQL 32,767; stay well below either.
MAX_KEYS_PER_STATEMENT = 10_000

V = TypeVar("V")


class FillableLoader(DataLoader, Generic[V]):  # type: ignore[misc]
    """A DataLoader whose results are also kept in a plain dict for bulk, synchronous reuse."""

    def __init__(self) -> None:
        super().__init__(max_batch_size=MAX_KEYS_PER_STATEMENT)
        self.known: dict[Hashable, V] = {}

    async def fetch(self, keys: Sequence[Hashable]) -> dict[Hashable, V]:
        raise NotImplementedError

    async def batch_load_fn(self, keys: Sequence[Hashable]) -> list[V]:
        await self.fill(keys)
        return [self.known[key] for key in keys]

    async def fill(self, keys: Iterable[Hashable]) -> dict[Hashable, V]:
        """Make every key known, fetching the missing ones in as few statements as possible.
        (``load`` finds them known too: its batch function goes through here.)"""
        known = self.known
        missing = list(dict.fromkeys(k for k in keys if k is not None and k not in known))
        for start in range(0, len(missing), MAX_KEYS_PER_STATEMENT):
            chunk = missing[start : start + MAX_KEYS_PER_STATEMENT]
            found = await self.fetch(chunk)
            empty = self.empty
            for key in chunk:
                known[key] = found[key] if key in found else empty()
        return known

    def empty(self) -> V:
        raise NotImplementedError


class RowLoader(FillableLoader[Row[Any] | None]):
    """Visible rows of ``table`` by a unique key column (default: the primary key)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        principal: Principal,
        table: Table,
        key: str = "id",
        columns: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__()
        self.sessionmaker = sessionmaker
        self.principal = principal
        self.table = table
        self.key = key
        self.columns = None if columns is None else (key, *columns)

    def empty(self) -> None:
        return None

    async def fetch(self, keys: Sequence[Hashable]) -> dict[Hashable, Row[Any] | None]:
        key_col = self.table.c[self.key]
        match = key_col.in_(bindparam("keys", expanding=True))
        stmt = select(*readable_columns(self.table, self.columns)).where(match)
        rule = visible(self.table, self.principal)
        if rule is not None:
            stmt = stmt.where(rule)
        async with read_connection(self.sessionmaker) as conn:
            rows = (await conn.execute(stmt, {"keys": list(keys)})).all()
        return {getattr(row, self.key): row for row in rows}
