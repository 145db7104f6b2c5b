"""The connectome commands: ``generate-connectome``, ``import-connectome`` and
``import-segment-properties``."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from gateway.cli.database import nothing, settings_from_env, with_engine


class _ImportProgress:
    """A progress bar per file (over its bytes on disk) with rows and rows/s, on stderr."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None
        self.started = 0.0

    def phase(self, name: str, total_bytes: int) -> None:
        import time

        self.close()
        if not self.enabled:
            return
        self.started = time.perf_counter()
        if not total_bytes:
            click.echo(f"{name} ...", err=True)
            return
        self.bar = click.progressbar(
            length=total_bytes,
            label=f"{name:<11}",
            file=sys.stderr,
            item_show_func=self._rate,
        )
        self.bar.__enter__()

    def _rate(self, rows: int | None) -> str:
        import time

        if rows is None:
            return ""
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        return f"{rows:,} rows, {rows / elapsed:,.0f} rows/s"

    def advance(self, bytes_read: int, rows: int) -> None:
        if self.bar is not None:
            self.bar.update(bytes_read - self.bar.pos, current_item=rows)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _utc(text: str | None) -> datetime:
    from gateway.db.models._base import utcnow

    if text is None:
        return utcnow()
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO 8601 timestamp") from None
    offset = value.utcoffset()
    return (value - offset).replace(tzinfo=None) if offset else value.replace(tzinfo=None)


_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_VERSION = click.option(
    "--version", type=int, help="Materialization number (default: the next one)."
)
_TIMESTAMP = click.option(
    "--timestamp", help="When the snapshot was taken, ISO 8601 (default: now, UTC)."
)


@contextmanager
def _refusals(progress: _ImportProgress) -> Iterator[None]:
    """What an import refuses, as a one-line error: a malformed file (nothing was written),
    a taken version number, an unknown dataset."""
    from gateway.connectome.files import FormatError
    from gateway.errors import NeurogateError

    try:
        yield
    except FormatError as error:
        raise click.ClickException(f"{error} (nothing was imported)") from None
    except NeurogateError as error:
        raise click.ClickException(error.message) from None
    finally:
        progress.close()


@click.command("import-segment-properties")
@click.argument("dataset")
@click.option(
    "--property",
    "properties",
    type=(str, _FILE),
    multiple=True,
    required=True,
    metavar="NAME FILE",
    help="A property and its root_id table (.csv or .csv.gz); repeatable.",
)
@click.option(
    "--new-materialization",
    is_flag=True,
    help="Load into a new materialization (a copy of the current one) instead of the current.",
)
@_VERSION
@_TIMESTAMP
@click.option("--quiet", is_flag=True, help="No progress bars.")
def import_segment_properties_command(
    dataset: str,
    properties: tuple[tuple[str, Path], ...],
    new_materialization: bool,
    version: int | None,
    timestamp: str | None,
    quiet: bool,
) -> None:
    """Load per-segment property tables into DATASET's current materialization.

    Each FILE has a root_id column; its other columns become the property's JSON object
    (numbers as numbers, empty as null). A property already loaded is replaced. All or
    nothing: a malformed line is named and no property changes."""
    from gateway.connectome.importer import Target, import_segment_properties
    from gateway.connectome.property_files import checked_name
    from resolvers.connectome import COMPUTED_PROPERTIES

    if not new_materialization and (version is not None or timestamp is not None):
        raise click.UsageError("--version and --timestamp go with --new-materialization.")
    named = []
    for name, path in properties:
        try:
            name = checked_name(name)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--property") from None
        if name in COMPUTED_PROPERTIES:
            raise click.BadParameter(
                f"{name!r} is computed from the connection import, not loaded.",
                param_hint="--property",
            )
        named.append((name, path))
    if len({name for name, _ in named}) != len(named):
        raise click.BadParameter("a property is given twice", param_hint="--property")
    settings = settings_from_env()
    with_engine(settings, nothing)
    progress = _ImportProgress(enabled=not quiet)
    target = (
        Target(dataset=dataset, version=version, timestamp=_utc(timestamp))
        if new_materialization
        else None
    )
    with _refusals(progress):
        done = asyncio.run(
            import_segment_properties(
                settings.database_url,
                dataset,
                named,
                new_materialization=target,
                progress=progress,
            )
        )
    loaded = ", ".join(f"{name} ({rows:,} segments)" for name, rows in done.rows.items())
    click.echo(
        f"loaded {loaded} into {done.dataset} materialization {done.version} "
        f"in {done.seconds:.1f} s"
    )


