"""Bulk writing to SQLite through the stdlib ``sqlite3`` driver, synchronously (the import is
the only work of its process).

What makes it fast (each measured on 3 million connection rows): multi-row ``INSERT ...
VALUES`` statements, 100 rows each (most of the cost of ``executemany`` is per statement: 1.9 s
instead of 4.5 s); no foreign-key checks for rows of a materialization the import itself
created; ``synchronous=OFF`` while loading (a crash leaves an invisible, unpublished
materialization, never a visible half one); and a small page cache for the aggregation, which
lets SQLite's sorter work in runs that fit the CPU caches and merge them on a second thread
(the GROUP BY takes 2.3-2.8 s instead of 3.5-3.9 s with a 256 MB cache).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime
from itertools import chain, repeat

from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url

from gateway.connectome import statements as sql
from gateway.connectome.files import MAX_COUNT, Block, NotPlain, TotalTooLarge
from gateway.connectome.importer import Target
from gateway.connectome.property_files import PropertyBlock
from gateway.db.engine import SQLITE_BUSY_TIMEOUT_MS
from gateway.db.models._base import utcnow
from gateway.errors import Conflict, NotFound

ROWS_PER_STATEMENT = 100
LOAD_CACHE_KIB = 64 * 1024
SORT_CACHE_KIB = 4 * 1024
SORT_THREADS = 2


def _timestamp(value: datetime) -> str:
    # SQLAlchemy's text format for DateTime on SQLite, so comparisons agree with the ORM's.
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


class SqliteBulk:
    parses_csv = False  # SQLite has no bulk CSV parser: the lines are parsed here

    def __init__(self, database_url: str) -> None:
        path = make_url(database_url).database or ":memory:"
        self.conn = sqlite3.connect(
            path, isolation_level=None, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000
        )
        self.m: int | None = None
        self._owned = False  # whether discard() removes the materialization
        self._staged: list[str] = []  # properties waiting in property_load for publish()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=OFF",
            "foreign_keys=OFF",
            f"cache_size=-{LOAD_CACHE_KIB}",
            f"threads={SORT_THREADS}",
        ):
            self.conn.execute(f"PRAGMA {pragma}")

    @property
    def materialization(self) -> int:
        assert self.m is not None, "create_materialization first"
        return self.m

    async def create_materialization(self, target: Target) -> tuple[int, int]:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")  # the next version number is ours until COMMIT
        try:
            now = _timestamp(utcnow())
            conn.execute(
                "INSERT INTO connectome_dataset (name, description, created_at) "
                "VALUES (?, '', ?) ON CONFLICT (name) DO NOTHING",
                (target.dataset, now),
            )
            (dataset_id,) = conn.execute(
                "SELECT id FROM connectome_dataset WHERE name = ?", (target.dataset,)
            ).fetchone()
            version = target.version
            if version is None:
                (version,) = conn.execute(
                    "SELECT COALESCE(MAX(version), 0) + 1 FROM materialization "
                    "WHERE dataset_id = ?",
                    (dataset_id,),
                ).fetchone()
            elif conn.execute(
                "SELECT 1 FROM materialization WHERE dataset_id = ? AND version = ?",
                (dataset_id, version),
            ).fetchone():
                raise Conflict(f"{target.dataset} already has materialization {version}.")
            cursor = conn.execute(
                "INSERT INTO materialization (dataset_id, version, timestamp, valid, created_at) "
                "VALUES (?, ?, ?, 0, ?)",
                (dataset_id, version, _timestamp(target.timestamp), now),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self.m, self._owned = cursor.lastrowid, True
        return self.materialization, version

    def _current(self, dataset: str) -> tuple[int, int]:
        found = self.conn.execute(sql.current_materialization("?"), (dataset,)).fetchone()
        if found is None:
            raise NotFound(f"Dataset {dataset!r} has no published materialization.")
        return int(found[0]), int(found[1])

    async def attach(self, dataset: str) -> tuple[int, int]:
        self.m, version = self._current(dataset)
        return self.materialization, version

    async def copy_materialization(self, target: Target) -> tuple[int, int]:
        source, _ = self._current(target.dataset)
        created = await self.create_materialization(target)
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in sql.copy_rows(source, self.materialization):
                conn.execute(statement)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return created

    async def load_properties(self, name: str, blocks: Iterator[PropertyBlock]) -> int:
        """Staged in a temporary table, swapped in by :meth:`publish` in the transaction that
        publishes: readers see the old rows of every property or all the new ones."""
        conn, rows = self.conn, 0
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS property_load (name TEXT, segment_id INTEGER, value)"
        )
        conn.execute("DELETE FROM property_load WHERE name = ?", (name,))
        for block in blocks:
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO property_load VALUES (?, ?, ?)",
                zip(repeat(name), block.ids, block.values),
            )
            conn.execute("COMMIT")
            rows += len(block)
        self._staged.append(name)
        return rows

    def _insert(self, blocks: Iterator[Block], head: str, values: str, tail: str = "") -> None:
        """``head VALUES values [, values ...] tail`` for every row, 100 rows a statement, one
        transaction per block (other writers, such as the running gateway, get their turn)."""
        conn = self.conn
        width = values.count("?")
        per_statement = width * ROWS_PER_STATEMENT
        many = f"{head} VALUES {', '.join([values] * ROWS_PER_STATEMENT)} {tail}"
        single = f"{head} VALUES {values} {tail}"
        for block in blocks:
            flat = list(chain.from_iterable(block.rows()))
            whole = len(flat) - len(flat) % per_statement
            conn.execute("BEGIN")
            conn.executemany(
                many, (flat[i : i + per_statement] for i in range(0, whole, per_statement))
            )
            conn.executemany(single, (flat[i : i + width] for i in range(whole, len(flat), width)))
            conn.execute("COMMIT")

    async def load_segments(self, blocks: Iterator[Block]) -> None:
        self._insert(
            blocks,
            f"INSERT INTO segment ({sql.SEGMENT_COLUMNS})",
            f"({self.materialization}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0)",
        )

    async def load_cell_stats(self, blocks: Iterator[Block]) -> None:
        head, values, tail = sql.upsert_cell_stats(self.materialization)
        self._insert(blocks, head, values, tail)

    async def load_connections(self, blocks: Iterator[Block]) -> None:
        columns = ", ".join(sql.CONNECTION_COLUMNS)
        values = f"(?, {self.materialization}, ?, ?, ?, ?, ?)"
        self._insert(blocks, f"INSERT INTO connection ({columns})", values)

    async def load_connection_lines(self, columns: list[str], chunks: Iterator[bytes]) -> None:
        raise NotPlain("SQLite parses no CSV")

    async def derive(self) -> tuple[int, int]:
        conn, m = self.conn, self.materialization
        conn.execute(f"PRAGMA cache_size=-{SORT_CACHE_KIB}")
        conn.execute("BEGIN IMMEDIATE")
        try:
            # With no other materialization's pairs, the upstream index is built after the
            # load (one sort) instead of being updated row by row in random order. DDL is
            # transactional in SQLite: readers never see the table without it.
            rebuild = conn.execute(sql.has_other_partnerships(m)).fetchone() is None
            indexes = sql.rebuilt_indexes()
            if rebuild:
                for index in indexes:
                    conn.execute(f"DROP INDEX IF EXISTS {index.name}")
            partnerships = conn.execute(sql.insert_partnerships(m)).rowcount
            if rebuild:
                dialect = sqlite_dialect.dialect()
                for index in indexes:
                    conn.execute(sql.create_index(index, dialect))
            for statement in sql.aggregate_segments(m):
                conn.execute(statement)
            if conn.execute(sql.too_large_totals(m, MAX_COUNT)).fetchone() is not None:
                raise TotalTooLarge
            (segments,) = conn.execute(sql.count_segments(m)).fetchone()
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute(f"PRAGMA cache_size=-{LOAD_CACHE_KIB}")
        return segments, partnerships

    async def publish(self) -> None:
        # Durable before visible: sync what was written with synchronous=OFF.
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for name in self._staged:
                staged = sql.staged_property(name)
                for statement in sql.replace_property(self.materialization, name, staged):
                    conn.execute(statement)
            conn.execute(sql.publish(self.materialization))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    async def discard(self) -> None:
        conn = self.conn
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if self.m is not None and self._owned:
            conn.execute("BEGIN IMMEDIATE")
            for statement in sql.delete_rows(self.m):
                conn.execute(statement)
            conn.execute("COMMIT")

    async def close(self) -> None:
        self.conn.close()
