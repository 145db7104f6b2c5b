"""``/api/schema``: the OpenAPI 3 document ONE reads to learn endpoints, actions and filter
names (CLIENTS.md), read here through ONE's own parser, and checked against the routes."""

from __future__ import annotations

from typing import Any

import pytest
from one.webclient import RestSchemeOpenApi
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.rest.alyx.endpoints import ENDPOINTS
from gateway.settings import Settings
from tests.conftest import Gateway
from tests.rest.alyx.support import Caller, arrange

OPENAPI = {"Accept": "application/vnd.oai.openapi+json", "Accept-Version": "3.0"}
# A value each declared filter accepts (the test fails if a filter is declared without one).
SAMPLES = {
    "nickname": "EJ001",
    "subject": "EJ001",
    "id": "6f1e1c3a-9f1b-4a52-a1d1-0e6b3d2c1a00",
    "session": "6f1e1c3a-9f1b-4a52-a1d1-0e6b3d2c1a00",
    "lab": "cortexlab",
    "sex": "F",
    "species": "Mouse",
    "atlas_id": "385",
    "strain": "C57BL/6J",
    "line": "C57",
    "responsible_user": "alice",
    "project": "open_project",
    "projects": "open",
    "alive": "true",
    "birth_date": "2023-11-01",
    "death_date": "2024-05-01",
    "number": "1",
    "task_protocol": "ChoiceWorld",
    "type": "Experiment",
    "users": "alice",
    "date_range": "2024-03-01,2024-03-02",
    "datasets": "_ibl_trials.intervals.npy",
    "dataset_types": "trials.intervals",
    "name": "_ibl_trials.intervals.npy",  # datasets; labs and projects take any name
    "institution": "UCL",
    "username": "alice",
    "dataset_type": "trials.intervals",
    "collection": "alf",
    "created_by": "alice",
    "django": "pk,6f1e1c3a-9f1b-4a52-a1d1-0e6b3d2c1a00",
    "limit": "5",
    "offset": "0",
    "genotype": "Ai95",
    "stock": "false",
    "water_restricted": "true",
    "date_time": "2024-03-01T09:00:00",
    "weight": "25.5",
    "water_administered": "0.5",
    "adlib": "false",
    "reference_weight": "0",
    "implant_weight": "1.5",
    "outcome_type": "r",
    "globus_is_personal": "false",
    "exists": "true",
    "dataset": "6f1e1c3a-9f1b-4a52-a1d1-0e6b3d2c1a00",
    "globus_endpoint_id": "6f1e1c3a-9f1b-4a52-a1d1-0e6b3d2c1a00",
    "to_be_genotyped": "false",
    "to_be_culled": "false",
    "start_time": "2024-03-01T09:00:00",
    "end_time": "2024-03-01T10:00:00",
    "auto_datetime": "2024-03-01T10:00:00",
    "n_trials": "400",
    "n_correct_trials": "300",
    "qc": "pass",
    "performance_gte": "50",
    "performance_lte": "99.5",
    "experiment_number": "1",
    "date": "2024-03-01",
    "provenance": "Planned",
    "probe": "probe00",
    "probe_insertion": "6f1e1c3a-9f1b-4a52-a1d1-0e6b3d2c1a00",
    "parent": "385",
    **{name: "1.5" for name in ("x", "y", "z", "depth", "theta", "phi", "roll")},
    "dataset_qc_lte": "WARNING",
}
# Free text: what any other filter (a description, a narrative, an unrecorded field) takes.
TEXT = "x"


@pytest.fixture
async def document(gateway: Gateway) -> dict[str, Any]:
    response = await gateway.client.get("/api/schema", headers=OPENAPI)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    return response.json()  # type: ignore[no-any-return]