@click.command("import-connectome")
@click.argument("dataset")
@click.option("--neurons", required=True, type=_FILE, help="neurons.csv[.gz] (Codex layout).")
@click.option("--connections", required=True, type=_FILE, help="connections.csv[.gz].")
@click.option("--cell-stats", type=_FILE, help="cell_stats.csv[.gz] (sizes), optional.")
@click.option(
    "--soma", type=_FILE, help="Soma positions: Codex coordinates.csv[.gz] (root_id, position)."
)
@click.option("--nucleus", type=_FILE, help="Nucleus positions: a root_id table, optional.")
@_VERSION
@_TIMESTAMP
@click.option("--quiet", is_flag=True, help="No progress bars.")
def import_connectome_command(
    dataset: str,
    neurons: Path,
    connections: Path,
    cell_stats: Path | None,
    soma: Path | None,
    nucleus: Path | None,
    version: int | None,
    timestamp: str | None,
    quiet: bool,
) -> None:
    """Import a FlyWire Codex download as a new materialization of DATASET.

    The previous materialization stays current until the import has finished; a malformed
    file stops it, names the line, and leaves nothing of it behind."""
    from gateway.connectome.importer import Target, import_connectome

    settings = settings_from_env()
    with_engine(settings, nothing)
    progress = _ImportProgress(enabled=not quiet)
    target = Target(dataset=dataset, version=version, timestamp=_utc(timestamp))
    positions = [(name, path) for name, path in (("soma", soma), ("nucleus", nucleus)) if path]
    with _refusals(progress):
        done = asyncio.run(
            import_connectome(
                settings.database_url,
                target,
                neurons=neurons,
                connections=connections,
                cell_stats=cell_stats,
                properties=positions,
                progress=progress,
            )
        )
    click.echo(
        f"imported {done.dataset} materialization {done.version}: {done.segments:,} segments, "
        f"{done.connections:,} connection rows, {done.partnerships:,} partner pairs "
        f"in {done.seconds:.1f} s ({done.rows_per_second:,.0f} connection rows/s)"
    )


@click.command("connectome-access")
@click.argument("dataset")
@click.option(
    "--project",
    help="Seen with this project (a private project: by its members only).",
)
@click.option("--public", is_flag=True, help="Seen by everyone (no project).")
@click.option(
    "--cave-managed/--not-cave-managed",
    default=None,
    help="Whether BrainCircuits requests need an Authorization-Cave header.",
)
def connectome_access_command(
    dataset: str, project: str | None, public: bool, cave_managed: bool | None
) -> None:
    """Who may read DATASET: everyone (--public) or a project's members (--project NAME,
    a private project), and whether it is CAVE-managed."""
    from sqlalchemy import select, update
    from sqlalchemy.ext.asyncio import AsyncEngine

    from gateway.db.models import ConnectomeDataset, Project, table

    if public and project:
        raise click.UsageError("--public and --project exclude each other.")
    datasets, projects = table(ConnectomeDataset), table(Project)

    async def work(engine: AsyncEngine) -> str:
        async with engine.begin() as conn:
            changes: dict[str, Any] = {}
            if project is not None:
                found = await conn.scalar(select(projects.c.id).where(projects.c.name == project))
                if found is None:
                    raise click.ClickException(f"No project named {project!r}.")
                changes["project_id"] = found
            elif public:
                changes["project_id"] = None
            if cave_managed is not None:
                changes["cave_managed"] = cave_managed
            stmt = update(datasets).where(datasets.c.name == dataset)
            if changes and (await conn.execute(stmt.values(**changes))).rowcount == 0:
                raise click.ClickException(f"No connectome dataset named {dataset!r}.")
            row = (
                await conn.execute(
                    select(projects.c.name, projects.c.is_public, datasets.c.cave_managed)
                    .select_from(datasets.outerjoin(projects))
                    .where(datasets.c.name == dataset)
                )
            ).first()
        if row is None:
            raise click.ClickException(f"No connectome dataset named {dataset!r}.")
        seen = (
            "everyone"
            if row.name is None or row.is_public
            else f"the members of project {row.name}"
        )
        cave = "CAVE-managed" if row.cave_managed else "not CAVE-managed"
        return f"{dataset}: seen by {seen}; {cave}"

    click.echo(with_engine(settings_from_env(), work))


@click.command("generate-connectome")
@click.option("--neurons", default=140_000, show_default=True, help="Number of neurons.")
@click.option("--connections", default=3_000_000, show_default=True, help="Connection rows.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", default=783, show_default=True, help="Same seed, same files.")
@click.option("--plain", is_flag=True, help="Write .csv files instead of .csv.gz.")
def generate_connectome_command(
    neurons: int, connections: int, out: Path, seed: int, plain: bool
) -> None:
    """Write a synthetic connectome in the FlyWire Codex download layout (heavy-tailed
    degrees: a few hubs with tens of thousands of partners), for tests and benchmarks."""
    from gateway.connectome.synthetic import generate

    # Drawn, then written: each connection row is counted twice.
    with click.progressbar(
        length=2 * connections, label="generating", file=sys.stderr, show_eta=True
    ) as bar:
        try:
            summary = generate(
                out,
                neurons=neurons,
                connections=connections,
                seed=seed,
                gzipped=not plain,
                progress=bar.update,
            )
        except ValueError as error:
            raise click.ClickException(str(error)) from None
    click.echo(
        f"wrote {summary.neurons:,} neurons and {summary.connections:,} connection rows "
        f"({summary.pairs:,} pairs; most partners: {summary.max_out_degree:,} downstream, "
        f"{summary.max_in_degree:,} upstream) to {out}"
    )
