"""Taxonomies, resources and dissemination in GraphQL, from their declarations: a behavioral
category's ``parent`` and ``children`` (a self-referencing relation whose ``where`` input
refers to itself), proposals of any model written through approval reviewed into records,
and publications with their journal and the projects one may see."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import BehavioralCategory, Journal, ProjectPublication, Publication
from tests.conftest import Gateway
from tests.factories import build
from tests.rest.brainstem.support import Lab, arrange
from tests.test_graphql_modules import graphql


@pytest.fixture
async def lab(sessionmaker: async_sessionmaker[AsyncSession]) -> Lab:
    lab = await arrange(sessionmaker)

    async def records(world: Any) -> None:
        memory = await world.add(BehavioralCategory(name="Learning & Memory"))
        await world.add(BehavioralCategory(name="Spatial Learning", parent_id=memory.id))
        await world.add(BehavioralCategory(name="Motor Function"))
        elife = await world.add(Journal(name="eLife"))
        paper = await world.add(
            Publication(
                title="Theta sequences",
                authors="Petersen PC",
                journal_id=elife.id,
                publication_date=date(2020, 6, 10),
            )
        )
        for project in ("open_project", "secret_project"):
            await world.add(
                ProjectPublication(project_id=uuid.UUID(lab.ids[project]), publication_id=paper.id)
            )
        lab.ids.update(memory=str(memory.id), elife=str(elife.id), paper=str(paper.id))

    await build(sessionmaker, records)
    return lab


async def test_a_where_on_a_behavioral_categorys_parent(gateway: Gateway, lab: Lab) -> None:
    data = await graphql(
        gateway, lab, None,
        """{ narrower: behavioralCategories(
               where: {parent: {name: {eq: "Learning & Memory"}}}, limit: 10
             ) { name parent { name children(limit: 5) { name } } }
             nested: behavioralCategories(
               where: {parent: {parentId: {isNull: true}}}, limit: 10
             ) { name }
             roots: behavioralCategories(where: {parentId: {isNull: true}}, limit: 10) {
               name } }""",
    )  # fmt: skip
    assert data["narrower"] == [
        {
            "name": "Spatial Learning",
            "parent": {"name": "Learning & Memory", "children": [{"name": "Spatial Learning"}]},
        }
    ]
    assert data["nested"] == [{"name": "Spatial Learning"}]
    assert [c["name"] for c in data["roots"]] == ["Learning & Memory", "Motor Function"]


PROPOSE = """mutation ($input: BehavioralCategoryInput!) {
  proposeBehavioralCategory(input: $input, comments: "a new domain") {
    ... on Approval { id status model behavioralCategory { name } }
    ... on ValidationError { field message } } }"""
REVIEW = """mutation ($id: ID!) { reviewApproval(id: $id, decision: ACCEPT) {
  ... on Approval { status behavioralCategory { name parent { name } } } } }"""


async def test_a_proposed_category_exists_once_a_reviewer_accepts_it(
    gateway: Gateway, lab: Lab
) -> None:
    given = {"name": "Working Memory", "parentId": lab.ids["memory"]}
    proposed = (await graphql(gateway, lab, "eve", PROPOSE, input=given))[
        "proposeBehavioralCategory"
    ]
    assert proposed["status"] == "PENDING" and proposed["model"] == "BEHAVIORALCATEGORY"
    assert proposed["behavioralCategory"] is None
    missing = {"name": "Orphan", "parentId": str(uuid.uuid4())}
    refused = (await graphql(gateway, lab, "eve", PROPOSE, input=missing))[
        "proposeBehavioralCategory"
    ]
    assert refused["field"] == "parent_id"
    accepted = (await graphql(gateway, lab, "rita", REVIEW, id=proposed["id"]))["reviewApproval"]
    assert accepted == {
        "status": "ACCEPTED",
        "behavioralCategory": {"name": "Working Memory", "parent": {"name": "Learning & Memory"}},
    }
    data = await graphql(
        gateway, lab, "eve",
        """{ behavioralCategories(where: {name: {eq: "Working Memory"}}, limit: 1) {
             approvals(limit: 5) { action status } } }""",
    )  # fmt: skip
    assert data["behavioralCategories"] == [
        {"approvals": [{"action": "ADD", "status": "ACCEPTED"}]}
    ]


async def test_publications_with_their_journal_and_the_projects_one_may_see(
    gateway: Gateway, lab: Lab
) -> None:
    query = """query ($id: ID!) { publication(id: $id) {
                 title journal { name publications(limit: 5) { title } }
                 projects(limit: 5) { name } } }"""
    for who, seen in ((None, ["open_project"]), ("alice", ["open_project", "secret_project"])):
        data = await graphql(gateway, lab, who, query, id=lab.ids["paper"])
        paper = data["publication"]
        assert paper["journal"] == {
            "name": "eLife",
            "publications": [{"title": "Theta sequences"}],
        }
        assert sorted(p["name"] for p in paper["projects"]) == seen, who
    data = await graphql(
        gateway, lab, "alice",
        """{ projects(where: {name: {eq: "secret_project"}}, limit: 1) {
             publications(limit: 5) { title } } }""",
    )  # fmt: skip
    assert data["projects"] == [{"publications": [{"title": "Theta sequences"}]}]
