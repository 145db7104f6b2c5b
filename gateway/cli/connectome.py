"""The connectome commands: ``generate-connectome`` and ``import-connectome``."""

from __future__ import annotations

import asyncio
import sys
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


@click.command("import-connectome")
@click.argument("dataset")
@click.option("--neurons", required=True, type=_FILE, help="neurons.csv[.gz] (Codex layout).")
@click.option("--connections", required=True, type=_FILE, help="connections.csv[.gz].")
@click.option("--cell-stats", type=_FILE, help="cell_stats.csv[.gz] (sizes), optional.")
@click.option("--version", type=int, help="Materialization number (default: the next one).")
@click.option("--timestamp", help="When the snapshot was taken, ISO 8601 (default: now, UTC).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def import_connectome_command(
    dataset: str,
    neurons: Path,
    connections: Path,
    cell_stats: Path | None,
    version: int | None,
    timestamp: str | None,
    quiet: bool,
) -> None:
    """Import a FlyWire Codex download as a new materialization of DATASET.

    The previous materialization stays current until the import has finished; a malformed
    file stops it, names the line, and leaves nothing of it behind."""
    from gateway.connectome.files import FormatError
    from gateway.connectome.importer import Target, import_connectome
    from gateway.errors import Conflict

    settings = settings_from_env()
    with_engine(settings, nothing)
    progress = _ImportProgress(enabled=not quiet)
    target = Target(dataset=dataset, version=version, timestamp=_utc(timestamp))
    try:
        done = asyncio.run(
            import_connectome(
                settings.database_url,
                target,
                neurons=neurons,
                connections=connections,
                cell_stats=cell_stats,
                progress=progress,
            )
        )
    except FormatError as error:
        raise click.ClickException(f"{error} (nothing was imported)") from None
    except Conflict as error:
        raise click.ClickException(error.message) from None
    finally:
        progress.close()
    click.echo(
        f"imported {done.dataset} materialization {done.version}: {done.segments:,} segments, "
        f"{done.connections:,} connection rows, {done.partnerships:,} partner pairs "
        f"in {done.seconds:.1f} s ({done.rows_per_second:,.0f} connection rows/s)"
    )


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
