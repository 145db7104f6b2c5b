"""The ``neurogate`` command: serve, migrate, seed-demo, createuser, import-connectome,
import-segment-properties, connectome-access, generate-connectome, export-schema."""

from __future__ import annotations

import copy
import os
import re
import tempfile
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.cli.connectome import (
    connectome_access_command,
    generate_connectome_command,
    import_connectome_command,
    import_segment_properties_command,
)
from gateway.cli.database import nothing, settings_from_env, with_engine
from gateway.db.engine import session_factory
from gateway.db.migrate import upgrade
from gateway.metrics import MULTIPROC_DIR_ENV

# Enough to catch a typo (no @, no dot in the domain, spaces); the real test is the inbox.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MIN_PASSWORD_LENGTH = 12


@click.group()
def main() -> None:
    """neurogate: one GraphQL gateway for neuroscience lab data."""


@main.command()
@click.option("--host", default=None, help="Address to bind (default NEUROGATE_HOST).")
@click.option("--port", default=None, type=int, help="Port (default NEUROGATE_PORT).")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="uvicorn worker processes (more than one needs NEUROGATE_REDIS_URL).",
)
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the gateway with uvicorn (GraphiQL at /graphql)."""
    import uvicorn

    from gateway.http.protocol import HttpProtocol

    settings = settings_from_env()
    if workers > 1 and settings.redis_url is None:
        # Each worker would keep its own rate-limit counters and its own subscribers: one
        # address would get N times its limit, and an event would reach one worker's sockets.
        raise click.ClickException(
            f"--workers {workers} needs Redis: set NEUROGATE_REDIS_URL (e.g. "
            "redis://127.0.0.1:6379/0) so that the workers share rate limits and events, "
            "or serve with one worker"
        )
    # Refused here, before uvicorn starts: an unmigrated database would answer every request
    # with an internal error.
    with_engine(settings, nothing)
    # Workers' metrics meet in files (prometheus-client's multiprocess mode, which the workers
    # uvicorn starts take from their environment), in a directory of this server's own: a
    # previous run's counters must not be added to this one's. One worker is this process,
    # where prometheus-client is already imported: its metrics stay in memory.
    with tempfile.TemporaryDirectory(prefix="neurogate-metrics-") as metrics_dir:
        os.environ[MULTIPROC_DIR_ENV] = metrics_dir  # inherited by the workers uvicorn starts
        uvicorn.run(
            "gateway.app:create_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            # uvicorn's httptools protocol, uploads received in place (an asyncio
            # BufferedProtocol, which uvicorn's annotation leaves out)
            http=HttpProtocol,  # type: ignore[arg-type]
            ws="websockets-sansio",  # subscriptions; uvicorn's default backend is deprecated
            log_level="info",
            log_config=log_config(),
            access_log=False,  # the gateway logs each request itself, with its X-Request-ID
        )


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with the gateway's own lines beside it: one JSON object a line (one
    per request), its fields at the top level and a traceback, if any, inside it."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["json"] = {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    }
    config["handlers"]["json"] = {
        "formatter": "json",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["neurogate"] = {"handlers": ["json"], "level": "INFO", "propagate": False}
    return config


@main.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    with_engine(settings_from_env(), upgrade, migrated=False)
    click.echo("database is up to date")


@main.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only seed a database that has no projects yet.")
def seed_demo_command(if_empty: bool) -> None:
    """Load the demo data set (labs, species, projects, subjects, sessions, brains, ...)."""
    from gateway.demo import is_empty, seed_demo
    from gateway.storage import Storage

    settings = settings_from_env()

    async def work(engine: AsyncEngine) -> bool:
        async with session_factory(engine)() as session:
            if not await is_empty(session):
                return False
            await seed_demo(session, storage=Storage.from_settings(settings))
            await session.commit()
            return True

    if with_engine(settings, work):
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
@click.option("--email", required=True, callback=_email, help="Login email (BrainMaps, BrainSTEM).")
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

    user_id = with_engine(settings_from_env(), work)
    if user_id is None:
        raise click.ClickException(f"a user with email {email} or username {username} exists")
    click.echo(f"created user {username} (id {user_id})")


@main.command("export-schema")
def export_schema() -> None:
    """Print the GraphQL schema (SDL) the gateway serves."""
    from schema import build_schema

    click.echo(schema_sdl(build_schema(settings_from_env())), nl=False)


def schema_sdl(schema: Any) -> str:
    """The SDL as committed in schema.graphql: what `export-schema` prints."""
    return f"{schema.as_str()}\n"


main.add_command(import_connectome_command)
main.add_command(generate_connectome_command)
main.add_command(import_segment_properties_command)
main.add_command(connectome_access_command)
