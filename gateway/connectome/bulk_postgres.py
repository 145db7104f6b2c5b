"""Bulk writing to PostgreSQL through asyncpg's binary ``COPY``.

An import commits in four steps. First the materialization row (invisible: not ``valid``),
which reserves its version, with an empty table ``connection_m<id>`` for its connections. Then
the load: the files' rows (connections into that table, the segments' into temporary staging
tables), with an empty table ``partnership_m<id>`` for the partner pairs. Neither table is
attached to its parent yet, so no reader sees their rows. Then the pairs, written by two more
connections at once, each grouping a share of them. Then, while two connections build the
indexes (one the pairs' upstream index, the other their downstream one and the connections'
key), the last transaction writes the segment rows and the property files and publishes: it
waits for the index builds, attaches both tables as partitions and marks the materialization
valid. Run one after another, the index builds and the segment rows leave a core mostly idle
in their serial phases; and the connections' key, built once after the load, costs less than
its upkeep row by row during the ``COPY`` (3M rows, 8 runs alternating with the former single
transaction: 8.3-9.7 s an import, median 9.25, against 9.7-10.7 s, median 9.95).

A failure removes what the import wrote: the open transactions roll back, the committed
tables are dropped and the materialization's rows deleted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from itertools import chain, repeat
from typing import Any

import asyncpg
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

from gateway.connectome import statements as sql
from gateway.connectome.files import Block, NotPlain, TotalTooLarge
from gateway.connectome.importer import Target
from gateway.connectome.property_files import PropertyBlock
from gateway.db.models._base import utcnow
from gateway.db.models.connectome import connection_partition, partnership_partition
from gateway.errors import Conflict, NotFound


async def _heavy_settings(conn: asyncpg.Connection) -> None:
    """For the transaction of a connection that sorts or writes millions of rows."""
    # Sorts for the GROUP BY and the index builds stay in memory.
    await conn.execute("SET LOCAL work_mem = '256MB'")
    await conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
    await conn.execute("SET LOCAL synchronous_commit = OFF")
    # The statements run once each over millions of rows: compiling them costs more
    # than it saves (measured).
    await conn.execute("SET LOCAL jit = off")


def _rows(status: str) -> int:
    """The rows of an ``INSERT 0 <rows>`` status."""
    return int(status.rsplit(" ", 1)[1])


class PostgresBulk:
    parses_csv = True

    def __init__(self, conn: asyncpg.Connection, dsn: str) -> None:
        self.conn = conn
        self._dsn = dsn
        self.m: int | None = None
        self._owned = False  # whether discard() removes the materialization
        self._transaction: asyncpg.transaction.Transaction | None = None
        self._connections: str | None = None  # the standalone table of the connections
        self._partition: str | None = None  # the partition of partnership derive() made
        self._tables: list[str] = []  # the standalone tables made (committed or not)
        self._builds: list[asyncio.Task[str]] = []  # statements on connections of their own

    @classmethod
    async def connect(cls, database_url: str) -> PostgresBulk:
        dsn = make_url(database_url).set(drivername="postgresql")
        rendered = dsn.render_as_string(hide_password=False)
        return cls(await asyncpg.connect(rendered), rendered)

    @property
    def materialization(self) -> int:
        assert self.m is not None, "create_materialization first"
        return self.m

    async def create_materialization(self, target: Target) -> tuple[int, int]:
        return await self._create(target, connections_table=True)

    async def _create(self, target: Target, *, connections_table: bool) -> tuple[int, int]:
        """The materialization row and, given ``connections_table``, the empty table for its
        connections, whose foreign key locks ``materialization`` against writes until the
        commit: here, that is a moment (in the load, it would be the whole load)."""
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
            if connections_table:
                self._connections = connection_partition(self.m)
                self._tables.append(self._connections)
                for statement in sql.create_connection_table(self.m, self._connections):
                    await conn.execute(statement)
        self._owned = True
        await self._begin()
        return self.materialization, version

    async def _begin(self) -> None:
        self._transaction = self.conn.transaction()
        await self._transaction.start()
        await _heavy_settings(self.conn)
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
        created = await self._create(target, connections_table=False)
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
        assert self._connections is not None
        await self._copy(self._connections, rows, list(sql.CONNECTION_COLUMNS))

    async def load_connection_lines(self, columns: list[str], chunks: Iterator[bytes]) -> None:
        """PostgreSQL's own CSV parser, in C, instead of this process's: 3M rows cost its
        server 2.2 s as binary rows and 3.0-3.5 s as CSV, and the parsing here that the
        binary rows need 4.8 s (measured one by one). The table checks what the parser here
        would (types, widths, NOT NULLs, signs); a refusal leaves none of the lines and
        raises :class:`NotPlain`, so the lines go the other way and a bad one is named."""
        assert self._connections is not None

        async def source() -> AsyncIterator[bytes]:
            for chunk in chunks:  # the queue from the parsing child: blocks only when empty
                yield chunk

        try:
            async with self.conn.transaction():  # a savepoint
                await self.conn.copy_to_table(
                    self._connections,
                    source=source(),
                    columns=["id", *columns],
                    format="csv",
                    force_not_null=["neuropil", "nt_type"],  # an empty text is "", not NULL
                )
        except (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError) as error:
            raise NotPlain(f"refused by PostgreSQL: {error}") from None

    async def derive(self) -> tuple[int, int]:
        """The load's transaction commits with the connections' table unattached (so unseen),
        and the pairs go to a table of their own, written by :data:`sql.PAIR_SHARES`
        statements at once on connections of their own. Their indexes are then built on two
        more, while this one opens the last transaction and writes every segment row, once.
        Nothing here locks ``partnership`` or ``connection`` themselves, so another import
        (of another dataset) and the gateway's reads go on meanwhile."""
        assert self._transaction is not None and self._connections is not None
        conn, m, connections = self.conn, self.materialization, self._connections
        partition = partnership_partition(m)
        self._tables.append(partition)
        await conn.execute(sql.create_pairs_table(m, partition))
        await self._transaction.commit()
        self._transaction = None
        self._partition = partition
        # Two shares on two cores: 2.6-3.1 s for 3M rows, where one CREATE TABLE AS took
        # 3.6-4.2 s (its groups sorted; hashed, 4.3-4.8 s); each share's groups are hashed
        # (sorted: 3.3-3.8 s). Interleaved, 3 runs each; whole imports, 3 alternating pairs:
        # 13.1-13.2 s against 13.8-14.2 s, for the same CPU.
        self._builds = [
            asyncio.create_task(self._apart([sql.insert_pair_share(m, partition, connections, n)]))
            for n in range(sql.PAIR_SHARES)
        ]
        try:
            written = await asyncio.gather(*self._builds)
        except asyncpg.NumericValueOutOfRangeError:  # a pair's total, for its integer column
            raise TotalTooLarge from None
        partnerships = sum(_rows(status) for status in written)
        dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
        indexes = sql.partition_indexes(partition, dialect)
        up = indexes.pop("ix_partnership_by_post")
        self._builds = [
            asyncio.create_task(self._apart([up], analyze=partition)),
            asyncio.create_task(self._apart([*indexes.values(), *sql.connection_key(connections)])),
        ]
        await self._begin()
        try:
            status = await conn.execute(sql.insert_segments_once(m, partition))
        except asyncpg.NumericValueOutOfRangeError:  # a segment's total
            raise TotalTooLarge from None
        return _rows(status), partnerships

    async def _apart(self, statements: list[str], analyze: str | None = None) -> str:
        """``statements`` in a transaction of a connection of their own, then ``analyze``
        (fresh statistics, so the planner sees the new rows at once, not after autovacuum);
        the last statement's status ("" for none)."""
        status = ""
        conn = await asyncpg.connect(self._dsn)
        try:
            async with conn.transaction():
                await _heavy_settings(conn)
                for statement in statements:
                    status = await conn.execute(statement)
            if analyze is not None:
                await conn.execute(f"ANALYZE {analyze}")
            return status
        finally:
            await conn.close()

    async def publish(self) -> None:
        assert self._transaction is not None
        conn, m = self.conn, self.materialization
        await asyncio.gather(*self._builds)
        # The one statement on each parent (a SHARE UPDATE EXCLUSIVE lock, which lets reads
        # and other partitions' writes through), just before the commit that ends it. Each
        # table carries the partition's CHECK, foreign key and indexes: attaching checks and
        # builds nothing.
        for parent, partition in (
            ("partnership", self._partition),
            ("connection", self._connections),
        ):
            if partition is not None:
                await conn.execute(
                    f"ALTER TABLE {parent} ATTACH PARTITION {partition} FOR VALUES IN ({m})"
                )
        await conn.execute(sql.publish(m))
        await self._transaction.commit()
        self._transaction = None
        # Fresh statistics for the segments (the partnership partition has them from its
        # build); outside the transaction, as two ANALYZEs of one table wait for each other.
        await conn.execute("ANALYZE segment")
        await conn.execute(sql.drop_segment_staging())

    async def discard(self) -> None:
        for build in self._builds:
            build.cancel()  # asyncpg asks the server to cancel the running statement
        await asyncio.gather(*self._builds, return_exceptions=True)
        if self._transaction is not None:
            await self._transaction.rollback()
            self._transaction = None
        if self.m is not None and self._owned:
            async with self.conn.transaction():
                for name in self._tables:
                    await self.conn.execute(f"DROP TABLE IF EXISTS {name}")
                for statement in sql.delete_rows(self.m):
                    await self.conn.execute(statement)

    async def close(self) -> None:
        await self.conn.close()
