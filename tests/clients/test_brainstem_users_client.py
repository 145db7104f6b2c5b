"""The real ``brainstem-python-api-tools`` 2.0.0 client on BrainSTEM's users app (group,
group_membership_invitation, group_membership_request, laboratory) and the stem invitations
(project_membership_invitation, project_group_membership_invitation): ``load`` of each in its
envelope, round trips, and invitations that really work: only a project's managers invite,
the invitee accepts (``load(…, id=…, options="accept")``, the client's way) and then sees the
project's records on every surface; rejecting and cancelling leave nothing."""

from __future__ import annotations

from typing import Any

import requests

from gateway.rest.brainstem.models import MODELS as BRAINSTEM
from tests.clients.test_brainstem_client import Live, run
from tests.clients.test_brainstem_client import home as home
from tests.clients.test_brainstem_client import live as live

USERS_APP = (
    "group",
    "group_membership_invitation",
    "group_membership_request",
    "laboratory",
    "project_membership_invitation",
    "project_group_membership_invitation",
)


def _made(response: Any, singular: str) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return response.json()[singular]  # type: ignore[no-any-return]


def _sees_secret_project(live: Live, who: str) -> dict[str, bool]:
    """Whether ``who`` sees secret_project's subject M002 on each surface."""
    token = live.lab.tokens[who]
    client = live.client(who)
    brainstem = client.load("subject", id=live.lab.ids["M002"]).status_code == 200
    graphql = requests.post(
        f"{live.url}/graphql",
        json={"query": '{ subjects(where: {nickname: {eq: "M002"}}) { nickname } }'},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()["data"]["subjects"]
    alyx = requests.get(
        f"{live.url}/subjects/M002", headers={"Authorization": f"Token {token}"}, timeout=30
    )
    return {"brainstem": brainstem, "graphql": graphql != [], "alyx": alyx.status_code == 200}


async def test_accepting_a_project_invitation_shows_the_project_on_every_surface(
    live: Live,
) -> None:
    ids, users = live.lab.ids, live.lab.users
    nowhere = {"brainstem": False, "graphql": False, "alyx": False}
    everywhere = {"brainstem": True, "graphql": True, "alyx": True}

    def scenario() -> None:
        invitation = {"invitee": users["mallory"], "project": ids["secret_project"]}
        assert _sees_secret_project(live, "mallory") == nowhere
        # Only the project's managers invite: its editor and viewer are refused.
        for who in ("eve", "vic"):
            refused = live.client(who).save("project_membership_invitation", data=invitation)
            assert refused.status_code == 403, refused.text
        sent = _made(
            live.client("alice").save(
                "project_membership_invitation", data={**invitation, "can_change": True}
            ),
            "project_membership_invitation",
        )
        assert sent["invitee"] == users["mallory"] and sent["can_change"] is True
        assert sent["manage_project"] is False and sent["own_project"] is False
        # Inviting twice is a 400, not a second invitation.
        again = live.client("alice").save("project_membership_invitation", data=invitation)
        assert again.status_code == 400, again.text
        mallory = live.client("mallory")
        pending = mallory.load("project_membership_invitation", load_all=True)
        assert [i["id"] for i in pending["project_membership_invitations"]] == [sent["id"]]
        # Someone else cannot see it, nor accept it for the invitee; the manager cannot either.
        vic = live.client("vic")
        assert vic.load("project_membership_invitation", id=sent["id"]).status_code == 404
        stolen = vic.load(
            "project_membership_invitation", id=sent["id"], options="accept"
        )
        assert stolen.status_code == 404
        by_manager = live.client("alice").load(
            "project_membership_invitation", id=sent["id"], options="accept"
        )
        assert by_manager.status_code == 403
        assert _sees_secret_project(live, "mallory") == nowhere
        accepted = mallory.load("project_membership_invitation", id=sent["id"], options="accept")
        assert accepted.status_code == 200, accepted.text
        assert _sees_secret_project(live, "mallory") == everywhere
        project = mallory.load("project", id=ids["secret_project"]).json()["project"]
        assert project["users"]["mallory"] == {
            "can_change": True,
            "is_manager": False,
            "is_owner": False,
        }
        # The invitation is gone once answered.
        assert mallory.load("project_membership_invitation", id=sent["id"]).status_code == 404

    await run(scenario)


async def test_a_rejected_or_cancelled_invitation_changes_nothing(live: Live) -> None:
    ids, users = live.lab.ids, live.lab.users

    def scenario() -> None:
        alice, mallory = live.client("alice"), live.client("mallory")
        invitation = {"invitee": users["mallory"], "project": ids["secret_project"]}
        first = _made(
            alice.save("project_membership_invitation", data=invitation),
            "project_membership_invitation",
        )
        rejected = mallory.load("project_membership_invitation", id=first["id"], options="reject")
        assert rejected.status_code == 200, rejected.text
        second = _made(
            alice.save("project_membership_invitation", data=invitation),
            "project_membership_invitation",
        )
        # The invitee cannot cancel what the managers sent; the managers can.
        assert mallory.load(
            "project_membership_invitation", id=second["id"], options="cancel"
        ).status_code == 403
        cancelled = alice.load("project_membership_invitation", id=second["id"], options="cancel")
        assert cancelled.status_code == 200, cancelled.text
        assert mallory.load("project_membership_invitation", load_all=True)[
            "project_membership_invitations"
        ] == []
        assert _sees_secret_project(live, "mallory") == {
            "brainstem": False,
            "graphql": False,
            "alyx": False,
        }
        unknown = mallory.load("project_membership_invitation", id=second["id"], options="accept")
        assert unknown.status_code == 404

    await run(scenario)


async def test_a_group_invited_to_a_project_brings_its_members(live: Live) -> None:
    ids, users = live.lab.ids, live.lab.users

    def scenario() -> None:
        mallory = live.client("mallory")
        group = _made(mallory.save("group", data={"name": "Mallory lab"}), "group")
        # Adding a user to a group invites them; they join by accepting.
        changed = mallory.save("group", id=group["id"], data={"users": {"rita@lab.org": {}}})
        assert changed.status_code == 200, changed.text
        assert changed.json()["group"]["users"] == {
            "mallory": {"is_manager": True, "is_owner": True}
        }
        rita = live.client("rita")
        (invited,) = rita.load("group_membership_invitation", load_all=True)[
            "group_membership_invitations"
        ]
        assert invited["authgroup"] == group["id"]
        assert invited["user_account_invitation"] == users["rita"]
        assert rita.load(
            "group_membership_invitation", id=invited["id"], options="accept"
        ).status_code == 200
        sent = _made(
            live.client("alice").save(
                "project_group_membership_invitation",
                data={"invitee": group["id"], "project": ids["secret_project"]},
            ),
            "project_group_membership_invitation",
        )
        # A member who does not manage the group neither sees it nor accepts for it; its
        # manager does.
        assert rita.load(
            "project_group_membership_invitation", id=sent["id"], options="accept"
        ).status_code == 404
        assert mallory.load(
            "project_group_membership_invitation", id=sent["id"], options="accept"
        ).status_code == 200
        for who in ("mallory", "rita"):
            assert _sees_secret_project(live, who)["brainstem"], who
        members = mallory.load("project", id=ids["secret_project"]).json()["project"]["users"]
        assert members["rita"] == {"can_change": False, "is_manager": False, "is_owner": False}

    await run(scenario)


async def test_groups_requests_and_laboratories_round_trip(live: Live) -> None:
    users = live.lab.users

    def scenario() -> None:
        vic, eve = live.client("vic"), live.client("eve")
        # Users named on creation are not added: the creator is its only member.
        group = _made(vic.save("group", data={"name": "Vic lab", "users": {"eve": {}}}), "group")
        assert group["users"] == {"vic": {"is_manager": True, "is_owner": True}}
        # A refused change of its users leaves its name as it was too.
        refused = vic.save("group", id=group["id"], data={"name": "X", "users": {"nobody": {}}})
        assert refused.status_code == 400 and "users" in refused.json()
        assert vic.load("group", id=group["id"]).json()["group"]["name"] == "Vic lab"
        assert eve.load("group_membership_invitation", load_all=True)[
            "group_membership_invitations"
        ] == []
        # Joining files a request its managers answer; the member may leave again.
        joined = eve.load("group", id=group["id"], options="join")
        request = _made(joined, "group_membership_request")
        assert request["authgroup"] == group["id"]
        assert request["user_account_request"] == users["eve"]
        assert eve.load(
            "group_membership_request", id=request["id"], options="accept"
        ).status_code == 403
        assert vic.load(
            "group_membership_request", id=request["id"], options="accept"
        ).status_code == 200
        listed = vic.load("group", id=group["id"]).json()["group"]["users"]
        assert listed["eve"] == {"is_manager": False, "is_owner": False}
        assert eve.load("group", id=group["id"], options="leave").status_code == 200
        assert "eve" not in vic.load("group", id=group["id"]).json()["group"]["users"]
        # A laboratory: BrainSTEM's required fields, made by its group's managers.
        body = {
            "group": group["id"],
            "principal_investigators": [users["vic"]],
            "institution": "A university",
        }
        missing = vic.save("laboratory", data={"institution": "A university"})
        assert missing.status_code == 400 and "group" in missing.json()
        assert eve.save("laboratory", data=body).status_code == 403
        lab = _made(vic.save("laboratory", data=body), "laboratory")
        assert lab["group"] == group["id"] and lab["principal_investigators"] == [users["vic"]]
        assert lab["city"] == "" and lab["institution"] == "A university"
        loaded = live.client("eve").load("laboratory", id=lab["id"]).json()["laboratory"]
        assert loaded == lab
        changed = vic.save("laboratory", id=lab["id"], data={"description": "new text"})
        assert changed.json()["laboratory"]["description"] == "new text"
        # One entity, two surfaces: Alyx serves it at /labs by its name.
        alyx = requests.get(
            f"{live.url}/labs/{lab['name']}",
            headers={"Authorization": f"Token {live.lab.tokens['eve']}"},
            timeout=30,
        )
        assert alyx.status_code == 200 and alyx.json()["institution"] == "A university"
        assert vic.delete("laboratory", id=lab["id"]).status_code == 204
        assert eve.delete("group", id=group["id"]).status_code == 403
        assert vic.delete("group", id=group["id"]).status_code == 204

    await run(scenario)


async def test_load_answers_each_users_app_model_in_its_envelope(live: Live) -> None:
    def scenario() -> None:
        alice = live.client("alice")
        group = _made(alice.save("group", data={"name": "Alice lab"}), "group")
        alice.save("group", id=group["id"], data={"users": {"eve": {}}})
        live.client("vic").load("group", id=group["id"], options="join")
        alice.save("laboratory", data={
            "group": group["id"], "principal_investigators": [], "institution": "U",
        })
        alice.save("project_membership_invitation", data={
            "invitee": live.lab.users["mallory"], "project": live.lab.ids["open_project"],
        })
        alice.save("project_group_membership_invitation", data={
            "invitee": group["id"], "project": live.lab.ids["secret_project"],
        })
        for model in USERS_APP:
            listed = alice.load(model, load_all=True)
            plural = BRAINSTEM[model].plural
            assert len(listed[plural]) >= 1, model
            key = listed[plural][0]["id"]
            one = alice.load(model, id=key)
            assert one.status_code == 200, one.text
            assert list(one.json()) == [BRAINSTEM[model].singular]
        # The public portal lists groups; invitations are their people's business.
        public = alice.load("group", portal="public").json()["groups"]
        assert [g["name"] for g in public] == ["Alice lab"]
        hidden = alice.load("project_membership_invitation", portal="public").json()
        assert hidden["project_membership_invitations"] == []

    await run(scenario)
