"""The import, on each backend, against answers computed straightforwardly from the files."""

from __future__ import annotations

import gzip
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gateway.connectome.files import FormatError
from gateway.connectome.importer import Target, import_connectome
from gateway.connectome.statements import connection_ids
from gateway.db.models import (
    Connection,
    ConnectomeDataset,
    Materialization,
    Partnership,
    Segment,
    table,
)
from gateway.settings import Settings
from resolvers.connectome import resolve_materialization
from resolvers.context import Context
from tests.connectome.conftest import (
    DATASET,
    ConnectomeFiles,
    Expected,
    connection_rows,
    iter_file,
    load,
)

_pairs, _segments, _connections = table(Partnership), table(Segment), table(Connection)
_materializations = table(Materialization)


async def _pairs_of(engine: AsyncEngine, materialization_id: int) -> dict[tuple[int, int], int]:
    stmt = select(_pairs.c.pre_id, _pairs.c.post_id, _pairs.c.syn_count).where(
        _pairs.c.materialization_id == materialization_id
    )
    async with engine.connect() as conn:
        return {(pre, post): n for pre, post, n in (await conn.execute(stmt)).all()}


async def _rows_per_materialization(engine: AsyncEngine) -> dict[str, dict[int, int]]:
    counts: dict[str, dict[int, int]] = {}
    async with engine.connect() as conn:
        for name, tbl in (("segment", _segments), ("connection", _connections), ("pair", _pairs)):
            stmt = select(tbl.c.materialization_id, func.count()).group_by(tbl.c.materialization_id)
            counts[name] = dict((await conn.execute(stmt)).all())  # type: ignore[arg-type]
    return counts


async def _import_tables(engine: AsyncEngine) -> set[str]:
    """The tables imports made for their rows (PostgreSQL's partitions; none on SQLite)."""
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: inspect(c).get_table_names())
    return {name for name in names if name.startswith(("connection_m", "partnership_m"))}


def _imported_tables(engine: AsyncEngine, materialization_id: int) -> set[str]:
    if engine.dialect.name == "sqlite":
        return set()
    return {f"connection_m{materialization_id}", f"partnership_m{materialization_id}"}


async def test_import_gives_the_pairs_and_aggregates_a_straightforward_computation_gives(
    database_url: str, engine: AsyncEngine, small_set: ConnectomeFiles, expected: Expected
) -> None:
    done = await load(database_url, small_set)

    assert (done.version, done.connections) == (1, expected.connection_rows)
    assert done.segments == len(expected.segments)
    assert done.partnerships == len(expected.pairs)
    assert await _pairs_of(engine, done.materialization_id) == expected.pairs
    stmt = select(_segments).where(_segments.c.materialization_id == done.materialization_id)
    async with engine.connect() as conn:
        segments = {row.id: row for row in (await conn.execute(stmt)).all()}
        valid = (await conn.execute(select(_materializations.c.valid))).scalars().all()
    assert set(segments) == expected.segments
    for segment_id, row in segments.items():
        assert {"nr_pre": row.nr_pre, "nr_downstream_partner": row.nr_downstream_partner} == (
            expected.link_pre(segment_id)
        )
        assert {"nr_post": row.nr_post, "nr_upstream_partner": row.nr_upstream_partner} == (
            expected.link_post(segment_id)
        )
        assert row.nt_type == expected.nt_type[segment_id]
        assert row.size_nm == expected.size_nm.get(segment_id)
    assert valid == [True]
    counts = await _rows_per_materialization(engine)
    assert counts["connection"] == {done.materialization_id: expected.connection_rows}


