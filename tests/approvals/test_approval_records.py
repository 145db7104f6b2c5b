"""An approval relates to the record it changes, and a record to its approvals, through the
entity graph: on GraphQL both ways, under the approvals' visibility rule (submitters see their
own, reviewers all); a deleted record leaves its approvals with the id they were filed
against and no record."""

from __future__ import annotations

from typing import Any

from tests.approvals.test_approvals import Actors, _propose, actors, propose_species, review
from tests.auth.support import gql_data
from tests.conftest import Gateway

__all__ = ["actors"]  # the fixture, shared

RECORD = "{ id action status instanceId species { name } strain { name } category { name } }"


async def _approvals_of_rat(gateway: Gateway, headers: dict[str, str]) -> list[dict[str, Any]]:
    query = '{ speciesByName(name: "Rat") { approvals { action submitter { username } } } }'
    data = await gql_data(gateway, query, headers=headers)
    return data["speciesByName"]["approvals"]  # type: ignore[no-any-return]


async def test_an_approval_and_the_record_it_changes_relate_both_ways(
    gateway: Gateway, actors: Actors
) -> None:
    added = await propose_species(gateway, actors["alice"], name="Rat", description="Rattus")
    pending = await gql_data(
        gateway, f'{{ approval(id: "{added["id"]}") {RECORD} }}', headers=actors["alice"]
    )
    assert pending["approval"]["species"] is None  # an Add has no record until accepted
    rat = (await review(gateway, actors["rita"], added["id"], "ACCEPT"))["instanceId"]
    change = await _propose(
        gateway,
        actors["bob"],
        "proposeSpeciesChange(id: $id, input: {description: $d})",
        "$id: ID!, $d: String!",
        {"id": rat, "d": "Rattus norvegicus"},
    )
    found = await gql_data(
        gateway, f'{{ approval(id: "{change["id"]}") {RECORD} }}', headers=actors["bob"]
    )
    assert found["approval"]["species"] == {"name": "Rat"}
    assert found["approval"]["strain"] is None and found["approval"]["category"] is None

    # The reviewer sees every approval of the species, newest first; each submitter only theirs.
    assert await _approvals_of_rat(gateway, actors["rita"]) == [
        {"action": "CHANGE", "submitter": {"username": "bob"}},
        {"action": "ADD", "submitter": {"username": "alice"}},
    ]
    assert await _approvals_of_rat(gateway, actors["bob"]) == [
        {"action": "CHANGE", "submitter": {"username": "bob"}}
    ]
    assert await _approvals_of_rat(gateway, {}) == []


async def test_a_deleted_record_leaves_its_approvals_with_the_id_they_named(
    gateway: Gateway, actors: Actors
) -> None:
    added = await propose_species(gateway, actors["alice"], name="Rat")
    rat = (await review(gateway, actors["rita"], added["id"], "ACCEPT"))["instanceId"]
    deletion = await _propose(
        gateway, actors["bob"], "proposeSpeciesDeletion(id: $id)", "$id: ID!", {"id": rat}
    )
    await review(gateway, actors["rita"], deletion["id"], "ACCEPT")
    for approval in (added, deletion):
        found = await gql_data(
            gateway, f'{{ approval(id: "{approval["id"]}") {RECORD} }}', headers=actors["rita"]
        )
        assert found["approval"]["instanceId"] == rat
        assert found["approval"]["species"] is None
