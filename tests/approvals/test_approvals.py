"""The approval workflow over GraphQL: every action on every taxonomy model, who may do what,
validation when proposing and again when accepting, and conflicts."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import Approval, Category, Species, Strain, table
from gateway.db.models._base import utcnow
from tests.auth.support import bearer, gql_data, make_user, personal_token
from tests.conftest import Gateway

APPROVAL_FIELDS = """
  __typename
  ... on Approval { id model action instanceId status proposed comments reviewComment
                    submitter { username } reviewer { username } }
  ... on ValidationError { message field }
  ... on AuthenticationError { message }
  ... on PermissionDeniedError { message }
  ... on NotFoundError { message }
  ... on ConflictError { message }
"""
REVIEW = f"""
mutation ($id: ID!, $decision: ReviewDecision!, $comment: String! = "") {{
  reviewApproval(id: $id, decision: $decision, comment: $comment) {{ {APPROVAL_FIELDS} }}
}}"""


class Actors:
    """A submitter, a reviewer, an admin and an outsider, each with a token."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens

    def __getitem__(self, name: str) -> dict[str, str]:
        return bearer(self.tokens[name])


@pytest.fixture
async def actors(sessionmaker: async_sessionmaker[AsyncSession]) -> Actors:
    tokens = {}
    for name, flags in {
        "alice": {},
        "bob": {},
        "rita": {"is_reviewer": True},
        "ada": {"is_admin": True},
    }.items():
        user_id = await make_user(sessionmaker, f"{name}@lab.org", **flags)
        tokens[name] = await personal_token(sessionmaker, user_id, now=utcnow())
    return Actors(tokens)


async def _count(sessionmaker: async_sessionmaker[AsyncSession], model: Any, **where: Any) -> int:
    tbl = table(model)
    query = select(func.count()).select_from(tbl)
    for column, value in where.items():
        query = query.where(tbl.c[column] == value)
    async with sessionmaker() as session:
        return (await session.execute(query)).scalar_one()  # type: ignore[no-any-return]


async def _propose(
    gateway: Gateway, headers: dict[str, str], mutation: str, args: str, variables: dict[str, Any]
) -> dict[str, Any]:
    data = await gql_data(
        gateway,
        f"mutation ({args}) {{ result: {mutation} {{ {APPROVAL_FIELDS} }} }}",
        variables,
        headers,
    )
    return data["result"]  # type: ignore[no-any-return]


async def propose_species(gateway: Gateway, headers: dict[str, str], **values: Any) -> Any:
    return await _propose(
        gateway,
        headers,
        "proposeSpecies(input: $input, comments: $comments)",
        '$input: SpeciesInput!, $comments: String! = ""',
        {"input": values, "comments": values.pop("comments", "")}
        if "comments" in values
        else {"input": values},
    )


async def review(
    gateway: Gateway, headers: dict[str, str], approval_id: str, decision: str, comment: str = ""
) -> Any:
    data = await gql_data(
        gateway, REVIEW, {"id": approval_id, "decision": decision, "comment": comment}, headers
    )
    return data["reviewApproval"]


