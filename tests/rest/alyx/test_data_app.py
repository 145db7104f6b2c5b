"""Alyx's data app on the shim: dataset types, data formats, repositories, revisions, tags
and file records as real Alyx 3.6.1 shows them; ``register-file``'s refusals (each a 400 or 403
in Alyx's format that leaves nothing written); the ``tag`` filters of datasets and sessions."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import (
    DataFormat,
    DataRepository,
    DatasetTag,
    DatasetType,
    FileRecord,
    FileUpload,
    Revision,
    Tag,
)
from gateway.settings import Settings
from tests.rest.alyx.support import Caller, Lab

FOLDER = ("cortexlab", "Subjects", "EJ001", "2024-03-01", "001")  # ej1_morning
CONTENT = b"\x93NUMPY spike times"


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return replace(settings, data_directories=(("lab_server", tmp_path / "server"),))


@pytest.fixture
async def data(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, lab: Lab
) -> Path:
    """The lab's reference data, a file on its server, and a protected tag on a dataset."""
    server = settings.data_directory("lab_server")
    assert server is not None
    spikes = server.joinpath(*FOLDER, "alf", "spikes.times.npy")
    spikes.parent.mkdir(parents=True)
    spikes.write_bytes(CONTENT)
    async with sessionmaker() as db, db.begin():
        await db.execute(
            insert(DatasetType),
            [
                {"id": uuid.uuid4(), "name": "spikes.times", "description": "Spike times."},
                {"id": uuid.uuid4(), "name": "trials.intervals"},
            ],
        )
        await db.execute(
            insert(DataFormat), [{"id": uuid.uuid4(), "name": "npy", "file_extension": ".npy"}]
        )
        await db.execute(
            insert(DataRepository),
            [
                {"id": uuid.uuid4(), "name": "lab_server", "hostname": "server.lab.org"},
                {"id": uuid.uuid4(), "name": "flatiron", "data_url": "https://f.org/lab/"},
            ],
        )
        frozen = uuid.uuid4()
        await db.execute(insert(Tag).values(id=frozen, name="2024_paper", protected=True))
        trials = (
            await db.execute(
                select(FileUpload.id).where(FileUpload.uuid == uuid.UUID(lab.ids["trials"]))
            )
        ).scalar_one()
        await db.execute(insert(DatasetTag).values(dataset_id=trials, tag_id=frozen))
    return spikes


def _register(**changes: Any) -> dict[str, Any]:
    body = {
        "created_by": "alice",
        "path": "EJ001/2024-03-01/001",
        "filenames": ["alf/spikes.times.npy"],
        "hashes": [hashlib.md5(CONTENT).hexdigest()],
        "filesizes": [len(CONTENT)],
        "name": "lab_server",
        "versions": [None],
        "labs": "cortexlab",
    }
    return {**body, **changes}


