"""``/api/openapi.json``: one valid OpenAPI 3 document for the whole REST surface. It is checked
against the app's own router in both directions (every REST route and method is documented,
every documented operation is routed), against the shim's allowlists (every documented filter,
sort and include is accepted), and against real answers of every family (each status is
documented, each JSON body fits its documented schema)."""

from __future__ import annotations

import itertools
import re
from datetime import datetime
from typing import Any

import httpx
import pytest
from jsonschema import ValidationError
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from openapi_schema_validator import validate as validate_schema
from openapi_spec_validator import validate as validate_spec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Match, Route, WebSocketRoute

from gateway.app import create_app
from gateway.db.models import ConnectomeDataset, Materialization, Segment
from gateway.pages import routes as pages
from gateway.rest import openapi
from gateway.rest.brainstem import routes as brainstem
from gateway.rest.brainstem.models import MODELS
from gateway.settings import Settings
from tests.conftest import Gateway
from tests.factories import build
from tests.rest.alyx import support as alyx_support
from tests.rest.brainmaps import support as brainmaps_support
from tests.rest.brainstem import support as brainstem_support

Sessionmaker = async_sessionmaker[AsyncSession]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Not part of the REST API: GraphQL has its own schema (introspection), /healthz and /readyz
# (and /metrics, when served) are for load balancers and Prometheus, and the device login's
# verify page is an HTML form a person opens in a browser (its URL comes from the documented
# POST /api/auth/device/); no client calls it as an API.
NOT_REST = frozenset(
    {
        "/graphql",
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/auth/device/verify",
        "/api/auth/device/verify/",
    }
)
UUID = "6f1e1c3a-9f1b-4a52-a1d1-0e6b3d2c1a00"


# --- the document against the router -----------------------------------------------------------


@pytest.fixture(scope="module")
def app() -> Starlette:
    """The app's routes (never started: routing needs no database)."""
    return create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi.document(Settings().max_page_size)


