"""Invitations through GraphQL: the mutations the declarations give (create, and
``answer<Invitation>``), with the same rules as BrainSTEM's REST: only a project's managers
invite, only the invitee accepts, and accepting shows the invitee the project's records."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import Gateway
from tests.rest.brainstem.support import Lab, arrange

INVITE = """
mutation($user: Int!, $project: ID!) {
  createProjectMembershipInvitation(input: {userId: $user, projectId: $project}) {
    __typename
    ... on ProjectMembershipInvitation { id canChange invitee { username } }
  }
}"""
ANSWER = """
mutation($id: ID!, $answer: InvitationAnswer!) {
  answerProjectMembershipInvitation(id: $id, answer: $answer) { __typename }
}"""
SUBJECTS = '{ subjects(where: {nickname: {eq: "M002"}}) { nickname } }'


async def _ask(gateway: Gateway, lab: Lab, who: str, query: str, **variables: Any) -> Any:
    response = await gateway.client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=lab.headers(who)
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def test_an_invitation_accepted_through_graphql_shows_the_project(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    lab = await arrange(sessionmaker)
    invite = {"user": lab.users["mallory"], "project": lab.ids["secret_project"]}
    refused = await _ask(gateway, lab, "eve", INVITE, **invite)
    assert refused["createProjectMembershipInvitation"]["__typename"] == "PermissionDeniedError"
    sent = await _ask(gateway, lab, "alice", INVITE, **invite)
    made = sent["createProjectMembershipInvitation"]
    assert made["invitee"] == {"username": "mallory"} and made["canChange"] is False
    assert (await _ask(gateway, lab, "mallory", SUBJECTS))["subjects"] == []
    by_manager = await _ask(gateway, lab, "alice", ANSWER, id=made["id"], answer="ACCEPT")
    assert by_manager["answerProjectMembershipInvitation"]["__typename"] == "PermissionDeniedError"
    hidden = await _ask(gateway, lab, "vic", ANSWER, id=made["id"], answer="ACCEPT")
    assert hidden["answerProjectMembershipInvitation"]["__typename"] == "NotFoundError"
    accepted = await _ask(gateway, lab, "mallory", ANSWER, id=made["id"], answer="ACCEPT")
    assert accepted["answerProjectMembershipInvitation"]["__typename"] == "Done"
    assert (await _ask(gateway, lab, "mallory", SUBJECTS))["subjects"] == [{"nickname": "M002"}]
