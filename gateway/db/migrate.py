"""Schema migrations (Alembic), run programmatically so no alembic.ini is needed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
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


def _upgrade_sync(connection: object, revision: str) -> None:
    config = alembic_config(str(getattr(connection, "engine").url))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def revision(url: str, message: str) -> None:
    """Autogenerate a new migration from the difference between the models and ``url``."""
    command.revision(alembic_config(url), message=message, autogenerate=True)


def upgrade_url(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


__all__ = ["MIGRATIONS_DIR", "alembic_config", "asyncio", "revision", "upgrade", "upgrade_url"]
