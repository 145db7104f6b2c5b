"""What Alyx's administrators write: labs and projects (``POST /labs``, ``POST /projects``,
with Alyx's fields; anyone else gets Alyx's 403), and a subject in a lab they are not in,
answered with the record they made (201) while it stays hidden from others. Users carry
Alyx's UUID ids on this surface."""

from __future__ import annotations

import uuid

from tests.rest.alyx.support import Caller, Lab
from tests.rest.alyx.test_subject_lab import NEW_ANIMAL

NOT_PERMITTED = {
    "detail": "You do not have permission to perform this action.",
    "status_code": 403,
}


async def test_an_admin_creates_a_lab_with_alyxs_fields(call: Caller) -> None:
    body = {
        "name": "hausserlab",
        "institution": "Columbia",
        "address": "New York",
        "timezone": "America/New_York",
        "json": {"floor": 3},
        "reference_weight_pct": 0.0,  # computed fields a read record carries are ignored
        "zscore_weight_pct": 0.0,
        "repositories": [],
    }
    made = await call.ok("POST", "/labs", "ada", json=body)
    assert made == {**body, "json": {"floor": 3}}
    assert (await call.ok("GET", "/labs/hausserlab", "alice"))["institution"] == "Columbia"
    changed = await call.ok("PATCH", "/labs/hausserlab", "ada", json={"address": "NYC"})
    assert changed["address"] == "NYC"
    # The same laboratory is BrainSTEM's users/laboratory.
    response = await call.gateway.client.get(
        "/api/private/users/laboratory/?filter{name}=hausserlab", headers=call.lab.headers("alice")
    )
    (record,) = response.json()["laboratories"]
    assert record["institution"] == "Columbia" and record["address"] == "NYC"


async def test_non_admins_get_alyxs_403_for_lab_and_project_writes(call: Caller) -> None:
    for who in ("alice", "eve"):
        for path, body in (("/labs", {"name": "mylab"}), ("/projects", {"name": "mine"})):
            response = await call("POST", path, who, json=body)
            assert response.status_code == 403 and response.json() == NOT_PERMITTED
    response = await call("PATCH", "/labs/cortexlab", "alice", json={"address": "x"})
    assert response.status_code == 403 and response.json() == NOT_PERMITTED
    assert (await call("POST", "/labs", None, json={"name": "anon"})).status_code == 403
    assert (await call("GET", "/labs/mylab", "ada")).status_code == 404  # nothing written


async def test_an_admin_creates_a_project_with_its_users(call: Caller) -> None:
    made = await call.ok(
        "POST", "/projects", "ada", json={"name": "ibl_new", "description": "d", "users": ["eve"]}
    )
    assert made["name"] == "ibl_new" and "eve" in made["users"]
    # Its users see it; others do not (a new project is private).
    assert (await call.ok("GET", "/projects/ibl_new", "eve"))["description"] == "d"
    assert (await call("GET", "/projects/ibl_new", "mallory")).status_code == 404
    duplicate = await call("POST", "/projects", "ada", json={"name": "ibl_new"})
    assert duplicate.status_code == 400 and "name" in duplicate.json()
    unknown = await call("POST", "/projects", "ada", json={"name": "p2", "users": [3]})
    assert unknown.status_code == 400 and "users" in unknown.json()


async def test_an_admin_outside_the_lab_gets_the_subject_they_created(
    call: Caller, lab: Lab
) -> None:
    made = await call("POST", "/subjects", "ada", json=NEW_ANIMAL)
    assert made.status_code == 201, made.text
    assert made.json()["nickname"] == "LAB01" and made.json()["lab"] == "churchlandlab"
    changed = await call("PATCH", "/subjects/LAB01", "eve", json={"description": "seen"})
    assert changed.status_code == 200  # its responsible user sees and changes it
    # Visibility holds for everyone else.
    for who in ("alice", "mallory", None):
        assert (await call("GET", "/subjects/LAB01", who)).status_code in (403, 404)
        listed = await call("GET", "/subjects?nickname=LAB01", who)
        assert listed.status_code == 403 or listed.json()["results"] == []


async def test_users_have_uuid_ids_on_alyx(call: Caller, lab: Lab) -> None:
    users = await call.results("/users", "alice")
    ids = {u["username"]: u["id"] for u in users}
    assert set(ids) >= {"alice", "eve", "ada"}
    for value in ids.values():
        assert str(uuid.UUID(value)) == value
    assert len(set(ids.values())) == len(ids)
    one = await call.ok("GET", "/users/eve", "alice")
    assert one["id"] == ids["eve"]
    found = await call.results(f"/users?django=pk,{ids['eve']}", "alice")
    assert [u["username"] for u in found] == ["eve"]


async def test_a_project_whose_users_name_its_creator_keeps_its_creator_as_manager(
    call: Caller,
) -> None:
    """As ONE and real Alyx send it: the creator among the users (Alyx's own default)."""
    body = {"name": "ibl_mine", "users": ["ada", "eve"]}
    made = await call.ok("POST", "/projects", "ada", json=body)
    assert sorted(made["users"]) == ["ada", "eve"]
    changed = await call.ok("PATCH", "/projects/ibl_mine", "ada", json={"users": ["ada"]})
    assert "ada" in changed["users"]  # still its manager: it may change it again
    again = await call("PATCH", "/projects/ibl_mine", "ada", json={"description": "kept"})
    assert again.status_code == 200, again.text
