"""``neurogate generate-connectome`` and ``neurogate import-connectome`` on a database file."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, insert, select

from gateway.cli import main
from gateway.connectome.synthetic import generate
from gateway.db.engine import create_engine
from gateway.db.models import ConnectomeDataset, Materialization, SegmentProperty, table


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("NEUROGATE_DATABASE_URL", url)
    assert CliRunner().invoke(main, ["migrate"]).exit_code == 0
    return url


def _materializations(url: str) -> list[tuple[int, bool]]:
    stmt = select(table(Materialization).c.version, table(Materialization).c.valid)
    return [(v, ok) for v, ok in _rows(url, stmt)]


def test_generate_then_import_twice_and_a_bad_file_fails_cleanly(
    database: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "set"
    generated = runner.invoke(
        main,
        ["generate-connectome", "--neurons", "150", "--connections", "3000", "--out", str(out)],
    )
    assert generated.exit_code == 0, generated.output
    assert "wrote 150 neurons and 3,000 connection rows" in generated.output
    assert "generating" in generated.stderr  # the progress bar (drawn in full on a terminal)
    files = [
        "--neurons",
        str(out / "neurons.csv.gz"),
        "--cell-stats",
        str(out / "cell_stats.csv.gz"),
    ]
    good = ["--connections", str(out / "connections.csv.gz")]

    first = runner.invoke(main, ["import-connectome", "fly", *files, *good, "--quiet"])
    second = runner.invoke(
        main, ["import-connectome", "fly", *files, *good, "--timestamp", "2024-03-01T12:00:00Z"]
    )
    lines = gzip.decompress((out / "connections.csv.gz").read_bytes()).decode().splitlines()
    lines[99] = "720575940600000001,720575940600000002,AL_L,12"  # line 100, one field short
    (tmp_path / "bad.csv").write_text("\n".join(lines) + "\n")
    bad = runner.invoke(
        main, ["import-connectome", "fly", *files, "--connections", str(tmp_path / "bad.csv")]
    )

    assert first.exit_code == 0, first.output
    assert "imported fly materialization 1: 150 segments, 3,000 connection rows" in first.output
    assert second.exit_code == 0, second.output
    assert "materialization 2" in second.output
    assert bad.exit_code == 1
    assert "bad.csv line 100: expected 5 fields, found 4 (nothing was imported)" in bad.output
    assert _materializations(database) == [(1, True), (2, True)]


def test_an_existing_version_is_refused(database: str, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "set"
    runner.invoke(
        main,
        [
            "generate-connectome",
            "--neurons",
            "50",
            "--connections",
            "500",
            "--out",
            str(out),
            "--plain",
        ],
    )
    files = ["--neurons", str(out / "neurons.csv"), "--connections", str(out / "connections.csv")]

    assert (
        runner.invoke(main, ["import-connectome", "fly", *files, "--version", "783"]).exit_code == 0
    )
    again = runner.invoke(main, ["import-connectome", "fly", *files, "--version", "783"])

    assert again.exit_code == 1
    assert "fly already has materialization 783" in again.output
    assert _materializations(database) == [(783, True)]


def test_generating_reports_progress_as_rows_are_drawn_and_written(tmp_path: Path) -> None:
    reports: list[int] = []
    generate(tmp_path, neurons=10_000, connections=210_000, gzipped=False, progress=reports.append)
    assert sum(reports) == 2 * 210_000  # drawn, then written
    assert len(reports) > 4  # step by step (rows are drawn and written in batches)


def test_first_ids_take_the_place_of_the_first_drawn_ones(tmp_path: Path) -> None:
    def ids(out: Path, first: tuple[int, ...]) -> list[str]:
        generate(out, neurons=20, connections=100, seed=5, gzipped=False, first_ids=first)
        return [line.split(",")[0] for line in (out / "neurons.csv").read_text().splitlines()]

    plain = ids(tmp_path / "plain", ())
    pinned = ids(tmp_path / "pinned", (1, 2))
    assert pinned[:3] == ["root_id", "1", "2"] and pinned[3:] == plain[1:19]
    with pytest.raises(ValueError, match="distinct"):
        generate(tmp_path / "bad", neurons=20, connections=100, first_ids=(1, 1))


def test_a_failed_first_import_leaves_no_dataset_behind(database: str, tmp_path: Path) -> None:
    out = tmp_path / "set"
    runner = CliRunner()
    assert (
        runner.invoke(
            main,
            ["generate-connectome", "--neurons", "50", "--connections", "500", "--out", str(out)],
        ).exit_code
        == 0
    )
    lines = gzip.decompress((out / "connections.csv.gz").read_bytes()).decode().splitlines()
    lines[20] = "720575940600000001,720575940600000002,AL_L,12"  # one field short
    (tmp_path / "bad.csv").write_text("\n".join(lines) + "\n")
    bad = runner.invoke(
        main,
        ["import-connectome", "newfly", "--neurons", str(out / "neurons.csv.gz"),
         "--connections", str(tmp_path / "bad.csv"), "--quiet"],
    )  # fmt: skip
    assert bad.exit_code == 1
    assert _datasets(database) == []  # no ghost that lists but 404s


def _datasets(url: str) -> list[str]:
    return [name for (name,) in _rows(url, select(table(ConnectomeDataset).c.name))]


def _rows(url: str, stmt: Any) -> list[Any]:
    async def run() -> list[Any]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return list((await conn.execute(stmt)).all())
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _property_counts(url: str) -> dict[tuple[int, str], int]:
    props = table(SegmentProperty)
    stmt = select(props.c.materialization_id, props.c.name, func.count()).group_by(
        props.c.materialization_id, props.c.name
    )
    return {(m, name): n for m, name, n in _rows(url, stmt)}


def test_positions_with_the_import_then_property_tables_with_progress(
    database: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "set"
    assert (
        runner.invoke(
            main,
            ["generate-connectome", "--neurons", "60", "--connections", "600", "--out", str(out)],
        ).exit_code
        == 0
    )
    imported = runner.invoke(
        main,
        ["import-connectome", "fly", "--neurons", str(out / "neurons.csv.gz"),
         "--connections", str(out / "connections.csv.gz"),
         "--soma", str(out / "coordinates.csv.gz"), "--nucleus", str(out / "nuclei.csv.gz")],
    )  # fmt: skip
    loaded = runner.invoke(
        main,
        ["import-segment-properties", "fly",
         "--property", "mitochondria", str(out / "mitochondria.csv.gz"),
         "--property", "dcv", str(out / "dcv.csv.gz")],
    )  # fmt: skip
    computed = runner.invoke(
        main, ["import-segment-properties", "fly", "--property", "size", str(out / "dcv.csv.gz")]
    )
    unknown = runner.invoke(
        main, ["import-segment-properties", "nofly", "--property", "dcv", str(out / "dcv.csv.gz")]
    )

    assert imported.exit_code == 0, imported.output
    assert "soma" in imported.stderr and "nucleus" in imported.stderr  # their progress bars
    assert loaded.exit_code == 0, loaded.output
    assert "loaded mitochondria (60 segments), dcv (" in loaded.output
    assert "mitochondria" in loaded.stderr
    counts = _property_counts(database)
    assert counts[(1, "soma")] == counts[(1, "mitochondria")] == 60
    assert 0 < counts[(1, "nucleus")] <= 60 and 0 < counts[(1, "dcv")] < 60
    assert computed.exit_code == 2
    assert "'size' is computed from the connection import" in computed.output
    assert unknown.exit_code == 1
    assert "Dataset 'nofly' has no published materialization." in unknown.output


def test_connectome_access_makes_a_dataset_private_to_a_project_and_cave_managed(
    database: str, tmp_path: Path
) -> None:
    from gateway.db.models import Project

    runner = CliRunner()
    out = tmp_path / "set"
    runner.invoke(
        main, ["generate-connectome", "--neurons", "40", "--connections", "300", "--out", str(out)]
    )
    runner.invoke(
        main,
        ["import-connectome", "fly", "--neurons", str(out / "neurons.csv.gz"),
         "--connections", str(out / "connections.csv.gz"), "--quiet"],
    )  # fmt: skip

    async def add_project() -> None:
        engine = create_engine(database)
        try:
            async with engine.begin() as conn:
                await conn.execute(insert(table(Project)).values(name="lab", is_public=False))
        finally:
            await engine.dispose()

    asyncio.run(add_project())

    private = runner.invoke(
        main, ["connectome-access", "fly", "--project", "lab", "--cave-managed"]
    )
    shown = runner.invoke(main, ["connectome-access", "fly"])
    public = runner.invoke(main, ["connectome-access", "fly", "--public", "--not-cave-managed"])
    no_project = runner.invoke(main, ["connectome-access", "fly", "--project", "nolab"])
    no_dataset = runner.invoke(main, ["connectome-access", "nofly", "--public"])
    both = runner.invoke(main, ["connectome-access", "fly", "--public", "--project", "lab"])

    assert private.exit_code == 0, private.output
    assert private.output == "fly: seen by the members of project lab; CAVE-managed\n"
    assert shown.output == private.output
    assert public.output == "fly: seen by everyone; not CAVE-managed\n"
    assert (no_project.exit_code, no_dataset.exit_code, both.exit_code) == (1, 1, 2)
    assert "No project named 'nolab'." in no_project.output
    assert "No connectome dataset named 'nofly'." in no_dataset.output
    stmt = select(table(ConnectomeDataset).c.project_id, table(ConnectomeDataset).c.cave_managed)
    assert _rows(database, stmt) == [(None, False)]
