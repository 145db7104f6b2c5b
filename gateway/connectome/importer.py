"""Import one set of connectome files as a new materialization of a dataset.

The import streams each file block by block into the database through the raw driver (ORM
inserts are far too slow for millions of rows), then derives everything the read path needs
once: per-pair totals over neuropils (``partnership``, its ranking indexes built after the load)
and per-segment aggregates. The materialization is created invisible (``valid`` false)
and published by one final transaction (on PostgreSQL, which also attaches the import's
connection and pair tables as partitions: :mod:`gateway.connectome.bulk_postgres`); if anything
fails before that, its rows are removed and the previous materialization stays the current
one.

Aggregates, and what they mean (BrainCircuits' ``link_pre`` / ``link_post``):

* ``nr_pre``  — synapses the segment makes (it is presynaptic): the sum of ``syn_count`` over
  its outgoing connection rows; ``nr_downstream_partner`` — distinct segments it synapses onto.
* ``nr_post`` — synapses the segment receives; ``nr_upstream_partner`` — distinct segments that
  synapse onto it.

Rows are counted as given: the files' own threshold applies (Codex downloads keep pairs with at
least 5 synapses), duplicate rows add up, and an autapse (pre = post) counts on both sides.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol, TypeVar

from gateway.connectome import statements as sql
from gateway.connectome.files import (
    CELL_STATS,
    CONNECTIONS,
    MAX_COUNT,
    NEURONS,
    Block,
    CountedFile,
    FormatError,
    NotPlain,
    Reader,
    TotalTooLarge,
)
from gateway.connectome.parsing_process import ChildParser
from gateway.connectome.property_files import PropertyBlock, PropertyReader
from gateway.db.engine import is_sqlite


class Progress(Protocol):
    """What the import reports: a phase, then the bytes and rows of the file it is reading."""

    def phase(self, name: str, total_bytes: int) -> None: ...

    def advance(self, bytes_read: int, rows: int) -> None: ...


class _Silent:
    def phase(self, name: str, total_bytes: int) -> None:
        pass

    def advance(self, bytes_read: int, rows: int) -> None:
        pass


@dataclass(frozen=True)
class Target:
    dataset: str
    version: int | None
    timestamp: datetime  # naive UTC


@dataclass(frozen=True)
class Imported:
    dataset: str
    materialization_id: int
    version: int
    timestamp: datetime
    segments: int
    connections: int
    partnerships: int
    seconds: float
    # Whether the database parsed the connections file itself (PostgreSQL, a plain file).
    parsed_by_database: bool = False

    @property
    def rows_per_second(self) -> float:
        return self.connections / self.seconds if self.seconds else 0.0


class Bulk(Protocol):
    """One backend's raw bulk writer (SQLite: sqlite3; PostgreSQL: asyncpg)."""

    async def create_materialization(self, target: Target) -> tuple[int, int]: ...

    async def load_segments(self, blocks: Iterator[Block]) -> None: ...

    async def load_cell_stats(self, blocks: Iterator[Block]) -> None: ...

    async def load_connections(self, blocks: Iterator[Block]) -> None:
        """Blocks of :data:`sql.CONNECTION_COLUMNS` but the materialization's (which is
        this writer's own)."""
        ...

    parses_csv: bool  # whether the database parses the connections file's lines itself

    async def load_connection_lines(self, columns: list[str], chunks: Iterator[bytes]) -> None:
        """The connections file's numbered lines (``Reader.numbered_lines``), the table's
        ``columns`` after the id, parsed by the database; :class:`NotPlain`, with none of
        them kept, when it refuses them."""
        ...

    async def attach(self, dataset: str) -> tuple[int, int]:
        """Write into the current (published) materialization of ``dataset``."""
        ...

    async def copy_materialization(self, target: Target) -> tuple[int, int]:
        """A new, unpublished materialization holding a copy of the current one's rows."""
        ...

    async def load_properties(self, name: str, blocks: Iterator[PropertyBlock]) -> int:
        """Replace property ``name`` of the materialization; returns the rows written."""
        ...

    async def derive(self) -> tuple[int, int]:
        """Partnerships and segment aggregates; returns (segments, partnerships), or raises
        :class:`TotalTooLarge`. On PostgreSQL this commits the load (unattached, so unseen)
        and starts the index builds :meth:`publish` waits for."""
        ...

    async def publish(self) -> None: ...

    async def discard(self) -> None: ...

    async def close(self) -> None: ...


