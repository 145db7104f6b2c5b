"""Datasets that download, judged by ONE 3.6.1 unchanged: a lab registers files with
``RegistrationClient`` (from a directory the gateway serves as a repository, or from its own
uploads in the gateway's storage), and ``ONE.load_dataset`` downloads them from the gateway's
data URLs and loads them, its md5 and size checks passing; a file changed on the server after
it was registered fails ONE's hash check, and ONE records the mismatch on the file record.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.app import create_app
from gateway.db.models import DataFormat, DataRepository, DatasetTag, DatasetType, FileUpload, Tag
from gateway.settings import Settings
from tests.auth.support import PASSWORD
from tests.clients.test_one_client import (  # noqa: F401  (home: a fixture)
    Live,
    home,
    on_python_310,
    run,
)
from tests.live import serve
from tests.rest.alyx.support import arrange

SESSION = ("cortexlab", "EJ001", "2024-03-01", "001")  # the ej1_morning session


async def _reference_data(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as db, db.begin():
        await db.execute(
            insert(DatasetType),
            [
                {"id": uuid.uuid4(), "name": "spikes.times", "description": "Spike times (s)."},
                {"id": uuid.uuid4(), "name": "spikes.clusters", "description": "Cluster ids."},
                {
                    "id": uuid.uuid4(),
                    "name": "trials.table",
                    "filename_pattern": "*trials.table*",
                },
            ],
        )
        await db.execute(
            insert(DataFormat),
            [
                {"id": uuid.uuid4(), "name": "npy", "file_extension": ".npy"},
                {"id": uuid.uuid4(), "name": "parquet", "file_extension": ".pqt"},
            ],
        )
        await db.execute(
            insert(DataRepository),
            [
                {"id": uuid.uuid4(), "name": "lab_server", "hostname": "server.lab.org"},
                {"id": uuid.uuid4(), "name": "neurogate"},
                {
                    "id": uuid.uuid4(),
                    "name": "flatiron",
                    "data_url": "https://ibl.flatironinstitute.org/",
                },
            ],
        )


@pytest.fixture
async def data_live(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    home: Path,  # noqa: F811
    tmp_path: Path,
) -> AsyncIterator[tuple[Live, Path]]:
    server = tmp_path / "server"
    server.mkdir()
    settings = replace(settings, data_directories=(("lab_server", server),))
    lab = await arrange(sessionmaker, settings)
    await _reference_data(sessionmaker)
    app = create_app(settings)
    with serve(app) as url:
        yield Live(url, lab, app), server


def _one(live: Live, who: str = "alice") -> Any:
    one = live.one(who)
    # Where ONE downloads data URLs from, the gateway's data route, and the HTTP basic
    # credentials it answers the route's challenge with (ONE sends no token there).
    par = one.alyx._par.set("HTTP_DATA_SERVER", f"{live.url}/data")
    par = par.set("HTTP_DATA_SERVER_LOGIN", who).set("HTTP_DATA_SERVER_PWD", PASSWORD)
    one.alyx._par = par
    return one


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _session_folder(root: Path) -> Path:
    lab, subject, day, number = SESSION
    return root / lab / "Subjects" / subject / day / number


async def test_files_registered_in_a_served_directory_download_and_load_in_one(
    data_live: tuple[Live, Path],
) -> None:
    live, server = data_live
    eid = live.lab.ids["ej1_morning"]
    times = np.arange(12, dtype=np.float64) / 7
    spikes = _session_folder(server) / "alf" / "probe00" / "spikes.times.npy"
    spikes.parent.mkdir(parents=True)
    spikes.write_bytes(_npy(times))

    def scenario() -> None:
        from one.registration import RegistrationClient

        one = _one(live)
        client = RegistrationClient(one)
        assert {"spikes.times", "spikes.clusters"} <= {t["name"] for t in client.dtypes}
        assert ".npy" in client.file_extensions
        record = client.register_files(spikes, repository="lab_server")
        assert record["name"] == "spikes.times.npy"
        assert record["collection"] == "alf/probe00"
        assert record["dataset_type"] == "spikes.times"
        assert record["file_records"][0]["data_repository"] == "lab_server"
        assert record["file_records"][0]["relative_path"] == (
            "EJ001/2024-03-01/001/alf/probe00/spikes.times.npy"
        )

        dataset = one.alyx.rest("datasets", "read", id=record["id"])
        assert dataset["hash"] == hashlib.md5(spikes.read_bytes()).hexdigest()
        assert dataset["file_size"] == spikes.stat().st_size
        (copy,) = dataset["file_records"]
        assert copy["data_url"] == (
            f"{live.url}/data/cortexlab/Subjects/EJ001/2024-03-01/001/alf/probe00/"
            f"spikes.times.{record['id']}.npy"
        )

        fresh = _one(live)
        loaded = fresh.load_dataset(eid, "spikes.times.npy", collection="alf/probe00")
        np.testing.assert_array_equal(loaded, times)
        local = fresh.cache_dir / "cortexlab" / "Subjects" / "EJ001" / "2024-03-01" / "001"
        assert (local / "alf" / "probe00" / "spikes.times.npy").read_bytes() == (
            spikes.read_bytes()
        )

    await run(scenario)


async def test_an_upload_in_the_gateways_storage_registers_and_downloads(
    data_live: tuple[Live, Path], tmp_path: Path
) -> None:
    live, _ = data_live
    eid = live.lab.ids["ej1_morning"]
    clusters = np.array([3, 1, 4, 1, 5, 9, 2, 6], dtype=np.int32)
    local = _session_folder(tmp_path / "rig") / "alf" / "spikes.clusters.npy"
    local.parent.mkdir(parents=True)
    local.write_bytes(_npy(clusters))

    def scenario() -> None:
        from one.registration import RegistrationClient

        token = live.lab.tokens["alice"]
        with local.open("rb") as file:
            uploaded = requests.post(
                f"{live.url}/api/file-uploads/",
                files={"file": ("spikes.clusters.npy", file)},
                headers={"Authorization": f"Token {token}"},
                timeout=30,
            )
        assert uploaded.status_code == 201, uploaded.text
        one = _one(live)
        record = RegistrationClient(one).register_files(local)  # to the gateway's storage
        assert record["file_records"][0]["data_repository"] == "neurogate"

        fresh = _one(live)
        loaded = fresh.load_dataset(eid, "spikes.clusters.npy", collection="alf")
        np.testing.assert_array_equal(loaded, clusters)

        # Not uploaded: nothing to register, a 400 that says so, and nothing written.
        other = local.with_name("spikes.times.npy")
        other.write_bytes(_npy(clusters * 2))
        with pytest.raises(requests.HTTPError) as refused:
            RegistrationClient(one).register_files(other)
        assert refused.value.response.status_code == 400
        assert "upload it first" in refused.value.response.json()["detail"]
        names = [d["name"] for d in one.alyx.rest("datasets", "list", session=eid)]
        assert "spikes.times.npy" not in names

    await run(scenario)


async def test_a_file_changed_after_registration_fails_ones_hash_check(
    data_live: tuple[Live, Path], caplog: pytest.LogCaptureFixture
) -> None:
    live, server = data_live
    eid = live.lab.ids["ej1_morning"]
    spikes = _session_folder(server) / "alf" / "spikes.times.npy"
    spikes.parent.mkdir(parents=True)
    spikes.write_bytes(_npy(np.zeros(5)))

    def scenario() -> None:
        from one.registration import RegistrationClient

        one = _one(live)
        record = RegistrationClient(one).register_files(spikes, repository="lab_server")
        spikes.write_bytes(_npy(np.ones(5)))  # the same size, other bytes
        fresh = _one(live)
        first = fresh.load_dataset(eid, "spikes.times.npy", collection="alf")
        np.testing.assert_array_equal(first, np.ones(5))  # ONE 3.6.1 keeps what it downloaded
        caplog.clear()
        # ...but its copy never matches the registered md5: each load says so and downloads
        # the file again.
        again = fresh.load_dataset(eid, "spikes.times.npy", collection="alf")
        np.testing.assert_array_equal(again, np.ones(5))
        assert any("local md5 mismatch" in r.getMessage() for r in caplog.records)
        # ONE's way of flagging a file record for maintenance (OneAlyx._tag_mismatched_file_
        # record): find it by dataset on a server repository, note the mismatch in its json.
        (copy,) = one.alyx.rest(
            "files",
            "list",
            django=f"dataset,{record['id']},data_repository__globus_is_personal,False",
            no_cache=True,
        )
        one.alyx.rest(
            "files", "partial_update", id=copy["url"][-36:], data={"json": {"mismatch_hash": True}}
        )
        (flagged,) = one.alyx.rest("files", "list", dataset=record["id"], no_cache=True)
        assert flagged["json"] == {"mismatch_hash": True}
        assert flagged["exists"] is True and flagged["data_repository"] == "lab_server"
        assert flagged["name"] == ""  # FileRecordSerializer's blank BaseModel name

    await run(scenario)


async def test_data_urls_ask_anonymous_callers_for_basic_credentials(
    data_live: tuple[Live, Path],
) -> None:
    live, server = data_live
    # ej2_secret: a session of secret_project, which mallory does not see.
    folder = server / "churchlandlab" / "Subjects" / "EJ002" / "2024-03-02" / "001"
    spikes = folder / "alf" / "spikes.times.npy"
    spikes.parent.mkdir(parents=True)
    spikes.write_bytes(_npy(np.arange(3)))

    def scenario() -> None:
        from one.registration import RegistrationClient

        one = _one(live)
        record = RegistrationClient(one).register_files(spikes, repository="lab_server")
        url = one.alyx.rest("datasets", "read", id=record["id"])["file_records"][0]["data_url"]
        assert url.startswith(f"{live.url}/data/churchlandlab/Subjects/EJ002/")
        anonymous = requests.get(url, timeout=10)
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"].startswith("Basic")
        assert requests.get(url, auth=("alice", "not it"), timeout=10).status_code == 401
        signed = requests.get(url, auth=("alice", PASSWORD), timeout=10)
        assert signed.status_code == 200 and signed.content == spikes.read_bytes()
        token = {"Authorization": f"Token {live.lab.tokens['alice']}"}
        assert requests.get(url, headers=token, timeout=10).content == spikes.read_bytes()
        # Someone who may not see the session: the same 404 as a file that is not there.
        assert requests.get(url, auth=("mallory", PASSWORD), timeout=10).status_code == 404
        missing = url.replace(record["id"], str(uuid.uuid4()))
        assert requests.get(missing, auth=("alice", PASSWORD), timeout=10).status_code == 404

    await run(scenario)


async def test_register_session_creates_the_session_and_registers_its_uploaded_files(
    data_live: tuple[Live, Path], tmp_path: Path
) -> None:
    live, _ = data_live
    folder = tmp_path / "rig" / "cortexlab" / "Subjects" / "EJ001" / "2024-04-02" / "001"
    (folder / "alf").mkdir(parents=True)
    times, clusters = np.linspace(0, 1, 9), np.arange(9, dtype=np.int16)
    (folder / "alf" / "spikes.times.npy").write_bytes(_npy(times))
    (folder / "alf" / "spikes.clusters.npy").write_bytes(_npy(clusters))
    (folder / "alf" / "notes.txt").write_text("not a dataset: no such format")

    def scenario() -> None:
        from one.registration import RegistrationClient

        token = {"Authorization": f"Token {live.lab.tokens['alice']}"}
        for path in sorted((folder / "alf").glob("*.npy")):
            with path.open("rb") as file:
                answer = requests.post(
                    f"{live.url}/api/file-uploads/",
                    files={"file": (path.name, file)},
                    headers=token,
                    timeout=30,
                )
            assert answer.status_code == 201, answer.text
        one = _one(live)
        session, records = RegistrationClient(one).register_session(
            folder, projects="open_project", task_protocol="ephys"
        )
        assert session["subject"] == "EJ001" and session["users"] == ["alice"]
        assert session["start_time"].startswith("2024-04-02") and session["number"] == 1
        assert sorted(r["name"] for r in records) == ["spikes.clusters.npy", "spikes.times.npy"]
        eid = session["url"][-36:]

        fresh = _one(live)
        assert sorted(fresh.list_datasets(eid)) == [
            "alf/spikes.clusters.npy",
            "alf/spikes.times.npy",
        ]
        np.testing.assert_array_equal(fresh.load_dataset(eid, "spikes.times.npy"), times)
        np.testing.assert_array_equal(fresh.load_dataset(eid, "spikes.clusters"), clusters)

    await run(scenario)


async def test_ones_check_protected_files_reads_alyxs_verdict(
    data_live: tuple[Live, Path], sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    live, _ = data_live
    async with sessionmaker() as db, db.begin():  # the lab's trials of ej1_morning, frozen
        # ONE asks only about files of a dataset type the server has.
        await db.execute(insert(DatasetType).values(id=uuid.uuid4(), name="trials.intervals"))
        frozen = uuid.uuid4()
        await db.execute(insert(Tag).values(id=frozen, name="2024_paper", protected=True))
        trials = (
            await db.execute(
                select(FileUpload.id).where(FileUpload.uuid == uuid.UUID(live.lab.ids["trials"]))
            )
        ).scalar_one()
        await db.execute(insert(DatasetTag).values(dataset_id=trials, tag_id=frozen))
    alf = _session_folder(tmp_path / "rig") / "alf"  # ONE needs no file there to ask

    def scenario() -> None:
        from one.registration import RegistrationClient

        client = RegistrationClient(_one(live))
        free = client.check_protected_files(alf / "spikes.times.npy")
        assert free["status_code"] == 200
        assert free["details"] == "None of the datasets are protected"
        verdict = client.check_protected_files(
            [alf / "_ibl_trials.intervals.npy", alf / "spikes.times.npy"]
        )
        (answer,) = verdict  # one per session
        assert answer["status_code"] == 403
        assert answer["details"] == [
            {"alf/_ibl_trials.intervals.npy": [{"": True}]},
            {"alf/spikes.times.npy": []},
        ]

    await run(scenario)


async def test_one_on_python_310_registers_downloads_caches_and_records_water(
    data_live: tuple[Live, Path],
    tmp_path: Path,
    home: Path,  # noqa: F811
) -> None:
    """The flows above, and ONE's cache tables and water records, driven by ONE under Python
    3.10 (whose ``datetime.fromisoformat`` refuses what 3.11's accepts)."""
    live, _ = data_live
    token, work = live.lab.tokens["alice"], str(tmp_path / "py310")
    answer = await on_python_310(
        "one_py310_data.py", home, live.url, "alice", PASSWORD, token, work
    )
    eid = answer["eid"]
    assert answer["folder"] == "cortexlab/Subjects/EJ001/2024-04-02/001"
    assert answer["session"] == ["EJ001", ["alice"], "2024-04-02T00:00:00"]
    assert answer["registered"] == ["spikes.clusters.npy", "spikes.times.npy"]
    assert answer["repositories"] == ["neurogate"]
    assert answer["listed"] == ["alf/spikes.clusters.npy", "alf/spikes.times.npy"]
    assert answer["loaded"] is True
    assert answer["tables"] == ["datasets.pqt", "sessions.pqt"]
    assert eid in answer["local"] and live.lab.ids["ej1_morning"] in answer["local"]
    assert answer["weighed"] == ["EJ001", 22.5, "alice", "2024-04-02T08:00:00"]
    assert answer["given"] == [0.25, "alice"]
    assert {"subject", "implant_weight", "records"} <= set(answer["requirement"])
    assert answer["anonymous"] == 403