def _sample(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return str(schema["enum"][0])
    if schema.get("type") == "array":
        return ",".join([_sample(schema["items"])] * 2)
    formats = {"uuid": UUID, "date": "2024-03-01", "date-time": "2024-03-01T09:00:00"}
    if schema.get("format") in formats:
        return formats[schema["format"]]
    types = {"integer": "7", "number": "1.5", "boolean": "true"}
    return types.get(schema.get("type", ""), "sample")


def _urls(path: str, operation: dict[str, Any]) -> list[str]:
    """The path with its parameters filled in: every value of an enum (each portal, each
    action), a value of the parameter's type otherwise."""
    parameters = [p for p in operation.get("parameters", ()) if p["in"] == "path"]
    choices = [p["schema"].get("enum") or [_sample(p["schema"])] for p in parameters]
    urls = []
    for values in itertools.product(*choices):
        url = path
        for parameter, value in zip(parameters, values, strict=True):
            url = url.replace(f"{{{parameter['name']}}}", str(value))
        urls.append(url)
    return urls


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _routed(app: Starlette, method: str, url: str) -> BaseRoute | None:
    """The route the router hands ``method url`` to, or None (its 404 or 405)."""
    scope = {"type": "http", "method": method, "path": url, "root_path": "", "headers": []}
    for route in app.routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route
    return None


# The pages a browser opens (a landing page at "/" for browsers only, the REST docs, their
# assets): not REST.
PAGES = frozenset(id(route) for route in pages.ROUTES)
# Routes that serve no operation, only an error every operation of theirs documents: a
# BrainSTEM URL under a portal that does not exist answers the 404 BrainSTEM documents for it.
ONLY_ERRORS = frozenset({id(brainstem.UNKNOWN_PORTAL)})


def _is_rest(route: BaseRoute) -> bool:
    return (
        isinstance(route, Route)
        and route.path not in NOT_REST
        and id(route) not in PAGES | ONLY_ERRORS
    )


def test_the_document_is_valid_openapi_3(document: dict[str, Any]) -> None:
    validate_spec(document)
    assert document["openapi"].startswith("3.")


def test_every_documented_operation_is_routed_to_the_rest_surface(
    app: Starlette, document: dict[str, Any]
) -> None:
    for path, method, operation in _operations(document):
        for url in _urls(path, operation):
            route = _routed(app, method.upper(), url)
            assert route is not None, f"{method.upper()} {url} is a 404 or 405 ({path})"
            assert _is_rest(route), f"{method.upper()} {url} reaches {route}"


def test_every_rest_route_and_method_is_documented(
    app: Starlette, document: dict[str, Any]
) -> None:
    documented = {
        (id(_routed(app, method.upper(), url)), method.upper())
        for path, method, operation in _operations(document)
        for url in _urls(path, operation)
    }
    served = [route for route in app.routes if _is_rest(route)]
    assert served
    for route in served:
        assert isinstance(route, Route)
        for method in sorted((route.methods or set()) - {"HEAD"}):  # HEAD goes with GET
            assert (id(route), method) in documented, f"{method} {route.path} is undocumented"
    assert {r.path for r in app.routes if isinstance(r, WebSocketRoute)} == {"/graphql"}


def test_every_family_is_tagged_and_every_operation_has_one_declared_tag(
    document: dict[str, Any],
) -> None:
    tags = {tag["name"] for tag in document["tags"]}
    assert {"BrainSTEM", "BrainMaps", "Alyx", "BrainCircuits", "Files"} <= tags
    used = set()
    for path, method, operation in _operations(document):
        assert len(operation["tags"]) == 1 and operation["tags"][0] in tags, (path, method)
        used.add(operation["tags"][0])
    assert used == tags
    assert set(document["components"]["securitySchemes"]) == {"bearerAuth", "alyxToken"}


def test_brainstem_lists_document_their_models_allowlisted_filters_sorts_and_pages(
    document: dict[str, Any],
) -> None:
    for model in MODELS.values():
        (app,) = model.apps
        operation = document["paths"][f"/api/{{portal}}/{app}/{model.name}/"]["get"]
        names = {p["name"] for p in operation["parameters"]}
        for name in model.filter_names:
            spec = model.entity.field_spec(model.filter_field(name) or "")
            assert f"filter{{{name}}}" in names
            assert {f"filter{{{name}.{op}}}" for op in spec.ops - {"eq"}} <= names
        filters = {n[7:-1].split(".")[0] for n in names if n.startswith("filter{")}
        assert filters == {name.split(".")[0] for name in model.filter_names}
        assert {"portal", "sort[]", "limit", "offset"} <= names
        sort = next(p for p in operation["parameters"] if p["name"] == "sort[]")
        assert set(sort["schema"]["items"]["enum"]) == {
            form for name in model.sort_names for form in (name, f"-{name}")
        }
    subject = document["paths"]["/api/{portal}/stem/subject/"]["get"]["parameters"]
    names = {p["name"] for p in subject}
    assert {"filter{name.icontains}", "filter{projects.id}", "filter{birth_date.gte}"} <= names
    assert "filter{password_hash}" not in names


# --- the document against the allowlists ------------------------------------------------------


def _query(operation: dict[str, Any]) -> list[tuple[str, str]]:
    """A value for every query parameter of ``operation`` at once (every value of an array
    parameter that is repeated, such as sort[] and include[])."""
    pairs = []
    for parameter in operation.get("parameters", ()):
        if parameter["in"] != "query":
            continue
        schema = parameter["schema"]
        if schema.get("type") == "array" and parameter.get("explode", True):
            pairs.extend((parameter["name"], str(v)) for v in schema["items"]["enum"])
        elif parameter["name"] in ("limit", "offset", "page", "page_size"):
            pairs.append((parameter["name"], "1"))
        else:
            pairs.append((parameter["name"], _sample(schema)))
    return pairs


@pytest.fixture
async def lab(sessionmaker: Sessionmaker) -> brainstem_support.Lab:
    return await brainstem_support.arrange(sessionmaker)


async def test_every_documented_brainstem_filter_sort_and_include_is_accepted(
    gateway: Gateway, lab: brainstem_support.Lab, document: dict[str, Any]
) -> None:
    """All of a list's documented query parameters in one request: the shim refuses any it
    does not allow with a 400, so a 200 means it takes every one."""
    for model in MODELS.values():
        (app,) = model.apps
        operation = document["paths"][f"/api/{{portal}}/{app}/{model.name}/"]["get"]
        params = [(k, v) for k, v in _query(operation) if not k.startswith(("filter", "sort"))]
        for subset in ("filter", "sort[]"):
            chosen = [(k, v) for k, v in _query(operation) if k.startswith(subset)]
            url = f"/api/private/{app}/{model.name}/"
            response = await gateway.client.get(
                url, params=[*params, *chosen], headers=lab.headers("ada")
            )
            assert response.status_code == 200, (model.name, subset, response.text)


async def test_every_documented_brainstem_operation_is_one_its_model_takes(
    gateway: Gateway, lab: brainstem_support.Lab, document: dict[str, Any]
) -> None:
    """The router hands every /api/{portal}/... request to BrainSTEM, which then picks the
    model and method: none documented may be refused as unknown (404 on a list) or not
    allowed (405) on the private portal. Items may be missing: their id is made up."""
    for path, method, operation in _operations(document):
        if not path.startswith("/api/{portal}/") or method == "get":
            continue
        for url in (u for u in _urls(path, operation) if u.startswith("/api/private/")):
            response = await gateway.client.request(
                method.upper(), url, json={}, headers=lab.headers("ada")
            )
            refused = (405,) if "{id}" in path else (404, 405)
            assert response.status_code not in refused, (method, url, response.text)
            check(document, path, response)
    for path, method, _ in _operations(document):
        if path.startswith("/api/{portal}/") and method == "get" and "{id}" not in path:
            response = await gateway.client.get(path.replace("{portal}", "public"))
            assert response.status_code == 200, (path, response.text)


async def test_every_documented_brainmaps_list_parameter_is_accepted(
    gateway: Gateway, sessionmaker: Sessionmaker, document: dict[str, Any]
) -> None:
    alice = (await brainmaps_support.arrange(sessionmaker)).headers("alice")
    lists = [
        path
        for path, item in document["paths"].items()
        if "get" in item
        and item["get"]["tags"] == ["BrainMaps"]
        and path.endswith(("/categories/", "/species/", "/brains/", "/file-uploads/"))
    ]
    assert len(lists) == 12  # four lists, under /api/, /v1/api/ and /v1/
    for path in lists:
        query = _query(document["paths"][path]["get"])
        response = await gateway.client.get(path, params=query, headers=alice)
        assert response.status_code == 200, (path, query, response.text)
        refused = await gateway.client.get(path, params={"colour": "red"}, headers=alice)
        assert refused.status_code == 400


# --- real answers against the documented responses ---------------------------------------------


def _resolved(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        *_, kind, name = node["$ref"].split("/")
        node = document["components"][kind][name]
    return node


def check(document: dict[str, Any], path: str, response: httpx.Response) -> None:
    """``response`` answers an operation of ``path`` with a documented status, and its JSON
    body fits the schema documented for that status."""
    method = response.request.method.lower()
    url = response.request.url.path
    pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path))
    assert re.fullmatch(pattern, url), f"{url} is not {path}"
    responses = document["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in responses, f"{method.upper()} {url}: {status} is undocumented"
    content = _resolved(document, responses[status]).get("content", {})
    if "application/json" in content:
        assert response.headers["content-type"].startswith("application/json")
        schema = content["application/json"]["schema"]
        validate_schema(
            response.json(),
            {"allOf": [schema], "components": document["components"]},
            cls=OAS30Validator,
            format_checker=oas30_format_checker,
        )
    elif not content:
        assert response.content == b"", f"{method.upper()} {url}: an undocumented body"


async def test_the_served_document_is_the_built_one_as_json(
    gateway: Gateway, settings: Settings, document: dict[str, Any]
) -> None:
    response = await gateway.client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == openapi.document(settings.max_page_size)
    check(document, "/api/openapi.json", response)
    asked = await gateway.client.get(
        "/api/openapi.json", headers={"Accept": "application/vnd.oai.openapi+json"}
    )
    assert asked.headers["content-type"] == "application/vnd.oai.openapi+json"
    assert asked.content == response.content


async def test_brainstem_answers_fit_their_documented_responses(
    gateway: Gateway, lab: brainstem_support.Lab, document: dict[str, Any]
) -> None:
    call = brainstem_support.Caller(gateway, lab)
    subjects, subject = "/api/{portal}/stem/subject/", "/api/{portal}/stem/subject/{id}/"
    include = {"include[]": ["projects.*", "strain.species.*", "procedures"]}
    check(document, subjects, await call("GET", "/api/private/stem/subject/", "alice"))
    listed = await call("GET", "/api/private/stem/subject/", "alice", params=include)
    assert listed.json()["count"] >= 2
    check(document, subjects, listed)
    detail = await call("GET", f"/api/public/stem/subject/{lab.ids['M001']}/", params=include)
    check(document, subject, detail)
    check(document, "/api/{portal}/stem/project/", await call("GET", "/api/public/stem/project/"))
    check(document, "/api/{portal}/users/user/", await call("GET", "/api/private/users/user/"))
    created = await call(
        "POST", "/api/private/stem/project/", "alice", json={"name": "new", "is_public": True}
    )
    assert created.status_code == 201
    check(document, "/api/{portal}/stem/project/", created)
    proposed = await call("POST", "/api/private/taxonomies/species/", "alice", json={"name": "Eel"})
    assert proposed.status_code == 201
    check(document, "/api/{portal}/taxonomies/species/", proposed)
    approval = proposed.json()["species_approval"]["id"]
    accepted = await call(
        "PATCH", f"/api/private/taxonomies/speciesapproval/{approval}/accept/", "rita"
    )
    assert accepted.status_code == 200
    check(document, "/api/{portal}/taxonomies/speciesapproval/{id}/{action}/", accepted)
    again = await call(
        "PATCH", f"/api/private/taxonomies/speciesapproval/{approval}/reject/", "rita"
    )
    assert again.status_code == 409
    check(document, "/api/{portal}/taxonomies/speciesapproval/{id}/{action}/", again)
    errors = [
        (subjects, await call("GET", "/api/private/stem/subject/?filter{colour}=red", "alice")),
        (subjects, await call("POST", "/api/public/stem/subject/", json={})),
        (subject, await call("GET", f"/api/private/stem/subject/{UUID}/", "alice")),
        (subject, await call("GET", "/api/private/stem/subject/nope/", "alice")),
        (subject, await call("GET", f"/api/super/stem/subject/{lab.ids['M001']}/", "alice")),
        (subjects, await call("GET", "/api/private/stem/subject/", headers={"Authorization": "x"})),
        (subjects, await call("POST", "/api/private/stem/subject/", "alice", json={"bad": 1})),
    ]
    assert [r.status_code for _, r in errors] == [400, 405, 404, 400, 403, 401, 400]
    for path, response in errors:
        check(document, path, response)
    token = await call("POST", "/api/auth/token/", json={"email": "x@lab.org", "password": "no"})
    assert token.status_code == 401
    check(document, "/api/auth/token/", token)
    device = await call("POST", "/api/auth/device/", json={"client_name": "matlab"})
    check(document, "/api/auth/device/", device)
    polled = await call("POST", "/api/auth/device/token/", json=device.json())
    check(document, "/api/auth/device/token/", polled)
    assert polled.json() == {"status": "authorization_pending"}
    check(document, "/api/auth/device/token/", await call("POST", "/api/auth/device/token/"))


async def test_brainmaps_answers_fit_their_documented_responses(
    gateway: Gateway, sessionmaker: Sessionmaker, document: dict[str, Any]
) -> None:
    atlas = await brainmaps_support.arrange(sessionmaker)
    client, alice = gateway.client, atlas.headers("alice")
    brain = atlas.brain_ids["mouse-cortex"]
    answers = [
        ("/api/brains/", await client.get("/api/brains/?page_size=2")),
        ("/v1/species/", await client.get("/v1/species/")),
        ("/v1/api/categories/", await client.get("/v1/api/categories/")),
        ("/api/categories/{name}/", await client.get("/api/categories/Rodents/")),
        ("/api/species/{name}/", await client.get("/api/species/House mouse/")),
        ("/api/brains/{brain_id}/", await client.get(f"/api/brains/{brain}/")),
        (
            "/api/brains/by_readable_id/",
            await client.get("/api/brains/by_readable_id/?readable_id=mouse-hippo"),
        ),
        (
            "/api/brains/{brain_id}/",
            await client.patch(
                f"/api/brains/{brain}/", json={"website": "https://x.org"}, headers=alice
            ),
        ),
        (
            "/api/file-uploads/",
            await client.post(
                "/api/file-uploads/", files={"file": ("a.txt", b"abc")}, headers=alice
            ),
        ),
        ("/api/file-uploads/", await client.get("/api/file-uploads/", headers=alice)),
        ("/api/auth/me/", await client.get("/api/auth/me/", headers=alice)),
    ]
    assert [r.status_code for _, r in answers] == [200] * 8 + [201, 200, 200]
    errors = [
        ("/api/categories/{name}/", await client.get("/api/categories/Fish/")),
        ("/api/brains/", await client.get("/api/brains/?colour=red")),
        ("/api/brains/{brain_id}/", await client.get("/api/brains/abc/")),
        ("/api/file-uploads/", await client.get("/api/file-uploads/")),
        (
            "/api/brains/{brain_id}/",
            await client.delete(f"/api/brains/{brain}/", headers=atlas.headers("bob")),
        ),
        (
            "/v1/api/auth/login/",
            await client.post("/v1/api/auth/login/", json={"email": "x@y.org", "password": "no"}),
        ),
    ]
    assert [r.status_code for _, r in errors] == [404, 400, 400, 401, 403, 401]
    for path, response in [*answers, *errors]:
        check(document, path, response)


async def test_alyx_answers_fit_their_documented_responses(
    gateway: Gateway, sessionmaker: Sessionmaker, settings: Settings, document: dict[str, Any]
) -> None:
    lab = await alyx_support.arrange(sessionmaker, settings)
    call = alyx_support.Caller(gateway, lab)
    session = lab.ids["ej1_morning"]
    asked = {"path": "EJ001/2024-03-01/001", "filenames": ["alf/_ibl_trials.intervals.npy"]}
    answers = [
        ("/sessions", await call("GET", "/sessions?subject=EJ001", "alice")),
        ("/subjects/", await call("GET", "/subjects/", "alice")),
        ("/sessions/{id}", await call("GET", f"/sessions/{session}", "alice")),
        ("/subjects/{nickname}", await call("GET", "/subjects/EJ001", "alice")),
        ("/users/{username}/actions", await call("GET", "/users/alice/actions", "alice")),
        ("/", await call("GET", "/", "alice")),
        ("/api/schema", await call("GET", "/api/schema")),
        ("/files/{upload_id}", await call("GET", f"/files/{lab.ids['trials_upload']}", "alice")),
        ("/check-protected", await call("GET", "/check-protected", "alice", json=asked)),
        (
            "/users/{username}/actions",
            await call("GET", "/users/alice/actions?type=weighing", "alice"),
        ),
    ]
    assert [r.status_code for _, r in answers] == [200] * 10
    errors = [
        ("/subjects/{nickname}", await call("GET", "/subjects/NOPE", "alice")),
        ("/sessions", await call("GET", "/sessions?number=three", "alice")),
        ("/sessions", await call("GET", "/sessions", headers={"Authorization": "Token nope"})),
        ("/sessions", await call("GET", "/sessions")),  # anonymous
        (
            "/sessions",
            await call("GET", "/sessions", headers={"Accept": "application/vnd.alyx.v2+json"}),
        ),
        ("/auth-token", await call("POST", "/auth-token", data={"username": "x", "password": "y"})),
        ("/files/{upload_id}", await call("GET", "/files/999999", "alice")),
        ("/check-protected", await call("GET", "/check-protected", "alice", json={"path": "x"})),
    ]
    assert [r.status_code for _, r in errors] == [404, 400, 403, 403, 406, 400, 404, 400]
    for path, response in [*answers, *errors]:
        check(document, path, response)


async def test_braincircuits_answers_fit_their_documented_responses(
    gateway: Gateway, sessionmaker: Sessionmaker, document: dict[str, Any]
) -> None:
    async def recipe(world: Any) -> None:
        dataset = await world.add(ConnectomeDataset(name="fruitfly_fafb_flywire"))
        mat = await world.add(
            Materialization(
                dataset_id=dataset.id, version=783, timestamp=datetime(2023, 2, 22), valid=True
            )
        )
        await world.add(Segment(materialization_id=mat.id, id=720575940634474894, nr_pre=3))

    await build(sessionmaker, recipe)
    path = "/circuit/segment/property/{property}"
    url = "/circuit/segment/property/{}?project=fruitfly_fafb_flywire"
    segments = {"segments": [720575940634474894, "1"]}
    answers = [
        await gateway.client.post(url.format("link_pre"), json=segments),
        await gateway.client.post(url.format("size"), json=segments),
        await gateway.client.post(url.format("colour"), json=segments),
        await gateway.client.post(url.format("size"), json={"segments": []}),
        await gateway.client.post("/circuit/segment/property/size", json=segments),
    ]
    assert [r.status_code for r in answers] == [200, 200, 404, 400, 400]
    assert answers[0].json()["unknown_segments"] == ["1"]
    for response in answers:
        check(document, path, response)


def test_checking_an_answer_catches_an_undocumented_shape(document: dict[str, Any]) -> None:
    """The checks above would fail if the document and an answer disagreed."""
    request = httpx.Request("GET", "http://testserver/api/categories/")
    wrong = httpx.Response(200, json={"count": 1, "results": [{"id": "1"}]}, request=request)
    with pytest.raises(ValidationError, match=r"is a required property|is not of type"):
        check(document, "/api/categories/", wrong)
    teapot = httpx.Response(418, json={"detail": "no"}, request=request)
    with pytest.raises(AssertionError, match="418 is undocumented"):
        check(document, "/api/categories/", teapot)


def test_alyx_record_fields_are_typed_and_described_from_the_entity_graph(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    records = ["Subject", "SubjectSummary", "Session", "SessionSummary", "Dataset", "Lab"]
    records += ["Project", "User"]
    for name in records:
        for field, prop in schemas[f"Alyx{name}"]["properties"].items():
            assert prop.get("description"), (name, field)
    props = schemas["AlyxSession"]["properties"]
    # Alyx's timestamps carry no offset: a pattern, not RFC 3339's date-time.
    assert re.fullmatch(props["start_time"]["pattern"], "2024-06-17T15:57:51.123456")
    assert not re.fullmatch(props["start_time"]["pattern"], "2024-06-17T15:57:51Z")
    assert props["number"]["type"] == "integer"
    assert props["url"]["format"] == "uri"
    assert props["projects"]["type"] == "array"
    nested = props["data_dataset_session_related"]["items"]["properties"]
    assert nested["file_size"]["type"] == "integer"
    assert schemas["AlyxSubject"]["properties"]["nickname"]["description"].startswith("Its unique")
