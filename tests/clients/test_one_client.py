"""The real ``one-api`` 3.6.1 client (``one.webclient.AlyxClient`` and ``one.api.ONE``) against
a live gateway: what a lab's ONE script does must work unchanged (CLIENTS.md).

The client is synchronous (requests): each scenario runs in a worker thread while uvicorn
serves the app in another. HOME and the XDG directories point into the test's temporary
directory, where ONE keeps its parameters, token cache and downloads.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from gateway.app import create_app
from gateway.db.models import Session, SessionProject
from gateway.db.models._base import utcnow
from gateway.settings import Settings
from tests.auth.support import PASSWORD, Clock
from tests.live import serve
from tests.rest.alyx.support import Lab, arrange

T = TypeVar("T")
SCENARIO_SECONDS = 120  # a client paging forever fails the test instead of hanging it


@dataclass
class Live:
    url: str
    lab: Lab
    app: Starlette

    def one(self, who: str) -> Any:
        """``ONE`` in remote mode, signed in as ``who``."""
        from one.api import ONE

        return ONE(
            mode="remote",
            base_url=self.url,
            username=who,
            password=PASSWORD,
            silent=True,
            cache_rest=None,
        )

    def client(self, who: str, **kw: Any) -> Any:
        from one.webclient import AlyxClient

        return AlyxClient(
            base_url=self.url, username=who, password=PASSWORD, silent=True, cache_rest=None, **kw
        )


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
    # ONE resolved its default download directory from HOME when it was imported.
    import one.params

    monkeypatch.setattr(one.params, "CACHE_DIR_DEFAULT", str(home / "Downloads" / "ONE"))
    return home


@pytest.fixture
async def live(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], home: Path
) -> AsyncIterator[Live]:
    lab = await arrange(sessionmaker, settings)
    app = create_app(settings)
    with serve(app) as url:
        yield Live(url, lab, app)
    # ONE keeps its parameters in ~/.one and downloads in ~/Downloads/ONE: here, the
    # temporary HOME, and nowhere else in it.
    written = {p.relative_to(home).parts[:2] for p in home.rglob("*")}
    assert written <= {(".one",), ("Downloads",), ("Downloads", "ONE")} | {
        (".one", p.name) for p in (home / ".one").glob("*")
    }


async def run(scenario: Callable[[], T]) -> T:
    return await asyncio.wait_for(asyncio.to_thread(scenario), SCENARIO_SECONDS)


async def test_authenticate_and_list_subjects_and_a_subjects_sessions(live: Live) -> None:
    ids = live.lab.ids

    def scenario() -> None:
        alyx = live.client("alice")
        assert alyx.is_logged_in and alyx.user == "alice"
        assert alyx.rest_schemes.endpoints == [
            *("brain-regions", "data-formats", "data-repository", "dataset-types", "datasets"),
            *("files", "insertions", "labs", "procedures", "projects", "revisions", "sessions"),
            *("subjects", "surgeries", "tags", "trajectories", "users", "water-administrations"),
            *("water-requirement", "water-restricted-subjects", "water-restriction", "water-type"),
            "weighings",
        ]
        subjects = alyx.rest("subjects", "list")
        assert [s["nickname"] for s in subjects] == ["EJ001", "EJ002", "EJ010"]
        sessions = alyx.rest("sessions", "list", subject="EJ001")
        assert [s["id"] for s in sessions] == [ids["ej1_evening"], ids["ej1_morning"]]
        assert sessions[0]["start_time"] == "2024-03-01T18:30:00"
        by_protocol = alyx.rest("sessions", "list", task_protocol="ephys", number=1)
        assert [s["id"] for s in by_protocol] == [ids["ej1_morning"]]
        by_id = alyx.rest("sessions", "list", id=ids["ej2_secret"])
        assert [s["subject"] for s in by_id] == ["EJ002"]
        assert alyx.rest("subjects", "read", id="EJ002")["projects"] == [
            "secret_project",
            "open_project",
        ]
        detail = alyx.rest("sessions", "read", id=ids["ej1_morning"])
        assert detail["users"] == ["alice"] and detail["narrative"] == "hippocampus recording"
        names = [d["name"] for d in detail["data_dataset_session_related"]]
        assert names == ["_ibl_trials.intervals.npy", "_ibl_wheel.position.npy"]
        assert alyx.rest("users", "read", id="eve")["username"] == "eve"
        assert [lab["name"] for lab in alyx.rest("labs", "list")] == ["churchlandlab", "cortexlab"]
        files = alyx.rest("datasets", "list", session=ids["ej1_morning"])
        assert sorted(d["url"][-36:] for d in files) == sorted([ids["trials"], ids["wheel"]])

    await run(scenario)


async def test_create_partially_update_and_delete_a_subject_and_a_session(live: Live) -> None:
    def scenario() -> None:
        alyx = live.client("eve")
        subject = alyx.rest(
            "subjects",
            "create",
            data={
                "nickname": "ONE_01",
                "projects": ["secret_project"],
                "sex": "F",
                "birth_date": "2024-01-15",
                "strain": "C57BL/6J",
                "json": {"origin": "ONE"},
            },
        )
        assert subject["nickname"] == "ONE_01" and subject["species"] == "Mouse"
        assert subject["url"].endswith("/subjects/ONE_01")
        changed = alyx.rest(
            "subjects", "partial_update", id="ONE_01", data={"description": "made by ONE"}
        )
        assert changed["description"] == "made by ONE" and changed["sex"] == "F"

        session = alyx.rest(
            "sessions",
            "create",
            data={
                "subject": "ONE_01",
                "projects": ["secret_project"],
                "type": "Experiment",
                "task_protocol": "_iblrig_tasks_habituationChoiceWorld",
                "number": 1,
                "start_time": "2024-06-01T09:30:00",
                "narrative": "first day",
            },
        )
        key = session["id"]
        assert session["url"].endswith(f"/sessions/{key}") and session["subject"] == "ONE_01"
        patched = alyx.rest("sessions", "partial_update", id=key, data={"number": 2})
        assert patched["number"] == 2 and patched["narrative"] == "first day"
        assert [s["id"] for s in alyx.rest("sessions", "list", subject="ONE_01")] == [key]

        with pytest.raises(requests.HTTPError) as refused:
            live.client("vic").rest("sessions", "partial_update", id=key, data={"number": 3})
        assert refused.value.response.status_code == 403

        assert alyx.rest("sessions", "delete", id=key) is None
        assert alyx.rest("subjects", "delete", id="ONE_01") is None
        with pytest.raises(requests.HTTPError) as gone:
            alyx.rest("subjects", "read", id="ONE_01")
        assert gone.value.response.status_code == 404

    await run(scenario)


async def test_paging_through_next_reaches_every_session(
    live: Live, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    ids = live.lab.ids
    project, subject = uuid.UUID(ids["open_project"]), uuid.UUID(ids["EJ010"])
    async with sessionmaker() as db:
        rows = [
            {
                "name": f"bulk_{i:03d}",
                "project_id": project,
                "subject_id": subject,
                "number": i,
                "start_time": datetime(2023, 1, 1, 0, i),
            }
            for i in range(1, 26)
        ]
        made = (await db.execute(insert(Session).returning(Session.id), rows)).scalars().all()
        await db.execute(
            insert(SessionProject),
            [{"session_id": key, "project_id": project} for key in made],
        )
        await db.commit()

    def scenario() -> None:
        alyx = live.client("alice")
        pages = alyx.rest("sessions", "list", subject="EJ010", limit=10)
        assert len(pages) == 25  # a lazy list: count, then pages fetched through next
        numbers = [s["number"] for s in pages]
        assert numbers == list(range(25, 0, -1))
        assert len({s["id"] for s in pages}) == 25
        everyone = alyx.rest("sessions", "list")
        assert len(everyone) == 28 and everyone[-1]["number"] == 1

    await run(scenario)


async def test_an_expired_token_is_renewed_with_the_stored_password(live: Live) -> None:
    """ONE logs in again on a 403 ``Invalid token.``: with the password in its parameter file
    (how unattended scripts run), the request that met the expired token then succeeds."""
    from one import params

    clock = Clock(utcnow())
    live.app.state.clock = clock

    def scenario() -> None:
        par = params.get(client=live.url, silent=True).set("ALYX_PWD", PASSWORD)
        params.save(par, live.url)
        alyx = live.client("alice")
        first_token = alyx._token["token"]
        assert len(alyx.rest("subjects", "list")) == 3
        clock.now = clock.now.replace(year=clock.now.year + 1)  # long past the 24 hours
        assert len(alyx.rest("subjects", "list")) == 3
        assert alyx._token["token"] != first_token

    await run(scenario)


async def test_bad_credentials_and_refused_requests_raise_the_clients_errors(live: Live) -> None:
    def scenario() -> None:
        from one.webclient import AlyxClient

        with pytest.raises(requests.HTTPError) as bad:
            AlyxClient(
                base_url=live.url, username="alice", password="wrong", silent=True, cache_rest=None
            )
        assert bad.value.response.status_code == 400
        alyx = live.client("alice")
        with pytest.raises(requests.HTTPError) as unknown:
            alyx.rest("sessions", "list", django="colour__exact,blue")
        assert unknown.value.response.status_code == 400
        with pytest.raises(ValueError, match="does not exist"):
            alyx.rest("cages", "list")

    await run(scenario)


async def test_one_searches_sessions_remotely(live: Live) -> None:
    ids = live.lab.ids

    def scenario() -> None:
        one = live.one("alice")
        assert [str(e) for e in one.search(subject="EJ001")] == [
            ids["ej1_evening"],
            ids["ej1_morning"],
        ]
        eids, details = one.search(subject="EJ001", number=2, details=True)
        assert [str(e) for e in eids] == [ids["ej1_evening"]]
        assert details[0]["lab"] == "cortexlab" and str(details[0]["date"]) == "2024-03-01"
        in_march = one.search(date_range=["2024-03-02", "2024-03-31"], laboratory="churchland")
        assert [str(e) for e in in_march] == []  # lab is an exact (case-insensitive) match
        assert [str(e) for e in one.search(date_range=["2024-03-02", "2024-03-31"])] == [
            ids["ej2_secret"]
        ]
        datasets = one.list_datasets(ids["ej1_morning"])
        assert sorted(datasets) == [
            "alf/_ibl_trials.intervals.npy",
            "alf/_ibl_wheel.position.npy",
        ]

    await run(scenario)


async def test_one_search_with_details_get_details_and_list_datasets(live: Live) -> None:
    ids = live.lab.ids

    def scenario() -> None:
        one = live.one("alice")
        eids, details = one.search(subject="EJ001", details=True)
        assert [str(e) for e in eids] == [ids["ej1_evening"], ids["ej1_morning"]]
        assert [str(d["date"]) for d in details] == ["2024-03-01", "2024-03-01"]
        full = one.get_details(ids["ej1_morning"], full=True)
        assert full["start_time"] == "2024-03-01T09:00:00" and full["users"] == ["alice"]
        assert datetime.fromisoformat(full["start_time"]) == datetime(2024, 3, 1, 9, 0)
        assert str(one.get_details(ids["ej1_morning"])["date"]) == "2024-03-01"
        assert sorted(one.list_datasets(ids["ej1_morning"])) == [
            "alf/_ibl_trials.intervals.npy",
            "alf/_ibl_wheel.position.npy",
        ]
        # A new session's experimenter defaults to who registered it, as on Alyx.
        made = one.alyx.rest("sessions", "create", data={
            "subject": "EJ001", "projects": ["open_project"], "number": 3,
            "start_time": "2024-03-01T20:00:00.250000", "users": [], "type": "Experiment",
        })  # fmt: skip
        assert made["users"] == ["alice"] and made["start_time"] == "2024-03-01T20:00:00.250000"

    await run(scenario)


async def test_anonymous_requests_are_refused_as_alyx_refuses_them(live: Live) -> None:
    """ONE's requests without a token (its header stripped, and its automatic sign-in
    turned off, as for a caller without credentials): Alyx's 403, which ONE raises."""

    def scenario() -> None:
        alyx = live.client("alice")
        assert alyx.rest_schemes.endpoints  # read while signed in, as ONE does first
        alyx._headers.pop("Authorization")
        alyx.authenticate = lambda *args, **kw: None
        for endpoint, action, kw in [
            ("sessions", "list", {}),
            ("subjects", "read", {"id": "EJ001"}),
            ("datasets", "list", {}),
            ("labs", "list", {}),
        ]:
            with pytest.raises(requests.HTTPError) as refused:
                alyx.rest(endpoint, action, **kw)
            assert refused.value.response.status_code == 403
            assert refused.value.response.json() == {
                "detail": "Authentication credentials were not provided.",
                "status_code": 403,
            }
        public = alyx.rest("users", "list")
        assert "alice" in [u["username"] for u in public]
        assert [s["nickname"] for s in alyx.rest("subjects", "list")] == ["EJ001", "EJ010"]

    await run(scenario)


