"""Projects, subjects and sessions are written through GraphQL mutations generated from the
entity graph, by the same domain functions (and rules) as BrainSTEM and Alyx writes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import Gateway
from tests.rest.brainstem.support import Caller, Lab, arrange

SUBJECT_FIELDS = "id nickname sex birthDate deathDate project { name } projects { name }"


@pytest.fixture
async def lab(sessionmaker: async_sessionmaker[AsyncSession]) -> Lab:
    return await arrange(sessionmaker)


async def mutate(
    gateway: Gateway, lab: Lab, who: str | None, query: str, **variables: Any
) -> dict[str, Any]:
    response = await gateway.client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=lab.headers(who)
    )
    body = response.json()
    assert "errors" not in body, body
    (result,) = body["data"].values()
    return result  # type: ignore[no-any-return]


CREATE_SUBJECT = f"""mutation ($input: SubjectInput!) {{
  createSubject(input: $input) {{
    __typename ... on Subject {{ {SUBJECT_FIELDS} }}
    ... on ValidationError {{ message field }}
    ... on AuthenticationError {{ message }}
    ... on PermissionDeniedError {{ message }}
    ... on NotFoundError {{ message }}
  }}
}}"""


async def test_an_editor_creates_a_subject_in_two_projects_and_brainstem_shows_it(
    gateway: Gateway, lab: Lab
) -> None:
    created = await mutate(
        gateway, lab, "alice", CREATE_SUBJECT,
        input={"nickname": "NEW01", "sex": "F", "birthDate": "2024-02-29",
               "projectIds": [lab.ids["secret_project"], lab.ids["open_project"]]},
    )  # fmt: skip
    assert created["__typename"] == "Subject"
    assert created["nickname"] == "NEW01" and created["birthDate"] == "2024-02-29"
    assert created["project"] == {"name": "secret_project"}  # the first given owns it
    assert {p["name"] for p in created["projects"]} == {"secret_project", "open_project"}
    record = await Caller(gateway, lab).ok(
        "GET", f"/api/private/stem/subject/{created['id']}/", "alice"
    )
    assert record["subject"]["name"] == "NEW01"
    assert set(record["subject"]["projects"]) == {
        lab.ids["secret_project"],
        lab.ids["open_project"],
    }


async def test_a_write_refused_by_the_domain_is_a_typed_result(gateway: Gateway, lab: Lab) -> None:
    anonymous = await mutate(
        gateway, lab, None, CREATE_SUBJECT,
        input={"nickname": "X", "projectIds": [lab.ids["open_project"]]},
    )  # fmt: skip
    assert anonymous["__typename"] == "AuthenticationError"
    viewer = await mutate(
        gateway, lab, "vic", CREATE_SUBJECT,
        input={"nickname": "X", "projectIds": [lab.ids["secret_project"]]},
    )  # fmt: skip
    assert viewer["__typename"] == "PermissionDeniedError"
    invalid = await mutate(
        gateway, lab, "alice", CREATE_SUBJECT,
        input={"nickname": " ", "projectIds": [lab.ids["open_project"]]},
    )  # fmt: skip
    assert (invalid["__typename"], invalid["field"]) == ("ValidationError", "nickname")


async def test_sex_and_status_are_enums_stored_as_their_values(gateway: Gateway, lab: Lab) -> None:
    query = CREATE_SUBJECT.replace(SUBJECT_FIELDS, f"{SUBJECT_FIELDS} status")
    created = await mutate(
        gateway, lab, "alice", query,
        input={"nickname": "NEW02", "sex": "M", "status": "DECEASED",
               "projectIds": [lab.ids["open_project"]]},
    )  # fmt: skip
    assert (created["sex"], created["status"]) == ("M", "DECEASED")
    record = await Caller(gateway, lab).ok(
        "GET", f"/api/private/stem/subject/{created['id']}/", "alice"
    )
    assert (record["subject"]["sex"], record["subject"]["status"]) == ("M", "deceased")
    refused = await gateway.client.post(
        "/graphql",
        json={
            "query": query,
            "variables": {"input": {"nickname": "X", "sex": "Q", "projectIds": []}},
        },
        headers=lab.headers("alice"),
    )
    (error,) = refused.json()["errors"]
    assert "SubjectSex" in error["message"]


async def test_an_update_changes_only_the_fields_given_and_null_clears_one(
    gateway: Gateway, lab: Lab
) -> None:
    query = f"""mutation ($id: ID!, $input: SubjectChangeInput!) {{
      updateSubject(id: $id, input: $input) {{ __typename ... on Subject {{ {SUBJECT_FIELDS} }} }}
    }}"""
    subject = lab.ids["M001"]
    first = await mutate(
        gateway, lab, "alice", query, id=subject, input={"deathDate": "2024-06-01"}
    )
    assert first["deathDate"] == "2024-06-01" and first["sex"] == "F"
    cleared = await mutate(gateway, lab, "alice", query, id=subject, input={"deathDate": None})
    assert cleared["deathDate"] is None and cleared["nickname"] == "M001"


async def test_a_session_is_created_changed_and_deleted(gateway: Gateway, lab: Lab) -> None:
    created = await mutate(
        gateway, lab, "eve",
        """mutation ($input: SessionInput!) { createSession(input: $input) {
             ... on Session { id name startTime subject { nickname } } } }""",
        input={"name": "late_run", "startTime": "2024-05-01T10:00:00+02:00",
               "subjectId": lab.ids["M002"], "projectIds": [lab.ids["secret_project"]]},
    )  # fmt: skip
    assert created["startTime"] == "2024-05-01T08:00:00Z"  # stored and shown as UTC
    assert created["subject"] == {"nickname": "M002"}
    changed = await mutate(
        gateway, lab, "eve",
        """mutation ($id: ID!) { updateSession(id: $id, input: {narrative: "redone"}) {
             ... on Session { name narrative } } }""",
        id=created["id"],
    )  # fmt: skip
    assert changed == {"name": "late_run", "narrative": "redone"}
    outsider = await mutate(
        gateway, lab, "mallory",
        "mutation ($id: ID!) { deleteSession(id: $id) { __typename } }", id=created["id"],
    )  # fmt: skip
    assert outsider["__typename"] == "NotFoundError"  # a session they may not see
    deleted = await mutate(
        gateway, lab, "eve",
        "mutation ($id: ID!) { deleteSession(id: $id) { ... on Done { ok } } }", id=created["id"],
    )  # fmt: skip
    assert deleted == {"ok": True}
    gone = await gateway.client.post(
        "/graphql",
        json={"query": "query ($id: ID!) { session(id: $id) { id } }",
              "variables": {"id": created["id"]}},
        headers=lab.headers("alice"),
    )  # fmt: skip
    assert gone.json()["data"] == {"session": None}


async def test_anyone_signed_in_creates_a_project_and_manages_it(
    gateway: Gateway, lab: Lab
) -> None:
    created = await mutate(
        gateway, lab, "mallory",
        """mutation { createProject(input: {name: "mallorys", isPublic: false}) {
             ... on Project { id name isPublic } } }""",
    )  # fmt: skip
    assert created["name"] == "mallorys" and created["isPublic"] is False
    clash = await mutate(
        gateway, lab, "alice",
        """mutation { createProject(input: {name: "mallorys"}) {
             ... on ValidationError { field } } }""",
    )  # fmt: skip
    assert clash == {"field": "name"}
    deleted = await mutate(
        gateway, lab, "mallory",
        "mutation ($id: ID!) { deleteProject(id: $id) { __typename } }", id=created["id"],
    )  # fmt: skip
    assert deleted["__typename"] == "Done"
