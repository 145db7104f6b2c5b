"""The real ``brainstem-python-api-tools`` 2.0.0 client against a live gateway: what a lab's
script does with ``load``, ``save`` and ``delete`` must work unchanged (CLIENTS.md).

The client is synchronous (requests): each scenario runs in a worker thread while uvicorn
serves the app in another. HOME and the XDG directories point into the test's temporary
directory, so the client can write nothing outside it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from brainstem_api_tools import brainstem_api_client
from brainstem_api_tools.brainstem_api_client import AuthenticationError, BrainstemClient
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.app import create_app
from gateway.db.models import Species
from gateway.settings import Settings
from tests.live import serve
from tests.rest.brainstem.support import Lab, arrange

T = TypeVar("T")
SCENARIO_SECONDS = 60  # a client paging forever fails the test instead of hanging it


@dataclass
class Live:
    url: str
    lab: Lab

    def client(self, who: str) -> BrainstemClient:
        return BrainstemClient(token=self.lab.tokens[who], url=self.url)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(home / name.lower()))
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    # The client resolved its token file from HOME when it was imported.
    monkeypatch.setattr(
        brainstem_api_client, "_TOKEN_FILE", home / ".config" / "brainstem" / "token"
    )
    return home


@pytest.fixture
async def live(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], home: Path
) -> AsyncIterator[Live]:
    lab = await arrange(sessionmaker)
    with serve(create_app(settings)) as url:
        yield Live(url, lab)
    assert not any(home.rglob("*")), "the client wrote into HOME"


async def run(scenario: Callable[[], T]) -> T:
    return await asyncio.wait_for(asyncio.to_thread(scenario), SCENARIO_SECONDS)


def names(response: Any, key: str) -> list[str]:
    assert response.status_code == 200, response.text
    return [record["name"] for record in response.json()[key]]


async def test_load_lists_with_filters_sort_and_includes(live: Live) -> None:
    ids = live.lab.ids

    def scenario() -> None:
        client = live.client("alice")
        assert sorted(names(client.load("project"), "projects")) == [
            "open_project",
            "secret_project",
        ]
        response = client.load(
            "session",
            filters={"description.icontains": "hippo"},
            sort=["-name"],
            include=["projects"],
        )
        assert names(response, "sessions") == ["secret_run", "open_morning"]
        embedded = response.json()["sessions"][0]["projects"]
        assert [p["name"] for p in embedded] == ["secret_project", "open_project"]
        by_project = client.load("subject", filters={"projects.id": ids["secret_project"]})
        assert names(by_project, "subjects") == ["M002"]
        strains = client.load("strain", filters={"species.id": ids["rat"]}, include=["species"])
        assert strains.json()["strains"][0]["species"]["name"] == "Rat"
        public = client.load("session", portal="public", sort=["date_time"])
        assert names(public, "sessions") == ["open_morning", "open_evening"]

    await run(scenario)


async def test_the_convenience_loaders_and_their_default_includes(live: Live) -> None:
    ids = live.lab.ids

    def scenario() -> None:
        client = live.client("alice")
        project = client.load_project(name="open").json()["projects"][0]
        assert project["name"] == "open_project"
        assert project["collections"] == [] and project["cohorts"] == []
        assert {s["name"] for s in project["sessions"]} == {
            "open_morning",
            "open_evening",
            "secret_run",
        }
        subjects = client.load_subject(projects=ids["open_project"], sex="M").json()["subjects"]
        assert [s["name"] for s in subjects] == ["M002"]
        assert subjects[0]["procedures"] == [] and subjects[0]["subjectlogs"] == []
        sessions = client.load_session(name="secret").json()["sessions"]
        assert [s["name"] for s in sessions] == ["secret_run"]
        assert sessions[0]["dataacquisition"] == sessions[0]["epochs"] == []
        assert names(client.load_species(name="mou"), "species") == ["Mouse"]
        assert names(client.load_strain(species=ids["mouse"]), "strains") == ["C57BL/6J"]

    await run(scenario)


async def test_load_one_record_and_a_missing_one(live: Live) -> None:
    ids = live.lab.ids

    def scenario() -> None:
        client = live.client("alice")
        one = client.load("session", id=ids["secret_run"])
        assert one.status_code == 200
        assert one.json()["session"]["projects"] == [ids["secret_project"], ids["open_project"]]
        assert client.load("session", id=ids["foreign_run"]).status_code == 404
        assert client.load("species", id=ids["rat"]).json()["species"]["name"] == "Rat"

    await run(scenario)


async def test_load_all_pages_by_count_until_it_has_every_record(
    live: Live, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session:
        await session.execute(insert(Species), [{"name": f"Species {i:03d}"} for i in range(250)])
        await session.commit()

    def scenario() -> None:
        client = live.client("alice")
        everything = client.load("species", load_all=True)
        assert len(everything["species"]) == everything["count"] == 252
        assert len({s["id"] for s in everything["species"]}) == 252
        small_pages = client.load(
            "species", filters={"name.startswith": "Species 1"}, limit=7, load_all=True
        )
        assert [s["name"] for s in small_pages["species"]] == [
            f"Species {i}" for i in range(100, 200)
        ]
        sorted_pages = client.load("session", sort=["-date_time"], limit=1, load_all=True)
        assert [s["name"] for s in sorted_pages["sessions"]] == [
            "secret_run",
            "open_evening",
            "open_morning",
        ]

    await run(scenario)


async def test_an_oversize_page_is_refused_rather_than_cut(live: Live) -> None:
    def scenario() -> None:
        response = live.client("alice").load("species", limit=500)
        assert response.status_code == 400
        assert "detail" in response.json()

    await run(scenario)


async def test_save_and_delete_a_project_with_its_subject_and_session(live: Live) -> None:
    ids = live.lab.ids

    def scenario() -> None:
        client = live.client("vic")
        created = client.save("project", data={"name": "client_project", "description": "x"})
        assert created.status_code == 201, created.text
        project = created.json()["project"]
        assert project["users"]["vic"]["is_manager"] is True
        changed = client.save("project", id=project["id"], data={"is_public": True})
        assert changed.status_code == 200 and changed.json()["project"]["is_public"] is True

        subject = client.save(
            "subject",
            data={
                "name": "CL01",
                "projects": [project["id"]],
                "strain": ids["c57"],
                "sex": "M",
            },
        )
        assert subject.status_code == 201, subject.text
        subject_id = subject.json()["subject"]["id"]
        assert subject.json()["subject"]["species"] == ids["mouse"]
        session = client.save(
            "session",
            data={
                "name": "CL01_first",
                "projects": [project["id"]],
                "date_time": "2024-06-01T09:30:00Z",
                "description": "first session",
            },
        )
        assert session.status_code == 201, session.text
        session_id = session.json()["session"]["id"]
        renamed = client.save("session", id=session_id, data={"name": "CL01_first_renamed"})
        assert renamed.json()["session"]["name"] == "CL01_first_renamed"

        listed = client.load_project(name="client_project").json()["projects"][0]
        assert [s["id"] for s in listed["sessions"]] == [session_id]
        assert [s["id"] for s in listed["subjects"]] == [subject_id]

        refused = client.save("session", id=ids["secret_run"], data={"name": "mine now"})
        assert refused.status_code == 403
        invalid = client.save("subject", data={"name": "CL02", "projects": []})
        assert invalid.status_code == 400 and list(invalid.json()) == ["projects"]

        deleted = client.delete("session", id=session_id)
        assert deleted.status_code == 204 and deleted.content == b""
        assert client.delete("subject", id=subject_id).status_code == 204
        assert client.delete("project", id=project["id"]).status_code == 204
        assert client.load("project", id=project["id"]).status_code == 404

    await run(scenario)


async def test_species_and_strains_through_approvals(live: Live) -> None:
    ids = live.lab.ids

    def scenario() -> None:
        alice, rita, ada = live.client("alice"), live.client("rita"), live.client("ada")
        proposed = alice.save("species", data={"name": "Zebrafish", "description": "Danio rerio"})
        assert proposed.status_code == 201
        species_approval = proposed.json()["species_approval"]
        assert species_approval["status"] == "Pending" and species_approval["action"] == "Add"
        assert names(alice.load("species", filters={"name": "Zebrafish"}), "species") == []

        change = alice.save("species", id=ids["rat"], data={"description": "Rattus norvegicus"})
        assert change.status_code == 200
        assert change.json()["species_approval"]["instance_id"] == ids["rat"]

        strain = alice.save("strain", data={"name": "Wistar", "species": ids["rat"]})
        assert strain.status_code == 201
        strain_approval = strain.json()["strain_approval"]
        pending = alice.load("strainapproval").json()
        assert [a["id"] for a in pending["strain_approvals"]] == [strain_approval["id"]]
        one = alice.load("strainapproval", id=strain_approval["id"]).json()["strain_approval"]
        assert one["name"] == "Wistar" and one["reviewer"] is None

        assert (
            alice.save("strainapproval", id=strain_approval["id"], options="accept").status_code
            == 403
        )
        accepted = rita.save("strainapproval", id=strain_approval["id"], options="accept")
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["strain_approval"]["status"] == "Accepted"
        assert accepted.json()["strain_approval"]["reviewer"] == live.lab.users["rita"]
        wistar = alice.load_strain(name="Wistar").json()["strains"][0]
        assert wistar["species"] == ids["rat"]

        rejected = rita.save("strainapproval", id=strain_approval["id"], options="reject")
        assert rejected.status_code == 409  # already accepted

        assert alice.delete("strain", id=wistar["id"]).status_code == 403
        assert ada.delete("strain", id=wistar["id"]).status_code == 204
        assert names(alice.load_strain(name="Wistar"), "strains") == []

    await run(scenario)


async def test_the_client_knows_no_species_approvals_so_seed_002s_call_fails_in_the_client(
    live: Live,
) -> None:
    """2.0.0 has ``strainapproval`` but not ``speciesapproval`` (DOMAIN.md §1.7): scripts reach
    species approvals only over plain HTTP (covered in tests/rest/brainstem/test_taxonomy.py)."""
    with pytest.raises(ValueError, match="speciesapproval"):
        live.client("rita").load("speciesapproval")


async def test_users_are_loaded_from_the_users_app(live: Live) -> None:
    def scenario() -> None:
        users = live.client("alice").load("user", filters={"username.startswith": "r"})
        assert [u["username"] for u in users.json()["users"]] == ["rita"]

    await run(scenario)


async def test_a_bad_token_is_refused_and_load_all_raises_the_clients_error(live: Live) -> None:
    def scenario() -> None:
        client = BrainstemClient(token="ngp_not-a-real-token", url=live.url)
        assert client.load("project").status_code == 401
        with pytest.raises(AuthenticationError):
            client.load("project", load_all=True)

    await run(scenario)