async def test_an_admin_creates_labs_and_projects_through_one(live: Live) -> None:
    """ONE finds the create action in the schema; only administrators may use it (Alyx's
    403 for the others); users carry UUID ids."""

    def scenario() -> None:
        admin = live.client("ada")
        assert "create" in admin.rest_schemes.actions("labs")
        lab = admin.rest("labs", "create", data={"name": "hausserlab", "institution": "Columbia"})
        assert lab["name"] == "hausserlab" and lab["institution"] == "Columbia"
        project = admin.rest(
            "projects", "create", data={"name": "ibl_new", "description": "d", "users": ["eve"]}
        )
        assert "eve" in project["users"]
        eve = live.client("eve")
        assert eve.rest("projects", "read", id="ibl_new")["description"] == "d"
        assert eve.rest("labs", "read", id="hausserlab")["institution"] == "Columbia"
        with pytest.raises(requests.HTTPError) as refused:
            eve.rest("labs", "create", data={"name": "evelab"})
        assert refused.value.response.status_code == 403
        for user in eve.rest("users", "list"):
            assert str(uuid.UUID(user["id"])) == user["id"]

    await run(scenario)


# --- ONE under Python 3.10, whose datetime.fromisoformat refuses a trailing "Z" ------------

PY310_VENV = Path(__file__).resolve().parents[2] / ".cache" / "one-py310"  # git-ignored
PY310_BUILD_SECONDS = 1200
# The build runs with the machine's home (pip, and whatever else runs on this machine when
# an interpreter starts, keep their state there), not the test's temporary one, which must
# hold only what ONE writes.
MACHINE_HOME = Path.home()


