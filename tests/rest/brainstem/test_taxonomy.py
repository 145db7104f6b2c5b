"""BrainSTEM species and strains (seed 002): add and change answer with an approval, reviewers
accept or reject it under every URL form the clients use, only admins delete."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import Gateway
from tests.rest.brainstem.support import Caller, Lab, arrange

TAXONOMIES = "/api/private/taxonomies"


@pytest.fixture
async def lab(sessionmaker: async_sessionmaker[AsyncSession]) -> Lab:
    return await arrange(sessionmaker)


@pytest.fixture
def bs(gateway: Gateway, lab: Lab) -> Caller:
    return Caller(gateway, lab)


async def propose_zebrafish(bs: Caller) -> dict[str, Any]:
    response = await bs(
        "POST", f"{TAXONOMIES}/species/", "alice", json={"name": "Zebrafish", "description": ""}
    )
    assert response.status_code == 201, response.text
    return response.json()["species_approval"]  # type: ignore[no-any-return]


async def species_names(bs: Caller) -> list[str]:
    body = await bs.ok("GET", f"{TAXONOMIES}/species/", "alice")
    return [s["name"] for s in body["species"]]


async def test_adding_a_species_answers_a_pending_approval_as_seed_002_shows(bs: Caller) -> None:
    approval = await propose_zebrafish(bs)
    assert {
        "name": "Zebrafish",
        "description": "",
        "comments": "",
        "instance_id": None,
        "action": "Add",
        "reviewer": None,
        "status": "Pending",
    }.items() <= approval.items()
    assert next(iter(approval)) == "id"
    assert "Zebrafish" not in await species_names(bs)


async def test_approvals_are_listed_and_shown_under_the_approval_envelopes(
    bs: Caller,
) -> None:
    approval = await propose_zebrafish(bs)
    listed = await bs.ok("GET", f"{TAXONOMIES}/species_approvals/", "alice")
    assert list(listed) == ["species_approvals", "count", "next", "previous"]
    assert [a["id"] for a in listed["species_approvals"]] == [approval["id"]]
    one = await bs.ok("GET", f"{TAXONOMIES}/species_approvals/{approval['id']}/", "alice")
    assert one == {"species_approval": approval}
    assert (await bs.ok("GET", f"{TAXONOMIES}/strain_approvals/", "alice"))["count"] == 0


async def test_users_see_their_own_approvals_and_reviewers_see_all(bs: Caller) -> None:
    await propose_zebrafish(bs)
    assert (await bs.ok("GET", f"{TAXONOMIES}/speciesapproval/", "vic"))["count"] == 0
    assert (await bs.ok("GET", f"{TAXONOMIES}/speciesapproval/", "rita"))["count"] == 1


async def test_accepting_by_patching_options_as_seed_002_writes_it(bs: Caller) -> None:
    approval = await propose_zebrafish(bs)
    url = f"{TAXONOMIES}/species_approvals/{approval['id']}/"
    accepted = (await bs.ok("PATCH", url, "rita", json={"options": "accept"}))["species_approval"]
    assert accepted["status"] == "Accepted"
    assert accepted["reviewer"] == bs.lab.users["rita"]
    assert accepted["instance_id"] is not None
    assert "Zebrafish" in await species_names(bs)


@pytest.mark.parametrize("suffix", ["accept", "accept/"])
async def test_accepting_through_the_accept_action_with_or_without_a_slash(
    bs: Caller, suffix: str
) -> None:
    approval = await propose_zebrafish(bs)
    url = f"{TAXONOMIES}/speciesapproval/{approval['id']}/{suffix}"
    accepted = await bs.ok("PATCH", url, "rita", json={})
    assert accepted["species_approval"]["status"] == "Accepted"


async def test_rejecting_leaves_the_species_out(bs: Caller) -> None:
    approval = await propose_zebrafish(bs)
    url = f"{TAXONOMIES}/speciesapproval/{approval['id']}/reject"
    rejected = await bs.ok("PATCH", url, "rita", json={})
    assert rejected["species_approval"]["status"] == "Rejected"
    assert "Zebrafish" not in await species_names(bs)


async def test_only_reviewers_review_and_a_second_review_conflicts(bs: Caller) -> None:
    approval = await propose_zebrafish(bs)
    url = f"{TAXONOMIES}/speciesapproval/{approval['id']}/accept"
    refused = await bs("PATCH", url, "alice", json={})
    assert refused.status_code == 403 and list(refused.json()) == ["detail"]
    await bs.ok("PATCH", url, "rita", json={})
    again = await bs("PATCH", url, "ada", json={})
    assert again.status_code == 409 and list(again.json()) == ["detail"]


async def test_reviewing_without_a_decision_is_a_400_naming_options(bs: Caller) -> None:
    approval = await propose_zebrafish(bs)
    url = f"{TAXONOMIES}/species_approvals/{approval['id']}/"
    response = await bs("PATCH", url, "rita", json={"options": "maybe"})
    assert response.status_code == 400 and list(response.json()) == ["options"]


async def test_an_approval_is_not_found_under_the_other_models_endpoint(bs: Caller) -> None:
    approval = await propose_zebrafish(bs)
    url = f"{TAXONOMIES}/strainapproval/{approval['id']}/"
    assert (await bs("GET", url, "rita")).status_code == 404
    assert (await bs("PATCH", f"{url}accept", "rita", json={})).status_code == 404


async def test_accept_is_no_action_of_other_models(bs: Caller, lab: Lab) -> None:
    url = f"{TAXONOMIES}/species/{lab.ids['rat']}/accept"
    assert (await bs("PATCH", url, "rita", json={})).status_code == 404
    session = f"/api/private/stem/session/{lab.ids['secret_run']}/accept/"
    assert (await bs("PATCH", session, "ada", json={})).status_code == 404


async def test_reading_an_accept_action_is_a_405(bs: Caller) -> None:
    approval = await propose_zebrafish(bs)
    url = f"{TAXONOMIES}/speciesapproval/{approval['id']}/accept"
    response = await bs("GET", url, "rita")
    assert response.status_code == 405 and list(response.json()) == ["detail"]
    assert (await bs.ok("GET", f"{TAXONOMIES}/speciesapproval/{approval['id']}/", "rita"))[
        "species_approval"
    ]["status"] == "Pending"


async def test_an_unknown_action_on_an_approval_is_not_found(bs: Caller) -> None:
    approval = await propose_zebrafish(bs)
    url = f"{TAXONOMIES}/speciesapproval/{approval['id']}/approve"
    assert (await bs("PATCH", url, "rita", json={})).status_code == 404


async def test_changing_a_species_proposes_the_change_showing_the_whole_record(
    bs: Caller, lab: Lab
) -> None:
    url = f"{TAXONOMIES}/species/{lab.ids['rat']}/"
    response = await bs("PATCH", url, "alice", json={"description": "new text"})
    assert response.status_code == 200
    approval = response.json()["species_approval"]
    assert approval["action"] == "Change" and approval["instance_id"] == lab.ids["rat"]
    assert approval["name"] == "Rat" and approval["description"] == "new text"
    assert (await bs.ok("GET", url, "alice"))["species"]["description"] == ""
    await bs.ok("PATCH", f"{TAXONOMIES}/speciesapproval/{approval['id']}/accept", "rita", json={})
    assert (await bs.ok("GET", url, "alice"))["species"]["description"] == "new text"


async def test_invalid_species_are_a_400_naming_the_field(bs: Caller) -> None:
    taken = await bs("POST", f"{TAXONOMIES}/species/", "alice", json={"name": "Rat"})
    assert taken.status_code == 400 and list(taken.json()) == ["name"]
    too_long = {"name": "Long", "description": "x" * 501}
    response = await bs("POST", f"{TAXONOMIES}/species/", "alice", json=too_long)
    assert response.status_code == 400 and list(response.json()) == ["description"]
    nameless = await bs("POST", f"{TAXONOMIES}/species/", "alice", json={"description": "?"})
    assert nameless.status_code == 400 and list(nameless.json()) == ["name"]


async def test_strains_go_through_strain_approvals_with_their_species(bs: Caller, lab: Lab) -> None:
    body = {"name": "Sprague Dawley", "species": lab.ids["rat"]}
    response = await bs("POST", f"{TAXONOMIES}/strain/", "alice", json=body)
    assert response.status_code == 201, response.text
    approval = response.json()["strain_approval"]
    assert approval["species"] == lab.ids["rat"] and approval["action"] == "Add"
    await bs.ok("PATCH", f"{TAXONOMIES}/strainapproval/{approval['id']}/accept", "rita", json={})
    url = f"{TAXONOMIES}/strain/?filter{{name}}=Sprague Dawley&include[]=species.*"
    strains = (await bs.ok("GET", url, "alice"))["strains"]
    assert strains[0]["species"]["name"] == "Rat"
    missing = {"name": "Orphan", "species": "00000000-0000-0000-0000-000000000000"}
    response = await bs("POST", f"{TAXONOMIES}/strain/", "alice", json=missing)
    assert response.status_code == 400 and list(response.json()) == ["species"]


async def test_only_admins_delete_species(bs: Caller, lab: Lab) -> None:
    url = f"{TAXONOMIES}/species/{lab.ids['mouse']}/"
    response = await bs("DELETE", f"{TAXONOMIES}/strain/{lab.ids['c57']}/", "alice")
    assert response.status_code == 403
    # A species still used by a strain cannot go.
    assert (await bs("DELETE", url, "ada")).status_code == 409
    assert (await bs("DELETE", f"{TAXONOMIES}/strain/{lab.ids['c57']}/", "ada")).status_code == 204
    response = await bs("DELETE", url, "ada")
    assert response.status_code == 204 and response.content == b""
    assert (await bs("GET", url, "ada")).status_code == 404


async def test_taxonomy_is_public_and_approvals_are_not(bs: Caller) -> None:
    await propose_zebrafish(bs)
    assert (await bs.ok("GET", "/api/public/taxonomies/species/"))["count"] == 2
    assert (await bs.ok("GET", "/api/public/taxonomies/species_approvals/"))["count"] == 0
    response = await bs("POST", "/api/public/taxonomies/species/", "alice", json={"name": "X"})
    assert response.status_code == 405


async def test_approvals_cannot_be_created_or_deleted_directly(bs: Caller) -> None:
    approval = await propose_zebrafish(bs)
    created = await bs("POST", f"{TAXONOMIES}/species_approvals/", "ada", json={"name": "X"})
    assert created.status_code == 405
    url = f"{TAXONOMIES}/species_approvals/{approval['id']}/"
    assert (await bs("DELETE", url, "ada")).status_code == 405
