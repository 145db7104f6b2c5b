"""What can be wrong with the database a command is pointed at, said in one line each: a URL
neurogate cannot use, a server it cannot reach, a schema not migrated."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.db.migrate import is_current
from gateway.errors import Unavailable

EXAMPLES = "sqlite+aiosqlite:///./neurogate.db or postgresql+asyncpg://user@host:5432/db"
SUPPORTED = {"sqlite+aiosqlite", "postgresql+asyncpg"}
# What people write for the two databases, and the driver neurogate needs instead.
_ASYNC_DRIVER = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
}


class DatabaseProblem(Exception):
    """The database cannot be used as configured; the message says why and what to do."""


def url_problem(url: str) -> str | None:
    """Why NEUROGATE_DATABASE_URL cannot be used, or None when it can."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return f"NEUROGATE_DATABASE_URL is not a database URL; expected {EXAMPLES}"
    driver = parsed.drivername
    if driver in SUPPORTED:
        return None
    if driver in _ASYNC_DRIVER:
        fixed = parsed.set(drivername=_ASYNC_DRIVER[driver]).render_as_string(hide_password=True)
        return (
            f"NEUROGATE_DATABASE_URL names {driver}:// without the async driver neurogate uses: "
            f"write {fixed}"
        )
    return f"NEUROGATE_DATABASE_URL uses {driver}, which neurogate does not support: {EXAMPLES}"


def _sqlite_folder(engine: AsyncEngine) -> Path | None:
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database).parent


def shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def check_database(engine: AsyncEngine, *, migrated: bool = True) -> None:
    """Raise :class:`DatabaseProblem` if the database cannot be reached or (with
    ``migrated``) its schema is not the one this neurogate needs."""
    where = shown(engine.url.render_as_string(hide_password=False))
    folder = _sqlite_folder(engine)
    if folder is not None and not folder.is_dir():
        # Said before connecting: aiosqlite's worker thread outlives a failed open.
        raise DatabaseProblem(
            f"cannot open the database at {where}: the folder {folder} does not exist. "
            "Create it, or change NEUROGATE_DATABASE_URL."
        )
    try:
        async with engine.connect():
            pass
    except (OSError, Unavailable) as error:  # refused, unknown host, timed out
        # PostgreSQL's engine reports the socket's error as Unavailable, caused by it.
        cause = error.__cause__ if isinstance(error, Unavailable) else error
        reason = getattr(cause, "strerror", None) or str(cause) or type(cause).__name__
        raise DatabaseProblem(
            f"cannot reach the database at {where}: {reason}. "
            "Is it running, and is NEUROGATE_DATABASE_URL right?"
        ) from None
    except DBAPIError as error:  # the server answered no: a missing database, a bad password
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise DatabaseProblem(
            f"cannot open the database at {where}: {reason}. Check NEUROGATE_DATABASE_URL."
        ) from None
    if migrated and not await is_current(engine):
        raise DatabaseProblem(
            f"the database at {where} is not migrated to this version of neurogate: "
            "run `neurogate migrate` first"
        )
