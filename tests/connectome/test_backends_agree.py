"""Each backend's import against SQLite's for the same files: every segment row (every
column), every pair, and the top-100 partner rankings, equal. The files add what the
generated set lacks: a segment known only from cell_stats.csv and one only from
connections.csv, so the rows assembled from some of the files are compared too."""

from __future__ import annotations

import csv
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.db.engine import create_engine, session_factory
from gateway.db.models import Partnership, Segment, table
from gateway.settings import Settings
from resolvers.context import Context
from resolvers.partners import Direction, partners
from tests.connectome.conftest import ConnectomeFiles, Expected, iter_file, load

ONLY_IN_CELL_STATS = 7_000_000_000_000_001
ONLY_IN_CONNECTIONS = 7_000_000_000_000_002
SKIPPED = "materialization_id"  # each database numbers its own
_segments, _pairs = table(Segment), table(Partnership)


def _copy(source: Path, target: Path, extra: list[list[Any]]) -> Path:
    with target.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerows(iter_file(source))
        writer.writerows(extra)
    return target


@pytest.fixture
def edged_set(small_set: ConnectomeFiles, expected: Expected, tmp_path: Path) -> ConnectomeFiles:
    hub = expected.by_degree()[-1]
    return ConnectomeFiles(
        neurons=small_set.neurons,
        connections=_copy(
            small_set.connections,
            tmp_path / "connections.csv",
            [
                [ONLY_IN_CONNECTIONS, hub, "AL_L", 9, "GABA"],
                [hub, ONLY_IN_CONNECTIONS, "AL_L", 3, ""],
            ],
        ),
        cell_stats=_copy(
            small_set.cell_stats, tmp_path / "cell_stats.csv", [[ONLY_IN_CELL_STATS, 10, 20, 30]]
        ),
    )


@pytest.fixture
async def reference_engine(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    path = tmp_path / "reference.db"
    shutil.copyfile(sqlite_template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    yield engine
    await engine.dispose()


async def _imported(engine: AsyncEngine, files: ConnectomeFiles) -> dict[str, Any]:
    url = engine.url.render_as_string(hide_password=False)
    done = await load(url, files)
    m = done.materialization_id
    rows = select(_segments).where(_segments.c.materialization_id == m)
    async with engine.connect() as conn:
        segments = {
            row.id: {key: value for key, value in row._mapping.items() if key != SKIPPED}
            for row in await conn.execute(rows)
        }
        pairs = set(
            await conn.execute(
                select(_pairs.c.pre_id, _pairs.c.post_id, _pairs.c.syn_count).where(
                    _pairs.c.materialization_id == m
                )
            )
        )
    ctx = Context.build(Settings(database_url=url), session_factory(engine))
    rankings = {}
    for segment_id in sorted(segments)[::7]:
        for direction in Direction:
            found = await partners(ctx, m, segment_id, direction, first=100)
            rankings[segment_id, direction] = (found.ids, found.synapse_counts, found.total)
    counts = (done.segments, done.partnerships, done.connections)
    return {"segments": segments, "pairs": pairs, "rankings": rankings, "counts": counts}


async def test_the_import_answers_as_the_sqlite_import_does(
    engine: AsyncEngine, reference_engine: AsyncEngine, edged_set: ConnectomeFiles
) -> None:
    found = await _imported(engine, edged_set)
    reference = await _imported(reference_engine, edged_set)

    assert found["counts"] == reference["counts"]
    assert found["segments"] == reference["segments"]
    assert found["pairs"] == reference["pairs"]
    assert found["rankings"] == reference["rankings"]
    # The rows assembled from some of the files: blanks where a file says nothing.
    stats_only = found["segments"][ONLY_IN_CELL_STATS]
    assert (stats_only["cell_group"], stats_only["nt_type"]) == ("", "")
    assert stats_only["nt_score"] is None
    assert (stats_only["size_nm"], stats_only["nr_pre"], stats_only["nr_post"]) == (30, 0, 0)
    partner_only = found["segments"][ONLY_IN_CONNECTIONS]
    assert (partner_only["nr_pre"], partner_only["nr_downstream_partner"]) == (9, 1)
    assert (partner_only["nr_post"], partner_only["nr_upstream_partner"]) == (3, 1)
    assert (partner_only["size_nm"], partner_only["cell_group"]) == (None, "")
    assert any(segment["cell_group"] for segment in found["segments"].values())
    assert any(segment["length_nm"] for segment in found["segments"].values())
