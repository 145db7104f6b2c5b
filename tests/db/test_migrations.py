"""The migrations build exactly the schema the models declare, and the full-text search
indexes declared next to them, on every backend."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel

from gateway.db.migrate import alembic_config
from gateway.db.models import Category, table
from gateway.db.models._base import include_declared_for
from gateway.db.models.search import (
    CATEGORY_SEARCH,
    SEARCH_INDEXES,
    include_in_schema_comparison,
    matches,
)


def _diff(connection: Any) -> list[Any]:
    # The search tables and indexes are built by migrations and not declared by the models.
    opts = {
        "compare_type": True,
        "include_name": include_in_schema_comparison,
        "include_object": include_declared_for(connection.dialect.name),
    }
    context = MigrationContext.configure(connection, opts=opts)
    return compare_metadata(context, SQLModel.metadata)  # type: ignore[no-any-return]


# SQLite cannot reflect an index on an expression (water restrictions' order index, whose
# IS NULL terms place NULL as Alyx's order does), so there it is left out of the comparison;
# PostgreSQL compares it, and tests/db/test_order_plans.py checks it serves its order on both.
EXPRESSION_INDEXES_UNCOMPARED_ON_SQLITE = (
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based"),
)


@EXPRESSION_INDEXES_UNCOMPARED_ON_SQLITE[0]
@EXPRESSION_INDEXES_UNCOMPARED_ON_SQLITE[1]
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


async def _search_structures(conn: AsyncConnection) -> dict[str, Any]:
    """What of each declared search index the database holds: on SQLite the FTS5 table's
    columns and the triggers on the searched table, on PostgreSQL the index's definition."""
    found: dict[str, Any] = {}
    for index in SEARCH_INDEXES:
        if conn.dialect.name == "sqlite":
            columns = await conn.execute(text(f"PRAGMA table_info({index.fts_table})"))
            triggers = await conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
                {"t": index.table.name},
            )
            found[index.table.name] = (
                tuple(row.name for row in columns),
                sorted(row.name for row in triggers),
            )
        else:
            definition = await conn.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"),
                {"name": index.gin_index},
            )
            found[index.table.name] = definition.scalar()
    return found


async def test_migrations_build_every_declared_search_index(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        found = await _search_structures(conn)
    for index in SEARCH_INDEXES:
        if engine.dialect.name == "sqlite":
            fts = index.fts_table
            triggers = [f"{fts}_delete", f"{fts}_insert", f"{fts}_update"]
            assert found[index.table.name] == (("id", *index.columns), triggers)
        else:
            definition = found[index.table.name]
            assert definition is not None and "USING gin (to_tsvector('simple'" in definition
            for column in index.columns:
                assert f"COALESCE({column}," in definition, (column, definition)


def _migrate_to(connection: Any, revision: str, *, down: bool) -> None:
    config = alembic_config(connection.engine.url.render_as_string(hide_password=False))
    config.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(config, revision)


@EXPRESSION_INDEXES_UNCOMPARED_ON_SQLITE[0]
@EXPRESSION_INDEXES_UNCOMPARED_ON_SQLITE[1]
async def test_search_indexes_go_with_a_downgrade_and_come_back_with_data(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_migrate_to, "0002", down=True)
        left = await _search_structures(conn)
        when = datetime(2024, 1, 1)
        rodents = {"name": "Rodents", "description": "Mice and rats"}
        await conn.execute(
            insert(table(Category)).values(**rodents, created_at=when, updated_at=when)
        )
        await conn.run_sync(_migrate_to, "head", down=False)
    empty = ((), []) if engine.dialect.name == "sqlite" else None
    assert left == {index.table.name: empty for index in SEARCH_INDEXES}
    async with engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
        back = await _search_structures(conn)
        # Rows written before the upgrade are indexed by it.
        found = await conn.execute(
            select(table(Category).c.name).where(matches(CATEGORY_SEARCH, "rats"))
        )
        assert found.scalars().all() == ["Rodents"]
    assert all(back.values())