async def open_bulk(database_url: str) -> Bulk:
    if is_sqlite(database_url):
        from gateway.connectome.bulk_sqlite import SqliteBulk

        return SqliteBulk(database_url)
    from gateway.connectome.bulk_postgres import PostgresBulk

    return await PostgresBulk.connect(database_url)


_B = TypeVar("_B")


def _tracked(
    name: str, reader: CountedFile, progress: Progress, blocks: Iterator[_B]
) -> Iterator[_B]:
    progress.phase(name, reader.size)
    for block in blocks:
        yield block
        progress.advance(reader.bytes_read, reader.rows_read)


def _unique_ids(blocks: Iterator[Block]) -> Iterator[Block]:
    """Refuse a root id listed twice (neurons, cell_stats: one row per segment). The set of ids
    grows with the number of neurons, not with the size of the connection table."""
    seen: set[int] = set()
    for block in blocks:
        ids = block.columns[0]
        if not seen.isdisjoint(ids) or len(set(ids)) != len(ids):
            here: set[int] = set()
            for index, root_id in enumerate(ids):
                if root_id in seen or root_id in here:
                    raise block.error(index, f"root_id {root_id} is listed twice")
                here.add(root_id)
        seen.update(ids)
        yield block


# The connections file's columns (``files.CONNECTIONS``), by the table's names.
CONNECTION_FILE_COLUMNS = dict(zip(CONNECTIONS.names, sql.CONNECTION_COLUMNS[2:], strict=True))


def _numbered(materialization_id: int, blocks: Iterator[Block]) -> Iterator[Block]:
    """Connection blocks with their ids as a first column (:func:`sql.connection_ids`)."""
    ids = sql.connection_ids(materialization_id)
    start = ids.start
    for block in blocks:
        end = start + len(block)
        if end > ids.stop:
            raise block.error(ids.stop - start, f"more than {len(ids):,} rows")
        yield replace(block, columns=(range(start, end), *block.columns))
        start = end


async def _load_connections(
    bulk: Bulk,
    parser: ChildParser,
    csv_columns: list[str] | None,
    materialization_id: int,
    progress: Progress,
    parsed: Callable[[Reader], ChildParser],
) -> bool:
    """The connections, from ``parser``: numbered lines for the database to parse when the
    file has ``csv_columns``, else parsed blocks. When the database refuses the lines, or
    they turn out not to be plain, the file is parsed here after all, which names a bad line.
    Returns whether the database parsed them."""
    reader = parser.reader
    if csv_columns:
        columns = [CONNECTION_FILE_COLUMNS[name] for name in csv_columns]
        try:
            lines = _tracked("connections", reader, progress, parser.lines())
            await bulk.load_connection_lines(columns, lines)
            return True
        except NotPlain:
            parser.close()
            reader.bytes_read = reader.rows_read = 0
            parser = parsed(reader)
    blocks = _tracked("connections", reader, progress, parser.blocks())
    await bulk.load_connections(_numbered(materialization_id, blocks))
    return False


