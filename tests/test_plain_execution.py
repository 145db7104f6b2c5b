"""The plain list completion (schema/execution.py) answers exactly as graphql-core does.

Each query runs twice on the same schema and data: once with the gateway's executor, once
with Strawberry's own. Data and errors must be equal, clean answers and broken ones alike,
and clean plain lists must really take the one-pass path (graphql-core executes only the
root field), while anything not plain falls back.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import pytest
import strawberry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gateway.settings import Settings
from resolvers.context import Context
from schema import build_schema
from schema.execution import PlainListExecutor, read_plain_fields_directly
from tests.factories import World, build


class Counted:
    """Counts the fields graphql-core executes one by one."""

    executed = 0

    def execute_field(self, *args: Any, **kwargs: Any) -> Any:
        type(self).executed += 1
        return super().execute_field(*args, **kwargs)  # type: ignore[misc]


class CountedPlain(Counted, PlainListExecutor):
    executed = 0


class CountedStrawberry(Counted, StrawberryGraphQLCoreExecutionContext):
    executed = 0


@strawberry.enum
class Kind(Enum):
    SMALL = "small"
    LARGE = "large"


@strawberry.type
class Owner:
    name: str
    age: int | None = None


@strawberry.type
class Item:
    id: strawberry.ID
    name: str
    count: int
    kind: Kind
    seen: datetime | None
    owner: Owner | None
    keeper: Owner

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()


def item(n: int, **changes: Any) -> Item:
    values: dict[str, Any] = {
        "id": f"item-{n}",
        "name": f"item {n}",
        "count": n,
        "kind": Kind.SMALL if n % 2 else Kind.LARGE,
        "seen": datetime(2024, 1, n + 1, 8, 30) if n % 3 else None,
        "owner": Owner(name=f"owner {n}", age=30 + n) if n % 2 else None,
        "keeper": Owner(name=f"keeper {n}"),
    }
    return Item(**{**values, **changes})  # changes: values graphql-core must refuse


CASES: dict[str, list[Any]] = {
    "clean": [item(n) for n in range(6)],
    "null_name": [item(0), item(1, name=None), item(2)],
    "bad_count": [item(0), item(1, count="many")],
    "null_keeper": [item(0, keeper=None), item(1)],
    "keeper_without_name": [item(0, keeper=Owner(name=None))],  # type: ignore[arg-type]
    "null_item": [item(0), None, item(2)],
    "empty": [],
}


@strawberry.type
class Query:
    @strawberry.field
    def items(self, case: str) -> list[Item]:
        return CASES[case]

    @strawberry.field
    def maybe_items(self, case: str) -> list[Item | None] | None:
        return CASES[case]


def schema_with(executor: type) -> strawberry.Schema:
    schema = strawberry.Schema(query=Query, execution_context_class=executor)
    read_plain_fields_directly(schema)
    return schema


PLAIN, REFERENCE = schema_with(CountedPlain), schema_with(CountedStrawberry)

ALL_PLAIN_FIELDS = "id name count kind seen owner { name age } keeper { name }"

PLAIN_QUERIES = [
    f'{{ items(case: "clean") {{ {ALL_PLAIN_FIELDS} }} }}',
    '{ items(case: "clean") { a: name b: name __typename owner { __typename n: name } } }',
    """
    fragment Named on Item { name owner { ...Aged } }
    fragment Aged on Owner { age }
    { items(case: "clean") { ...Named ... on Item { count } } }
    """,
    '{ maybeItems(case: "clean") { name keeper { name } } }',
    '{ maybeItems(case: "null_item") { name } }',
]

BROKEN_QUERIES = [
    '{ items(case: "null_name") { count name } }',
    '{ maybeItems(case: "null_name") { name } }',
    '{ items(case: "bad_count") { name count } }',
    '{ items(case: "null_keeper") { name keeper { name } } }',
    '{ maybeItems(case: "keeper_without_name") { keeper { name } } }',
    '{ items(case: "null_item") { name } }',
]

FALLBACK_QUERIES = [
    '{ items(case: "clean") { name shout } }',  # a field with a resolver
    '{ items(case: "clean") { name owner { name } keeper { age } shout } }',
]


def run(schema: strawberry.Schema, query: str, variables: Any = None) -> tuple[Any, list[Any]]:
    result = schema.execute_sync(query, variable_values=variables)
    return result.data, [error.formatted for error in result.errors or []]


def both(query: str, variables: Any = None) -> tuple[Any, list[Any]]:
    CountedPlain.executed = CountedStrawberry.executed = 0
    plain = run(PLAIN, query, variables)
    assert plain == run(REFERENCE, query, variables)
    return plain


@pytest.mark.parametrize("query", PLAIN_QUERIES)
def test_a_plain_list_is_completed_in_one_pass_with_the_same_answer(query: str) -> None:
    data, errors = both(query)
    assert errors == []
    assert data and any(data.values())
    assert CountedPlain.executed == 1  # only the root field went through graphql-core
    assert CountedStrawberry.executed > 1  # the reference executes every field


def test_the_one_pass_answer_is_the_full_answer() -> None:
    data, _ = both(f'{{ items(case: "clean") {{ {ALL_PLAIN_FIELDS} }} }}')
    assert data["items"][1] == {
        "id": "item-1",
        "name": "item 1",
        "count": 1,
        "kind": "SMALL",
        "seen": "2024-01-02T08:30:00",
        "owner": {"name": "owner 1", "age": 31},
        "keeper": {"name": "keeper 1"},
    }
    assert data["items"][0]["owner"] is None
    assert data["items"][0]["seen"] is None


@pytest.mark.parametrize("include", [True, False])
def test_skip_and_include_decide_as_graphql_core_does(include: bool) -> None:
    query = """query ($on: Boolean!) {
      items(case: "clean") {
        name @include(if: $on) count @skip(if: $on) owner @include(if: $on) { name }
      }
    }"""
    data, errors = both(query, {"on": include})
    assert errors == []
    expected_keys = {"name", "owner"} if include else {"count"}
    assert set(data["items"][0]) == expected_keys
    assert CountedPlain.executed == 1


@pytest.mark.parametrize("query", BROKEN_QUERIES)
def test_a_value_graphql_refuses_gets_graphql_cores_own_errors(query: str) -> None:
    _data, errors = both(query)
    assert errors  # and equal to the reference's, paths and null propagation included
    assert all(error["path"] for error in errors)


@pytest.mark.parametrize("query", FALLBACK_QUERIES)
def test_a_selection_that_is_not_plain_takes_graphql_cores_path(query: str) -> None:
    data, errors = both(query)
    assert errors == []
    assert data["items"][2]["shout"] == "ITEM 2"
    assert CountedPlain.executed == CountedStrawberry.executed


def test_an_empty_list_is_empty() -> None:
    assert both('{ items(case: "empty") { name } }') == ({"items": []}, [])


# --- the gateway's own schema, on a real database ---------------------------------------


GATEWAY_QUERIES = [
    """{ sessions { id name startTime number taskProtocol qc nTrials
         project { id name isPublic tags extraFields createdAt }
         subject { nickname sex birthDate
                   species { name scientificName category { name } } } } }""",
    """{ sessionsConnection(first: 3) { totalCount pageInfo { hasNextPage endCursor }
         edges { cursor node { name subject { nickname } } } nodes { __typename id } } }""",
    # A to-many relation under the items has a resolver: graphql-core's path, same answer.
    "{ projects { name sessions(limit: 2) { name subject { nickname } } subjects { nickname } } }",
    """{ subjects(orderBy: [{field: NICKNAME, direction: DESC}]) {
         nickname project { name } species { name } } }""",
]


async def arrange(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async def recipe(world: World) -> None:
        category = await world.category(name="Mammals")
        mouse = await world.species(name="Mouse", category_id=category.id)
        alpha = await world.project(name="alpha", tags=["ephys"], extra_fields={"rig": 2})
        hidden = await world.project(name="hidden", is_public=False)
        one = await world.subject(alpha, nickname="ONE", species_id=mouse.id)
        two = await world.subject(alpha, nickname="TWO")
        secret = await world.subject(hidden, nickname="SECRET")
        for n, subject in enumerate([one, two, None, one, secret]):
            await world.session_row(
                alpha, number=n or None, subject_id=subject.id if subject else None
            )

    await build(sessionmaker, recipe)


@pytest.mark.parametrize("query", GATEWAY_QUERIES)
async def test_the_gateway_schema_answers_as_strawberrys_executor_does(
    query: str, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await arrange(sessionmaker)
    plain, reference = build_schema(settings), build_schema(settings)
    reference.execution_context_class = StrawberryGraphQLCoreExecutionContext
    answers = []
    for schema in (plain, reference):
        result = await schema.execute(query, context_value=Context.build(settings, sessionmaker))
        assert not result.errors, result.errors
        answers.append(result.data)
    assert answers[0] == answers[1]
    assert any(answers[0].values())
