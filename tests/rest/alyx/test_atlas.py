"""Alyx's ``brain-regions``, ``insertions`` and ``trajectories`` (cortex-lab/alyx 3.6.1
experiments app): real Alyx's fields and filters, and the visibility of the session an
insertion recorded in."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import FileUpload, ProbeInsertion, TrajectoryEstimate
from gateway.demo_atlas import brain_regions
from tests.rest.alyx.support import TRIALS, Caller, Lab

INSERTION_FIELDS = [
    "id",
    "session",
    "model",
    "session_info",
    "name",
    "json",
    "serial",
    "auto_datetime",
    "datasets",
    "chronic_insertion",
]
TRAJECTORY_FIELDS = [
    "id",
    "probe_insertion",
    "x",
    "y",
    "z",
    "depth",
    "theta",
    "phi",
    "roll",
    "provenance",
    "session",
    "probe_name",
    "coordinate_system",
    "datetime",
    "json",
    "chronic_insertion",
]


async def add_probes(sessionmaker: async_sessionmaker[AsyncSession], lab: Lab) -> dict[str, str]:
    """The demo atlas; two insertions in ej1_morning (probe00 with a planned and a histology
    trajectory, and a dataset in its collection) and one in the private ej2_secret."""
    ids = lab.ids
    made: dict[str, Any] = {}
    async with sessionmaker() as db:
        for region in brain_regions():
            db.add(region)
            await db.flush()
        morning, secret = uuid.UUID(ids["ej1_morning"]), uuid.UUID(ids["ej2_secret"])
        for key, session_id, name in (
            ("probe00", morning, "probe00"),
            ("probe01", morning, "probe01"),
            ("secret00", secret, "probe00"),
        ):
            row = ProbeInsertion(session_id=session_id, name=name, model="3B2", serial="18194")
            db.add(row)
            made[key] = row.id
        await db.flush()
        planned = TrajectoryEstimate(
            probe_insertion_id=made["probe00"], provenance=10, x=-2243.0, y=-3000.0, z=-150.0,
            depth=4000.0, theta=15.0, phi=180.0, coordinate_system="IBL-Allen",
        )  # fmt: skip
        tracked = TrajectoryEstimate(
            probe_insertion_id=made["probe00"], provenance=50, x=-2200.0, y=-3040.0, z=-160.0,
            depth=3840.0, theta=15.5, phi=180.0, roll=0.0,
        )  # fmt: skip
        spikes = FileUpload(
            name="spikes.times.npy",
            sha256=hashlib.sha256(TRIALS).hexdigest(),
            size=len(TRIALS),
            dataset_type="spikes.times",
            collection="alf/probe00/pykilosort",
            session_id=morning,
            uploader_id=lab.users["alice"],
            created_at=datetime(2024, 3, 1, 13, 0),
        )
        db.add_all([planned, tracked, spikes])
        await db.commit()
        made.update(planned=planned.id, tracked=tracked.id, spikes=spikes.uuid)
    return {key: str(value) for key, value in made.items()}


@pytest.fixture
async def probes(sessionmaker: async_sessionmaker[AsyncSession], lab: Lab) -> dict[str, str]:
    return await add_probes(sessionmaker, lab)


async def test_brain_regions_show_alyx_fields_and_filter_as_alyx(
    call: Caller, probes: dict[str, str]
) -> None:
    visp = await call.ok("GET", "/brain-regions/385", "alice")
    assert visp == {
        "id": 385,
        "acronym": "VISp",
        "name": "Primary visual area",
        "description": None,
        "parent": 669,
        "related_descriptions": [],
    }
    found = await call.results("/brain-regions?acronym=visp", "alice")  # iexact
    assert [r["id"] for r in found] == [385]
    children = await call.results("/brain-regions?parent=385", "alice")
    layers = ["VISp1", "VISp2/3", "VISp4", "VISp5", "VISp6a", "VISp6b"]
    assert sorted(r["acronym"] for r in children) == layers
    assert [r["id"] for r in await call.results("/brain-regions?name=field ca", "alice")] == [382]
    level = await call.results("/brain-regions?django=level__lte,1", "alice")
    assert sorted(r["acronym"] for r in level) == ["grey", "root"]
    assert (await call("GET", "/brain-regions/1", "alice")).status_code == 404
    assert (await call("GET", "/brain-regions", None)).status_code == 403


async def test_insertions_list_gives_alyx_fields_and_session_info(
    call: Caller, lab: Lab, probes: dict[str, str]
) -> None:
    ids = lab.ids
    records = await call.results(f"/insertions?session={ids['ej1_morning']}", "alice")
    assert [r["name"] for r in records] == ["probe00", "probe01"]
    probe00 = records[0]
    assert list(probe00) == INSERTION_FIELDS
    assert probe00["id"] == probes["probe00"] and probe00["session"] == ids["ej1_morning"]
    assert probe00["model"] == "3B2" and probe00["chronic_insertion"] is None
    assert probe00["datasets"] == [probes["spikes"]]  # its session's, in its collection
    assert records[1]["datasets"] == []
    assert probe00["session_info"] == {
        "subject": "EJ001",
        "start_time": "2024-03-01T09:00:00",
        "number": 1,
        "lab": "cortexlab",
        "id": ids["ej1_morning"],
        "projects": ["open_project"],
        "task_protocol": "_iblrig_tasks_ephysChoiceWorld6.4.2",
    }
    detail = await call.ok("GET", f"/insertions/{probes['probe00']}", "alice")
    assert [d["name"] for d in detail["datasets"]] == ["spikes.times.npy"]
    assert detail["datasets"][0]["collection"] == "alf/probe00/pykilosort"
    # The session's detail lists them as /insertions does (Alyx's ProbeInsertionListSerializer).
    session = await call.ok("GET", f"/sessions/{ids['ej1_morning']}", "alice")
    assert session["probe_insertion"] == records


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("subject=EJ001", ["probe00", "probe01"]),
        ("date=2024-03-01", ["probe00", "probe01"]),
        ("date=2024-03-02", ["secret00"]),
        ("experiment_number=1&lab=CORTEXLAB", ["probe00", "probe01"]),
        ("name=probe00", ["probe00", "secret00"]),
        ("project=secret", ["secret00"]),
        ("task_protocol=ephys", ["probe00", "probe01"]),
        ("model=3A", []),
        ("unknown_parameter=ignored&name=probe01", ["probe01"]),
    ],
)
async def test_insertion_filters_follow_alyx(
    call: Caller, probes: dict[str, str], query: str, expected: list[str]
) -> None:
    names = {value: key for key, value in probes.items()}
    records = await call.results(f"/insertions?{query}", "alice")
    assert sorted(names[r["id"]] for r in records) == expected


async def test_insertions_of_a_hidden_session_are_hidden(
    call: Caller, lab: Lab, probes: dict[str, str]
) -> None:
    assert len(await call.results("/insertions", "vic")) == 3  # open and secret sessions
    seen = await call.results("/insertions", "mallory")
    assert probes["secret00"] not in [r["id"] for r in seen]
    response = await call("GET", f"/insertions/{probes['secret00']}", "mallory")
    assert response.status_code == 404
    secret = lab.ids["ej2_secret"]
    assert await call.results(f"/trajectories?session={secret}", "mallory") == []
    assert (await call("GET", "/insertions", None)).status_code == 403


async def test_trajectories_show_alyx_fields_and_filter_by_provenance(
    call: Caller, lab: Lab, probes: dict[str, str]
) -> None:
    records = await call.results(f"/trajectories?probe_insertion={probes['probe00']}", "alice")
    assert [r["provenance"] for r in records] == ["Histology track", "Planned"]
    planned = records[1]
    assert list(planned) == TRAJECTORY_FIELDS
    assert planned["x"] == -2243.0 and planned["roll"] is None
    assert planned["probe_name"] == "probe00"
    assert planned["coordinate_system"] == "IBL-Allen"
    assert planned["session"]["id"] == lab.ids["ej1_morning"]
    only = await call.results("/trajectories?provenance=planned&subject=EJ001", "alice")
    assert [r["id"] for r in only] == [probes["planned"]]
    histology = await call.results("/trajectories?provenance=50&probe=probe00", "alice")
    assert [r["id"] for r in histology] == [probes["tracked"]]
    refused = await call("GET", "/trajectories?provenance=guessed", "alice")
    assert refused.status_code == 400 and "Planned" in refused.json()["detail"]


async def test_a_sessions_editors_register_insertions_and_trajectories(
    call: Caller, lab: Lab, probes: dict[str, str]
) -> None:
    evening = lab.ids["ej1_evening"]
    body = {"session": evening, "name": "probe00", "model": "3B2", "serial": "19011", "json": None}
    made = await call.ok("POST", "/insertions", "alice", json=body)
    assert made["session_info"]["id"] == evening and made["serial"] == "19011"
    assert made["chronic_insertion"] is None and made["datasets"] == []
    again = await call("POST", "/insertions", "alice", json=body)
    assert again.status_code == 400 and "already exists" in again.json()["detail"]
    trajectory = {
        "probe_insertion": made["id"], "x": -2000, "y": -2500.5, "z": None, "depth": 3500,
        "theta": 10, "phi": 0, "provenance": "Micro-manipulator",
    }  # fmt: skip
    estimate = await call.ok("POST", "/trajectories", "alice", json=trajectory)
    assert estimate["provenance"] == "Micro-manipulator" and estimate["x"] == -2000.0
    assert estimate["session"]["id"] == evening and estimate["probe_name"] == "probe00"
    url = f"/trajectories/{estimate['id']}"
    changed = await call.ok("PATCH", url, "alice", json={"depth": 3600})
    assert changed["depth"] == 3600.0
    bad = await call("POST", "/trajectories", "alice", json={**trajectory, "provenance": "Guess"})
    assert bad.status_code == 400 and "provenance" in bad.json()
    bad = await call("PATCH", url, "alice", json={"x": "far"})
    assert bad.status_code == 400 and "x" in bad.json()
    response = await call("DELETE", f"/insertions/{made['id']}", "alice")
    assert response.status_code == 204
    assert await call.results(f"/trajectories?session={evening}", "alice") == []


async def test_only_a_sessions_editors_may_write_its_insertions(
    call: Caller, lab: Lab, probes: dict[str, str]
) -> None:
    secret, morning = lab.ids["ej2_secret"], lab.ids["ej1_morning"]
    viewer = await call("POST", "/insertions", "vic", json={"session": secret, "name": "probe09"})
    assert viewer.status_code == 403
    outsider = await call("POST", "/insertions", "mallory", json={"session": morning, "name": "p"})
    assert outsider.status_code == 403  # sees the public session, may not change it
    url = f"/insertions/{probes['secret00']}"
    hidden = await call("PATCH", url, "mallory", json={"serial": "1"})
    assert hidden.status_code == 404
    body = {"session": secret, "name": "probe01"}
    editor = await call.ok("POST", "/insertions", "eve", json=body)
    assert editor["name"] == "probe01"
    names = [r["name"] for r in await call.results(f"/insertions?session={secret}", "alice")]
    assert names == ["probe00", "probe01"]  # the refused writes left nothing


async def test_atlas_filters_validate_as_alyx_and_match_nothing_without_channels(
    call: Caller, probes: dict[str, str]
) -> None:
    """Alyx's SessionFilter ``atlas_*``: sessions with a channel (of a trajectory of provenance
    70 or more) in the region or below it. Sessions here have insertions and trajectories but
    no channels are recorded, so a valid value selects none, as on an Alyx without channels."""
    assert await call.results("/sessions", "alice")  # there are sessions to leave out
    assert await call.results("/insertions", "alice")
    for endpoint in ("sessions", "insertions"):  # ProbeInsertionFilter has the same three
        for query in ("atlas_id=385", "atlas_acronym=VISp", "atlas_name=visual", "atlas_id=8.0"):
            assert await call.results(f"/{endpoint}?{query}", "alice") == [], (endpoint, query)
        refused = await call("GET", f"/{endpoint}?atlas_id=VISp", "alice")
        assert refused.status_code == 400
        assert refused.json() == {"atlas_id": ["Enter a number."], "status_code": 400}
