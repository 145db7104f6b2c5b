"""The migrations build exactly the schema the models declare, on every backend."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import gateway.db.models  # noqa: F401


def _diff(connection: Any) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, SQLModel.metadata)  # type: ignore[no-any-return]


async def test_migrated_database_matches_the_models_exactly(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert await conn.run_sync(_diff) == []


async def test_migrations_create_every_table_the_domain_needs(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    expected = {
        "user_account",
        "laboratory",
        "lab_membership",
        "token",
        "device_login",
        "category",
        "species",
        "strain",
        "approval",
        "project",
        "project_member",
        "subject",
        "subject_project",
        "session",
        "session_project",
        "session_user",
        "brain",
        "file_upload",
        "connectome_dataset",
        "materialization",
        "segment",
        "segment_property",
        "connection",
    }
    assert expected <= tables
    assert "alembic_version" in tables