async def test_plain_and_gzipped_files_import_the_same_as_two_materializations(
    database_url: str, engine: AsyncEngine, small_set: ConnectomeFiles, tmp_path: Path
) -> None:
    plain = ConnectomeFiles.generated(tmp_path, seed=1, gzipped=False)
    assert plain.connections.suffix == ".csv"
    first = await load(database_url, small_set)
    # The second import goes into tables that already hold rows: indexes are kept, not rebuilt.
    second = await load(database_url, plain)

    assert (first.version, second.version) == (1, 2)
    assert await _pairs_of(engine, first.materialization_id) == await _pairs_of(
        engine, second.materialization_id
    )
    counts = await _rows_per_materialization(engine)
    assert (
        counts["segment"][first.materialization_id] == counts["segment"][second.materialization_id]
    )


async def test_each_materialization_numbers_its_connections_in_file_order(
    database_url: str, engine: AsyncEngine, small_set: ConnectomeFiles
) -> None:
    first = await load(database_url, small_set)
    second = await load(database_url, small_set)

    in_file = [
        (int(pre), int(post), neuropil, int(synapses))
        for pre, post, neuropil, synapses, _nt in list(iter_file(small_set.connections))[1:]
    ]
    for done in (first, second):
        rows = await connection_rows(engine, done.materialization_id)
        ids = connection_ids(done.materialization_id)
        assert [row[0] for row in rows] == list(ids[: len(in_file)])
        assert [row[1:] for row in rows] == in_file
    # The two ranges are apart: ids are unique across materializations.
    assert connection_ids(first.materialization_id).stop <= (
        connection_ids(second.materialization_id).start
    )


def _with_bad_line(source: Path, out: Path, line: int, text: str) -> Path:
    rows = list(iter_file(source))
    rows[line - 1] = text.split(",")
    with gzip.open(out, "wt", newline="", encoding="utf-8") as handle:
        handle.writelines(",".join(row) + "\n" for row in rows)
    return out


async def test_a_malformed_row_stops_the_import_and_the_previous_materialization_stays_current(
    database_url: str,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    small_set: ConnectomeFiles,
    tmp_path: Path,
) -> None:
    first = await load(database_url, small_set)
    bad = _with_bad_line(
        small_set.connections, tmp_path / "connections.csv.gz", 4321, "1,2,AL_L,lots,ACH"
    )

    with pytest.raises(FormatError) as raised:
        await load(database_url, small_set, connections=bad)

    assert raised.value.line == 4321
    assert (
        str(raised.value)
        == "connections.csv.gz line 4321: syn_count is 'lots', expected a count (0 to 2^31-1)"
    )
    ctx = Context.build(Settings(database_url=database_url), sessionmaker)
    current = await resolve_materialization(ctx, DATASET)
    assert (current.id, current.version) == (first.materialization_id, 1)
    async with engine.connect() as conn:
        materializations = (await conn.execute(select(_materializations.c.id))).scalars().all()
    assert materializations == [first.materialization_id]
    counts = await _rows_per_materialization(engine)
    # Whatever the failed import had written before it met the bad row is gone again.
    assert all(
        set(by_materialization) == {first.materialization_id}
        for by_materialization in counts.values()
    )
    assert await _import_tables(engine) == _imported_tables(engine, first.materialization_id)


async def test_a_bad_property_file_after_the_load_leaves_nothing_behind(
    database_url: str, engine: AsyncEngine, small_set: ConnectomeFiles, tmp_path: Path
) -> None:
    """The property files are read after the load (on PostgreSQL, after its commit, with the
    index builds running): their failure removes the committed tables too."""
    first = await load(database_url, small_set)
    soma = small_set.properties["soma"]
    lines = gzip.decompress(soma.read_bytes()).decode().splitlines()
    lines.insert(60, "720575940600000002,1")  # too few fields: line 61
    bad = tmp_path / "soma.csv"
    bad.write_text("\n".join(lines) + "\n")

    with pytest.raises(FormatError, match=r"soma\.csv line 61"):
        await import_connectome(
            database_url,
            Target(DATASET, None, datetime(2023, 10, 1)),
            neurons=small_set.neurons,
            connections=small_set.connections,
            cell_stats=small_set.cell_stats,
            properties=[("soma", bad)],
        )

    counts = await _rows_per_materialization(engine)
    assert all(set(rows) == {first.materialization_id} for rows in counts.values())
    assert await _import_tables(engine) == _imported_tables(engine, first.materialization_id)
    async with engine.connect() as conn:
        materializations = (await conn.execute(select(_materializations.c.id))).scalars().all()
    assert materializations == [first.materialization_id]


