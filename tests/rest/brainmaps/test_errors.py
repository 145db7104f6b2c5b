"""Bad input to the BrainMaps family is a 400 in its own format, never a 500; the other
errors carry seed 000's texts."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import Gateway
from tests.rest.brainmaps.support import BAD_REQUEST, SEED_404, arrange

Sessionmaker = async_sessionmaker[AsyncSession]


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("/api/brains/?colour=red", "Unknown query parameter 'colour'."),
        ("/v1/api/species/?uploader=1", "Unknown query parameter 'uploader'."),
        ("/api/categories/?search=x&category=y", "Unknown query parameter 'category'."),
        ("/api/brains/?verified=maybe", "Invalid value 'maybe' for field 'verified'"),
        ("/api/brains/?uploader=alice", "Invalid value 'alice' for field 'uploader_id'"),
        ("/api/brains/?page=0", "'page' must be at least 1."),
        ("/api/brains/?page=two", "'page' must be a whole number, not 'two'."),
        ("/api/brains/?page_size=100000", "'page_size' is 100000, over the maximum of 100"),
        ("/v1/brains/?page_size=-1", "'page_size' must be at least 1."),
        ("/api/file-uploads/?search=x", "Unknown query parameter 'search'."),
        ("/api/brains/abc/", "A brain id is a whole number, not 'abc'."),
        ("/api/brains/by_readable_id/", "Give the brain's readable_id"),
        ("/api/brains/by_readable_id/?id=3", "Give the brain's readable_id"),
    ],
)
async def test_bad_query_is_a_400_in_the_brainmaps_format(
    gateway: Gateway, sessionmaker: Sessionmaker, url: str, detail: str
) -> None:
    atlas = await arrange(sessionmaker)
    response = await gateway.client.get(url, headers=atlas.headers("alice"))
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"error", "detail"}
    assert body["error"] == BAD_REQUEST
    assert body["detail"].startswith(detail)


@pytest.mark.parametrize(
    "url", ["/api/brains/999999/", "/api/species/Unicorn/", "/v1/brains/1/2/", "/v1/nothing/"]
)
async def test_missing_resources_are_404_with_the_seed_text(
    gateway: Gateway, sessionmaker: Sessionmaker, url: str
) -> None:
    await arrange(sessionmaker)
    response = await gateway.client.get(url)
    assert (response.status_code, response.json()) == (404, SEED_404)


async def test_out_of_range_page_is_empty_not_an_error(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await arrange(sessionmaker)
    body = (await gateway.client.get("/api/brains/?page=9")).json()
    assert (body["count"], body["results"], body["next"]) == (3, [], None)
    assert body["previous"] == "http://testserver/api/brains/?page=8"


async def test_preflight_allows_brainmaps_writes_from_any_origin(gateway: Gateway) -> None:
    response = await gateway.client.options(
        "/api/brains/1/",
        headers={
            "Origin": "https://atlas.example",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "PATCH" in response.headers["access-control-allow-methods"]


async def test_method_not_allowed_is_a_brainmaps_error(gateway: Gateway) -> None:
    response = await gateway.client.put("/api/categories/")
    assert response.status_code == 405
    assert set(response.json()) == {"error", "detail"}
