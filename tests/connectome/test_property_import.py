"""Every property of seed 004 from files: a generated connectome imported with its soma and
nucleus positions, then its mitochondria and dense-core vesicle tables loaded by
``import_segment_properties``, answered as BrainCircuits answers them."""

from __future__ import annotations

import gzip
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gateway.connectome.files import FormatError
from gateway.connectome.importer import Target, import_connectome, import_segment_properties
from gateway.connectome.property_files import PropertyReader, checked_name, typed
from gateway.connectome.statements import connection_ids
from gateway.db.models import Materialization, SegmentProperty, table
from gateway.errors import NotFound
from gateway.settings import Settings
from resolvers.connectome import PROPERTIES, segment_properties
from resolvers.context import Context
from tests.connectome.conftest import (
    DATASET,
    ConnectomeFiles,
    Expected,
    connection_rows,
    expected_table,
)

STAMP = datetime(2023, 9, 30, 5, 0)


@pytest.fixture
def ctx(database_url: str, sessionmaker: async_sessionmaker[AsyncSession]) -> Context:
    return Context.build(Settings(database_url=database_url), sessionmaker)


async def import_everything(database_url: str, files: ConnectomeFiles) -> None:
    await import_connectome(
        database_url,
        Target(DATASET, None, STAMP),
        neurons=files.neurons,
        connections=files.connections,
        cell_stats=files.cell_stats,
        properties=[("soma", files.properties["soma"]), ("nucleus", files.properties["nucleus"])],
    )
    await import_segment_properties(
        database_url,
        DATASET,
        [(name, files.properties[name]) for name in ("mitochondria", "dcv")],
    )


async def test_all_nine_properties_of_a_generated_dataset_imported_from_files(
    ctx: Context, database_url: str, small_set: ConnectomeFiles, expected: Expected
) -> None:
    await import_everything(database_url, small_set)
    tables = {name: expected_table(path) for name, path in small_set.properties.items()}
    ids = expected.by_degree()
    # The hub, a quiet neuron, one without a nucleus and one without vesicles.
    no_nucleus = next(i for i in ids if i not in tables["nucleus"])
    no_dcv = next(i for i in ids if i not in tables["dcv"])
    wanted = [ids[-1], ids[0], no_nucleus, no_dcv]

    answer = await segment_properties(ctx, DATASET, wanted, PROPERTIES)

    assert list(answer.results) == list(dict.fromkeys(wanted))
    for segment_id, result in answer.results.items():
        assert set(result) == set(PROPERTIES)
        assert result["link_pre"] == expected.link_pre(segment_id)
        assert result["link_post"] == expected.link_post(segment_id)
        assert result["neurotransmitter"]["nt_type"] == (expected.nt_type[segment_id] or None)
        assert result["size"]["size_nm"] == expected.size_nm.get(segment_id)
        assert [p["segmentid"] for p in result["connectivity"]["downstream"]] == [
            str(p) for p, _ in expected.downstream(segment_id)
        ]
        for name in ("soma", "nucleus", "mitochondria", "dcv"):
            assert result[name] == tables[name].get(segment_id), name
    soma = answer.results[ids[-1]]["soma"]
    assert len(soma["position"]) == 3 and soma["supervoxel_id"] > 2**53  # exact, a number
    assert answer.results[no_nucleus]["nucleus"] is None
    assert answer.results[no_dcv]["dcv"] is None
    assert answer.results[no_dcv]["mitochondria"]["count"] >= 1