async def test_a_segment_listed_twice_is_refused_with_its_line(
    database_url: str, engine: AsyncEngine, small_set: ConnectomeFiles, tmp_path: Path
) -> None:
    rows = list(iter_file(small_set.neurons))
    rows.insert(150, rows[7])  # file line 151 repeats line 8
    neurons = tmp_path / "neurons.csv"
    neurons.write_text("".join(",".join(row) + "\n" for row in rows))
    files = ConnectomeFiles(neurons, small_set.connections, small_set.cell_stats)

    with pytest.raises(FormatError, match=r"neurons.csv line 151: root_id \d+ is listed twice"):
        await load(database_url, files)

    assert await _rows_per_materialization(engine) == {"segment": {}, "connection": {}, "pair": {}}
    # The dataset the failed import created went with it: nothing lists that then 404s.
    async with engine.connect() as conn:
        assert (await conn.execute(select(table(ConnectomeDataset).c.name))).all() == []


def _reshaped(source: Path, out: Path, shape: str) -> Path:
    """``source``'s connections written another way that says the same."""
    header, *rows = list(iter_file(source))
    if shape == "reordered":  # the same columns, another order
        order = [3, 4, 1, 0, 2]
        header, rows = [header[i] for i in order], [[row[i] for i in order] for row in rows]
    elif shape == "extra column":
        header, rows = [*header, "confidence"], [[*row, "0.9"] for row in rows]
    elif shape == "quoted":
        rows[10] = [f'"{value}"' for value in rows[10]]
    elif shape == "underscored":  # a number PostgreSQL's parser refuses and Python's takes
        rows[20][3] = "1_0"
    lines = [",".join(row) for row in [header, *rows]]
    if shape == "blank line":
        lines.insert(30, "")
    end = "\r\n" if shape == "crlf" else "\n"
    out.write_bytes(gzip.compress(end.join(lines).encode() + (b"" if shape == "crlf" else b"\n")))
    return out


@pytest.mark.parametrize(
    ("shape", "plain"),
    [
        ("reordered", True),
        ("crlf", True),  # and no line end after the last line
        ("extra column", False),
        ("quoted", False),
        ("blank line", False),
        ("underscored", False),
    ],
)
async def test_every_shape_of_the_connections_file_imports_the_same_rows(
    database_url: str,
    engine: AsyncEngine,
    small_set: ConnectomeFiles,
    tmp_path: Path,
    shape: str,
    plain: bool,
) -> None:
    """On PostgreSQL a plain file's lines go to the database's CSV parser as they are; the
    other shapes are parsed here. Both ways give the rows the plain file gives."""
    reference = await load(database_url, small_set)
    reshaped = _reshaped(small_set.connections, tmp_path / "connections.csv.gz", shape)
    done = await load(database_url, small_set, connections=reshaped)

    assert reference.parsed_by_database == (engine.dialect.name == "postgresql")
    assert done.parsed_by_database == (plain and engine.dialect.name == "postgresql")
    expected = await connection_rows(engine, reference.materialization_id)
    if shape == "underscored":
        expected[20] = (*expected[20][:4], 10)
    ids = connection_ids(done.materialization_id)
    assert [row[0] for row in await connection_rows(engine, done.materialization_id)] == list(
        ids[: len(expected)]
    )
    assert [row[1:] for row in await connection_rows(engine, done.materialization_id)] == [
        row[1:] for row in expected
    ]
    assert done.connections == reference.connections


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,2,AL_L,lots,ACH", "syn_count is 'lots', expected a count (0 to 2^31-1)"),
        ("1,2,AL_L,-3,ACH", "syn_count is '-3', expected a count (0 to 2^31-1)"),
        ("-1,2,AL_L,3,ACH", "pre_root_id is '-1', expected a segment id (0 to 2^63-1)"),
        ("1,9223372036854775808,AL_L,3,ACH", "post_root_id is '9223372036854775808'"),
        ("1,2,AL_L,,ACH", "syn_count is '', expected a count (0 to 2^31-1)"),
        ("1,2,AL_L,2147483648,ACH", "syn_count is '2147483648', expected a count (0 to 2^31-1)"),
        ("1,2,AL_L,3", "expected 5 fields, found 4"),
        ("1,2,AL_L,3,ACH,more", "expected 5 fields, found 6"),
        ("1,2," + "N" * 33 + ",3,ACH", "neuropil is longer than 32 characters"),
        ("1,2,AL_L,3,ACHACHACHACHACHACH", "nt_type is longer than 16 characters"),
    ],
)
async def test_a_bad_line_is_named_the_same_whichever_parser_meets_it_first(
    database_url: str, engine: AsyncEngine, small_set: ConnectomeFiles, tmp_path: Path,
    text: str, message: str,
) -> None:  # fmt: skip
    """PostgreSQL's CSV parser refuses the lines; they are parsed here then, which names the
    line as an import on SQLite does, and nothing of the import stays."""
    bad = _with_bad_line(small_set.connections, tmp_path / "connections.csv.gz", 2345, text)

    with pytest.raises(FormatError) as raised:
        await load(database_url, small_set, connections=bad)

    assert str(raised.value).startswith(f"connections.csv.gz line 2345: {message}")
    assert await _rows_per_materialization(engine) == {"segment": {}, "connection": {}, "pair": {}}
    assert await _import_tables(engine) == set()