async def test_a_proposed_species_exists_only_after_a_reviewer_accepts_it(
    gateway: Gateway, actors: Actors, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    proposed = await propose_species(
        gateway,
        actors["alice"],
        name="Ferret",
        scientificName="Mustela furo",
        description="Carnivore",
        comments="for V1 development",
    )
    assert proposed["__typename"] == "Approval"
    assert proposed["status"] == "PENDING"
    assert proposed["action"] == "ADD" and proposed["model"] == "SPECIES"
    assert proposed["instanceId"] is None
    assert proposed["proposed"] == {
        "name": "Ferret",
        "scientific_name": "Mustela furo",
        "description": "Carnivore",
    }
    assert proposed["submitter"] == {"username": "alice"} and proposed["reviewer"] is None
    assert await _count(sessionmaker, Species, name="Ferret") == 0

    accepted = await review(gateway, actors["rita"], proposed["id"], "ACCEPT", "welcome")
    assert accepted["status"] == "ACCEPTED"
    assert accepted["reviewer"] == {"username": "rita"}
    assert accepted["reviewComment"] == "welcome"
    assert await _count(sessionmaker, Species, name="Ferret") == 1
    species = await gql_data(gateway, '{ speciesByName(name: "Ferret") { id scientificName } }')
    assert species["speciesByName"]["scientificName"] == "Mustela furo"
    assert accepted["instanceId"] == species["speciesByName"]["id"]


async def test_a_rejected_proposal_changes_nothing(
    gateway: Gateway, actors: Actors, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    proposed = await propose_species(gateway, actors["alice"], name="Digimon")
    rejected = await review(gateway, actors["rita"], proposed["id"], "REJECT", "not real")
    assert rejected["status"] == "REJECTED"
    assert await _count(sessionmaker, Species, name="Digimon") == 0


@pytest.fixture
async def rat(gateway: Gateway, actors: Actors) -> str:
    """A species that exists (added through the workflow itself)."""
    proposed = await propose_species(gateway, actors["alice"], name="Rat", description="Rattus")
    accepted = await review(gateway, actors["rita"], proposed["id"], "ACCEPT")
    return accepted["instanceId"]  # type: ignore[no-any-return]


async def test_a_species_change_applies_only_the_proposed_fields_on_accept(
    gateway: Gateway, actors: Actors, rat: str
) -> None:
    proposed = await _propose(
        gateway,
        actors["bob"],
        "proposeSpeciesChange(id: $id, input: {description: $d})",
        "$id: ID!, $d: String!",
        {"id": rat, "d": "Rattus norvegicus"},
    )
    assert proposed["action"] == "CHANGE" and proposed["instanceId"] == rat
    before = await gql_data(gateway, '{ speciesByName(name: "Rat") { description } }')
    assert before["speciesByName"]["description"] == "Rattus"
    await review(gateway, actors["ada"], proposed["id"], "ACCEPT")
    after = await gql_data(gateway, '{ speciesByName(name: "Rat") { name description } }')
    assert after["speciesByName"] == {"name": "Rat", "description": "Rattus norvegicus"}


async def test_a_species_deletion_removes_it_on_accept(
    gateway: Gateway, actors: Actors, rat: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    proposed = await _propose(
        gateway,
        actors["bob"],
        'proposeSpeciesDeletion(id: $id, comments: "dup")',
        "$id: ID!",
        {"id": rat},
    )
    assert proposed["action"] == "DELETE" and proposed["status"] == "PENDING"
    assert await _count(sessionmaker, Species, name="Rat") == 1
    await review(gateway, actors["rita"], proposed["id"], "ACCEPT")
    assert await _count(sessionmaker, Species, name="Rat") == 0


async def test_the_strain_lifecycle_add_change_delete(
    gateway: Gateway, actors: Actors, rat: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    added = await _propose(
        gateway,
        actors["alice"],
        'proposeStrain(input: {name: "Long-Evans", speciesId: $s})',
        "$s: ID!",
        {"s": rat},
    )
    strain = (await review(gateway, actors["rita"], added["id"], "ACCEPT"))["instanceId"]
    changed = await _propose(
        gateway,
        actors["alice"],
        'proposeStrainChange(id: $id, input: {description: "outbred"})',
        "$id: ID!",
        {"id": strain},
    )
    await review(gateway, actors["rita"], changed["id"], "ACCEPT")
    data = await gql_data(gateway, "{ strains { name description species { name } } }")
    assert data["strains"] == [
        {"name": "Long-Evans", "description": "outbred", "species": {"name": "Rat"}}
    ]
    deleted = await _propose(
        gateway, actors["bob"], "proposeStrainDeletion(id: $id)", "$id: ID!", {"id": strain}
    )
    await review(gateway, actors["rita"], deleted["id"], "ACCEPT")
    assert await _count(sessionmaker, Strain) == 0


async def test_the_category_lifecycle_add_change_delete(
    gateway: Gateway, actors: Actors, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    added = await _propose(
        gateway,
        actors["alice"],
        "proposeCategory(input: {name: $n})",
        "$n: String!",
        {"n": "Rodents"},
    )
    category = (await review(gateway, actors["rita"], added["id"], "ACCEPT"))["instanceId"]
    changed = await _propose(
        gateway,
        actors["alice"],
        'proposeCategoryChange(id: $id, input: {description: "Mice and rats"})',
        "$id: ID!",
        {"id": category},
    )
    await review(gateway, actors["rita"], changed["id"], "ACCEPT")
    data = await gql_data(gateway, "{ categories { name description } }")
    assert data["categories"] == [{"name": "Rodents", "description": "Mice and rats"}]
    deleted = await _propose(
        gateway, actors["alice"], "proposeCategoryDeletion(id: $id)", "$id: ID!", {"id": category}
    )
    await review(gateway, actors["rita"], deleted["id"], "ACCEPT")
    assert await _count(sessionmaker, Category) == 0


async def test_anonymous_callers_cannot_propose(gateway: Gateway) -> None:
    result = await propose_species(gateway, {}, name="Ghost")
    assert result["__typename"] == "AuthenticationError"


async def test_only_reviewers_and_admins_may_review(
    gateway: Gateway, actors: Actors, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    proposed = await propose_species(gateway, actors["alice"], name="Quokka")
    for outsider in ("alice", "bob"):
        refused = await review(gateway, actors[outsider], proposed["id"], "ACCEPT")
        # The submitter and other users: not allowed (Bob may not even see it).
        assert refused["__typename"] in {"PermissionDeniedError"}, refused
    assert await _count(sessionmaker, Approval, status="Pending") == 1
    assert (await review(gateway, actors["ada"], proposed["id"], "ACCEPT"))["status"] == "ACCEPTED"


async def test_only_admins_delete_taxonomy_outright(
    gateway: Gateway, actors: Actors, rat: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    mutation = "mutation ($id: ID!) { deleteSpecies(id: $id) { __typename } }"
    for user in ("alice", "rita"):
        data = await gql_data(gateway, mutation, {"id": rat}, actors[user])
        assert data["deleteSpecies"]["__typename"] == "PermissionDeniedError"
    assert await _count(sessionmaker, Species) == 1
    data = await gql_data(gateway, mutation, {"id": rat}, actors["ada"])
    assert data["deleteSpecies"]["__typename"] == "Done"
    assert await _count(sessionmaker, Species) == 0


async def test_deleting_a_species_that_strains_use_is_a_conflict_and_keeps_it(
    gateway: Gateway, actors: Actors, rat: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    added = await _propose(
        gateway,
        actors["alice"],
        'proposeStrain(input: {name: "Wistar", speciesId: $s})',
        "$s: ID!",
        {"s": rat},
    )
    await review(gateway, actors["rita"], added["id"], "ACCEPT")
    deletion = await _propose(
        gateway, actors["bob"], "proposeSpeciesDeletion(id: $id)", "$id: ID!", {"id": rat}
    )
    refused = await review(gateway, actors["rita"], deletion["id"], "ACCEPT")
    assert refused["__typename"] == "ConflictError"
    assert await _count(sessionmaker, Species, name="Rat") == 1
    # Nothing half-done: the approval is still pending, with no reviewer recorded.
    assert await _count(sessionmaker, Approval, status="Pending") == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": "x" * 101}, "name"),
        ({"name": "Ok", "description": "d" * 501}, "description"),
        ({"name": "   "}, "name"),
        ({"name": "Ok", "rrid": "12345"}, "rrid"),
        ({"name": "Ok", "categoryId": 999}, "category_id"),
    ],
)
async def test_invalid_proposals_are_refused_with_the_field_named(
    gateway: Gateway,
    actors: Actors,
    sessionmaker: async_sessionmaker[AsyncSession],
    values: dict[str, Any],
    field: str,
) -> None:
    result = await propose_species(gateway, actors["alice"], **values)
    assert result["__typename"] == "ValidationError"
    assert result["field"] == field
    assert await _count(sessionmaker, Approval) == 0


async def test_a_name_that_exists_is_refused_when_proposed(
    gateway: Gateway, actors: Actors, rat: str
) -> None:
    result = await propose_species(gateway, actors["bob"], name="Rat")
    assert result["__typename"] == "ValidationError"
    assert "already exists" in result["message"]


async def test_proposals_are_validated_again_when_accepted(
    gateway: Gateway, actors: Actors, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    first = await propose_species(gateway, actors["alice"], name="Axolotl")
    second = await propose_species(gateway, actors["bob"], name="Axolotl")
    await review(gateway, actors["rita"], first["id"], "ACCEPT")
    refused = await review(gateway, actors["rita"], second["id"], "ACCEPT")
    assert refused["__typename"] == "ValidationError" and refused["field"] == "name"
    assert await _count(sessionmaker, Species, name="Axolotl") == 1
    pending = await gql_data(
        gateway,
        "query ($id: ID!) { approval(id: $id) { status reviewer { username } } }",
        {"id": second["id"]},
        actors["rita"],
    )
    assert pending["approval"] == {"status": "PENDING", "reviewer": None}


async def test_changing_or_deleting_an_unknown_record_is_not_found(
    gateway: Gateway, actors: Actors
) -> None:
    for mutation in (
        'proposeSpeciesChange(id: $id, input: {name: "X"})',
        "proposeSpeciesDeletion(id: $id)",
        "proposeStrainDeletion(id: $id)",
    ):
        for missing in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
            result = await _propose(gateway, actors["alice"], mutation, "$id: ID!", {"id": missing})
            assert result["__typename"] == "NotFoundError", (mutation, missing)


async def test_a_change_must_propose_something(gateway: Gateway, actors: Actors, rat: str) -> None:
    result = await _propose(
        gateway,
        actors["alice"],
        "proposeSpeciesChange(id: $id, input: {})",
        "$id: ID!",
        {"id": rat},
    )
    assert result["__typename"] == "ValidationError"


async def test_reviewing_an_approval_that_is_no_longer_pending_is_a_conflict(
    gateway: Gateway, actors: Actors, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    proposed = await propose_species(gateway, actors["alice"], name="Tenrec")
    await review(gateway, actors["rita"], proposed["id"], "REJECT")
    for decision in ("ACCEPT", "REJECT"):
        again = await review(gateway, actors["ada"], proposed["id"], decision)
        assert again["__typename"] == "ConflictError"
        assert "already rejected" in again["message"]
    assert await _count(sessionmaker, Species, name="Tenrec") == 0


async def test_reviewing_an_unknown_approval_is_not_found(gateway: Gateway, actors: Actors) -> None:
    for missing in ("00000000-0000-0000-0000-000000000000", "nope"):
        result = await review(gateway, actors["rita"], missing, "ACCEPT")
        assert result["__typename"] == "NotFoundError"


async def test_two_reviewers_accepting_at_once_apply_the_change_exactly_once(
    gateway: Gateway, actors: Actors, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    for round_ in range(5):
        name = f"Racer {round_}"
        proposed = await propose_species(gateway, actors["alice"], name=name)
        results = await asyncio.gather(
            review(gateway, actors["rita"], proposed["id"], "ACCEPT"),
            review(gateway, actors["ada"], proposed["id"], "ACCEPT"),
        )
        kinds = sorted(r["__typename"] for r in results)
        assert kinds == ["Approval", "ConflictError"], results
        assert await _count(sessionmaker, Species, name=name) == 1


async def test_approvals_list_filters_by_status_model_and_submitter(
    gateway: Gateway, actors: Actors, rat: str
) -> None:
    await propose_species(gateway, actors["bob"], name="Gerbil")
    await _propose(
        gateway,
        actors["bob"],
        'proposeStrain(input: {name: "SD", speciesId: $s})',
        "$s: ID!",
        {"s": rat},
    )
    query = """query ($where: ApprovalWhere) {
      approvals(where: $where, orderBy: [{field: CREATED_AT}]) {
        model status submitter { username }
      }
    }"""
    pending = await gql_data(
        gateway, query, {"where": {"status": {"eq": "Pending"}}}, actors["rita"]
    )
    assert [a["model"] for a in pending["approvals"]] == ["SPECIES", "STRAIN"]
    strains = await gql_data(gateway, query, {"where": {"model": {"eq": "strain"}}}, actors["rita"])
    assert [a["model"] for a in strains["approvals"]] == ["STRAIN"]
    mine = await gql_data(gateway, query, {}, actors["alice"])  # alice proposed the Rat only
    assert [(a["model"], a["status"]) for a in mine["approvals"]] == [("SPECIES", "ACCEPTED")]