async def _property_rows(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[Any, int]:
    props = table(SegmentProperty)
    stmt = select(props.c.materialization_id, props.c.name, func.count()).group_by(
        props.c.materialization_id, props.c.name
    )
    async with sessionmaker() as session:
        return {(m, name): n for m, name, n in (await session.execute(stmt)).all()}


async def test_a_bad_line_is_named_and_no_property_changes(
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    small_set: ConnectomeFiles,
    tmp_path: Path,
) -> None:
    await import_everything(database_url, small_set)
    before = await _property_rows(sessionmaker)
    good = small_set.properties["mitochondria"]
    lines = gzip.decompress(good.read_bytes()).decode().splitlines()
    lines.insert(40, "720575940600000001,12,not-a-number-is-fine,")  # text is a value
    lines.insert(120, "720575940600000002,1,2")  # a field short: line 121
    bad = tmp_path / "dcv.csv"
    bad.write_text("\n".join(lines) + "\n")

    with pytest.raises(FormatError) as refused:
        await import_segment_properties(
            database_url, DATASET, [("mitochondria", good), ("dcv", bad)]
        )

    assert refused.value.line == 121
    assert "dcv.csv line 121: expected 4 fields, found 3" in str(refused.value)
    assert await _property_rows(sessionmaker) == before


async def test_a_root_id_twice_is_refused_by_line(
    database_url: str, small_set: ConnectomeFiles, tmp_path: Path
) -> None:
    await import_everything(database_url, small_set)
    twice = tmp_path / "twice.csv"
    twice.write_text("root_id,count\n5,1\n6,2\n5,3\n")

    with pytest.raises(FormatError, match="line 4: root_id 5 is listed twice"):
        await import_segment_properties(database_url, DATASET, [("dcv", twice)])


async def test_a_new_materialization_copies_the_current_one_and_adds_the_property(
    ctx: Context,
    database_url: str,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    small_set: ConnectomeFiles,
    expected: Expected,
    tmp_path: Path,
) -> None:
    await import_everything(database_url, small_set)
    hub = expected.by_degree()[-1]
    changed = tmp_path / "dcv.csv"
    changed.write_text(f"root_id,count,density_per_um\n{hub},999,\n")

    done = await import_segment_properties(
        database_url,
        DATASET,
        [("dcv", changed)],
        new_materialization=Target(DATASET, None, datetime(2024, 1, 1)),
    )

    assert (done.version, done.rows) == (2, {"dcv": 1})
    newest = await segment_properties(ctx, DATASET, [hub], PROPERTIES)
    older = await segment_properties(ctx, DATASET, [hub], PROPERTIES, version=1)
    assert newest.materialization.version == 2
    assert newest.results[hub]["dcv"] == {"count": 999, "density_per_um": None}
    assert older.results[hub]["dcv"] != newest.results[hub]["dcv"]
    for name in PROPERTIES:  # everything else came along
        if name != "dcv":
            assert newest.results[hub][name] == older.results[hub][name], name
    rows = await _property_rows(sessionmaker)
    assert rows[(newest.materialization.id, "dcv")] == 1
    # The connections came along as the same rows, numbered in the new one's id range.
    new, old = newest.materialization.id, older.materialization.id
    shift = connection_ids(new).start - connection_ids(old).start
    original = await connection_rows(engine, old)
    assert await connection_rows(engine, new) == [(row[0] + shift, *row[1:]) for row in original]


async def test_properties_need_a_published_materialization(
    database_url: str, small_set: ConnectomeFiles, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    with pytest.raises(NotFound, match="no published materialization"):
        await import_segment_properties(
            database_url, "nowhere", [("dcv", small_set.properties["dcv"])]
        )
    async with sessionmaker() as session:
        count = await session.scalar(select(func.count()).select_from(table(Materialization)))
    assert count == 0


def test_values_are_typed_as_they_read() -> None:
    assert typed("12") == 12
    assert typed(" 1.5e3 ") == 1500.0
    assert typed("") is None
    assert typed("[1 2.5 3]") == [1, 2.5, 3]
    assert typed("[1, 2, 3]") == [1, 2, 3]
    assert typed("[a b]") == "[a b]"
    assert typed("nan") == "nan"  # no JSON form: the text
    assert typed("ACH") == "ACH"
    assert typed(str(2**62 + 1)) == 2**62 + 1


def test_a_file_is_read_in_blocks_with_progress(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("ROOT_ID,x\n" + "".join(f"{i},{i * 2}\n" for i in range(25)))
    reader = PropertyReader(path, block_rows=10)

    blocks = list(reader.blocks())

    assert [len(block) for block in blocks] == [10, 10, 5]
    assert blocks[1].ids[0] == 10 and blocks[1].values[0] == '{"x": 20}'
    assert blocks[2].lines == [22, 23, 24, 25, 26]
    assert (reader.rows_read, reader.bytes_read) == (25, path.stat().st_size)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("", "line 1: the file is empty"),
        ("id,x", "line 1: missing column: root_id"),
        ("root_id,x,x", "line 1: column names must be given and distinct"),
    ],
)
def test_a_bad_header_is_refused(tmp_path: Path, header: str, message: str) -> None:
    path = tmp_path / "p.csv"
    path.write_text(header + "\n1,2\n")
    with pytest.raises(FormatError, match=message):
        list(PropertyReader(path).blocks())


def test_property_names_are_words() -> None:
    assert checked_name(" mitochondria ") == "mitochondria"
    for bad in ("", "Soma", "a b", "x" * 65, "dcv;drop"):
        with pytest.raises(ValueError, match="not a property name"):
            checked_name(bad)