async def test_a_cut_short_gzip_is_named_as_unreadable_and_nothing_stays(
    database_url: str, engine: AsyncEngine, small_set: ConnectomeFiles, tmp_path: Path
) -> None:
    """A download that stopped halfway: on PostgreSQL the reading fails in the middle of the
    ``COPY`` of its lines, which stops the ``COPY``."""
    whole = small_set.connections.read_bytes()
    cut = tmp_path / "connections.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])

    with pytest.raises(FormatError, match=r"connections\.csv\.gz line \d+: unreadable: "):
        await load(database_url, small_set, connections=cut)

    assert await _rows_per_materialization(engine) == {"segment": {}, "connection": {}, "pair": {}}
    assert await _import_tables(engine) == set()


@pytest.mark.parametrize(
    "rows",
    [
        ["7,8,AL_L,2000000000,ACH", "7,8,LO_R,2000000000,ACH"],  # one pair's total
        ["7,8,AL_L,2000000000,ACH", "7,9,AL_L,2000000000,ACH"],  # a segment's only
        ["8,7,AL_L,2000000000,ACH", "9,7,AL_L,2000000000,ACH"],  # received
    ],
)
async def test_synapses_adding_up_past_32_bits_are_refused_and_nothing_stays(
    database_url: str, engine: AsyncEngine, small_set: ConnectomeFiles, tmp_path: Path,
    rows: list[str],
) -> None:  # fmt: skip
    """Each row's count fits the column, their sum does not: on PostgreSQL the database
    refuses it, on SQLite (64-bit whatever the column) the import looks; the same message."""
    file_rows = list(iter_file(small_set.connections))
    file_rows[100:102] = [row.split(",") for row in rows]
    bad = tmp_path / "connections.csv.gz"
    with gzip.open(bad, "wt", newline="", encoding="utf-8") as handle:
        handle.writelines(",".join(row) + "\n" for row in file_rows)

    with pytest.raises(FormatError) as raised:
        await load(database_url, small_set, connections=bad)

    assert str(raised.value) == (
        "connections.csv.gz: a segment's synapses add up to more than 2,147,483,647"
    )
    assert await _rows_per_materialization(engine) == {"segment": {}, "connection": {}, "pair": {}}
    assert await _import_tables(engine) == set()
