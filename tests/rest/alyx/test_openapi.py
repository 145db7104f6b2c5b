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
        *("data-formats", "data-repository", "dataset-types", "datasets", "files", "labs"),
        *("projects", "revisions", "sessions", "subjects", "tags", "users"),
    ]
    writable = ["create", "delete", "list", "partial_update", "read", "update"]
    assert scheme.actions("subjects") == writable
    assert scheme.actions("sessions") == writable
    assert scheme.actions("files") == writable  # ONE notes a hash mismatch on a file record
    readable = ("datasets", "labs", "projects", "users", "dataset-types", "data-formats")
    for read_only in (*readable, "data-repository", "revisions", "tags"):
        assert scheme.actions(read_only) == ["list", "read"]
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
                sample = "pk,1"
            response = await call("GET", f"/{endpoint.name}?{name}={sample}", "alice")
            assert response.status_code == 200, (endpoint.name, name, response.text)


async def test_every_documented_path_is_served(call: Caller, document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        url = path.replace("{nickname}", "EJ001").replace("{username}", "alice")
        url = url.replace("{name}", "cortexlab")
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
