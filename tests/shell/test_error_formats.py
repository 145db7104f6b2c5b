"""The error format follows the route: each family's 404s, 405s, middleware refusals and
unexpected failures answer in that family's format, and a URL no route serves in the format
of the route nearest to it, or the default one."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.routing import WebSocketRoute

from gateway.app import create_app
from gateway.http.errors import ErrorFormat
from gateway.http.routing import FamilyRoute
from gateway.rest.alyx import AlyxRoute
from gateway.rest.alyx import routes as alyx
from gateway.rest.braincircuits import BrainCircuitsRoute
from gateway.rest.braincircuits import routes as braincircuits
from gateway.rest.brainmaps import BrainMapsRoute
from gateway.rest.brainmaps import routes as brainmaps
from gateway.rest.brainstem import BrainstemRoute
from gateway.rest.brainstem import routes as brainstem
from gateway.settings import Settings
from tests.auth.support import bearer
from tests.conftest import Gateway

Sessionmaker = async_sessionmaker[AsyncSession]
CIRCUIT = "/circuit/segment/property/size?project=fruitfly_fafb_flywire"
SEGMENTS = {"segments": [720575940621039145]}
DATA_URL = "/files/999999/cortexlab/Subjects/KS005/2024-03-01/001/alf/trials.table.pqt"

BRAINMAPS_404 = {"error": "Resource not found", "detail": "The requested resource does not exist"}
BRAINMAPS_401 = {
    "error": "Authentication required",
    "detail": "Please log in to access this resource",
}
ALYX_BAD_TOKEN = {"detail": "Invalid token.", "status_code": 403}


async def _ask(gateway: Gateway, method: str, url: str, **headers: str) -> Any:
    body = SEGMENTS if url.startswith("/circuit") and method == "POST" else None
    return await gateway.client.request(method, url, json=body, headers=headers)


# --- paths the old table of path strings got wrong ----------------------------------------------


async def test_a_missing_download_answers_in_the_shared_routes_declared_format(
    gateway: Gateway,
) -> None:
    response = await gateway.client.get("/files/999999")
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


async def test_an_alyx_data_url_answers_as_alyx_so_one_signs_in_again_on_a_bad_token(
    gateway: Gateway,
) -> None:
    missing = await gateway.client.get(DATA_URL)
    assert missing.status_code == 404 and missing.json()["status_code"] == 404
    refused = await gateway.client.get(DATA_URL, headers=bearer("not-a-token", "Token"))
    assert (refused.status_code, refused.json()) == (403, ALYX_BAD_TOKEN)
    assert refused.headers["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("url", ["/docs", "/docs/", "/nothing/at/all"])
async def test_a_url_near_no_route_answers_in_the_default_format(
    gateway: Gateway, url: str
) -> None:
    response = await gateway.client.get(url)
    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})
    refused = await gateway.client.get(url, headers=bearer("not-a-token"))
    assert (refused.status_code, refused.json()) == (401, {"detail": "Invalid token."})


# --- a 404 inside each family's URLs ------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "expected"),
    [
        (
            "GET",
            "/api/public/taxonomies/unicorns/",
            {"detail": "No model 'unicorns' under 'taxonomies'."},
        ),
        # A portal that does not exist, in URLs sharing their first segments with BrainMaps'
        # and with none: BrainSTEM's 404 either way.
        (
            "PATCH",
            "/api/categories/stem/session/743208e3-0c02-2488-a76d-994bb2d9e2e1/",
            {"detail": "No portal 'categories' (the portals: public, private, super)."},
        ),
        (
            "GET",
            "/api/publik/taxonomies/species/",
            {"detail": "No portal 'publik' (the portals: public, private, super)."},
        ),
        ("GET", "/api/brains/999999/", BRAINMAPS_404),
        ("GET", "/api/brains/999999/more/", BRAINMAPS_404),
        ("GET", "/v1/nothing/here/", BRAINMAPS_404),
        (
            "GET",
            "/users/nobody",
            {"detail": "No LabMember matches the given query.", "status_code": 404},
        ),
        ("GET", "/users/nobody/actions/everything", {"detail": "Not found.", "status_code": 404}),
        ("POST", "/circuit/segment/property/mass?project=p", None),
        ("GET", "/circuit/nothing", {"detail": "Not found."}),
    ],
)
async def test_a_404_inside_a_familys_urls_answers_in_its_format(
    gateway: Gateway, method: str, url: str, expected: dict[str, Any] | None
) -> None:
    response = await _ask(gateway, method, url)
    assert response.status_code == 404
    if expected is None:  # BrainCircuits: {"detail"}, naming what it does not know
        assert set(response.json()) == {"detail"} and "mass" in response.json()["detail"]
    else:
        assert response.json() == expected


# --- a 405 on each family's routes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "expected"),
    [
        ("DELETE", "/api/auth/token/", {"detail": 'Method "DELETE" not allowed.'}),
        (
            "PUT",
            "/api/brains/",
            {"error": "Method not allowed", "detail": 'Method "PUT" not allowed.'},
        ),
        ("DELETE", "/datasets", {"detail": 'Method "DELETE" not allowed.', "status_code": 405}),
        ("GET", "/circuit/segment/property/size", {"detail": 'Method "GET" not allowed.'}),
        (
            "PUT",
            "/graphql",
            {
                "errors": [
                    {
                        "message": 'Method "PUT" not allowed.',
                        "extensions": {"code": "METHOD_NOT_ALLOWED"},
                    }
                ]
            },
        ),
    ],
)
async def test_a_method_a_route_does_not_take_is_a_405_in_its_familys_format(
    gateway: Gateway, method: str, url: str, expected: dict[str, Any]
) -> None:
    response = await _ask(gateway, method, url)
    assert (response.status_code, response.json()) == (405, expected)


# --- the authentication middleware's refusals ---------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "status", "expected"),
    [
        ("GET", "/api/private/taxonomies/species/", 401, {"detail": "Invalid token."}),
        ("GET", "/api/auth/me/", 401, BRAINMAPS_401),
        ("GET", "/v1/api/auth/me", 401, BRAINMAPS_401),  # on its way to the slash redirect
        ("GET", "/subjects", 403, ALYX_BAD_TOKEN),
        ("POST", CIRCUIT, 401, {"detail": "Invalid token."}),
        (
            "POST",
            "/graphql",
            401,
            {"errors": [{"message": "Invalid token.", "extensions": {"code": "UNAUTHENTICATED"}}]},
        ),
        ("GET", "/files/999999", 401, {"detail": "Invalid token."}),
        ("PUT", "/api/brains/", 401, BRAINMAPS_401),  # before the 405, as before
    ],
)
async def test_a_bad_token_is_refused_in_the_format_of_the_route_asked(
    gateway: Gateway, method: str, url: str, status: int, expected: dict[str, Any]
) -> None:
    response = await _ask(gateway, method, url, **bearer("not-a-token"))
    assert (response.status_code, response.json()) == (status, expected)


# --- unexpected failures: a 500 in the family's format, logged once, nothing leaked -------------


@pytest.mark.parametrize(
    ("table", "method", "url", "expected"),
    [
        ("species", "GET", "/api/public/taxonomies/species/", {"detail": "Internal server error."}),
        (
            "species",
            "GET",
            "/v1/api/species/",
            {"error": "Error", "detail": "Internal server error."},
        ),
        ("subject", "GET", "/subjects", {"detail": "Internal server error.", "status_code": 500}),
        ("connectome_dataset", "POST", CIRCUIT, {"detail": "Internal server error."}),
        ("file_upload", "GET", "/files/1", {"detail": "Internal server error."}),
    ],
)
async def test_an_unexpected_failure_is_a_500_in_the_familys_format_logged_once(
    gateway: Gateway,
    sessionmaker: Sessionmaker,
    caplog: pytest.LogCaptureFixture,
    table: str,
    method: str,
    url: str,
    expected: dict[str, Any],
) -> None:
    async with sessionmaker() as session:  # the database loses a table under the gateway
        await session.execute(text(f"ALTER TABLE {table} RENAME TO {table}_gone"))
        await session.commit()
    with caplog.at_level(logging.ERROR):
        response = await _ask(gateway, method, url)
    assert (response.status_code, response.json()) == (500, expected)
    assert "Traceback" not in response.text and table not in response.text
    logged = [r for r in caplog.records if r.exc_info]
    assert len(logged) == 1 and f"{method} {url.split('?')[0]} 500" in logged[0].getMessage()


# --- every route carries a format ---------------------------------------------------------------


def test_every_http_route_carries_an_error_format_and_each_familys_its_own() -> None:
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    untyped = [r for r in app.routes if not isinstance(r, FamilyRoute | WebSocketRoute)]
    assert untyped == []
    tables = [
        (brainstem.ROUTES, BrainstemRoute, ErrorFormat.DRF),
        (alyx.ROUTES, AlyxRoute, ErrorFormat.ALYX),
        (brainmaps.ROUTES, BrainMapsRoute, ErrorFormat.BRAINMAPS),
        (braincircuits.ROUTES, BrainCircuitsRoute, ErrorFormat.BRAINCIRCUITS),
    ]
    # The device login's token endpoint is an OAuth one: RFC 8628 fixes its error format.
    oauth = [r for r in brainstem.ROUTES if r.path == "/api/auth/device/token/"]
    assert [r.errors for r in oauth] == [ErrorFormat.OAUTH]
    for routes, family_route, errors in tables:
        assert routes and all(type(r) is family_route for r in routes)
        assert all(r.errors is errors for r in routes if r not in oauth)
        assert all(r in app.routes for r in routes)
