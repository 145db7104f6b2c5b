"""Every relation means the same on every surface: for each caller, GraphQL nesting,
BrainSTEM id lists and ``include[]``, and Alyx's slug lists name the same related records,
including sessions and subjects linked to a second project (public rows linked to a private
project, private rows linked to a public one) and cohorts holding subjects their callers may
not all see."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import (
    BehavioralCategory,
    BehaviorSubject,
    CollectionSession,
    DataAcquisitionProcedure,
    Journal,
    ProjectPublication,
    Publication,
    SessionProject,
    SubjectProject,
)
from gateway.db.models.experiments import Cohort, CohortSubject
from gateway.rest.brainstem.models import MODELS, is_members
from tests.conftest import Gateway
from tests.factories import build
from tests.rest.brainstem.holdings import arrange_holdings
from tests.rest.brainstem.modules import arrange_modules
from tests.rest.brainstem.support import Caller, Lab, arrange

PORTAL_OF = {None: "public", "alice": "private", "mallory": "private", "ada": "super"}
CALLERS = list(PORTAL_OF)


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


# (GraphQL list, relation field, BrainSTEM app/model, BrainSTEM field): every relation a
# BrainSTEM model shows as ids or records (a project's members are keyed by username instead:
# see the BrainSTEM tests).
RELATIONS = [
    (model.entity.plural, _camel(name), f"{min(model.apps)}/{model.name}", field)
    for model in MODELS.values()
    if model.approval_of is None
    for field, name in model.relations.items()
    if not is_members(model.relation(field))
]
Related = dict[str, set[str]]


@pytest.fixture
async def lab(sessionmaker: async_sessionmaker[AsyncSession]) -> Lab:
    lab = await arrange(sessionmaker)
    await arrange_modules(sessionmaker, lab)
    await arrange_holdings(sessionmaker, lab)
    ids = {name: uuid.UUID(value) for name, value in lab.ids.items()}

    async def link_public_rows_to_a_private_project(world: Any) -> None:
        await world.add(
            SessionProject(session_id=ids["open_morning"], project_id=ids["foreign_project"])
        )
        await world.add(SubjectProject(subject_id=ids["M001"], project_id=ids["foreign_project"]))
        # Cohorts in a public and a private project, each holding a subject the other's
        # callers may not see.
        for name, project, subjects in (
            ("open_cohort", "open_project", ("M001", "M002")),
            ("foreign_cohort", "foreign_project", ("R001", "M001")),
        ):
            cohort = await world.add(Cohort(name=name, project_id=ids[project]))
            for nickname in subjects:
                await world.add(CohortSubject(cohort_id=cohort.id, subject_id=ids[nickname]))
        # Public records relating private ones: a behavior of a secret subject, a recording
        # through a secret implant, a collection holding a secret session.
        await world.add(
            BehaviorSubject(behavior_id=ids["behavior@open_project"], subject_id=ids["M002"])
        )
        await world.add(
            DataAcquisitionProcedure(
                data_acquisition_id=ids["dataacquisition@open_project"],
                procedure_id=ids["procedure@secret_project"],
            )
        )
        await world.add(
            CollectionSession(
                collection_id=ids["collection@open_project"], session_id=ids["foreign_run"]
            )
        )

        # A publication everyone sees, reporting on a public and a private project; a
        # behavioral category under another.
        journal = await world.add(Journal(name="eLife"))
        paper = await world.add(
            Publication(title="Ripples", authors="A", journal_id=journal.id)
        )
        for project in ("open_project", "foreign_project"):
            await world.add(ProjectPublication(project_id=ids[project], publication_id=paper.id))
        memory = await world.add(BehavioralCategory(name="Memory"))
        await world.add(BehavioralCategory(name="Spatial memory", parent_id=memory.id))

    await build(sessionmaker, link_public_rows_to_a_private_project)
    return lab


def _ids(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, list):
        return {item["id"] if isinstance(item, dict) else item for item in value}
    return {value["id"] if isinstance(value, dict) else value}


async def graphql_related(
    gateway: Gateway, lab: Lab, who: str | None, listing: str, field: str
) -> Related:
    headers = {**lab.headers(who), "X-Neurogate-Portal": PORTAL_OF[who]}
    query = f"{{ rows: {listing} {{ id {field} {{ id }} }} }}"
    response = await gateway.client.post("/graphql", json={"query": query}, headers=headers)
    body = response.json()
    assert "errors" not in body, body
    return {row["id"]: _ids(row[field]) for row in body["data"]["rows"]}


async def brainstem_related(
    gateway: Gateway, lab: Lab, who: str | None, model: str, field: str, *, include: bool
) -> Related:
    url = f"/api/{PORTAL_OF[who]}/{model}/?limit=100"
    if include:
        url += f"&include[]={field}.*"
    body = await Caller(gateway, lab).ok("GET", url, who)
    records = next(value for value in body.values() if isinstance(value, list))
    return {record["id"]: _ids(record[field]) for record in records}


@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize(("listing", "field", "model", "brainstem_field"), RELATIONS)
async def test_graphql_and_brainstem_relate_the_same_records(
    gateway: Gateway,
    lab: Lab,
    who: str | None,
    listing: str,
    field: str,
    model: str,
    brainstem_field: str,
) -> None:
    graphql = await graphql_related(gateway, lab, who, listing, field)
    for include in (False, True):
        brainstem = await brainstem_related(
            gateway, lab, who, model, brainstem_field, include=include
        )
        assert brainstem == graphql, (include, brainstem, graphql)


async def alyx_projects(gateway: Gateway, lab: Lab, who: str | None, endpoint: str) -> Related:
    headers = {"Authorization": f"Token {lab.tokens[who]}"} if who else {}
    response = await gateway.client.get(f"/{endpoint}?limit=100", headers=headers)
    assert response.status_code == 200, response.text
    return {record["id"]: set(record["projects"]) for record in response.json()["results"]}


# Alyx has no super portal; anonymous callers may list subjects only (seed 003).
@pytest.mark.parametrize(
    ("who", "listing"),
    [(None, "subjects"), *((w, e) for w in ("alice", "mallory") for e in ("sessions", "subjects"))],
)
async def test_graphql_and_alyx_name_the_same_projects(
    gateway: Gateway, lab: Lab, who: str | None, listing: str
) -> None:
    headers = {**lab.headers(who), "X-Neurogate-Portal": PORTAL_OF[who]}
    query = f"{{ rows: {listing} {{ id projects {{ name }} }} }}"
    response = await gateway.client.post("/graphql", json={"query": query}, headers=headers)
    graphql = {
        row["id"]: {p["name"] for p in row["projects"]} for row in response.json()["data"]["rows"]
    }
    assert await alyx_projects(gateway, lab, who, listing) == graphql


async def test_a_link_shows_only_to_those_who_may_see_both_ends(gateway: Gateway, lab: Lab) -> None:
    """The cases the parity above rests on, spelled out (an empty answer proves nothing)."""
    ids = lab.ids

    async def projects_of(who: str | None, session: str) -> set[str]:
        related = await graphql_related(gateway, lab, who, "sessions", "projects")
        return related.get(ids[session], set())

    async def sessions_of(who: str | None, project: str) -> set[str]:
        related = await graphql_related(gateway, lab, who, "projects", "sessions")
        return related.get(ids[project], set())

    # A public session linked to a private project: the link shows to that project's members.
    assert await projects_of(None, "open_morning") == {ids["open_project"]}
    assert await projects_of("mallory", "open_morning") == {
        ids["open_project"],
        ids["foreign_project"],
    }
    # A private session linked to a public project: only those who see the session see it.
    assert ids["secret_run"] not in await sessions_of(None, "open_project")
    assert ids["secret_run"] in await sessions_of("alice", "open_project")
    assert await sessions_of("ada", "secret_project") == {ids["secret_run"]}


async def test_the_owning_project_comes_first_on_every_surface(gateway: Gateway, lab: Lab) -> None:
    """A session's projects are its owner, then the others ('foreign_project' sorts before
    its owner 'open_project' by name, so an order by name alone would fail this)."""
    ids, session = lab.ids, lab.ids["open_morning"]
    owner_first = [ids["open_project"], ids["foreign_project"]]
    headers = {**lab.headers("mallory"), "X-Neurogate-Portal": "private"}
    query = f'{{ session(id: "{session}") {{ projects {{ id }} }} }}'
    response = await gateway.client.post("/graphql", json={"query": query}, headers=headers)
    assert [p["id"] for p in response.json()["data"]["session"]["projects"]] == owner_first
    caller = Caller(gateway, lab)
    url = f"/api/private/stem/session/{session}/"
    assert (await caller.ok("GET", url, "mallory"))["session"]["projects"] == owner_first
    body = await caller.ok("GET", url + "?include[]=projects.*", "mallory")
    assert [p["id"] for p in body["session"]["projects"]] == owner_first
    alyx = await gateway.client.get(
        f"/sessions/{session}", headers={"Authorization": f"Token {lab.tokens['mallory']}"}
    )
    assert alyx.json()["projects"] == ["open_project", "foreign_project"]


async def test_cohorts_relate_only_what_their_callers_may_see(gateway: Gateway, lab: Lab) -> None:
    """The cohort cases the parity above rests on, spelled out."""
    ids = lab.ids

    async def cohorts(who: str | None) -> dict[str, set[str]]:
        headers = {**lab.headers(who), "X-Neurogate-Portal": PORTAL_OF[who]}
        query = "{ cohorts { name subjects { nickname } } }"
        response = await gateway.client.post("/graphql", json={"query": query}, headers=headers)
        rows = response.json()["data"]["cohorts"]
        return {row["name"]: {s["nickname"] for s in row["subjects"]} for row in rows}

    # M002 belongs to a private project mallory is not in (linked to a public one).
    assert await cohorts("mallory") == {
        "open_cohort": {"M001"},
        "foreign_cohort": {"R001", "M001"},
    }
    # alice cannot see the private project's cohort, nor its subject R001.
    assert await cohorts("alice") == {"open_cohort": {"M001", "M002"}}
    assert ids["R001"] not in (await graphql_related(gateway, lab, "alice", "subjects", "cohorts"))


# (GraphQL list and lookup, BrainSTEM app/model and envelope, the BrainSTEM model holding
# them and its relation to them, the suffixes of the lab's private and public one): a
# private project's records, and those of a private setup (alice's).
IN_PROJECTS = ("secret_project", "open_project")
PRIVATE_RECORDS = [
    ("procedures", "procedure", "modules/procedure", "procedures", "stem/subject", "procedures"),
    ("subjectLogs", "subjectLog", "modules/subjectlog", "subject_logs", "stem/subject",
     "subjectlogs"),
    ("behaviors", "behavior", "modules/behavior", "behaviors", "stem/session", "behaviors"),
    ("procedureLogs", "procedureLog", "modules/procedurelog", "procedure_logs",
     "modules/procedure", "procedurelogs"),
    ("breedings", "breeding", "stem/breeding", "breedings", None, ""),
]
OWNED_RECORDS = [
    ("equipment", "equipmentById", "modules/equipment", "equipment",
     "personal_attributes/setup", "equipment"),
    ("consumableStocks", "consumableStock", "modules/consumablestock", "consumablestock",
     "personal_attributes/inventory", "consumablestocks"),
]  # fmt: skip


@pytest.mark.parametrize("who", [None, "mallory"])
@pytest.mark.parametrize(
    ("listing", "lookup", "model", "plural", "holder", "relation", "where"),
    [
        *((*record, IN_PROJECTS) for record in PRIVATE_RECORDS),
        *((*record, ("private", "public")) for record in OWNED_RECORDS),
    ],
)
async def test_a_private_projects_records_are_invisible_to_non_members_on_every_surface(
    gateway: Gateway,
    lab: Lab,
    who: str | None,
    listing: str,
    lookup: str,
    model: str,
    plural: str,
    holder: str | None,
    relation: str,
    where: tuple[str, str],
) -> None:
    kind = model.split("/")[1]
    secret, public = (lab.ids[f"{kind}@{suffix}"] for suffix in where)
    headers = {**lab.headers(who), "X-Neurogate-Portal": PORTAL_OF[who]}
    query = f"""{{ rows: {listing}(limit: 100) {{ id }} one: {lookup}(id: "{secret}") {{ id }}
      open: {lookup}(id: "{public}") {{ id }} }}"""
    for caller_headers, sees in ((headers, False), (lab.headers("alice"), True)):
        response = await gateway.client.post(
            "/graphql", json={"query": query}, headers=caller_headers
        )
        data = response.json()["data"]
        assert (secret in {row["id"] for row in data["rows"]}) is sees
        assert (data["one"] is not None) is sees
        assert data["open"] == {"id": public}  # the public one shows to all: not an empty answer
    portal = PORTAL_OF[who]
    caller = Caller(gateway, lab)
    body = await caller.ok("GET", f"/api/{portal}/{model}/?limit=100", who)
    assert public in {r["id"] for r in body[plural]}
    assert secret not in {r["id"] for r in body[plural]}
    assert (await caller("GET", f"/api/{portal}/{model}/{secret}/", who)).status_code == 404
    # Through the relations that hold them: the public record it could hang on shows only
    # its own.
    if holder is None:
        return
    body = await caller.ok("GET", f"/api/{portal}/{holder}/?limit=100&include[]={relation}.*", who)
    records = next(value for value in body.values() if isinstance(value, list))
    shown = {item["id"] for record in records for item in record[relation]}
    assert public in shown and secret not in shown
