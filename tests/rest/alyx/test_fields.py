"""The Alyx mapping tables (gateway/rest/alyx/fields.py, records.py): paths checked against the
entity graph at declaration, include trees derived from them, and records rendered from the
read path's nodes alone."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import pytest

from gateway.rest.alyx.atlas import INSERTION
from gateway.rest.alyx.endpoints import ENDPOINTS
from gateway.rest.alyx.fields import Each, Env, Shape, Urls, Value
from gateway.rest.alyx.records import SESSION_SUMMARY
from resolvers.catalog import ENTITIES
from resolvers.read import Include, node_class

SESSION = ENTITIES["Session"]


@pytest.mark.parametrize(
    "field",
    [
        Value("subject.nickame"),  # no such column
        Value("subjekt.nickname"),  # no such relation
        Value("projects.name"),  # many rows: an Each
        Each("subject.nickname"),  # one row: a Value
    ],
)
def test_a_field_the_graph_does_not_have_is_refused_at_declaration(field: Any) -> None:
    with pytest.raises((KeyError, ValueError)):
        Shape(SESSION, {"x": field})


def _relations(include: Include) -> set[str]:
    return {f.relation for f in include.follow} | {
        f"{f.relation}.{inner}" for f in include.follow for inner in _relations(f.include)
    }


def test_each_endpoint_reads_what_its_records_show() -> None:
    follows = {endpoint.name: _relations(endpoint.detail.include) for endpoint in ENDPOINTS}
    copies = {"file_records", "file_records.data_repository"}
    assert follows["sessions"] == {
        *("subject", "lab", "projects", "users", "datasets", "water_administrations"),
        *("water_administrations.water_type", "datasets.revision"),
        *(f"datasets.{relation}" for relation in copies),
        # its probe insertions, read as /insertions lists them
        "probe_insertions",
        *(f"probe_insertions.{relation}" for relation in _relations(INSERTION.include)),
    }
    water = ("weighings", "water_administrations", "water_restrictions", "surgeries")
    assert follows["subjects"] == {
        *("responsible_user", "species", "strain", "lab", "projects", "sessions", *water),
        *("sessions.projects", "weighings.subject", "weighings.user"),
        *("water_administrations.subject", "water_administrations.user"),
        "water_administrations.water_type",
    }
    assert follows["weighings"] == {"subject", "user"}
    assert follows["surgeries"] == {"subject", "procedures", "users"}
    assert follows["datasets"] == {
        *("uploader", "session", "session.subject", "session.lab", "revision", "tags"),
        *copies,
    }
    assert follows["files"] == {"dataset", "data_repository"}
    assert follows["projects"] == {"members", "members.user"}
    assert follows["users"] == {"responsible_for", "laboratories"}
    assert follows["labs"] == set()


def _node(entity: str, **values: Any) -> Any:
    node = object.__new__(node_class(ENTITIES[entity]))
    node.__dict__.update(values)
    return node


def test_a_record_renders_from_its_nodes_alone() -> None:
    key = uuid.uuid4()
    session = _node(
        "Session",
        id=key,
        start_time=None,
        created_at=datetime(2024, 3, 1, 9, 30),
        number=2,
        task_protocol="",
        subject=_node("Subject", nickname="EJ001"),
        lab=None,  # missing or hidden
        projects=[_node("Project", name="owner"), _node("Project", name="linked")],
    )
    env = Env(Urls("http://lab.org/alyx"), date(2024, 6, 1))
    assert SESSION_SUMMARY.render(session, env) == {
        "id": str(key),
        "subject": "EJ001",
        "start_time": "2024-03-01T09:30:00",
        "number": 2,
        "lab": None,
        "projects": ["owner", "linked"],
        "url": f"http://lab.org/alyx/sessions/{key}",
        "task_protocol": "",  # Alyx's column is not nullable: blank is ""
    }