async def import_connectome(
    database_url: str,
    target: Target,
    *,
    neurons: Path,
    connections: Path,
    cell_stats: Path | None = None,
    properties: Sequence[tuple[str, Path]] = (),
    progress: Progress | None = None,
) -> Imported:
    """Load the files as a new materialization of ``target.dataset`` (created if missing),
    with each of ``properties`` (name, file: see :mod:`gateway.connectome.property_files`).
    Raises :class:`gateway.connectome.files.FormatError` for a malformed file, after removing
    whatever of it was written."""
    progress = progress or _Silent()
    neuron_rows, connection_rows = Reader(neurons, NEURONS), Reader(connections, CONNECTIONS)
    stat_rows = Reader(cell_stats, CELL_STATS) if cell_stats is not None else None
    started = time.perf_counter()
    bulk = await open_bulk(database_url)
    # Every file is parsed by a child process of its own, all from the start: this process
    # only writes. The connections go first, the import's long pole: the database starts on
    # them at once, and the small files are parsed meanwhile (on PostgreSQL, writing the
    # neurons first kept the server waiting for their parser for about half a second).
    parsers: list[ChildParser] = []

    def parsed(reader: Reader, numbers: range | None = None) -> ChildParser:
        parsers.append(ChildParser(reader, numbers=numbers))
        return parsers[-1]

    try:
        materialization_id, version = await bulk.create_materialization(target)
        try:
            as_csv = connection_rows.csv_columns() if bulk.parses_csv else None
            ids = sql.connection_ids(materialization_id) if as_csv else None
            connection_parser = parsed(connection_rows, ids)
            neuron_blocks = parsed(neuron_rows).blocks()
            stat_blocks = parsed(stat_rows).blocks() if stat_rows is not None else None
            by_database = await _load_connections(
                bulk, connection_parser, as_csv, materialization_id, progress, parsed
            )
            await bulk.load_segments(
                _unique_ids(_tracked("neurons", neuron_rows, progress, neuron_blocks))
            )
            if stat_rows is not None and stat_blocks is not None:
                await bulk.load_cell_stats(
                    _unique_ids(_tracked("cell_stats", stat_rows, progress, stat_blocks))
                )
            progress.phase("partners and aggregates", 0)
            try:
                segments, partnerships = await bulk.derive()
            except TotalTooLarge:
                raise FormatError(
                    connections, None, f"a segment's synapses add up to more than {MAX_COUNT:,}"
                ) from None
            for name, path in properties:
                await load_property_file(bulk, name, path, progress)
            await bulk.publish()
        except BaseException:
            await bulk.discard()
            raise
    finally:
        for parser in parsers:
            parser.close()
        await bulk.close()
    return Imported(
        dataset=target.dataset,
        materialization_id=materialization_id,
        version=version,
        timestamp=target.timestamp,
        segments=segments,
        connections=connection_rows.rows_read,
        partnerships=partnerships,
        seconds=time.perf_counter() - started,
        parsed_by_database=by_database,
    )


def _unique_property_ids(blocks: Iterator[PropertyBlock]) -> Iterator[PropertyBlock]:
    """Refuse a root id listed twice in a property file (one object per segment)."""
    seen: set[int] = set()
    for block in blocks:
        for index, root_id in enumerate(block.ids):
            if root_id in seen:
                raise block.error(index, f"root_id {root_id} is listed twice")
            seen.add(root_id)
        yield block


async def load_property_file(bulk: Bulk, name: str, path: Path, progress: Progress) -> int:
    reader = PropertyReader(path)
    blocks = _tracked(name, reader, progress, reader.blocks())
    return await bulk.load_properties(name, _unique_property_ids(blocks))


@dataclass(frozen=True)
class PropertiesImported:
    dataset: str
    materialization_id: int
    version: int
    rows: dict[str, int]
    seconds: float


async def import_segment_properties(
    database_url: str,
    dataset: str,
    properties: Sequence[tuple[str, Path]],
    *,
    new_materialization: Target | None = None,
    progress: Progress | None = None,
) -> PropertiesImported:
    """Load each of ``properties`` (name, file) into the current materialization of
    ``dataset``, replacing what it had of that property; or, given ``new_materialization``,
    into a new one that starts as a copy of the current one. All or nothing: a malformed
    file (:class:`gateway.connectome.files.FormatError`) leaves every property as it was."""
    progress = progress or _Silent()
    started = time.perf_counter()
    bulk = await open_bulk(database_url)
    rows: dict[str, int] = {}
    try:
        if new_materialization is not None:
            materialization_id, version = await bulk.copy_materialization(new_materialization)
        else:
            materialization_id, version = await bulk.attach(dataset)
        try:
            for name, path in properties:
                rows[name] = await load_property_file(bulk, name, path, progress)
            await bulk.publish()
        except BaseException:
            await bulk.discard()
            raise
    finally:
        await bulk.close()
    return PropertiesImported(
        dataset, materialization_id, version, rows, time.perf_counter() - started
    )
