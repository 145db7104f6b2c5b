"""BrainSTEM reads: envelopes, portals, filters, sorting, includes and errors, as a client sees
them over HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import SessionProject
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


def names(body: dict[str, Any], key: str) -> list[str]:
    return [record["name"] for record in body[key]]


# An anonymous caller, a member of secret_project and a non-member.
VIEWS = pytest.mark.parametrize(
    ("portal", "who"), [("public", None), ("private", "alice"), ("private", "rita")]
)


async def _link_a_public_session_to_a_private_project(
    sessionmaker: async_sessionmaker[AsyncSession], lab: Lab
) -> None:
    """open_morning (public) also linked to secret_project, which only its members see."""
    async with sessionmaker() as session, session.begin():
        session.add(
            SessionProject(
                session_id=uuid.UUID(lab.ids["open_morning"]),
                project_id=uuid.UUID(lab.ids["secret_project"]),
            )
        )


# --- envelopes and records -----------------------------------------------------------------------


async def test_list_envelope_has_the_plural_key_first_then_count_next_previous(
    bs: Caller,
) -> None:
    body = await bs.ok("GET", SESSIONS, "alice")
    assert list(body) == ["sessions", "count", "next", "previous"]
    assert body["count"] == 3 and body["next"] is None and body["previous"] is None


async def test_session_records_use_brainstem_field_names(bs: Caller, lab: Lab) -> None:
    body = await bs.ok("GET", f"{SESSIONS}{lab.ids['secret_run']}/", "alice")
    assert body == {
        "session": {
            "id": lab.ids["secret_run"],
            "name": "secret_run",
            "description": "Hippocampus",
            "date_time": "2024-03-02T10:00:00Z",
            "extra_fields": {},
            "projects": [lab.ids["secret_project"], lab.ids["open_project"]],
            # What the session holds (BrainSTEM modules), as id lists: none here.
            "behaviors": [],
            "dataacquisition": [],
            "manipulations": [],
        }
    }


async def test_subject_records_name_is_the_nickname_and_relations_are_ids(
    bs: Caller, lab: Lab
) -> None:
    record = (await bs.ok("GET", f"{SUBJECTS}{lab.ids['M001']}/", "alice"))["subject"]
    assert record["name"] == "M001"
    assert record["sex"] == "F"
    assert record["strain"] == lab.ids["c57"]
    assert record["projects"] == [lab.ids["open_project"]]


async def test_project_records_list_owned_and_linked_sessions_subjects_and_members(
    bs: Caller, lab: Lab
) -> None:
    record = (await bs.ok("GET", f"{PROJECTS}{lab.ids['open_project']}/", "alice"))["project"]
    assert record["is_public"] is True
    assert set(record["sessions"]) == {
        lab.ids["open_morning"],
        lab.ids["open_evening"],
        lab.ids["secret_run"],  # owned by secret_project, linked here
    }
    assert set(record["subjects"]) == {lab.ids["M001"], lab.ids["M002"]}
    assert record["users"] == {"alice": {"can_change": True, "is_manager": True, "is_owner": True}}


async def test_species_and_strain_records_and_their_envelopes(bs: Caller, lab: Lab) -> None:
    species = await bs.ok("GET", "/api/private/taxonomies/species/", "alice")
    assert next(iter(species)) == "species"
    assert {"id": lab.ids["mouse"], "name": "Mouse", "scientific_name": "Mus musculus"}.items() <= (
        species["species"][0].items()
    )
    strain = await bs.ok("GET", f"/api/private/taxonomies/strain/{lab.ids['evans']}/", "alice")
    assert strain["strain"]["species"] == lab.ids["rat"]
    strains = await bs.ok("GET", "/api/private/taxonomies/strain/", "alice")
    assert names(strains, "strains") == ["C57BL/6J", "Long-Evans"]


async def test_users_are_listed_under_the_users_app_by_integer_id(bs: Caller, lab: Lab) -> None:
    body = await bs.ok("GET", "/api/private/users/user/?filter{username}=rita", "alice")
    assert body["users"] == [
        {"id": lab.users["rita"], "username": "rita", "first_name": "", "last_name": ""}
    ]
    one = await bs.ok("GET", f"/api/private/users/user/{lab.users['rita']}/", "alice")
    assert one["user"]["username"] == "rita"


# --- portals -------------------------------------------------------------------------------------


async def test_the_public_portal_shows_anonymous_callers_public_rows_only(bs: Caller) -> None:
    body = await bs.ok("GET", "/api/public/stem/session/")
    assert sorted(names(body, "sessions")) == ["open_evening", "open_morning"]
    assert body["count"] == 2


async def test_the_public_portal_shows_members_public_rows_only_too(bs: Caller) -> None:
    body = await bs.ok("GET", "/api/public/stem/project/", "alice")
    assert names(body, "projects") == ["open_project"]


async def test_public_records_do_not_list_hidden_related_rows(bs: Caller, lab: Lab) -> None:
    record = (await bs.ok("GET", f"/api/public/stem/project/{lab.ids['open_project']}/"))["project"]
    assert lab.ids["secret_run"] not in record["sessions"]
    assert lab.ids["M002"] not in record["subjects"]


async def test_the_private_portal_needs_credentials(bs: Caller) -> None:
    response = await bs("GET", SESSIONS)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


async def test_the_private_portal_shows_own_projects_and_public_ones(bs: Caller) -> None:
    assert sorted(names(await bs.ok("GET", PROJECTS, "mallory"), "projects")) == [
        "foreign_project",
        "open_project",
    ]


async def test_the_super_portal_is_for_admins_only(bs: Caller) -> None:
    response = await bs("GET", "/api/super/stem/project/", "alice")
    assert response.status_code == 403
    assert "detail" in response.json()
    body = await bs.ok("GET", "/api/super/stem/project/", "ada")
    assert body["count"] == 3


async def test_missing_and_hidden_records_are_the_same_404(bs: Caller, lab: Lab) -> None:
    hidden = await bs("GET", f"{SESSIONS}{lab.ids['foreign_run']}/", "alice")
    missing = await bs("GET", f"{SESSIONS}00000000-0000-0000-0000-000000000000/", "alice")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert list(hidden.json()) == ["detail"]


# --- routing -------------------------------------------------------------------------------------


async def test_unknown_models_are_a_drf_404(bs: Caller) -> None:
    response = await bs("GET", "/api/private/stem/no_such_model/", "alice")
    assert response.status_code == 404
    assert list(response.json()) == ["detail"]


async def test_a_model_under_another_app_is_not_found(bs: Caller) -> None:
    response = await bs("GET", "/api/private/taxonomies/session/", "alice")
    assert response.status_code == 404


async def test_lists_and_details_answer_without_a_trailing_slash_too(bs: Caller, lab: Lab) -> None:
    assert (await bs.ok("GET", "/api/private/taxonomies/species", "alice"))["count"] == 2
    detail = await bs.ok("GET", f"/api/private/taxonomies/species/{lab.ids['rat']}", "alice")
    assert detail["species"]["name"] == "Rat"


async def test_approval_endpoints_answer_under_every_name_the_clients_use(bs: Caller) -> None:
    for name in ("species_approvals", "speciesapproval", "strainapproval", "strain_approvals"):
        body = await bs.ok("GET", f"/api/private/taxonomies/{name}/", "rita")
        assert body["count"] == 0
        assert next(iter(body)) in ("species_approvals", "strain_approvals")


async def test_unsupported_methods_are_a_drf_405(bs: Caller, lab: Lab) -> None:
    response = await bs("POST", f"{SESSIONS}{lab.ids['secret_run']}/", "alice", json={})
    assert response.status_code == 405
    assert list(response.json()) == ["detail"]
    response = await bs("DELETE", SESSIONS, "alice")
    assert response.status_code == 405


# --- filters -------------------------------------------------------------------------------------


async def test_exact_filter_on_a_renamed_field(bs: Caller) -> None:
    body = await bs.ok("GET", SUBJECTS + "?filter{name}=M002", "alice")
    assert names(body, "subjects") == ["M002"]
    assert body["count"] == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("filter{description.icontains}=HIPPO", ["secret_run", "open_morning"]),
        ("filter{name.startswith}=open_", ["open_evening", "open_morning"]),
        ("filter{name.endswith}=_run", ["secret_run"]),
        ("filter{date_time.gt}=2024-03-01T09:00:00Z", ["secret_run", "open_evening"]),
        (
            "filter{date_time.gte}=2024-03-01T09:00:00Z",
            ["secret_run", "open_evening", "open_morning"],
        ),
        ("filter{date_time.lt}=2024-03-01T18:30:00", ["open_morning"]),
        ("filter{date_time.lte}=2024-03-01T18:30:00", ["open_evening", "open_morning"]),
        ("filter{name.in}=open_morning,secret_run", ["secret_run", "open_morning"]),
        ("filter{name.ne}=secret_run", ["open_evening", "open_morning"]),
    ],
)
async def test_filter_operators_of_seed_001(bs: Caller, query: str, expected: list[str]) -> None:
    body = await bs.ok("GET", f"{SESSIONS}?{query}", "alice")
    assert names(body, "sessions") == expected
    assert body["count"] == len(expected)


async def test_several_filters_are_anded(bs: Caller) -> None:
    query = "filter{name.startswith}=open&filter{description.icontains}=cortex"
    assert names(await bs.ok("GET", f"{SESSIONS}?{query}", "alice"), "sessions") == ["open_evening"]


async def test_filter_by_related_project_id_matches_owned_and_linked_rows(
    bs: Caller, lab: Lab
) -> None:
    body = await bs.ok(
        "GET", f"{SESSIONS}?filter{{projects.id}}={lab.ids['open_project']}", "alice"
    )
    assert names(body, "sessions") == ["secret_run", "open_evening", "open_morning"]
    body = await bs.ok("GET", f"{SUBJECTS}?filter{{projects}}={lab.ids['secret_project']}", "alice")
    assert names(body, "subjects") == ["M002"]


async def test_filter_projects_by_their_sessions_and_subjects(bs: Caller, lab: Lab) -> None:
    by_session = await bs.ok(
        "GET", f"{PROJECTS}?filter{{sessions.id}}={lab.ids['secret_run']}", "alice"
    )
    assert names(by_session, "projects") == ["open_project", "secret_project"]
    by_subject = await bs.ok("GET", f"{PROJECTS}?filter{{subjects.id}}={lab.ids['M001']}", "alice")
    assert names(by_subject, "projects") == ["open_project"]


async def test_filter_strains_by_species_id_as_the_client_sends_it(bs: Caller, lab: Lab) -> None:
    url = f"/api/public/taxonomies/strain/?filter{{species.id}}={lab.ids['rat']}"
    assert names(await bs.ok("GET", url), "strains") == ["Long-Evans"]


async def test_a_negated_relation_filter_means_related_to_none_of_them(
    bs: Caller, lab: Lab
) -> None:
    # M002 is owned by secret_project and linked to open_project: not "outside open_project".
    url = f"/api/super/stem/subject/?filter{{projects.id.ne}}={lab.ids['open_project']}"
    assert names(await bs.ok("GET", url, "ada"), "subjects") == ["R001"]


async def test_isnull_on_a_relation_finds_rows_related_to_nothing(bs: Caller) -> None:
    created = await bs.ok("POST", PROJECTS, "alice", json={"name": "empty_project"})
    empty = await bs.ok("GET", f"{PROJECTS}?filter{{sessions.isnull}}=true", "alice")
    assert names(empty, "projects") == [created["project"]["name"]]
    full = await bs.ok("GET", f"{PROJECTS}?filter{{sessions.id.isnull}}=false", "alice")
    assert names(full, "projects") == ["open_project", "secret_project"]


async def test_isnull_on_a_column(bs: Caller) -> None:
    body = await bs.ok(
        "GET", f"{SUBJECTS}?filter{{strain.isnull}}=false&filter{{species.isnull}}=true", "alice"
    )
    assert names(body, "subjects") == ["M002"]


async def test_filter_on_a_boolean_field(bs: Caller) -> None:
    body = await bs.ok("GET", PROJECTS + "?filter{is_public}=false", "alice")
    assert names(body, "projects") == ["secret_project"]


@pytest.mark.parametrize(
    "query",
    [
        "filter{nickname}=M001",  # our name, not BrainSTEM's
        "filter{tags}=x",  # not filterable
        "filter{name.regex}=M.*",  # an operator we do not have
        "filter{is_public.icontains}=t",  # an operator the field's type does not take
        "filter{projects.id}=not-a-uuid",
        "filter{date_time.gt}=yesterday",
        "filter{is_public}=maybe",
        "filter{name.isnull}=perhaps",
        "filter[name]=M001",
        "filter{-name}=M001",
        "sort[]=tags",
        "sort[]=projects.id",
        "include[]=nonsense.*",
        "include[]=strain.species.nonsense",
        "include[]=",
        "include[]=projects.subjects.projects.subjects.*",
        "include[]=projects.users.username",
        "limit=abc",
        "limit=-1",
        "offset=-5",
        "limit=101",
    ],
)
async def test_bad_query_parameters_are_a_drf_400(bs: Caller, query: str) -> None:
    url = (PROJECTS if "is_public" in query or "tags" in query else SUBJECTS) + "?" + query
    response = await bs("GET", url, "alice")
    assert response.status_code == 400, response.text
    assert list(response.json()) == ["detail"]


async def test_a_malformed_id_in_the_url_is_a_400_naming_it(bs: Caller) -> None:
    response = await bs("GET", f"{SESSIONS}not-a-uuid/", "alice")
    assert response.status_code == 400
    assert list(response.json()) == ["id"]


# --- sorting -------------------------------------------------------------------------------------


async def test_sort_descending_and_by_several_fields(bs: Caller) -> None:
    body = await bs.ok("GET", f"{SESSIONS}?sort[]=-name", "alice")
    assert names(body, "sessions") == ["secret_run", "open_morning", "open_evening"]
    body = await bs.ok("GET", "/api/super/stem/subject/?sort[]=sex&sort[]=-name", "ada")
    assert names(body, "subjects") == ["M001", "M002", "R001"]
    body = await bs.ok("GET", "/api/super/stem/subject/?sort[]=-sex&sort[]=name", "ada")
    assert names(body, "subjects") == ["R001", "M002", "M001"]


async def test_sort_takes_comma_separated_fields_too(bs: Caller) -> None:
    body = await bs.ok("GET", "/api/super/stem/subject/?sort[]=-sex,name,", "ada")
    assert names(body, "subjects") == ["R001", "M002", "M001"]


async def test_sort_by_created_date_as_seed_001_writes_it(bs: Caller) -> None:
    body = await bs.ok("GET", f"{PROJECTS}?sort[]=-created_date&sort[]=name", "alice")
    assert set(names(body, "projects")) == {"open_project", "secret_project"}


# --- includes ------------------------------------------------------------------------------------


async def test_include_embeds_related_records_in_place(bs: Caller, lab: Lab) -> None:
    body = await bs.ok("GET", f"{SESSIONS}?include[]=projects.*&filter{{name}}=secret_run", "alice")
    assert list(body) == ["sessions", "count", "next", "previous"]
    projects = body["sessions"][0]["projects"]
    assert [p["name"] for p in projects] == ["secret_project", "open_project"]
    assert projects[0]["id"] == lab.ids["secret_project"]
    assert lab.ids["secret_run"] in projects[0]["sessions"]


async def test_include_without_the_star_works_too(bs: Caller) -> None:
    body = await bs.ok("GET", f"{SUBJECTS}?include[]=strain&filter{{name}}=M001", "alice")
    assert body["subjects"][0]["strain"]["name"] == "C57BL/6J"


async def test_nested_includes_expand_each_level(bs: Caller) -> None:
    body = await bs.ok("GET", f"{SUBJECTS}?include[]=strain.species.*&filter{{name}}=M001", "alice")
    assert body["subjects"][0]["strain"]["species"]["name"] == "Mouse"


async def test_a_public_records_links_to_a_private_project_are_listed_to_members_only(
    bs: Caller, lab: Lab, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """A visible session names its own project, a visible one; a link to a project the caller
    may not see is left out, though nothing checks the project ids a second time."""
    await _link_a_public_session_to_a_private_project(sessionmaker, lab)
    url = f"/api/public/stem/session/{lab.ids['open_morning']}/"
    assert (await bs.ok("GET", url))["session"]["projects"] == [lab.ids["open_project"]]
    private = url.replace("/public/", "/private/")
    shown = (await bs.ok("GET", private, "alice"))["session"]["projects"]
    assert sorted(shown) == sorted([lab.ids["open_project"], lab.ids["secret_project"]])
    outsider = (await bs.ok("GET", private, "rita"))["session"]["projects"]
    assert outsider == [lab.ids["open_project"]]


@VIEWS
@pytest.mark.parametrize(
    ("path", "relations"),
    [
        ("stem/project", ("sessions", "subjects")),
        ("stem/subject", ("projects",)),
        ("stem/session", ("projects",)),
    ],
)
async def test_list_pages_name_the_same_related_ids_as_records_read_one_by_one(
    bs: Caller,
    lab: Lab,
    sessionmaker: async_sessionmaker[AsyncSession],
    portal: str,
    who: str | None,
    path: str,
    relations: tuple[str, ...],
) -> None:
    """A page's id lists, built in the page's own statement, and a single record's, read in
    a statement of its own: both list the same visible ids in the same order."""
    await _link_a_public_session_to_a_private_project(sessionmaker, lab)
    model = path.split("/")[1]
    page = await bs.ok("GET", f"/api/{portal}/{path}/", who)
    records = page[f"{model}s"]
    assert records
    for record in records:
        one = (await bs.ok("GET", f"/api/{portal}/{path}/{record['id']}/", who))[model]
        for relation in relations:
            assert record[relation] == one[relation], (record["id"], relation)
    if path == "stem/session":
        morning = {r["id"]: r for r in records}[lab.ids["open_morning"]]
        assert (lab.ids["secret_project"] in morning["projects"]) is (who == "alice")


@VIEWS
@pytest.mark.parametrize("path", ["stem/session", "stem/subject"])
async def test_embedded_records_are_the_records_read_one_by_one(
    bs: Caller,
    lab: Lab,
    sessionmaker: async_sessionmaker[AsyncSession],
    portal: str,
    who: str | None,
    path: str,
) -> None:
    """Embedded projects are read with their id lists in one statement; each is the record
    ``GET …/project/{id}/`` answers."""
    await _link_a_public_session_to_a_private_project(sessionmaker, lab)
    model = path.split("/")[1]
    page = await bs.ok("GET", f"/api/{portal}/{path}/?include[]=projects.*", who)
    embedded = [project for record in page[f"{model}s"] for project in record["projects"]]
    assert embedded
    for project in embedded:
        url = f"/api/{portal}/stem/project/{project['id']}/"
        assert project == (await bs.ok("GET", url, who))["project"]


async def test_included_relations_leave_out_what_the_caller_may_not_see(
    bs: Caller, lab: Lab
) -> None:
    url = f"/api/public/stem/project/{lab.ids['open_project']}/?include[]=sessions.*"
    sessions = (await bs.ok("GET", url))["project"]["sessions"]
    assert sorted(s["name"] for s in sessions) == ["open_evening", "open_morning"]


async def test_documented_relations_without_records_are_included_as_empty_lists(
    bs: Caller,
) -> None:
    query = "include[]=dataacquisition.*&include[]=behaviors.*&include[]=manipulations.*"
    session = (await bs.ok("GET", f"{SESSIONS}?{query}&include[]=epochs.*", "alice"))["sessions"][0]
    assert session["dataacquisition"] == session["behaviors"] == session["epochs"] == []
    project = (
        await bs.ok("GET", f"{PROJECTS}?include[]=collections.*&include[]=cohorts.*", "alice")
    )["projects"][0]
    assert project["collections"] == project["cohorts"] == []
