"""Small generated connectomes, and their answers computed the straightforward way."""

from __future__ import annotations

import csv
import gzip
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.connectome.importer import Imported, Target, import_connectome
from gateway.connectome.synthetic import PROPERTY_FILES, file_names, generate
from gateway.db.models import Connection, table

NEURONS, CONNECTIONS = 200, 5_000
DATASET = "fruitfly_fafb_flywire"


def iter_file(path: Path) -> Iterator[list[str]]:
    """A CSV file's rows as strings, header first, plain or gzipped."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", newline="", encoding="utf-8") as handle:
        yield from csv.reader(handle)


def expected_table(path: Path) -> dict[int, dict[str, Any]]:
    """A property file's objects by root id, typed the plain way (not by the importer)."""
    rows = iter_file(path)
    header = next(rows)
    found = {}
    for row in rows:
        values: dict[str, Any] = {}
        for name, text in zip(header, row, strict=True):
            if text.startswith("["):
                values[name] = [int(v) for v in text[1:-1].split()]
            elif not text:
                values[name] = None
            elif text.isdigit():
                values[name] = int(text)
            else:
                values[name] = float(text)
        found[values.pop("root_id")] = values
    return found


async def connection_rows(engine: AsyncEngine, materialization_id: int) -> list[tuple[int, ...]]:
    """A materialization's connections as (id, pre, post, neuropil, synapses), in id order."""
    c = table(Connection).c
    stmt = (
        select(c.id, c.pre_id, c.post_id, c.neuropil, c.syn_count)
        .where(c.materialization_id == materialization_id)
        .order_by(c.id)
    )
    async with engine.connect() as conn:
        return [tuple(row) for row in (await conn.execute(stmt)).all()]


@dataclass
class Expected:
    """What the import must produce, computed from the files with dicts."""

    segments: set[int] = field(default_factory=set)
    connection_rows: int = 0
    pairs: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))
    nt_type: dict[int, str] = field(default_factory=dict)
    size_nm: dict[int, int] = field(default_factory=dict)

    @classmethod
    def of(cls, files: ConnectomeFiles) -> Expected:
        expected = cls()
        rows = iter_file(files.neurons)
        header = next(rows)
        for row in rows:
            values = dict(zip(header, row, strict=True))
            expected.segments.add(int(values["root_id"]))
            expected.nt_type[int(values["root_id"])] = values["nt_type"]
        rows = iter_file(files.cell_stats)
        next(rows)
        for root_id, _length, _area, size in rows:
            expected.size_nm[int(root_id)] = int(size)
        rows = iter_file(files.connections)
        next(rows)
        for pre, post, _neuropil, synapses, _nt in rows:
            expected.connection_rows += 1
            expected.pairs[int(pre), int(post)] += int(synapses)
        return expected

    def downstream(self, segment_id: int) -> list[tuple[int, int]]:
        """(partner, synapses), strongest first, ties by id: the ranking contract."""
        found = [(post, n) for (pre, post), n in self.pairs.items() if pre == segment_id]
        return sorted(found, key=lambda item: (-item[1], item[0]))

    def upstream(self, segment_id: int) -> list[tuple[int, int]]:
        found = [(pre, n) for (pre, post), n in self.pairs.items() if post == segment_id]
        return sorted(found, key=lambda item: (-item[1], item[0]))

    def link_pre(self, segment_id: int) -> dict[str, int]:
        partners = self.downstream(segment_id)
        return {"nr_pre": sum(n for _, n in partners), "nr_downstream_partner": len(partners)}

    def link_post(self, segment_id: int) -> dict[str, int]:
        partners = self.upstream(segment_id)
        return {"nr_post": sum(n for _, n in partners), "nr_upstream_partner": len(partners)}

    def by_degree(self) -> list[int]:
        """Segment ids from the fewest to the most downstream partners."""
        degree: dict[int, int] = defaultdict(int)
        for pre, _post in self.pairs:
            degree[pre] += 1
        return sorted(self.segments, key=lambda s: (degree[s], s))


@dataclass(frozen=True)
class ConnectomeFiles:
    neurons: Path
    connections: Path
    cell_stats: Path
    properties: dict[str, Path] = field(default_factory=dict)  # per-neuron tables, by property

    @classmethod
    def generated(cls, out: Path, *, seed: int, gzipped: bool = True) -> ConnectomeFiles:
        generate(out, neurons=NEURONS, connections=CONNECTIONS, seed=seed, gzipped=gzipped)
        names = file_names(gzipped)
        return cls(
            out / names["neurons"],
            out / names["connections"],
            out / names["cell_stats"],
            {prop: out / names[prop] for prop in PROPERTY_FILES},
        )


@pytest.fixture(scope="session")
def small_set(tmp_path_factory: pytest.TempPathFactory) -> ConnectomeFiles:
    return ConnectomeFiles.generated(tmp_path_factory.mktemp("small"), seed=1)


@pytest.fixture(scope="session")
def other_set(tmp_path_factory: pytest.TempPathFactory) -> ConnectomeFiles:
    """A second snapshot of different data, for time travel."""
    return ConnectomeFiles.generated(tmp_path_factory.mktemp("other"), seed=2)


@pytest.fixture(scope="session")
def expected(small_set: ConnectomeFiles) -> Expected:
    return Expected.of(small_set)


async def load(
    database_url: str,
    files: ConnectomeFiles,
    *,
    timestamp: datetime = datetime(2023, 9, 30, 5, 0),
    version: int | None = None,
    connections: Path | None = None,
) -> Imported:
    return await import_connectome(
        database_url,
        Target(DATASET, version, timestamp),
        neurons=files.neurons,
        connections=connections or files.connections,
        cell_stats=files.cell_stats,
    )
