"""Nested GraphQL lists cost a fixed number of SQL statements, whatever the number of rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import Session, Subject
from tests.factories import build

QUERY = """
query ($limit: Int!) {
  sessions(limit: $limit) {
    id name startTime
    project { name }
    subject { nickname species { name } }
  }
}
"""


async def _arrange(sessionmaker: async_sessionmaker[AsyncSession], n_sessions: int) -> None:
    async def recipe(world: Any) -> None:
        species = [await world.species() for _ in range(5)]
        projects = [await world.project() for _ in range(10)]
        subjects = [
            {
                "nickname": f"N{i:05d}",
                "project_id": projects[i % 10].id,
                "species_id": species[i % 5].id,
            }
            for i in range(200)
        ]
        await world.session.execute(insert(Subject), subjects)
        ids = [s.id for s in (await world.session.execute(select(Subject.id))).all()]
        start = datetime(2024, 1, 1)
        await world.session.execute(
            insert(Session),
            [
                {
                    "name": f"s{i}",
                    "project_id": projects[i % 10].id,
                    "subject_id": ids[i % len(ids)],
                    "start_time": start + timedelta(minutes=i),
                }
                for i in range(n_sessions)
            ],
        )

    await build(sessionmaker, recipe)


async def test_ten_and_a_thousand_nested_sessions_cost_the_same_statements(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _arrange(sessionmaker, 1000)
    gateway = await make_gateway(max_page_size=1000)
    counts = {}
    for limit in (10, 1000):
        gateway.statements.reset()
        data = await gateway.data(QUERY, {"limit": limit})
        assert len(data["sessions"]) == limit
        assert all(s["subject"]["species"]["name"] for s in data["sessions"])
        assert all(s["project"]["name"] for s in data["sessions"])
        counts[limit] = gateway.statements.count
    assert counts[10] == counts[1000]
    # The to-one chain (project, subject, the subject's species) folds into the list's own
    # statement: one statement whatever the page size.
    assert counts[1000] == 1, gateway.statements.statements


async def test_nested_to_many_lists_cost_one_statement_per_level(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _arrange(sessionmaker, 300)
    # The read plan's own statements (compiled, the whole root field is one: test_compiled_reads).
    gateway = await make_gateway(max_page_size=1000, compiled_reads=False)
    query = "{ projects { name sessions(limit: 5) { name subject { nickname } } } }"
    data = await gateway.data(query)
    assert len(data["projects"]) == 10
    assert all(len(p["sessions"]) == 5 for p in data["projects"])
    # projects, their sessions (windowed), the sessions' subjects.
    assert gateway.statements.count == 3


async def test_many_to_many_relations_cost_one_statement_per_level_whatever_the_rows(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Relations through link tables (a session's projects, owner and links; a project's
    sessions, owned and linked) read every parent's rows in one statement per level."""
    await _arrange(sessionmaker, 400)
    gateway = await make_gateway(max_page_size=1000, compiled_reads=False)
    query = """query ($limit: Int!) {
      sessions(limit: $limit) { name projects { name sessions(limit: 3) { name } } users { id } }
    }"""
    counts = {}
    for limit in (10, 400):
        gateway.statements.reset()
        data = await gateway.data(query, {"limit": limit})
        assert len(data["sessions"]) == limit
        assert all(len(s["projects"]) == 1 for s in data["sessions"])
        assert all(len(s["projects"][0]["sessions"]) == 3 for s in data["sessions"])
        counts[limit] = gateway.statements.count
    # sessions; their projects and their users side by side; the projects' sessions.
    assert counts == {10: 4, 400: 4}, gateway.statements.statements
