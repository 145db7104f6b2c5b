"""The browser pages over ASGI: the landing page only for browsers (API clients keep Alyx's
JSON root), the REST docs page, GraphiQL's page, and their assets served by the gateway."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from gateway.pages.assets import FILES
from gateway.pages.routes import prefers_html
from tests.conftest import Gateway

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER, True),
        ("text/html", True),
        ("*/*", False),
        ("", False),
        ("application/json", False),
        ("application/json, text/html;q=0.5", False),
        ("application/vnd.alyx.v1+json", False),
    ],
)
def test_only_a_request_that_prefers_html_is_a_browser(accept: str, html: bool) -> None:
    assert prefers_html(accept) is html


async def test_a_browser_gets_a_landing_page_linking_graphiql_the_docs_and_the_quick_start(
    gateway: Gateway,
) -> None:
    response = await gateway.client.get("/", headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for link in ('href="/graphql"', 'href="/api/docs/"', 'href="#quick-start"', 'id="quick-start"'):
        assert link in response.text


@pytest.mark.parametrize("accept", ["*/*", "application/json", None])
async def test_api_clients_keep_alyxs_json_root(gateway: Gateway, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    response = await gateway.client.get("/", headers=headers)
    assert response.status_code == 200
    assert response.json()["subjects"] == "http://testserver/subjects"


async def test_the_rest_docs_page_loads_swagger_ui_from_the_gateway(gateway: Gateway) -> None:
    page = await gateway.client.get("/api/docs/")
    assert page.status_code == 200
    assert '"/api/openapi.json"' in page.text
    assert "validatorUrl: null" in page.text
    assert 'src="/static/swagger-ui-bundle.js"' in page.text
    assert "https://" not in page.text and "http://" not in page.text
    moved = await gateway.client.get("/api/docs")
    assert moved.status_code == 308 and moved.headers["location"] == "/api/docs/"


async def test_graphiql_loads_nothing_from_other_hosts(gateway: Gateway) -> None:
    page = await gateway.client.get("/graphql", headers={"Accept": BROWSER})
    assert page.status_code == 200
    assert "GraphiQLPluginExplorer.explorerPlugin()" in page.text
    assert "isHeadersEditorEnabled: true" in page.text
    assert "https://" not in page.text and "http://" not in page.text


@pytest.mark.parametrize("name", sorted(FILES))
async def test_every_asset_the_pages_load_is_served(gateway: Gateway, name: str) -> None:
    response = await gateway.client.get(f"/static/{name}")
    assert response.status_code == 200, f"{name}: run `make install` (npm ci in gateway/pages)"
    assert len(response.content) > 1000
    kind = "text/css" if name.endswith(".css") else "text/javascript"
    assert response.headers["content-type"].startswith(kind)


async def test_only_the_listed_assets_are_served(gateway: Gateway) -> None:
    for path in ("/static/package.json", "/static/..%2Fpackage.json", "/static/react"):
        assert (await gateway.client.get(path)).status_code == 404


def test_a_built_package_carries_every_asset_the_pages_load() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    shipped = set(pyproject["tool"]["setuptools"]["package-data"]["gateway.pages"])
    assert {f"node_modules/{path}" for path in FILES.values()} <= shipped
