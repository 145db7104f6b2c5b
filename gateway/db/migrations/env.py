"""Alembic environment: runs migrations over the gateway's own async engine."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import gateway.db.models  # noqa: F401  (fills SQLModel.metadata)
from gateway.db.engine import create_engine
from gateway.db.models._base import include_declared_for
from gateway.db.models.search import include_in_schema_comparison

target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        include_name=include_in_schema_comparison,  # search structures are not in the models
        include_object=include_declared_for(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as conn:
        await conn.run_sync(_run)
        await conn.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()
elif context.config.attributes.get("connection") is not None:
    # Called from gateway.db.migrate.upgrade, inside the caller's event loop and transaction.
    _run(context.config.attributes["connection"])
else:
    asyncio.run(_run_online())
