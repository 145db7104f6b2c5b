"""The BrainSTEM list and the GraphQL list of the same filter and order return the same records,
in the same order, for the same caller in the same portal: both surfaces parse into one query
spec and read through one list core."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import Gateway
from tests.rest.brainstem.support import Caller, Lab, arrange

PORTAL_OF = {None: "public", "alice": "private", "mallory": "private", "ada": "super"}

# BrainSTEM model -> (its app, the GraphQL list field)
LISTS = {
    "session": ("stem", "sessions"),
    "subject": ("stem", "subjects"),
    "project": ("stem", "projects"),
    "species": ("taxonomies", "species"),
    "strain": ("taxonomies", "strains"),
}
# (model, BrainSTEM query string, GraphQL where:), with {name} standing for the lab's ids
CASES = [
    ("session", "filter{description.icontains}=hippo", '{narrative: {icontains: "hippo"}}'),
    ("session", "filter{projects.id}={open_project}", '{inProject: {eq: "{open_project}"}}'),
    ("session", "filter{projects.id.in}={secret_project},{foreign_project}",
     '{inProject: {in: ["{secret_project}", "{foreign_project}"]}}'),
    ("session", "filter{date_time.gte}=2024-03-01T12:00:00Z",
     '{startTime: {gte: "2024-03-01T12:00:00Z"}}'),
    ("subject", "filter{name.startswith}=M", '{nickname: {startswith: "M"}}'),
    ("subject", "filter{strain.id}={c57}", '{strainId: {eq: "{c57}"}}'),
    ("subject", "filter{projects}={open_project}", '{inProject: {eq: "{open_project}"}}'),
    ("subject", "filter{projects.id.ne}={open_project}", '{inProject: {ne: "{open_project}"}}'),
    ("project", "filter{sessions.isnull}=false", "{hasSession: {isNull: false}}"),
    ("project", "filter{sessions.id}={secret_run}", '{hasSession: {eq: "{secret_run}"}}'),
    ("project", "filter{subjects.id}={M002}", '{hasSubject: {eq: "{M002}"}}'),
    ("project", "filter{is_public}=false", "{isPublic: {eq: false}}"),
    ("species", "filter{name.in}=Mouse,Rat", '{name: {in: ["Mouse", "Rat"]}}'),
    ("strain", "filter{species.id}={rat}", '{speciesId: {eq: "{rat}"}}'),
]  # fmt: skip
ORDERED = [
    ("session", "sort[]=-name", "[{field: NAME, direction: DESC}]"),
    ("subject", "sort[]=-sex&sort[]=name",
     "[{field: SEX, direction: DESC}, {field: NICKNAME, direction: ASC}]"),
    ("project", "sort[]=-created_date&sort[]=-name",
     "[{field: CREATED_AT, direction: DESC}, {field: NAME, direction: DESC}]"),
]  # fmt: skip


@pytest.fixture
async def lab(sessionmaker: async_sessionmaker[AsyncSession]) -> Lab:
    return await arrange(sessionmaker)


def fill(template: str, lab: Lab) -> str:
    for name, value in lab.ids.items():
        template = template.replace("{" + name + "}", value)
    return template


async def rest_ids(gateway: Gateway, lab: Lab, who: str | None, model: str, query: str) -> Any:
    url = f"/api/{PORTAL_OF[who]}/{LISTS[model][0]}/{model}/?{fill(query, lab)}&limit=100"
    body = await Caller(gateway, lab).ok("GET", url, who)
    records = next(iter(body.values()))
    assert body["count"] == len(records)
    return [record["id"] for record in records]


async def graphql_ids(
    gateway: Gateway, lab: Lab, who: str | None, model: str, arguments: str
) -> Any:
    headers = {**lab.headers(who), "X-Neurogate-Portal": PORTAL_OF[who]}
    query = f"{{ rows: {LISTS[model][1]}({fill(arguments, lab)}) {{ id }} }}"
    response = await gateway.client.post("/graphql", json={"query": query}, headers=headers)
    body = response.json()
    assert "errors" not in body, body
    return [row["id"] for row in body["data"]["rows"]]


@pytest.mark.parametrize("who", list(PORTAL_OF))
@pytest.mark.parametrize(("model", "query", "where"), CASES)
async def test_rest_and_graphql_filters_return_the_same_records(
    gateway: Gateway, lab: Lab, who: str | None, model: str, query: str, where: str
) -> None:
    rest = await rest_ids(gateway, lab, who, model, query)
    graphql = await graphql_ids(gateway, lab, who, model, f"where: {where}")
    assert rest == graphql


@pytest.mark.parametrize("who", list(PORTAL_OF))
@pytest.mark.parametrize(("model", "query", "order"), ORDERED)
async def test_rest_and_graphql_orderings_return_the_same_sequence(
    gateway: Gateway, lab: Lab, who: str | None, model: str, query: str, order: str
) -> None:
    rest = await rest_ids(gateway, lab, who, model, query)
    graphql = await graphql_ids(gateway, lab, who, model, f"orderBy: {order}")
    assert rest == graphql
    assert rest  # every caller sees something here, so the comparison means something


async def test_the_parity_cases_are_not_all_empty(gateway: Gateway, lab: Lab) -> None:
    """Guards the table above: an empty result on both sides would prove nothing."""
    for model, query, _ in CASES:
        assert await rest_ids(gateway, lab, "ada", model, query), query
