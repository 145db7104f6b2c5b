"""The FlyWire Codex download layout: ``neurons.csv``, ``connections.csv``, ``cell_stats.csv``,
each plain or gzipped.

A file is read in blocks of about a megabyte and handed on column by column, so memory stays
flat whatever the file size. Columns are found by their header names (extra columns are
ignored). Parsing is the import's hot path, so a block is first split and converted with C-level
calls only (``bytes.split``, ``map(int, ...)``); a block that does not pass that way (quotes,
CRLF, blank lines, a bad value) is parsed again line by line, which either accepts it or names
the first bad line (the header is line 1) in a :class:`FormatError`. The download has no quoted
line breaks, so a record is a line. For a database that parses CSV itself (PostgreSQL's
``COPY``), a plain file's lines are handed on as they are, numbered
(:meth:`Reader.numbered_lines`).
"""

from __future__ import annotations

import csv
import gzip
from array import array
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from itertools import repeat
from pathlib import Path
from typing import IO, Any

# SQLite and PostgreSQL both store 64-bit *signed* integers.
MAX_ID = 2**63 - 1
# Synapse counts go to 32-bit columns (PostgreSQL's ``integer``), each row's and each total.
MAX_COUNT = 2**31 - 1
NEUROTRANSMITTERS = ("da", "ser", "gaba", "glut", "ach", "oct")
BLOCK_BYTES = 1 << 20


class Kind(Enum):
    ID = "a segment id (0 to 2^63-1)"
    COUNT = "a count (0 to 2^31-1)"
    TEXT = "text"
    FLOAT = "a number or empty"
    SIZE = "an integer (up to 2^63-1 either way) or empty"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    max_length: int = 0  # text only: the width of the database column it goes to


@dataclass(frozen=True)
class Layout:
    name: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


NEURONS = Layout(
    "neurons",
    (
        Column("root_id", Kind.ID),
        Column("group", Kind.TEXT, 100),
        Column("nt_type", Kind.TEXT, 16),
        Column("nt_type_score", Kind.FLOAT),
        *(Column(f"{nt}_avg", Kind.FLOAT) for nt in NEUROTRANSMITTERS),
    ),
)
CONNECTIONS = Layout(
    "connections",
    (
        Column("pre_root_id", Kind.ID),
        Column("post_root_id", Kind.ID),
        Column("neuropil", Kind.TEXT, 32),
        Column("syn_count", Kind.COUNT),
        Column("nt_type", Kind.TEXT, 16),
    ),
)
CELL_STATS = Layout(
    "cell_stats",
    (
        Column("root_id", Kind.ID),
        Column("length_nm", Kind.SIZE),
        Column("area_nm", Kind.SIZE),
        Column("size_nm", Kind.SIZE),
    ),
)


class NotPlain(Exception):
    """Lines that must be parsed here (:meth:`Reader.blocks`), not by a database's CSV
    parser (:meth:`Reader.numbered_lines`)."""


class TotalTooLarge(Exception):
    """A segment's synapses (and so possibly a pair's), summed by the import, exceed
    :data:`MAX_COUNT`, though each row's count is within it."""


