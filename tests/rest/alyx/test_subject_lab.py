"""A subject without a project (Alyx: projects are optional; a subject belongs to its lab),
and the lab clause of the one visibility rule: signed-in members of a lab see its subjects
and sessions, on every surface; a subject's responsible user sees it too."""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import LabMembership, Species
from tests.rest.alyx.support import Caller, Lab

# What a ONE script registering a new animal sends (Alyx's SubjectDetailSerializer).
NEW_ANIMAL = {
    "nickname": "LAB01",
    "lab": "churchlandlab",
    "responsible_user": "eve",
    "sex": "F",
    "birth_date": "2024-04-01",
}


async def _join(
    sessionmaker: async_sessionmaker[AsyncSession], lab: Lab, who: str, name: str
) -> None:
    async with sessionmaker() as db:
        await db.execute(
            insert(LabMembership).values(user_id=lab.users[who], lab_id=uuid.UUID(lab.ids[name]))
        )
        await db.commit()


async def _graphql_nicknames(call: Caller, who: str) -> list[str]:
    response = await call.gateway.client.post(
        "/graphql", json={"query": "{ subjects { nickname } }"}, headers=call.lab.headers(who)
    )
    return [row["nickname"] for row in response.json()["data"]["subjects"]]


async def test_a_lab_member_registers_a_subject_without_a_project(
    call: Caller, lab: Lab, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _join(sessionmaker, lab, "mallory", "churchlandlab")
    made = await call.ok("POST", "/subjects", "mallory", json=NEW_ANIMAL)
    assert made["projects"] == [] and made["lab"] == "churchlandlab"
    assert made["responsible_user"] == "eve"
    # Seen by its lab's members and its responsible user, on Alyx and GraphQL alike.
    for who in ("mallory", "eve"):
        assert (await call.ok("GET", "/subjects/LAB01", who))["nickname"] == "LAB01"
        assert "LAB01" in await _graphql_nicknames(call, who)
    # Not by anyone else, nor anonymously.
    for who in ("alice", "vic"):
        assert (await call("GET", "/subjects/LAB01", who)).status_code == 404
        assert "LAB01" not in await _graphql_nicknames(call, who)
    assert "LAB01" not in [s["nickname"] for s in await call.results("/subjects", None)]
    # Its lab's members and its responsible user change it; others cannot reach it.
    changed = await call.ok("PATCH", "/subjects/LAB01", "eve", json={"description": "ok"})
    assert changed["description"] == "ok"
    assert (await call("PATCH", "/subjects/LAB01", "alice", json={"sex": "M"})).status_code == 404


async def test_a_subject_without_a_project_needs_a_lab_the_caller_is_in(
    call: Caller, lab: Lab, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    without_lab = {k: v for k, v in NEW_ANIMAL.items() if k != "lab"}
    response = await call("POST", "/subjects", "mallory", json=without_lab)
    assert response.status_code == 400
    assert response.json() == {
        "lab": ["A subject without projects needs a lab."],
        "status_code": 400,
    }
    refused = await call("POST", "/subjects", "mallory", json=NEW_ANIMAL)
    assert refused.status_code == 403 and refused.json()["status_code"] == 403
    await _join(sessionmaker, lab, "ada", "churchlandlab")
    assert (await call("GET", "/subjects/LAB01", "ada")).status_code == 404  # nothing written


async def test_lab_members_see_their_labs_sessions_on_every_surface(
    call: Caller, lab: Lab, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """ej2_secret is churchlandlab's, in secret_project, of which mallory is no member."""
    secret = lab.ids["ej2_secret"]
    assert (await call("GET", f"/sessions/{secret}", "mallory")).status_code == 404
    await _join(sessionmaker, lab, "mallory", "churchlandlab")
    assert (await call.ok("GET", f"/sessions/{secret}", "mallory"))["lab"] == "churchlandlab"
    listed = await call.results("/sessions?lab=churchlandlab", "mallory")
    assert [s["id"] for s in listed] == [secret]
    response = await call.gateway.client.post(
        "/graphql",
        json={"query": '{ sessions(where: {labName: {eq: "churchlandlab"}}) { id } }'},
        headers=lab.headers("mallory"),
    )
    assert response.json()["data"]["sessions"] == [{"id": secret}]
    # Its datasets come with it (files of visible sessions).
    files = await call.results(f"/datasets?session={secret}", "mallory")
    assert [d["url"][-36:] for d in files] == [lab.ids["secret_trials"]]
    # A lab member sees; a lab member does not change what a project owns.
    patch = await call("PATCH", f"/sessions/{secret}", "mallory", json={"number": 9})
    assert patch.status_code == 403


async def test_a_subject_registered_without_species_is_alyxs_laboratory_mouse_there_only(
    call: Caller, lab: Lab, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Alyx's Subject.species defaults to ``default_species()``; a subject given a strain
    takes the strain's species; GraphQL and BrainSTEM leave an unknown species unknown."""
    await _join(sessionmaker, lab, "mallory", "churchlandlab")
    made = await call.ok("POST", "/subjects", "mallory", json=NEW_ANIMAL)
    assert made["species"] == "Laboratory mouse"
    again = await call.ok("POST", "/subjects", "mallory", json={**NEW_ANIMAL, "nickname": "LAB02"})
    assert again["species"] == "Laboratory mouse"
    async with sessionmaker() as session:
        mice = (
            await session.execute(
                select(Species.id, Species.scientific_name).where(
                    Species.name == "Laboratory mouse"
                )
            )
        ).all()
    assert mice == [(uuid.UUID("60f915ba-bdf4-444a-ada0-be7ebd3c1826"), "Mus musculus")]
    # Named, or null as sent, or the strain's: as given.
    named = {**NEW_ANIMAL, "nickname": "LAB03", "species": "Mouse"}
    assert (await call.ok("POST", "/subjects", "mallory", json=named))["species"] == "Mouse"
    unknown = {**NEW_ANIMAL, "nickname": "LAB04", "species": None}
    assert (await call.ok("POST", "/subjects", "mallory", json=unknown))["species"] is None
    strain = {**NEW_ANIMAL, "nickname": "LAB05", "strain": "C57BL/6J"}
    assert (await call.ok("POST", "/subjects", "mallory", json=strain))["species"] == "Mouse"
    # GraphQL's createSubject is not Alyx: no species is invented.
    mutation = """mutation ($v: SubjectInput!) { createSubject(input: $v) {
        ... on Subject { species { name } } } }"""
    variables = {"v": {"nickname": "GQL01", "labId": lab.ids["churchlandlab"]}}
    response = await call.gateway.client.post(
        "/graphql", json={"query": mutation, "variables": variables}, headers=lab.headers("mallory")
    )
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["createSubject"] == {"species": None}
