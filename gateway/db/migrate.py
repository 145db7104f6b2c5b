"""Schema migrations (Alembic), run programmatically so no alembic.ini is needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database behind ``engine`` to ``revision``."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade_sync, revision)


def _upgrade_sync(connection: Connection, revision: str) -> None:
    config = alembic_config(connection.engine.url.render_as_string(hide_password=False))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def is_current(engine: AsyncEngine) -> bool:
    """Whether the database behind ``engine`` is at the newest revision (no table at all is
    not)."""
    async with engine.connect() as conn:
        return await conn.run_sync(_is_current_sync)


def _is_current_sync(connection: Connection) -> bool:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    current = MigrationContext.configure(connection).get_current_heads()
    return set(current) == set(script.get_heads())


def revision(url: str, message: str) -> None:
    """Autogenerate a new migration from the difference between the models and ``url``."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
