"""BrainSTEM writes of projects, subjects and sessions: who may create, change and delete what,
validation in BrainSTEM's field names, project links, and bad input as a DRF 400."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import ProjectMember, SessionProject, table
from tests.conftest import Gateway
from tests.rest.brainstem.support import Caller, Lab, arrange

SESSIONS = "/api/private/stem/session/"
SUBJECTS = "/api/private/stem/subject/"
PROJECTS = "/api/private/stem/project/"


@pytest.fixture
async def lab(sessionmaker: async_sessionmaker[AsyncSession]) -> Lab:
    return await arrange(sessionmaker)


@pytest.fixture
def bs(gateway: Gateway, lab: Lab) -> Caller:
    return Caller(gateway, lab)


# --- projects ------------------------------------------------------------------------------------


async def test_any_user_creates_a_project_and_becomes_its_manager(
    bs: Caller, lab: Lab, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    response = await bs(
        "POST",
        PROJECTS,
        "vic",
        json={"name": "vic_project", "description": "mine", "tags": ["ephys"], "is_public": False},
    )
    assert response.status_code == 201, response.text
    project = response.json()["project"]
    assert project["name"] == "vic_project" and project["tags"] == ["ephys"]
    assert project["users"] == {"vic": {"can_change": True, "is_manager": True, "is_owner": True}}
    members = table(ProjectMember)
    async with sessionmaker() as session:
        roles = (await session.execute(select(members.c.user_id, members.c.role))).all()
    assert (lab.users["vic"], "manager") in roles
    listed = await bs.ok("GET", f"{PROJECTS}?filter{{name}}=vic_project", "vic")
    assert listed["count"] == 1


async def test_a_project_name_must_be_unique_and_is_reported_by_field(bs: Caller) -> None:
    response = await bs("POST", PROJECTS, "vic", json={"name": "open_project"})
    assert response.status_code == 400
    assert list(response.json()) == ["name"]


async def test_editors_change_a_project_and_viewers_may_not(bs: Caller, lab: Lab) -> None:
    url = f"{PROJECTS}{lab.ids['secret_project']}/"
    changed = await bs.ok("PATCH", url, "eve", json={"description": "edited"})
    assert changed["project"]["description"] == "edited"
    assert changed["project"]["name"] == "secret_project"
    refused = await bs("PATCH", url, "vic", json={"description": "nope"})
    assert refused.status_code == 403 and list(refused.json()) == ["detail"]


async def test_put_replaces_a_project_resetting_what_it_does_not_give(bs: Caller, lab: Lab) -> None:
    url = f"{PROJECTS}{lab.ids['secret_project']}/"
    await bs.ok("PATCH", url, "alice", json={"tags": ["a"], "extra_fields": {"rig": 3}})
    replaced = await bs.ok("PUT", url, "alice", json={"name": "renamed"})
    assert replaced["project"]["name"] == "renamed"
    assert replaced["project"]["tags"] == [] and replaced["project"]["extra_fields"] == {}
    incomplete = await bs("PUT", url, "alice", json={"description": "no name"})
    assert incomplete.status_code == 400 and list(incomplete.json()) == ["name"]


async def test_only_managers_delete_a_project_and_delete_answers_204_empty(
    bs: Caller, lab: Lab
) -> None:
    url = f"{PROJECTS}{lab.ids['secret_project']}/"
    assert (await bs("DELETE", url, "eve")).status_code == 403
    response = await bs("DELETE", url, "alice")
    assert response.status_code == 204 and response.content == b""
    assert (await bs("GET", url, "alice")).status_code == 404
    # Its sessions went with it.
    assert (await bs("GET", f"{SESSIONS}{lab.ids['secret_run']}/", "alice")).status_code == 404


async def test_managers_add_and_remove_members_through_users(bs: Caller, lab: Lab) -> None:
    url = f"{PROJECTS}{lab.ids['open_project']}/"
    added = await bs.ok(
        "PATCH", url, "alice", json={"users": {"eve@lab.org": {"can_change": True}}}
    )
    assert added["project"]["users"]["eve"] == {
        "can_change": True,
        "is_manager": False,
        "is_owner": False,
    }
    # Eve may now edit, but not change members.
    await bs.ok("PATCH", url, "eve", json={"description": "eve was here"})
    refused = await bs("PATCH", url, "eve", json={"users": {"vic": {"can_change": True}}})
    assert refused.status_code == 403
    removed = await bs.ok("PATCH", url, "alice", json={"users": {"eve": {"remove": True}}})
    assert "eve" not in removed["project"]["users"]
    last = await bs("PATCH", url, "alice", json={"users": {"alice": {"remove": True}}})
    assert last.status_code == 400 and list(last.json()) == ["users"]


async def test_a_new_project_can_name_its_members(bs: Caller) -> None:
    users = {"eve": {"is_manager": True}, "vic@lab.org": {}}
    project = await bs.ok("POST", PROJECTS, "alice", json={"name": "team", "users": users})
    assert project["project"]["users"] == {
        "alice": {"can_change": True, "is_manager": True, "is_owner": True},
        "eve": {"can_change": True, "is_manager": True, "is_owner": False},
        "vic": {"can_change": False, "is_manager": False, "is_owner": False},
    }
    unknown = await bs("POST", PROJECTS, "alice", json={"name": "t2", "users": {"nobody": {}}})
    assert unknown.status_code == 400 and list(unknown.json()) == ["users"]
    assert (await bs.ok("GET", f"{PROJECTS}?filter{{name}}=t2", "alice"))["count"] == 0
    flags = await bs("POST", PROJECTS, "alice", json={"name": "t3", "users": {"eve": {"x": 1}}})
    assert flags.status_code == 400 and list(flags.json()) == ["users"]


async def test_a_hidden_project_is_not_found_for_writes_too(bs: Caller, lab: Lab) -> None:
    url = f"{PROJECTS}{lab.ids['foreign_project']}/"
    assert (await bs("PATCH", url, "alice", json={"description": "x"})).status_code == 404
    assert (await bs("DELETE", url, "alice")).status_code == 404


async def test_admins_change_any_project_in_the_super_portal(bs: Caller, lab: Lab) -> None:
    url = f"/api/super/stem/project/{lab.ids['foreign_project']}/"
    assert (await bs.ok("PATCH", url, "ada", json={"is_public": True}))["project"]["is_public"]


# --- subjects ------------------------------------------------------------------------------------


async def test_editors_create_a_subject_whose_species_follows_its_strain(
    bs: Caller, lab: Lab
) -> None:
    body = {
        "name": "M100",
        "projects": [lab.ids["secret_project"], lab.ids["open_project"]],
        "strain": lab.ids["evans"],
        "sex": "F",
        "birth_date": "2024-01-05",
        "description": "new",
    }
    response = await bs("POST", SUBJECTS, "alice", json=body)
    assert response.status_code == 201, response.text
    subject = response.json()["subject"]
    assert subject["name"] == "M100" and subject["birth_date"] == "2024-01-05"
    assert subject["projects"] == [lab.ids["secret_project"], lab.ids["open_project"]]
    assert subject["strain"] == lab.ids["evans"] and subject["species"] == lab.ids["rat"]
    by_link = await bs.ok(
        "GET", f"{SUBJECTS}?filter{{projects.id}}={lab.ids['open_project']}", "alice"
    )
    assert "M100" in [s["name"] for s in by_link["subjects"]]


async def test_a_subject_cannot_be_added_to_a_project_the_caller_may_not_edit(
    bs: Caller, lab: Lab
) -> None:
    viewer = await bs(
        "POST", SUBJECTS, "vic", json={"name": "V1", "projects": [lab.ids["secret_project"]]}
    )
    assert viewer.status_code == 403
    # Editing secret_project does not allow adding to open_project, which eve only sees.
    mixed = [lab.ids["secret_project"], lab.ids["open_project"]]
    editor = await bs("POST", SUBJECTS, "eve", json={"name": "V2", "projects": mixed})
    assert editor.status_code == 403
    hidden = await bs(
        "POST", SUBJECTS, "alice", json={"name": "V3", "projects": [lab.ids["foreign_project"]]}
    )
    assert hidden.status_code == 400 and list(hidden.json()) == ["projects"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"projects": "P"}, "name"),
        ({"name": "X1"}, "projects"),
        ({"name": "X1", "projects": []}, "projects"),
        ({"name": "X1", "projects": ["not-a-uuid"]}, "projects"),
        ({"name": "M001", "projects": "P"}, "name"),  # taken
        ({"name": "X" * 101, "projects": "P"}, "name"),
        ({"name": "X1", "projects": "P", "sex": "Q"}, "sex"),
        ({"name": "X1", "projects": "P", "birth_date": "05/01/2024"}, "birth_date"),
        (
            {"name": "X1", "projects": "P", "strain": "00000000-0000-0000-0000-000000000000"},
            "strain",
        ),
        ({"name": "X1", "projects": "P", "extra_fields": {"1bad": 1}}, "extra_fields"),
        ({"name": "X1", "projects": "P", "extra_fields": {"ok": [1]}}, "extra_fields"),
        ({"name": 7, "projects": "P"}, "name"),
        ({"name": "X1", "projects": "P", "licenses": []}, "licenses"),
        ({"name": "  ", "projects": "P"}, "name"),
        ({"name": "X1", "projects": "P", "strain": "S", "species": "R"}, "species"),
        ({"name": "X1", "projects": "P", "status": "zombie"}, "status"),
        ({"name": "X1", "projects": "P", "favourite_colour": "blue"}, "favourite_colour"),
    ],
)
async def test_invalid_subjects_are_a_400_naming_the_brainstem_field(
    bs: Caller, lab: Lab, body: dict[str, object], field: str
) -> None:
    placeholders = {"P": [lab.ids["secret_project"]], "S": lab.ids["c57"], "R": lab.ids["rat"]}
    body = {k: placeholders.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    response = await bs("POST", SUBJECTS, "alice", json=body)
    assert response.status_code == 400, response.text
    assert list(response.json()) == [field]
    assert isinstance(response.json()[field], list)


async def test_read_only_fields_sent_back_are_ignored(bs: Caller, lab: Lab) -> None:
    url = f"{SUBJECTS}{lab.ids['M002']}/"
    record = (await bs.ok("GET", url, "alice"))["subject"]
    record["description"] = "round trip"
    record.pop("species")  # the strain decides it
    saved = await bs.ok("PATCH", url, "alice", json={**record, "procedures": [], "links": {}})
    assert saved["subject"]["description"] == "round trip"
    assert saved["subject"]["id"] == lab.ids["M002"]


async def test_moving_a_subject_between_projects_keeps_links_in_step(bs: Caller, lab: Lab) -> None:
    url = f"{SUBJECTS}{lab.ids['M002']}/"
    moved = await bs.ok("PATCH", url, "alice", json={"projects": [lab.ids["open_project"]]})
    assert moved["subject"]["projects"] == [lab.ids["open_project"]]
    in_secret = await bs.ok(
        "GET", f"{SUBJECTS}?filter{{projects.id}}={lab.ids['secret_project']}", "alice"
    )
    assert in_secret["count"] == 0
    # Now owned by a public project: the public portal shows it.
    assert (await bs("GET", f"/api/public/stem/subject/{lab.ids['M002']}/")).status_code == 200


async def test_editors_delete_subjects_and_viewers_may_not(bs: Caller, lab: Lab) -> None:
    url = f"{SUBJECTS}{lab.ids['M002']}/"
    assert (await bs("DELETE", url, "vic")).status_code == 403
    assert (await bs("DELETE", url, "eve")).status_code == 204
    assert (await bs("GET", url, "alice")).status_code == 404


# --- sessions ------------------------------------------------------------------------------------


async def test_create_change_and_delete_a_session(bs: Caller, lab: Lab) -> None:
    created = await bs(
        "POST",
        SESSIONS,
        "eve",
        json={
            "name": "new_session",
            "description": "first light",
            "projects": [lab.ids["secret_project"]],
            "date_time": "2024-05-01T12:00:00+02:00",
            "extra_fields": {"rig": "A", "depth_um": 1200},
        },
    )
    assert created.status_code == 201, created.text
    session = created.json()["session"]
    assert session["date_time"] == "2024-05-01T10:00:00Z"  # stored in UTC
    assert session["extra_fields"] == {"rig": "A", "depth_um": 1200}
    url = f"{SESSIONS}{session['id']}/"
    changed = await bs.ok("PATCH", url, "eve", json={"description": "second light"})
    assert changed["session"]["description"] == "second light"
    assert changed["session"]["name"] == "new_session"
    assert (await bs("DELETE", url, "eve")).status_code == 204
    assert (await bs("GET", url, "eve")).status_code == 404


async def test_a_session_in_two_projects_is_linked_in_both(
    bs: Caller, lab: Lab, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    both = [lab.ids["open_project"], lab.ids["secret_project"]]
    session = (await bs.ok("POST", SESSIONS, "alice", json={"name": "shared", "projects": both}))[
        "session"
    ]
    links = table(SessionProject)
    async with sessionmaker() as db:
        linked = (await db.execute(select(links.c.project_id))).scalars().all()
    assert {str(p) for p in linked if str(p) in both} == set(both)
    for project in both:
        record = (await bs.ok("GET", f"{PROJECTS}{project}/", "alice"))["project"]
        assert session["id"] in record["sessions"]
    # Owned by the first project, which is public: anonymous callers see it.
    assert (await bs("GET", f"/api/public/stem/session/{session['id']}/")).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "s", "projects": "P", "date_time": "tomorrow"}, "date_time"),
        ({"name": "s" * 101, "projects": "P"}, "name"),
        ({"name": "s"}, "projects"),
        ({"name": "s", "projects": "P", "description": None}, "description"),
    ],
)
async def test_invalid_sessions_are_a_400_naming_the_brainstem_field(
    bs: Caller, lab: Lab, body: dict[str, object], field: str
) -> None:
    if body.get("projects") == "P":
        body = {**body, "projects": [lab.ids["open_project"]]}
    response = await bs("POST", SESSIONS, "alice", json=body)
    assert response.status_code == 400, response.text
    assert list(response.json()) == [field]


# --- bad requests --------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'"text"'])
async def test_a_body_that_is_not_a_json_object_is_a_drf_400(bs: Caller, content: bytes) -> None:
    response = await bs(
        "POST", PROJECTS, "alice", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert list(response.json()) == ["detail"]


async def test_a_change_without_a_body_is_a_drf_400(bs: Caller, lab: Lab) -> None:
    url = f"{PROJECTS}{lab.ids['secret_project']}/"
    for method in ("PATCH", "PUT"):
        response = await bs(method, url, "eve")
        assert response.status_code == 400, (method, response.text)
        assert list(response.json()) == ["detail"]


async def test_writes_need_credentials(bs: Caller) -> None:
    response = await bs("POST", PROJECTS, json={"name": "anonymous"})
    assert response.status_code == 401
    assert list(response.json()) == ["detail"]


async def test_the_public_portal_is_read_only(bs: Caller, lab: Lab) -> None:
    response = await bs("POST", "/api/public/stem/project/", "alice", json={"name": "p"})
    assert response.status_code == 405
    url = f"/api/public/stem/project/{lab.ids['open_project']}/"
    assert (await bs("PATCH", url, "alice", json={"description": "x"})).status_code == 405


async def test_users_cannot_be_written_through_the_users_app(bs: Caller, lab: Lab) -> None:
    response = await bs("POST", "/api/private/users/user/", "ada", json={"username": "x"})
    assert response.status_code == 405
    url = f"/api/private/users/user/{lab.users['vic']}/"
    assert (await bs("DELETE", url, "ada")).status_code == 405