def _python_310() -> Path:
    """A Python 3.10 interpreter: pyenv's 3.10.13 on this machine. pyenv's own versions come
    first: its ``python3.10`` shim fails where another version is the selected one."""
    candidates = sorted(Path.home().glob(".pyenv/versions/3.10.*/bin/python3.10"))
    candidates += sorted(Path("/root/.pyenv/versions").glob("3.10.*/bin/python3.10"))
    found = shutil.which("python3.10")
    candidates += [Path(found)] if found else []
    existing = [c for c in candidates if c.exists()]
    assert existing, "ONE must be proven on Python 3.10 too: install it (pyenv install 3.10)"
    return existing[0]


def one_on_python_310() -> Path:
    """The cached Python 3.10 venv with one-api 3.6.1, built once."""
    python = PY310_VENV / "bin" / "python"
    probe = [str(python), "-c", "import one; assert one.__version__ == '3.6.1'"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    PY310_VENV.parent.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env["HOME"] = str(MACHINE_HOME)
    venv = [str(_python_310()), "-m", "venv", "--clear", str(PY310_VENV)]
    subprocess.run(venv, check=True, env=env)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "one-api==3.6.1"],
        check=True,
        timeout=PY310_BUILD_SECONDS,
        env=env,
    )
    return python


async def on_python_310(script: str, home: Path, *args: str) -> Any:
    """What the ONE script ``script`` (beside this file) prints as JSON, run with ``args``
    by Python 3.10 with one-api 3.6.1 (its venv built once)."""
    python = await asyncio.to_thread(one_on_python_310)
    env = {**os.environ, "HOME": str(home), "NO_PROXY": "127.0.0.1,localhost"}
    done = await asyncio.to_thread(
        subprocess.run,
        [str(python), str(Path(__file__).with_name(script)), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=SCENARIO_SECONDS,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer.pop("python") == [3, 10]
    return answer


async def test_one_on_python_310_searches_and_reads_details(live: Live, home: Path) -> None:
    ids = live.lab.ids
    answer = await on_python_310(
        "one_py310.py", home, live.url, "alice", PASSWORD, ids["ej1_morning"]
    )
    assert answer["eids"] == [ids["ej1_evening"], ids["ej1_morning"]]
    assert answer["dates"] == ["2024-03-01", "2024-03-01"]
    assert answer["start_time"] == "2024-03-01T09:00:00" and answer["users"] == ["alice"]
    assert answer["datasets"] == ["alf/_ibl_trials.intervals.npy", "alf/_ibl_wheel.position.npy"]