async def _datasets(sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    async with sessionmaker() as db:
        uploads = (await db.execute(select(func.count()).select_from(FileUpload))).scalar_one()
        records = (await db.execute(select(func.count()).select_from(FileRecord))).scalar_one()
    return uploads, records


async def test_the_reference_records_read_as_alyx_shows_them(call: Caller, data: Path) -> None:
    (spikes, trials) = await call.results("/dataset-types")
    assert set(spikes) == {"id", "name", "created_by", "description", "filename_pattern"}
    assert spikes["name"] == "spikes.times" and trials["filename_pattern"] == ""
    (npy,) = await call.results("/data-formats")
    assert npy["file_extension"] == ".npy" and npy["matlab_loader_function"] == ""
    repositories = await call.results("/data-repository")
    assert [r["name"] for r in repositories] == ["flatiron", "lab_server"]
    assert repositories[1] == {
        "name": "lab_server",
        "timezone": "",
        "globus_path": "",
        "hostname": "server.lab.org",
        "data_url": None,  # served by the gateway
        "repository_type": None,
        "globus_endpoint_id": None,
        "globus_is_personal": False,
        "json": None,
    }
    assert (await call.ok("GET", "/data-repository/flatiron", "alice"))["data_url"] == (
        "https://f.org/lab/"
    )
    (tag,) = await call.results("/tags?name=2024_paper")
    assert tag["protected"] is True and tag["public"] is False
    assert await call.results("/revisions") == []


async def test_anonymous_callers_read_none_of_it(call: Caller, data: Path) -> None:
    for path in ("/dataset-types", "/data-formats", "/data-repository", "/tags", "/files"):
        response = await call("GET", path)
        assert response.status_code == 403, path
    response = await call("POST", "/register-file", json=_register())
    assert response.status_code == 403


async def test_register_file_makes_a_dataset_and_its_file_record(
    call: Caller, data: Path, lab: Lab
) -> None:
    (answer,) = await call.ok("POST", "/register-file", "alice", json=_register())
    assert answer["session"] == lab.ids["ej1_morning"] and answer["subject"] == "EJ001"
    assert answer["collection"] == "alf" and answer["revision"] == ""
    assert answer["data_format"] == "npy" and answer["default"] is True
    (record,) = answer["file_records"]
    assert record["relative_path"] == "EJ001/2024-03-01/001/alf/spikes.times.npy"
    (copy,) = await call.results(f"/files?dataset={answer['id']}")
    assert copy["url"].endswith(f"/files/{record['id']}") and copy["exists"] is True
    # FileRecordSerializer: every field of the model, BaseModel's blank ``name`` among them.
    assert list(copy) == [
        "url", "name", "json", "relative_path", "exists", "dataset", "data_repository"
    ]
    assert copy["name"] == "" and copy["json"] is None
    named = await call("PATCH", f"/files/{record['id']}", "alice", json={"name": "copy"})
    assert named.status_code == 400 and "name" in named.json()
    kept = await call.ok("PATCH", f"/files/{record['id']}", "alice", json={"name": ""})
    assert kept == copy
    assert copy["dataset"].endswith(f"/datasets/{answer['id']}")
    dataset = await call.ok("GET", f"/datasets/{answer['id']}", "alice")
    assert dataset["hash"] == hashlib.md5(CONTENT).hexdigest()
    assert dataset["file_records"][0]["data_url"].endswith(
        f"/data/cortexlab/Subjects/EJ001/2024-03-01/001/alf/spikes.times.{answer['id']}.npy"
    )
    # Registered again: the same dataset, patched.
    (again,) = await call.ok("POST", "/register-file", "alice", json=_register(versions=["2"]))
    assert again["id"] == answer["id"]
    assert (await call.ok("GET", f"/datasets/{answer['id']}", "alice"))["version"] == "2"


@pytest.mark.parametrize(
    ("changes", "status", "says"),
    [
        ({"name": "nowhere"}, 400, "The specified repository does not exist."),
        ({"name": "flatiron"}, 400, "is served elsewhere"),
        ({"path": "EJ001/March/001"}, 400, "should be `nickname/YYYY-MM-DD/n"),
        ({"path": "NOBODY/2024-03-01/001"}, 400, 'nickname "NOBODY" does not exist'),
        ({"path": "EJ001/2024-03-09/001"}, 400, "A session for EJ001/1 on 2024-03-09"),
        ({"hashes": ["0" * 32]}, 400, "has md5"),
        ({"filesizes": [3]}, 400, "bytes, not 3"),
        ({"filenames": ["alf/missing.times.npy"]}, 400, "No dataset type matches"),
        ({"filenames": ["alf/#x y#/spikes.times.npy"]}, 400, "Invalid ALF path"),
        ({"filenames": ["alf/spikes.clusters.npy"]}, 400, "No dataset type matches"),
        ({"filenames": ["alf/trials.intervals.npy"]}, 400, "is not in the repository"),
        ({"created_by": "eve"}, 403, "Only an administrator"),
        ({"filesizes": ["many"]}, 400, "'filesizes' must be integers."),
    ],
)
async def test_register_file_refusals_leave_nothing_written(
    call: Caller,
    data: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    changes: dict[str, Any],
    status: int,
    says: str,
) -> None:
    before = await _datasets(sessionmaker)
    response = await call("POST", "/register-file", "alice", json=_register(**changes))
    assert response.status_code == status, response.text
    body = response.json()
    assert says in body["detail"] and body["status_code"] == status
    assert await _datasets(sessionmaker) == before


async def test_only_who_may_change_the_session_registers_to_it(
    call: Caller, data: Path, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    before = await _datasets(sessionmaker)
    # mallory sees ej1_morning (open_project is public) but edits none of its projects.
    response = await call("POST", "/register-file", "mallory", json=_register(created_by=None))
    assert response.status_code == 403, response.text
    assert await _datasets(sessionmaker) == before


async def test_a_protected_dataset_is_not_overwritten(
    call: Caller, data: Path, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    server = data.parent
    trials = server / "_ibl_trials.intervals.npy"
    trials.write_bytes(CONTENT)
    body = _register(filenames=["alf/_ibl_trials.intervals.npy"], hashes=None, filesizes=None)
    before = await _datasets(sessionmaker)
    response = await call("POST", "/register-file", "alice", json=body)
    assert response.status_code == 403
    assert "is protected, cannot patch" in response.json()["detail"]
    assert await _datasets(sessionmaker) == before


async def test_the_tag_filters_of_datasets_and_sessions(
    call: Caller, data: Path, lab: Lab
) -> None:
    tagged = await call.results("/datasets?tag=2024_paper")
    assert [d["url"][-36:] for d in tagged] == [lab.ids["trials"]]
    assert tagged[0]["tags"] == ["2024_paper"] and tagged[0]["protected"] is True
    assert await call.results("/datasets?tag=2024") == []  # exact, as Alyx's DatasetFilter
    sessions = await call.results("/sessions?tag=2024")  # part of a name, as SessionFilter
    assert [s["id"] for s in sessions] == [lab.ids["ej1_morning"]]
    assert await call.results("/sessions?tag=unknown") == []


async def test_graphql_and_alyx_show_file_records_only_with_their_dataset(
    call: Caller, data: Path, lab: Lab
) -> None:
    """The new entities are GraphQL types from their declarations; a file record is seen
    with its dataset on both surfaces (ej2_secret: secret_project, which mallory is not in)."""
    secret = data.parents[6].joinpath(
        "churchlandlab", "Subjects", "EJ002", "2024-03-02", "001", "alf", "spikes.times.npy"
    )
    secret.parent.mkdir(parents=True)
    secret.write_bytes(CONTENT)
    body = _register(path="EJ002/2024-03-02/001", labs="churchlandlab")
    (registered,) = await call.ok("POST", "/register-file", "alice", json=body)
    query = """{ fileRecords { relativePath exists dataset { name collection md5 }
                               dataRepository { name } }
                 datasetTypes { name } dataFormats { fileExtension }
                 tags { name protected datasets { name } } }"""
    for who, seen in (("alice", 1), ("mallory", 0)):
        response = await call("POST", "/graphql", who, json={"query": query})
        answer = response.json()
        assert "errors" not in answer, answer
        records = answer["data"]["fileRecords"]
        assert len(records) == seen, who
        assert [t["name"] for t in answer["data"]["datasetTypes"]] == [
            "spikes.times",
            "trials.intervals",
        ]
        (tag,) = answer["data"]["tags"]
        assert tag["protected"] and [d["name"] for d in tag["datasets"]] == [
            "_ibl_trials.intervals.npy"
        ]
        alyx = await call.results(f"/files?dataset={registered['id']}", who)
        assert len(alyx) == seen
    record = (await call("POST", "/graphql", "alice", json={"query": query})).json()
    (copy,) = record["data"]["fileRecords"]
    assert copy == {
        "relativePath": "EJ002/2024-03-02/001/alf/spikes.times.npy",
        "exists": True,
        "dataset": {
            "name": "spikes.times.npy",
            "collection": "alf",
            "md5": hashlib.md5(CONTENT).hexdigest(),
        },
        "dataRepository": {"name": "lab_server"},
    }


async def test_check_protected_answers_as_alyx_for_each_file_and_revision(
    call: Caller, data: Path, lab: Lab, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as db, db.begin():
        revision = uuid.uuid4()
        await db.execute(insert(Revision).values(id=revision, name="2024-05-01"))
        await db.execute(
            insert(FileUpload).values(
                name="_ibl_trials.intervals.npy", sha256="0" * 64, size=1, collection="alf",
                revision_id=revision, session_id=uuid.UUID(lab.ids["ej1_morning"]),
                uploader_id=lab.users["alice"],
            )
        )
    asked = {
        "created_by": "alice",
        "path": "EJ001/2024-03-01/001",
        "filenames": ["alf/_ibl_trials.intervals.npy", "alf/spikes.times.npy"],
    }
    # ONE sends its question as a JSON body on a GET; the verdict is in the body.
    protected = await call.ok("GET", "/check-protected", "alice", json=asked)
    assert protected == {
        "status_code": 403,
        "error": "One or more datasets is protected",
        "details": [
            {"alf/_ibl_trials.intervals.npy": [{"2024-05-01": False}, {"": True}]},
            {"alf/spikes.times.npy": []},
        ],
    }
    # The query string works too, and the path may carry the collection.
    free = await call.ok(
        "GET",
        "/check-protected?path=EJ001/2024-03-01/001/alf&filenames=spikes.times.npy,x.y.npy",
        "alice",
    )
    assert free == {"status_code": 200, "details": "None of the datasets are protected"}


async def test_check_protected_refuses_as_alyx_and_hides_what_the_caller_cannot_see(
    call: Caller, data: Path
) -> None:
    secret = {"path": "EJ002/2024-03-02/001", "filenames": ["alf/_ibl_trials.table.pqt"]}
    assert (await call.ok("GET", "/check-protected", "vic", json=secret))["status_code"] == 200
    hidden = await call("GET", "/check-protected", "mallory", json=secret)
    assert hidden.status_code == 400 and "does not exist" in hidden.json()["detail"]
    anonymous = await call("GET", "/check-protected", json=secret)
    assert anonymous.status_code == 403
    refusals = [
        {"filenames": ["a.b.npy"]},
        {"path": "EJ001/yesterday/1", "filenames": ["a.b.npy"]},
        {"path": "EJ001/2024-03-01/001", "filenames": ["alf/bad name!.npy"]},
        {"path": "EJ001/2024-03-01/001", "filenames": ["a.b.npy"], "created_by": "nobody"},
        {"path": "EJ001/2024-03-01/001", "filenames": ["a.b.npy"], "content_type": "session"},
        {"path": "EJ001/2024-03-01/001", "filenames": "a.b.npy", "object_id": str(uuid.uuid4()),
         "content_type": "probeinsertion"},
    ]
    for body in refusals:
        response = await call("GET", "/check-protected", "alice", json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["status_code"] == 400
