"""Bulk writing to PostgreSQL through asyncpg's binary ``COPY``.

Everything after the materialization row is one transaction: an error rolls it back whole
(PostgreSQL's MVCC lets the running gateway read and write meanwhile), and only the
materialization row, committed first to reserve its version, is left to delete.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain, repeat
from typing import Any

import asyncpg
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

from gateway.connectome import statements as sql
from gateway.connectome.files import Block
from gateway.connectome.importer import Target
from gateway.connectome.property_files import PropertyBlock
from gateway.db.models._base import utcnow
from gateway.db.models.connectome import partnership_partition
from gateway.errors import Conflict, NotFound


class PostgresBulk:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.m: int | None = None
        self._owned = False  # whether discard() removes the materialization
        self._transaction: asyncpg.transaction.Transaction | None = None
        self._partition: str | None = None  # the partition of partnership derive() made

    @classmethod
    async def connect(cls, database_url: str) -> PostgresBulk:
        dsn = make_url(database_url).set(drivername="postgresql")
        return cls(await asyncpg.connect(dsn.render_as_string(hide_password=False)))

    @property
    def materialization(self) -> int:
        assert self.m is not None, "create_materialization first"
        return self.m

    async def create_materialization(self, target: Target) -> tuple[int, int]:
        conn, now = self.conn, utcnow()
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO connectome_dataset (name, description, created_at) "
                "VALUES ($1, '', $2) ON CONFLICT (name) DO NOTHING",
                target.dataset,
                now,
            )
            dataset_id = await conn.fetchval(
                "SELECT id FROM connectome_dataset WHERE name = $1 FOR UPDATE", target.dataset
            )  # the row lock serialises version numbering between concurrent imports
            version = target.version
            if version is None:
                version = await conn.fetchval(
                    "SELECT COALESCE(MAX(version), 0) + 1 FROM materialization "
                    "WHERE dataset_id = $1",
                    dataset_id,
                )
            elif await conn.fetchval(
                "SELECT 1 FROM materialization WHERE dataset_id = $1 AND version = $2",
                dataset_id,
                version,
            ):
                raise Conflict(f"{target.dataset} already has materialization {version}.")
            self.m = await conn.fetchval(
                "INSERT INTO materialization (dataset_id, version, timestamp, valid, created_at) "
                "VALUES ($1, $2, $3, FALSE, $4) RETURNING id",
                dataset_id,
                version,
                target.timestamp,
                now,
            )
        self._owned = True
        await self._begin()
        return self.materialization, version

    async def _begin(self) -> None:
        self._transaction = self.conn.transaction()
        await self._transaction.start()
        # Sorts for the GROUP BY and the index builds stay in memory.
        await self.conn.execute("SET LOCAL work_mem = '256MB'")
        await self.conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
        await self.conn.execute("SET LOCAL synchronous_commit = OFF")
        # The statements run once each over millions of rows: compiling them costs more
        # than it saves (measured).
        await self.conn.execute("SET LOCAL jit = off")
        await self._skip_row_triggers()

    async def _skip_row_triggers(self) -> None:
        """Every row this import writes belongs to a materialization it created or found
        itself, so the per-row foreign-key triggers prove nothing; they cost most of a COPY
        into ``connection`` (50,000 rows/s with them, 225,000 without, measured). As
        ``pg_restore --disable-triggers`` does, the import turns them off for its own
        transaction when its role may (a superuser, or one granted SET on the parameter);
        otherwise they run. Partition attachment still validates its foreign key at once."""
        try:
            async with self.conn.transaction():  # a savepoint: a refusal leaves ours intact
                await self.conn.execute("SET LOCAL session_replication_role = replica")
        except asyncpg.InsufficientPrivilegeError:
            pass

    async def _current(self, dataset: str) -> tuple[int, int]:
        found = await self.conn.fetchrow(sql.current_materialization("$1"), dataset)
        if found is None:
            raise NotFound(f"Dataset {dataset!r} has no published materialization.")
        return int(found[0]), int(found[1])

    async def attach(self, dataset: str) -> tuple[int, int]:
        self.m, version = await self._current(dataset)
        await self._begin()
        return self.materialization, version

    async def copy_materialization(self, target: Target) -> tuple[int, int]:
        source, _ = await self._current(target.dataset)
        created = await self.create_materialization(target)
        for statement in sql.copy_rows(source, self.materialization):
            await self.conn.execute(statement)
        return created

    async def load_properties(self, name: str, blocks: Iterator[PropertyBlock]) -> int:
        """Copied into the import's transaction (the old rows of the property deleted first):
        readers see the old rows or all the new ones once it commits."""
        conn, m, rows = self.conn, self.materialization, 0
        await conn.execute(
            "DELETE FROM segment_property WHERE materialization_id = $1 AND name = $2", m, name
        )
        for block in blocks:
            n = len(block)
            await conn.copy_records_to_table(
                "segment_property",
                records=zip(repeat(m, n), block.ids, repeat(name, n), block.values, strict=True),
                columns=["materialization_id", "segment_id", "name", "value"],
            )
            rows += n
        return rows

    async def _copy(self, table: str, rows: Iterator[tuple[Any, ...]], columns: list[str]) -> None:
        """One ``COPY`` for a whole file: asyncpg streams it in 512 kB messages, so this
        process encodes the next rows while the server stores the last ones (a ``COPY`` per
        block would wait for each in turn)."""
        await self.conn.copy_records_to_table(table, records=rows, columns=columns)

    async def load_segments(self, blocks: Iterator[Block]) -> None:
        """Staged: :meth:`derive` writes each segment row once, with its sizes and totals."""
        for statement in sql.create_segment_staging():
            await self.conn.execute(statement)
        rows = chain.from_iterable(block.rows() for block in blocks)
        await self._copy(sql.STAGED_NEURONS, rows, list(sql.NEURON_LOAD_COLUMNS))

    async def load_cell_stats(self, blocks: Iterator[Block]) -> None:
        rows = chain.from_iterable(block.rows() for block in blocks)
        await self._copy(sql.STAGED_CELL_STATS, rows, list(sql.CELL_STATS_LOAD_COLUMNS))

    async def load_connections(self, blocks: Iterator[Block]) -> None:
        m = self.materialization
        rows = chain.from_iterable(
            zip(ids, repeat(m, len(ids)), *rest, strict=True)
            for ids, *rest in (block.columns for block in blocks)
        )
        await self._copy("connection", rows, list(sql.CONNECTION_COLUMNS))

    async def derive(self) -> tuple[int, int]:
        """The pairs go to a partition of their own, indexed after the load and attached by
        :meth:`publish`: nothing here locks ``partnership`` itself, so another import (of
        another dataset) and the gateway's reads go on meanwhile. Then every segment row,
        written once."""
        conn, m = self.conn, self.materialization
        partition = partnership_partition(m)
        created, constrained = sql.create_pairs_table(m, partition)
        status = await conn.execute(created)
        partnerships = int(status.rsplit(" ", 1)[1])  # "SELECT <rows>"
        await conn.execute(constrained)
        dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
        for statement in sql.partition_indexes(partition, dialect):
            await conn.execute(statement)
        status = await conn.execute(sql.insert_segments_once(m, partition))
        self._partition = partition
        return int(status.rsplit(" ", 1)[1]), partnerships  # "INSERT 0 <rows>"

    async def publish(self) -> None:
        assert self._transaction is not None
        conn, m = self.conn, self.materialization
        if self._partition is not None:
            # The one statement on the parent (a SHARE UPDATE EXCLUSIVE lock, which lets reads
            # and other partitions' writes through), just before the commit that ends it.
            await conn.execute(
                f"ALTER TABLE partnership ATTACH PARTITION {self._partition} FOR VALUES IN ({m})"
            )
        await conn.execute(sql.publish(m))
        await self._transaction.commit()
        self._transaction = None
        # Fresh statistics, so the planner sees the new rows at once (not after autovacuum);
        # outside the transaction, as two ANALYZEs of one table wait for each other.
        analyzed = "segment" if self._partition is None else f"{self._partition}, segment"
        await conn.execute(f"ANALYZE {analyzed}")

    async def discard(self) -> None:
        if self._transaction is not None:
            await self._transaction.rollback()
            self._transaction = None
        if self.m is not None and self._owned:
            async with self.conn.transaction():
                for statement in sql.delete_rows(self.m):
                    await self.conn.execute(statement)

    async def close(self) -> None:
        await self.conn.close()