def test_ones_parser_finds_every_endpoint_and_its_actions(document: dict[str, Any]) -> None:
    scheme = RestSchemeOpenApi(document)
    assert scheme.endpoints == [
        *("brain-regions", "data-formats", "data-repository", "dataset-types", "datasets"),
        *("files", "insertions", "labs", "procedures", "projects", "revisions", "sessions"),
        *("subjects", "surgeries", "tags", "trajectories", "users", "water-administrations"),
        *("water-requirement", "water-restricted-subjects", "water-restriction", "water-type"),
        "weighings",
    ]
    writable = ["create", "delete", "list", "partial_update", "read", "update"]
    written = ("subjects", "sessions", "insertions", "trajectories", "labs", "projects")
    for name in (*written, "water-administrations", "files"):  # labs, projects: by admins
        assert scheme.actions(name) == writable  # files: ONE notes a hash mismatch on one
    assert scheme.actions("weighings") == ["create", "delete", "list", "read"]
    readable = ("datasets", "users", "brain-regions", "surgeries", "water-type", "dataset-types")
    for read_only in (*readable, "data-formats", "data-repository", "revisions", "tags"):
        assert scheme.actions(read_only) == ["list", "read"]
    for listed in ("procedures", "water-restriction", "water-restricted-subjects"):
        assert scheme.actions(listed) == ["list"]
    assert scheme.actions("water-requirement") == ["read"]
    assert scheme.url("water-requirement", "read") == "/water-requirement/{nickname}"
    assert scheme.url("sessions", "read") == "/sessions/{id}"
    assert scheme.url("subjects", "read") == "/subjects/{nickname}"


def test_the_list_filters_are_the_declared_ones_plus_django_and_paging(
    document: dict[str, Any],
) -> None:
    scheme = RestSchemeOpenApi(document)
    for endpoint in ENDPOINTS:
        names = scheme.field_names(endpoint.name, "list")
        assert names == [*(p.name for p in endpoint.filters.params), "django", "limit", "offset"]
    assert {"subject", "number", "lab", "task_protocol", "projects", "date_range", "django"} <= set(
        scheme.field_names("sessions", "list")
    )


def test_request_bodies_are_refs_into_the_components(document: dict[str, Any]) -> None:
    scheme = RestSchemeOpenApi(document)
    fields = scheme.field_names("sessions", "create")
    assert {"subject", "projects", "number", "start_time", "narrative"} <= set(fields)
    for item in document["paths"].values():
        for operation in item.values():
            if "requestBody" in operation:
                ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                assert ref.split("/")[-1] in document["components"]["schemas"]


@pytest.fixture
async def call(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> Caller:
    return Caller(gateway, await arrange(sessionmaker, settings))


async def test_every_declared_filter_is_accepted_by_its_endpoint(
    call: Caller, document: dict[str, Any]
) -> None:
    """The document cannot promise a filter that the endpoint then refuses."""
    scheme = RestSchemeOpenApi(document)
    for endpoint in ENDPOINTS:
        for name in scheme.field_names(endpoint.name, "list"):
            sample = SAMPLES.get(name, TEXT)
            if (endpoint.name, name) == ("users", "django"):
                sample = "pk,6f1e1c3a-9f1b-4a52-a1d1-0e6b3d2c1a00"  # Alyx user ids are UUIDs
            if (endpoint.name, name) == ("brain-regions", "django"):
                sample = "pk,1"
            if (endpoint.name, name) == ("brain-regions", "id"):
                sample = "385"
            response = await call("GET", f"/{endpoint.name}?{name}={sample}", "alice")
            assert response.status_code == 200, (endpoint.name, name, response.text)


async def test_every_documented_path_is_served(call: Caller, document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        url = path.replace("{nickname}", "EJ001").replace("{username}", "alice")
        url = url.replace("{name}", "cortexlab").replace("brain-regions/{id}", "brain-regions/385")
        url = url.replace("{id}", "6f1e1c3a-9f1b-4a52-a1d1-0e6b3d2c1a00")
        if "get" in item:
            response = await call("GET", url, "alice")
            assert response.status_code in (200, 404), (path, response.text)
            assert response.json().get("status_code") in (None, 404)


async def test_the_record_schemas_list_the_fields_records_show(
    call: Caller, document: dict[str, Any]
) -> None:
    """The record schemas come from the same mapping tables as the records."""
    schemas = document["components"]["schemas"]
    listed = (await call.ok("GET", "/sessions?limit=1", "alice"))["results"][0]
    assert list(schemas["SessionSummary"]["properties"]) == list(listed)
    assert schemas["PaginatedSessionList"]["properties"]["results"]["items"] == {
        "$ref": "#/components/schemas/SessionSummary"
    }
    detail = await call.ok("GET", f"/sessions/{listed['id']}", "alice")
    assert list(schemas["Session"]["properties"]) == list(detail)
    assert schemas["Session"]["required"] == list(detail)
    subject = await call.ok("GET", "/subjects/EJ001", "alice")
    assert list(schemas["Subject"]["properties"]) == list(subject)
