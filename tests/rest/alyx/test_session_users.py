"""A session's ``users`` are its experimenters (Alyx ``Session.users``): stored as sent,
the caller when none are sent (Alyx's ``SessionDetailSerializer.create``), shown in the
detail record, and what ``/users/<name>/actions?type=experiment`` (seed 003) lists."""

from __future__ import annotations

from tests.rest.alyx.support import Caller, Lab

NEW = {"subject": "EJ002", "projects": ["secret_project"], "start_time": "2024-05-01T09:00:00"}


async def _actions(call: Caller, username: str, who: str = "alice") -> list[str]:
    page = await call.results(f"/users/{username}/actions?type=experiment", who)
    return [record["id"] for record in page]


async def test_sent_users_are_stored_and_listed_as_their_actions(call: Caller) -> None:
    made = await call.ok("POST", "/sessions", "eve", json={**NEW, "users": ["alice", "vic"]})
    assert made["users"] == ["alice", "vic"]
    assert (await call.ok("GET", f"/sessions/{made['id']}", "eve"))["users"] == ["alice", "vic"]
    assert made["id"] in await _actions(call, "vic")
    assert made["id"] not in await _actions(call, "eve")
    (listed,) = await call.results("/sessions?users=alice,vic", "eve")
    assert listed["id"] == made["id"]


async def test_without_users_the_caller_is_the_experimenter(call: Caller) -> None:
    for body in (NEW, {**NEW, "users": []}, {**NEW, "users": None}):
        made = await call.ok("POST", "/sessions", "eve", json=body)
        assert made["users"] == ["eve"]
        assert made["id"] in await _actions(call, "eve")


async def test_users_change_only_when_sent(call: Caller) -> None:
    made = await call.ok("POST", "/sessions", "eve", json={**NEW, "users": ["alice"]})
    key = made["id"]
    patched = await call.ok("PATCH", f"/sessions/{key}", "eve", json={"number": 7})
    assert patched["users"] == ["alice"]
    replaced = await call.ok("PUT", f"/sessions/{key}", "eve", json=NEW)
    assert replaced["users"] == ["alice"]
    moved = await call.ok("PATCH", f"/sessions/{key}", "eve", json={"users": ["vic", "eve"]})
    assert moved["users"] == ["eve", "vic"]  # by username, as Alyx orders them
    assert key in await _actions(call, "vic") and key not in await _actions(call, "alice")


async def test_an_unknown_user_is_a_field_error_and_nothing_is_written(
    call: Caller, lab: Lab
) -> None:
    before = await call.results("/sessions?subject=EJ002", "eve")
    response = await call("POST", "/sessions", "eve", json={**NEW, "users": ["alice", "nobody"]})
    assert response.status_code == 400
    assert response.json() == {
        "users": ["Object with username=nobody does not exist."],
        "status_code": 400,
    }
    assert await call.results("/sessions?subject=EJ002", "eve") == before


async def test_graphql_writes_the_same_experimenters(call: Caller, lab: Lab) -> None:
    mutation = (
        "mutation ($v: SessionInput!) { createSession(input: $v) {"
        " ... on Session { id users { username } } } }"
    )
    variables = {
        "v": {
            "projectIds": [lab.ids["secret_project"]],
            "subjectId": lab.ids["EJ002"],
            "userIds": [str(lab.users["vic"])],
        }
    }
    response = await call.gateway.client.post(
        "/graphql", json={"query": mutation, "variables": variables}, headers=lab.headers("eve")
    )
    body = response.json()
    assert "errors" not in body, body
    made = body["data"]["createSession"]
    assert made["users"] == [{"username": "vic"}]
    assert made["id"] in await _actions(call, "vic")
