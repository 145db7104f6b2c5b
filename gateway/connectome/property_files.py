"""Per-segment property tables: a CSV (or CSV.gz) with a ``root_id`` column, every other column
becoming a key of that segment's JSON object for the property.

Values are typed as the text reads: an integer as an integer, any other finite number as a
float, an empty field as null, a bracketed list of numbers (a Codex position such as
``[527040 234648 114960]``) as a list of numbers, anything else as text. A file is read in
blocks of :data:`BLOCK_ROWS` records, so memory stays flat whatever its size; a record that
is not valid names its line (the header is line 1) in a :class:`FormatError`.

The FlyWire Codex download carries positions this way (``coordinates.csv``: ``root_id,
position, supervoxel_id``), and so do the per-neuron tables ``generate-connectome`` writes.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from gateway.connectome.files import MAX_ID, CountedFile, FormatError

BLOCK_ROWS = 10_000
KEY = "root_id"
MAX_COLUMNS = 100
MAX_NAME = 64  # the width of segment_property.name


@dataclass(frozen=True)
class PropertyBlock:
    """Consecutive records: root ids and their JSON objects (as text), and the line of each."""

    path: Path
    ids: list[int]
    values: list[str]
    lines: list[int]

    def __len__(self) -> int:
        return len(self.ids)

    def error(self, index: int, message: str) -> FormatError:
        return FormatError(self.path, self.lines[index], message)


def typed(text: str) -> Any:
    """A field's JSON value (see the module docstring)."""
    stripped = text.strip()
    if not stripped:
        return None
    if stripped.startswith("[") and stripped.endswith("]"):
        items = stripped[1:-1].replace(",", " ").split()
        numbers = [typed(item) for item in items]
        if numbers and all(isinstance(n, int | float) for n in numbers):
            return numbers
        return stripped
    try:
        return int(stripped)
    except ValueError:
        pass
    try:
        number = float(stripped)
    except ValueError:
        return stripped
    # NaN and infinities have no JSON form: kept as the text they were.
    return number if math.isfinite(number) else stripped


class PropertyReader(CountedFile):
    """Blocks of one property file."""

    def __init__(self, path: Path, *, block_rows: int = BLOCK_ROWS) -> None:
        super().__init__(path)
        self.block_rows = block_rows

    def blocks(self) -> Iterator[PropertyBlock]:
        with self.opened() as (raw, stream):
            text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
            try:
                yield from self._records(text, raw)
            except UnicodeDecodeError:
                raise FormatError(self.path, self.rows_read + 2, "not UTF-8 text") from None

    def _records(self, text: IO[str], raw: IO[bytes]) -> Iterator[PropertyBlock]:
        rows = csv.reader(text)
        header = [name.strip() for name in next(rows, [])]
        if not any(header):
            raise FormatError(self.path, 1, "the file is empty (no header line)")
        names = [name.lower() for name in header]
        if KEY not in names:
            raise FormatError(self.path, 1, f"missing column: {KEY}")
        if len(header) > MAX_COLUMNS:
            raise FormatError(self.path, 1, f"more than {MAX_COLUMNS} columns")
        if len(set(names)) != len(names) or not all(names):
            raise FormatError(self.path, 1, "column names must be given and distinct")
        key = names.index(KEY)
        others = [(index, name) for index, name in enumerate(header) if index != key]
        width = len(header)
        ids: list[int] = []
        values: list[str] = []
        lines: list[int] = []
        for fields in rows:
            line = rows.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # a blank line carries no record
            if len(fields) != width:
                message = f"expected {width} fields, found {len(fields)}"
                raise FormatError(self.path, line, message)
            ids.append(self._root_id(fields[key], line))
            values.append(json.dumps({name: typed(fields[i]) for i, name in others}))
            lines.append(line)
            if len(ids) == self.block_rows:
                yield self._block(ids, values, lines, raw)
                ids, values, lines = [], [], []
        if ids:
            yield self._block(ids, values, lines, raw)

    def _block(
        self, ids: list[int], values: list[str], lines: list[int], raw: IO[bytes]
    ) -> PropertyBlock:
        self.rows_read += len(ids)
        self.bytes_read = raw.tell()
        return PropertyBlock(self.path, ids, values, lines)

    def _root_id(self, text: str, line: int) -> int:
        try:
            value = int(text)
        except ValueError:
            value = -1
        if not 0 <= value <= MAX_ID:
            raise FormatError(self.path, line, f"root_id is {text!r}, expected a segment id")
        return value


def checked_name(name: str) -> str:
    """A property name as stored: lower-case letters, digits and underscores, at most 64."""
    cleaned = name.strip()
    if not cleaned or len(cleaned) > MAX_NAME or not cleaned.replace("_", "a").isalnum():
        raise ValueError(
            f"{name!r} is not a property name (letters, digits and _, at most {MAX_NAME})"
        )
    if not cleaned.isascii() or cleaned != cleaned.lower():
        raise ValueError(f"{name!r} is not a property name (lower-case ASCII only)")
    return cleaned
