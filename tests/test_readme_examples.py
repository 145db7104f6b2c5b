"""Every GraphQL example in README.md works on the demo data: the ``graphql`` blocks run and
answer data without errors; the queries inside the other examples (curl, JavaScript) are
valid against the schema."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from graphql import parse, validate
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.demo import seed_demo
from gateway.settings import Settings
from gateway.storage import Storage
from schema import build_schema
from tests.conftest import Gateway

README = (Path(__file__).parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.DOTALL)
GRAPHQL_BLOCKS = [body for language, body in BLOCKS if language == "graphql"]
# A query inside another example: curl's JSON ("query": "...") or JavaScript (query: "...").
EMBEDDED = [
    orjson.loads(f'"{match}"')
    for language, body in BLOCKS
    if language != "graphql"
    for match in re.findall(r'"?query"?:\s*"((?:[^"\\]|\\.)*)"', body)
]


def test_the_readme_has_the_examples_this_test_checks() -> None:
    assert len(GRAPHQL_BLOCKS) >= 2
    assert any("uploadFile" in query for query in EMBEDDED)
    assert any("approvalEvents" in query for query in EMBEDDED)


def _nulls(value: Any, path: str = "") -> list[str]:
    if isinstance(value, dict):
        return [p for key, v in value.items() for p in _nulls(v, f"{path}.{key}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nulls(v, f"{path}[{i}]")]
    return [path] if value is None else []


@pytest.mark.parametrize("query", GRAPHQL_BLOCKS, ids=lambda q: q.split("(")[0].strip(" {\n"))
async def test_each_graphql_example_answers_data_on_the_demo_set(
    gateway: Gateway,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    query: str,
) -> None:
    async with sessionmaker() as session:
        await seed_demo(session, storage=Storage.from_settings(settings))
        await session.commit()
    data = await gateway.data(query)
    # An example answering nulls (or nothing at its root) on the demo data shows nothing.
    assert _nulls(data) == [], data
    assert all(data.values()), data


@pytest.mark.parametrize("query", EMBEDDED)
def test_each_query_inside_another_example_is_valid(settings: Settings, query: str) -> None:
    schema = build_schema(settings)._schema
    assert validate(schema, parse(query)) == []
