"""The embedded SQLite default is set up for a concurrent server: WAL, foreign keys, a busy
timeout."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.engine import SQLITE_BUSY_TIMEOUT_MS, create_engine
from gateway.db.migrate import upgrade
from gateway.db.models import Project


async def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1
            timeout = (await conn.execute(text("PRAGMA busy_timeout"))).scalar_one()
            assert timeout == SQLITE_BUSY_TIMEOUT_MS
    finally:
        await engine.dispose()


async def test_sqlite_refuses_a_row_that_points_at_nothing(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'fk.db'}")
    try:
        await upgrade(engine)
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO strain (id, name, description, comments, rrid, species_id,"
                        " created_at, updated_at) VALUES ('00000000000000000000000000000001',"
                        " 'x', '', '', '', 'ffffffffffffffffffffffffffffffff',"
                        " '2024-01-01', '2024-01-01')"
                    )
                )
    finally:
        await engine.dispose()


async def test_json_columns_read_back_what_the_standard_library_writes(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """JSON columns are read with orjson, which refuses integers beyond 64 bits and NaN; a
    value holding them (written through the standard library) still reads back."""
    values = {"small": 1, "huge": 2**70, "nested": {"list": [1.5, "x"]}}
    async with sessionmaker() as session, session.begin():
        project = Project(name="json", extra_fields=values)
        session.add(project)
    async with sessionmaker() as session:
        read = (
            await session.execute(select(Project.extra_fields).where(Project.id == project.id))
        ).scalar_one()
    assert read == values