class FormatError(ValueError):
    """A file that does not follow the layout: at ``line``, or as a whole (None)."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        super().__init__(f"{path.name}{'' if line is None else f' line {line}'}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Block:
    """Consecutive records of a file, one list per layout column."""

    path: Path
    first_line: int
    columns: tuple[Sequence[Any], ...]
    # The line of each record, kept only when blank lines were skipped (rare).
    lines: list[int] | None = None

    def __len__(self) -> int:
        return len(self.columns[0])

    def rows(self) -> Iterator[tuple[Any, ...]]:
        return zip(*self.columns, strict=True)

    def line_of(self, index: int) -> int:
        return self.lines[index] if self.lines is not None else self.first_line + index

    def error(self, index: int, message: str) -> FormatError:
        return FormatError(self.path, self.line_of(index), message)


# -- one value, the careful way (the slow path) --------------------------------------------


def _id(text: str) -> int:
    value = int(text)
    if not 0 <= value <= MAX_ID:
        raise ValueError
    return value


def _count(text: str) -> int:
    value = int(text)
    if not 0 <= value <= MAX_COUNT:
        raise ValueError
    return value


def _float(text: str) -> float | None:
    return float(text) if text.strip() else None


def _size(text: str) -> int | None:
    # Sizes are integers, but some exports write them as floats ("1.5e+09").
    if not text.strip():
        return None
    try:
        value = int(text)
    except ValueError:
        value = round(float(text))
    if not -MAX_ID - 1 <= value <= MAX_ID:
        raise ValueError
    return value


PARSE: dict[Kind, Callable[[str], Any]] = {
    Kind.ID: _id,
    Kind.COUNT: _count,
    Kind.TEXT: str,
    Kind.FLOAT: _float,
    Kind.SIZE: _size,
}


# -- a whole column at once (the fast path) -------------------------------------------------


class _NeedsCare(Exception):
    """The block must go through the slow path (which decides whether it is an error)."""


def _fast_column(column: Column, values: list[bytes]) -> Sequence[Any]:
    kind = column.kind
    if kind is Kind.ID or kind is Kind.COUNT:
        # A machine-integer array (OverflowError past 2^63-1): compact, and about ten times
        # cheaper to pickle across to the writing process than a list of ints.
        ints = array("q", map(int, values))
        if ints and (min(ints) < 0 or (kind is Kind.COUNT and max(ints) > MAX_COUNT)):
            raise _NeedsCare
        return ints
    if kind is Kind.TEXT:
        # Few distinct values (neuropils, transmitters): decode each once and share the
        # strings, which also makes them cheap to pickle.
        decoded = {value: value.decode() for value in set(values)}
        if column.max_length and decoded and max(map(len, decoded.values())) > column.max_length:
            raise _NeedsCare
        return list(map(decoded.__getitem__, values))
    if kind is Kind.FLOAT:
        return [float(v) if v else None for v in values]
    sizes = array("q", (int(v) if v else 0 for v in values))  # OverflowError past 64 bits
    return [size if v else None for size, v in zip(sizes, values, strict=True)]


class CountedFile:
    """A file read as a stream of records: ``bytes_read`` follows the file on disk
    (compressed, for a gzipped file), so a progress bar can run over ``size``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = path.stat().st_size
        self.rows_read = 0
        self.bytes_read = 0

    @contextmanager
    def opened(self) -> Iterator[tuple[IO[bytes], IO[bytes]]]:
        """The file on disk, and its content (decompressed when it is gzipped). A file that
        cannot be read to its end is a :class:`FormatError` at the line after the last
        record read."""
        with self.path.open("rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            stream: Any = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
            try:
                yield raw, stream
            except (OSError, EOFError) as error:  # a truncated or corrupt gzip stream
                line = self.rows_read + 2  # the header is line 1
                raise FormatError(self.path, line, f"unreadable: {error}") from None


class Reader(CountedFile):
    """Blocks of one file of a layout."""

    def __init__(self, path: Path, layout: Layout, *, block_bytes: int = BLOCK_BYTES) -> None:
        super().__init__(path)
        self.layout = layout
        self.block_bytes = block_bytes

    def blocks(self) -> Iterator[Block]:
        with self.opened() as (raw, stream):
            picks = self._header(stream.readline())
            line = 2
            while data := stream.read(self.block_bytes):
                if not data.endswith(b"\n"):
                    data += stream.readline()
                if b"\r" in data:  # CRLF line ends: normalised here so the block stays fast
                    data = data.replace(b"\r\n", b"\n")
                lines = data.split(b"\n")
                if not lines[-1]:
                    lines.pop()
                try:
                    block = Block(self.path, line, self._fast(lines, picks))
                except (_NeedsCare, ValueError, OverflowError, UnicodeDecodeError):
                    block = self._careful(lines, line, picks)
                line += len(lines)
                self.rows_read += len(block)
                self.bytes_read = raw.tell()
                yield block

    def _names(self, first: bytes) -> list[str]:
        """The header's column names, lower-cased."""
        try:
            text = first.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FormatError(self.path, 1, "the header is not UTF-8 text") from None
        header = [name.strip().lower() for name in next(csv.reader([text]), [])]
        if not header:
            raise FormatError(self.path, 1, "the file is empty (no header line)")
        return header

    def _header(self, first: bytes) -> tuple[int, list[int]]:
        header = self._names(first)
        missing = [name for name in self.layout.names if name not in header]
        if missing:
            raise FormatError(self.path, 1, f"missing column(s): {', '.join(missing)}")
        return len(header), [header.index(name) for name in self.layout.names]

    def csv_columns(self) -> list[str] | None:
        """The layout's column names in the file's order, when the file has those columns
        and no others: its lines can then go to a database's own CSV parser
        (:meth:`numbered_lines`). None otherwise."""
        with self.opened() as (_, stream):
            return self._plain_header(stream.readline())

    def _plain_header(self, header: bytes) -> list[str] | None:
        names = self._names(header)
        return names if sorted(names) == sorted(self.layout.names) else None

    def numbered_lines(self, numbers: range) -> Iterator[bytes]:
        """The file's records in chunks of CSV text for a database's CSV parser, each line
        prefixed with its number from ``numbers`` (a record is a line: see the module).
        The database checks the values; what a parser that knows no more than CSV could take
        differently from this module (quotes, blank lines) raises :class:`NotPlain` instead,
        as does a header :meth:`csv_columns` refuses."""
        with self.opened() as (raw, stream):
            if self._plain_header(stream.readline()) is None:
                raise NotPlain(
                    f"{self.path.name}: the header is not {', '.join(self.layout.names)}"
                )
            start = numbers.start
            while data := stream.read(self.block_bytes):
                if not data.endswith(b"\n"):
                    data += stream.readline()
                    if not data.endswith(b"\n"):
                        data += b"\n"  # the last line, unterminated
                if b"\r" in data:
                    data = data.replace(b"\r\n", b"\n")
                if b'"' in data or b"\r" in data or b"\n\n" in data or data.startswith(b"\n"):
                    raise NotPlain(f"{self.path.name}: quotes, blank lines or lone CRs")
                lines = data.split(b"\n")
                lines.pop()  # after the last line end
                end = start + len(lines)
                if end > numbers.stop:
                    line = 2 + self.rows_read + numbers.stop - start
                    raise FormatError(self.path, line, f"more than {len(numbers):,} rows")
                numbered = zip(range(start, end), lines, strict=True)
                self.rows_read += len(lines)
                self.bytes_read = raw.tell()
                yield b"\n".join(map(b"%d,%b".__mod__, numbered)) + b"\n"
                start = end

    def _fast(self, lines: list[bytes], picks: tuple[int, list[int]]) -> tuple[Sequence[Any], ...]:
        width, indexes = picks
        if not lines:
            return tuple([] for _ in indexes)
        joined = b",".join(lines)
        if b'"' in joined or b"\r" in joined:
            raise _NeedsCare
        # Every line must have exactly width-1 commas, or the columns below would shift.
        commas = list(map(bytes.count, lines, repeat(b",")))
        if min(commas) != width - 1 or max(commas) != width - 1:
            raise _NeedsCare
        values = joined.split(b",")
        return tuple(
            _fast_column(column, values[index::width])
            for column, index in zip(self.layout.columns, indexes, strict=True)
        )

    def _careful(self, lines: list[bytes], first_line: int, picks: tuple[int, list[int]]) -> Block:
        width, indexes = picks
        columns: tuple[list[Any], ...] = tuple([] for _ in indexes)
        numbers = []
        for number, raw_line in enumerate(lines, start=first_line):
            try:
                text = raw_line.decode("utf-8").rstrip("\r")
            except UnicodeDecodeError:
                raise FormatError(self.path, number, "not UTF-8 text") from None
            if not text.strip():
                continue  # blank lines carry no record
            try:
                fields = next(csv.reader([text]))
            except csv.Error as error:  # a carriage return inside the line
                raise FormatError(self.path, number, f"not CSV ({error})") from None
            if len(fields) != width:
                message = f"expected {width} fields, found {len(fields)}"
                raise FormatError(self.path, number, message)
            for values, column, index in zip(columns, self.layout.columns, indexes, strict=True):
                values.append(self._value(column, fields[index], number))
            numbers.append(number)
        skipped = len(numbers) != len(lines)
        return Block(self.path, first_line, columns, numbers if skipped else None)

    def _value(self, column: Column, text: str, number: int) -> Any:
        try:
            value = PARSE[column.kind](text)
        except (ValueError, OverflowError):
            raise FormatError(
                self.path, number, f"{column.name} is {text!r}, expected {column.kind.value}"
            ) from None
        if column.max_length and len(value) > column.max_length:
            raise FormatError(
                self.path, number, f"{column.name} is longer than {column.max_length} characters"
            )
        return value
