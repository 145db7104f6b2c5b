"""The ``neurogate`` command: serve, migrate, seed-demo, createuser, import-connectome,
generate-connectome."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.db.checks import DatabaseProblem, check_database
from gateway.db.engine import create_engine, session_factory
from gateway.db.migrate import upgrade
from gateway.settings import Settings

T = TypeVar("T")
# Enough to catch a typo (no @, no dot in the domain, spaces); the real test is the inbox.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MIN_PASSWORD_LENGTH = 12


def _settings() -> Settings:
    """The settings from the environment; a bad one is one line and exit code 1."""
    try:
        return Settings.from_env()
    except ValueError as error:
        raise click.ClickException(str(error)) from None


def _with_engine(
    settings: Settings, work: Callable[[AsyncEngine], Awaitable[T]], *, migrated: bool = True
) -> T:
    """Run ``work`` on an engine of the configured database, once it is known to answer and
    (with ``migrated``) to have this version's schema: otherwise one line, exit code 1."""

    async def run() -> T:
        engine = create_engine(settings.database_url)
        try:
            await check_database(engine, migrated=migrated)
            return await work(engine)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except DatabaseProblem as problem:
        raise click.ClickException(str(problem)) from None


async def _nothing(_: AsyncEngine) -> None:
    return None


@click.group()
def main() -> None:
    """neurogate: one GraphQL gateway for neuroscience lab data."""


@main.command()
@click.option("--host", default=None, help="Address to bind (default NEUROGATE_HOST).")
@click.option("--port", default=None, type=int, help="Port (default NEUROGATE_PORT).")
@click.option("--workers", default=1, show_default=True, help="uvicorn worker processes.")
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the gateway with uvicorn (GraphiQL at /graphql)."""
    import uvicorn

    settings = _settings()
    # Refused here, before uvicorn starts: an unmigrated database would answer every request
    # with an internal error.
    _with_engine(settings, _nothing)
    uvicorn.run(
        "gateway.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        ws="websockets-sansio",  # subscriptions; uvicorn's default websockets backend is deprecated
        log_level="info",
    )


@main.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    _with_engine(_settings(), upgrade, migrated=False)
    click.echo("database is up to date")


@main.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only seed a database that has no projects yet.")
def seed_demo_command(if_empty: bool) -> None:
    """Load the demo data set (labs, species, projects, subjects, sessions, brains, ...)."""
    from gateway.demo import is_empty, seed_demo
    from gateway.storage import Storage

    settings = _settings()

    async def work(engine: AsyncEngine) -> bool:
        async with session_factory(engine)() as session:
            if not await is_empty(session):
                return False
            await seed_demo(session, storage=Storage.from_settings(settings))
            await session.commit()
            return True

    if _with_engine(settings, work):
        click.echo("demo data loaded")
    elif if_empty:
        click.echo("database already has data; not seeding")
    else:
        raise click.ClickException(
            "the database already has data: seed-demo loads the demo into an empty database "
            "only (--if-empty skips a database with data)"
        )


def _email(_: click.Context, __: click.Parameter, value: str) -> str:
    if not EMAIL.fullmatch(value.strip()):
        raise click.BadParameter(f"{value!r} is not an email address")
    return value.strip()


def _password(_: click.Context, __: click.Parameter, value: str) -> str:
    if len(value) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(f"must be at least {MIN_PASSWORD_LENGTH} characters")
    return value


@main.command()
@click.option(
    "--email", required=True, callback=_email, help="Login email (BrainMaps, BrainSTEM)."
)
@click.option("--username", required=True, help="Login name (Alyx).")
@click.option(
    "--password",
    envvar="NEUROGATE_PASSWORD",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    callback=_password,
    help="Prompted for when omitted; also read from NEUROGATE_PASSWORD.",
)
@click.option("--admin", is_flag=True, help="May see and change everything.")
@click.option("--reviewer", is_flag=True, help="May review taxonomy approvals.")
def createuser(email: str, username: str, password: str, admin: bool, reviewer: bool) -> None:
    """Create a user account (the password is stored hashed)."""
    from sqlalchemy import or_, select

    from gateway.auth.passwords import hash_password
    from gateway.db.models import User, table

    async def work(engine: AsyncEngine) -> int | None:
        async with session_factory(engine)() as session:
            users = table(User)
            clash = await session.execute(
                select(users.c.id).where(or_(users.c.email == email, users.c.username == username))
            )
            if clash.first() is not None:
                return None
            user = User(
                email=email,
                username=username,
                password_hash=hash_password(password),
                is_admin=admin,
                is_reviewer=reviewer or admin,
            )
            session.add(user)
            await session.commit()
            return user.id

    user_id = _with_engine(_settings(), work)
    if user_id is None:
        raise click.ClickException(f"a user with email {email} or username {username} exists")
    click.echo(f"created user {username} (id {user_id})")


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


@main.command("import-connectome")
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

    settings = _settings()
    _with_engine(settings, _nothing)
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


@main.command("generate-connectome")
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
