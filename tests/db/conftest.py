"""A private PostgreSQL cluster for the tests that stop it or read what it is sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import insert

from gateway.db.engine import create_engine
from gateway.db.migrate import upgrade
from gateway.db.models import Project, Session, table
from tests.db.private_postgres import PrivateCluster


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    server = PrivateCluster()
    server.start()
    try:
        yield server
    finally:
        server.remove()


async def three_public_sessions(cluster: PrivateCluster, database: str) -> str:
    """The URL of a new, migrated database on ``cluster`` holding one public project and
    three sessions of it."""
    await cluster.create_database(database)
    url = cluster.url(database)
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            project = (
                await conn.execute(
                    insert(table(Project)).returning(table(Project).c.id),
                    {"name": "open", "is_public": True, "tags": [], "extra_fields": {}},
                )
            ).scalar_one()
            await conn.execute(
                insert(table(Session)),
                [{"name": f"s{i}", "project_id": project, "extra_fields": {}} for i in range(3)],
            )
    finally:
        await engine.dispose()
    return url
