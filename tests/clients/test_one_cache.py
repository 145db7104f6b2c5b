"""The real ONE 3.6.1 with ONE's cache tables (``/cache/info``, ``/cache.zip``), and ONE's probe
insertion helpers over ``/insertions``: searches and dataset lists answered locally from tables
holding only what the caller may see, tables rebuilt when the data changes and reused
otherwise.

ONE 3 has two modes, 'remote' (its default) and 'local'; the 'auto' mode of ONE 1 and 2 is
gone. Its cache tables are fetched by ``load_cache()`` (``cache/info``, then ``cache.zip`` when
newer than its own) and then answer ``query_type='local'`` calls, and every call of a
``ONE(mode='local')`` started later on the same directory, without the server."""

from __future__ import annotations

import io
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import requests
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import Session
from tests.auth.support import PASSWORD
from tests.clients.test_one_client import Live, run
from tests.clients.test_one_client import home as home
from tests.clients.test_one_client import live as live
from tests.rest.alyx.test_atlas import add_probes


def one_with_tables(live: Live, who: str, cache_dir: Path) -> Any:
    """ONE as a user starts it on a fresh cache directory, with the server's tables loaded."""
    from one.api import ONE

    one = ONE(
        mode="remote",
        base_url=live.url,
        username=who,
        password=PASSWORD,
        silent=True,
        cache_dir=cache_dir,
    )
    one.load_cache()
    return one


def token_headers(live: Live, who: str) -> dict[str, str]:
    return {"Authorization": f"Token {live.lab.tokens[who]}"}


# ONE 3.6.1's local queries pass pandas keywords (inplace=, copy=) that pandas 3.1 deprecates:
# notices about ONE's code meant for its authors. Every other warning (ONE's own, such as a
# fallback to remote queries or a table it cannot read) still fails the test.
@pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")
async def test_one_downloads_the_tables_and_answers_locally(
    live: Live, tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    ids = live.lab.ids
    probes = await add_probes(sessionmaker, live.lab)

    def scenario() -> None:
        one = one_with_tables(live, "alice", tmp_path / "alice")
        assert {p.name for p in (tmp_path / "alice").glob("*.pqt")} == {
            "sessions.pqt",
            "datasets.pqt",
        }
        assert one.mode == "remote" and not one.offline
        local = one.search(subject="EJ001", query_type="local")
        assert sorted(str(e) for e in local) == sorted([ids["ej1_morning"], ids["ej1_evening"]])
        assert sorted(str(e) for e in one.search(subject="EJ001")) == sorted(map(str, local))
        listed = [
            "alf/_ibl_trials.intervals.npy",
            "alf/_ibl_wheel.position.npy",
            "alf/probe00/pykilosort/spikes.times.npy",
        ]
        assert sorted(one.list_datasets(ids["ej1_morning"], query_type="local")) == listed
        assert sorted(one.list_datasets(ids["ej1_morning"])) == listed
        # Later, without the server: ONE in local mode on the same directory.
        from one.api import ONE

        offline = ONE(mode="local", cache_dir=tmp_path / "alice")
        assert sorted(map(str, offline.search(subject="EJ001"))) == sorted(map(str, local))
        assert sorted(offline.list_datasets(ids["ej1_morning"])) == listed
        # Asked again, the server has nothing newer: nothing is downloaded.
        before = {p: p.stat().st_mtime_ns for p in (tmp_path / "alice").glob("*.pqt")}
        one.load_cache(clobber=True)
        assert {p: p.stat().st_mtime_ns for p in (tmp_path / "alice").glob("*.pqt")} == before
        sessions = one._cache["sessions"]
        assert sorted(str(e) for e in sessions.index) == sorted(
            [ids["ej1_morning"], ids["ej1_evening"], ids["ej2_secret"]]
        )
        morning = sessions.loc[uuid.UUID(ids["ej1_morning"])]
        assert (morning["lab"], morning["subject"], str(morning["date"])) == (
            "cortexlab",
            "EJ001",
            "2024-03-01",
        )
        assert morning["number"] == 1 and morning["projects"] == "open_project"
        # ONE's probe helpers, over /insertions.
        pids, names = one.eid2pid(ids["ej1_morning"], query_type="remote")
        assert [str(p) for p in pids] == [probes["probe00"], probes["probe01"]]
        assert names == ["probe00", "probe01"]
        eid, name = one.pid2eid(probes["probe01"], query_type="remote")
        assert (str(eid), name) == (ids["ej1_morning"], "probe01")
        listed = one.alyx.rest("insertions", "list", session=ids["ej1_morning"])
        assert [r["name"] for r in listed] == ["probe00", "probe01"]

    await run(scenario)


async def test_the_tables_hold_only_what_the_caller_may_see(live: Live) -> None:
    ids = live.lab.ids

    def tables(who: str) -> dict[str, Any]:
        response = requests.get(f"{live.url}/cache.zip", headers=token_headers(live, who))
        assert response.status_code == 200
        with zipfile.ZipFile(io.BytesIO(response.content)) as zipped:
            return {
                name: pq.read_table(io.BytesIO(zipped.read(name))).to_pydict()
                for name in ("sessions.pqt", "datasets.pqt")
            }

    def scenario() -> None:
        alice, mallory = tables("alice"), tables("mallory")
        assert ids["ej2_secret"] in alice["sessions.pqt"]["id"]
        assert ids["ej2_secret"] not in mallory["sessions.pqt"]["id"]
        assert ids["secret_trials"] in tables("vic")["datasets.pqt"]["id"]
        assert ids["trials"] in mallory["datasets.pqt"]["id"]  # of the public project
        assert ids["secret_trials"] not in mallory["datasets.pqt"]["id"]
        assert ids["loose"] not in alice["datasets.pqt"]["id"]  # a file of no session
        anonymous = requests.get(f"{live.url}/cache/info")
        assert anonymous.status_code == 403 and anonymous.json()["detail"]

    await run(scenario)


async def test_the_tables_are_rebuilt_when_data_changes_and_reused_otherwise(
    live: Live, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    def info() -> dict[str, Any]:
        response = requests.get(f"{live.url}/cache/info", headers=token_headers(live, "alice"))
        assert response.status_code == 200
        return response.json()  # type: ignore[no-any-return]

    first = await run(info)
    assert first["location"] == f"{live.url}/cache.zip"
    assert first["min_api_version"] and first["tables"]["sessions"]["nrecs"] == 3
    time.sleep(1.1)  # a rebuild would carry a later date_created
    assert await run(info) == first
    async with sessionmaker() as db:
        lab = uuid.UUID(live.lab.ids["cortexlab"])
        session = await db.get(Session, uuid.UUID(live.lab.ids["ej1_evening"]))
        assert session is not None
        db.add(
            Session(
                name="ej1_late",
                number=3,
                project_id=session.project_id,
                subject_id=session.subject_id,
                lab_id=lab,
                start_time=session.start_time,
            )
        )
        await db.commit()
    rebuilt = await run(info)
    assert rebuilt["tables"]["sessions"]["nrecs"] == 4
    assert rebuilt["date_created"] > first["date_created"]
