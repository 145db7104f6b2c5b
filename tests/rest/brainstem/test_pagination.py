"""Paging: BrainSTEM's limit/offset lists (exact count, the limit honoured exactly up to the
maximum, links from the request's own URL), and the shared paging module's two dialects."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import URL, QueryParams

from gateway.db.models import Species
from gateway.errors import QueryError
from gateway.http.pagination import offset_links, offset_window, page_links, page_window
from resolvers.query import Window
from tests.conftest import Gateway

SPECIES = "/api/public/taxonomies/species/"


@pytest.fixture
async def species_250(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as session:
        await session.execute(insert(Species), [{"name": f"Species {i:03d}"} for i in range(250)])
        await session.commit()


def query_of(link: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(link).query)


async def get(gateway: Gateway, url: str) -> Any:
    response = await gateway.client.get(url)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_default_page_holds_20_and_counts_every_match(
    gateway: Gateway, species_250: None
) -> None:
    body = await get(gateway, SPECIES)
    assert len(body["species"]) == 20
    assert body["count"] == 250
    assert body["previous"] is None
    assert query_of(body["next"]) == {"limit": ["20"], "offset": ["20"]}


@pytest.mark.parametrize("limit", [1, 37, 99, 100])
async def test_the_limit_is_honoured_exactly_up_to_the_maximum(
    gateway: Gateway, species_250: None, limit: int
) -> None:
    body = await get(gateway, f"{SPECIES}?limit={limit}")
    assert len(body["species"]) == limit
    assert body["count"] == 250


async def test_a_limit_over_the_maximum_is_a_400_never_a_silent_cut(
    gateway: Gateway, species_250: None
) -> None:
    response = await gateway.client.get(f"{SPECIES}?limit=101")
    assert response.status_code == 400
    assert "100" in response.json()["detail"]


async def test_limit_zero_answers_only_the_count(gateway: Gateway, species_250: None) -> None:
    body = await get(gateway, f"{SPECIES}?limit=0")
    assert body["species"] == [] and body["count"] == 250


async def test_offset_pages_through_every_row_once_in_order(
    gateway: Gateway, species_250: None
) -> None:
    seen: list[str] = []
    url: str | None = f"{SPECIES}?limit=100"
    while url is not None:
        body = await get(gateway, url)
        seen.extend(s["name"] for s in body["species"])
        url = body["next"]
    assert seen == [f"Species {i:03d}" for i in range(250)]


async def test_next_and_previous_keep_the_filters_sort_and_host_of_the_request(
    gateway: Gateway, species_250: None
) -> None:
    url = f"{SPECIES}?filter{{name.startswith}}=Species 1&sort[]=-name&limit=10&offset=20"
    body = await get(gateway, url)
    assert body["count"] == 100
    assert body["species"][0]["name"] == "Species 179"
    following, previous = body["next"], body["previous"]
    assert following.startswith("http://testserver/api/public/taxonomies/species/?")
    assert query_of(following) == {
        "filter{name.startswith}": ["Species 1"],
        "sort[]": ["-name"],
        "limit": ["10"],
        "offset": ["30"],
    }
    assert query_of(previous)["offset"] == ["10"]
    last = await get(gateway, f"{SPECIES}?filter{{name.startswith}}=Species 1&limit=10&offset=90")
    assert last["next"] is None


async def test_the_previous_link_of_the_second_page_has_no_offset(
    gateway: Gateway, species_250: None
) -> None:
    body = await get(gateway, f"{SPECIES}?limit=10&offset=10")
    assert query_of(body["previous"]) == {"limit": ["10"]}


async def test_an_offset_past_the_end_answers_an_empty_page_with_the_count(
    gateway: Gateway, species_250: None
) -> None:
    body = await get(gateway, f"{SPECIES}?offset=1000")
    assert body["species"] == [] and body["count"] == 250 and body["next"] is None


# --- the shared module, on its own ---------------------------------------------------------------


def test_offset_window_defaults_and_limits() -> None:
    assert offset_window(QueryParams(""), default_limit=20, max_limit=100) == Window(20, 0)
    assert offset_window(QueryParams("limit=5&offset=7"), default_limit=20, max_limit=100) == (
        Window(5, 7)
    )
    for bad in ("limit=101", "limit=x", "offset=-1", "limit=1.5"):
        with pytest.raises(QueryError):
            offset_window(QueryParams(bad), default_limit=20, max_limit=100)


def test_page_window_counts_pages_from_one_and_refuses_oversize_pages() -> None:
    params = QueryParams("page=3&page_size=25")
    assert page_window(params, default_size=10, max_size=100) == Window(limit=25, offset=50)
    assert page_window(QueryParams(""), default_size=10, max_size=100) == Window(10, 0)
    for bad in ("page=0", "page_size=0", "page_size=101", "page=two"):
        with pytest.raises(QueryError):
            page_window(QueryParams(bad), default_size=10, max_size=100)


def test_page_links_follow_django_rest_page_number_style() -> None:
    url = URL("https://maps.example.org/api/brains/?species=Mus&page=2&page_size=10")
    following, previous = page_links(url, Window(limit=10, offset=10), 35)
    assert following == "https://maps.example.org/api/brains/?species=Mus&page_size=10&page=3"
    assert previous == "https://maps.example.org/api/brains/?species=Mus&page_size=10"
    last = URL("https://maps.example.org/api/brains/?page=4&page_size=10")
    assert page_links(last, Window(limit=10, offset=30), 35) == (
        None,
        "https://maps.example.org/api/brains/?page_size=10&page=3",
    )


def test_offset_links_can_use_other_parameter_names() -> None:
    url = URL("http://h/x?start=0&count=5")
    following, previous = offset_links(
        url, Window(limit=5, offset=0), 12, limit_param="count", offset_param="start"
    )
    assert following is not None and following.startswith("http://h/x?")
    assert query_of(following) == {"start": ["5"], "count": ["5"]} and previous is None
