"""The database a command works on: its settings and an engine, checked before use."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.db.checks import DatabaseProblem, check_database
from gateway.db.engine import create_engine
from gateway.settings import Settings

T = TypeVar("T")


def settings_from_env() -> Settings:
    """The settings from the environment; a bad one is one line and exit code 1."""
    try:
        return Settings.from_env()
    except ValueError as error:
        raise click.ClickException(str(error)) from None


def with_engine(
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


async def nothing(_: AsyncEngine) -> None:
    return None
