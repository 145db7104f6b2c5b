"""When the database goes away, /readyz says so and every surface answers 503 in its own
format (never a 500 or a traceback); when it comes back, the same gateway serves again, with no
restart. The database is a private PostgreSQL cluster the test stops and starts for real."""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.settings import Settings
from tests.conftest import Gateway, start_gateway
from tests.db.conftest import three_public_sessions
from tests.db.private_postgres import PrivateCluster

GRAPHQL = {"query": "{ sessions(limit: 5) { name } }"}
CIRCUIT = "/circuit/segment/property/size?project=fruitfly_fafb_flywire"
# (surface, method, url, request headers, the 503 body its clients expect)
SURFACES: list[tuple[str, str, str, dict[str, str], Any]] = [
    ("brainstem", "GET", "/api/public/taxonomies/species/", {}, {"detail": ...}),
    (
        "brainstem with a token",
        "GET",
        "/api/private/taxonomies/species/",
        {"Authorization": "Bearer some-token"},
        {"detail": ...},
    ),
    ("brainmaps", "GET", "/v1/api/species/", {}, {"error": "Service unavailable", "detail": ...}),
    ("alyx", "GET", "/subjects", {}, {"detail": ..., "status_code": 503}),
    ("braincircuits", "POST", CIRCUIT, {}, {"detail": ...}),
]


async def _ask(gateway: Gateway, method: str, url: str, headers: dict[str, str]) -> Any:
    body = {"segments": [720575940621039145]} if url.startswith("/circuit") else None
    return await gateway.client.request(method, url, json=body, headers=headers)


def _matches(body: Any, shape: Any) -> bool:
    """``body`` has exactly ``shape``'s keys, with its values where they are not ``...``."""

    def fits(value: Any, want: Any) -> bool:
        return bool(value) and isinstance(value, str) if want is ... else value == want

    return body.keys() == shape.keys() and all(fits(body[k], w) for k, w in shape.items())


async def test_a_database_outage_is_a_503_on_every_surface_and_passes_without_a_restart(
    cluster: PrivateCluster, tmp_path: Any
) -> None:
    url = await three_public_sessions(cluster, "outage")
    settings = Settings(
        database_url=url,
        storage_dir=tmp_path / "storage",
        rate_limit_anonymous="100000/minute",
        rate_limit_authenticated="100000/minute",
    )
    lifespan, gateway = await start_gateway(settings)
    try:
        assert (await gateway.client.get("/readyz")).status_code == 200
        served = await gateway.client.post("/graphql", json=GRAPHQL)
        assert served.status_code == 200 and len(served.json()["data"]["sessions"]) == 3
        before = {}
        for surface, method, path, headers, _ in SURFACES:
            answer = await _ask(gateway, method, path, headers)
            assert answer.status_code < 500, (surface, answer.text)
            before[surface] = (answer.status_code, answer.json())

        cluster.stop()
        ready = await gateway.client.get("/readyz")
        assert (ready.status_code, ready.json()) == (
            503,
            {"status": "unavailable", "checks": {"database": "unavailable"}},
        )
        for _ in range(2):  # the pooled connections found dead, then no connection at all
            failed = await gateway.client.post("/graphql", json=GRAPHQL)
            assert failed.status_code == 503, failed.text
            errors = failed.json()["errors"]
            assert {e["extensions"]["code"] for e in errors} == {"SERVICE_UNAVAILABLE"}
            assert all("Traceback" not in e["message"] for e in errors)
        for surface, method, path, headers, shape in SURFACES:
            answer = await _ask(gateway, method, path, headers)
            assert answer.status_code == 503, (surface, answer.text)
            assert _matches(answer.json(), shape), (surface, answer.json())

        cluster.start()
        assert (await gateway.client.get("/readyz")).status_code == 200
        again = await gateway.client.post("/graphql", json=GRAPHQL)
        assert (again.status_code, again.json()) == (200, served.json())
        for surface, method, path, headers, _ in SURFACES:
            answer = await _ask(gateway, method, path, headers)
            assert (answer.status_code, answer.json()) == before[surface], surface
    finally:
        await gateway.client.aclose()
        await lifespan.__aexit__(None, None, None)


async def test_a_restarted_database_is_served_at_once_with_no_request_failing(
    cluster: PrivateCluster, tmp_path: Any
) -> None:
    """A restart between requests closes every pooled connection; the next request is served
    on fresh ones (no 503), though no connection is pinged before use."""
    url = await three_public_sessions(cluster, "restart")
    settings = Settings(database_url=url, storage_dir=tmp_path / "storage")
    lifespan, gateway = await start_gateway(settings)
    try:
        served = await gateway.client.post("/graphql", json=GRAPHQL)
        assert served.status_code == 200
        cluster.stop()
        cluster.start()
        await asyncio.sleep(0.05)  # the server's goodbye reaches the driver, as between requests
        again = await gateway.client.post("/graphql", json=GRAPHQL)
        assert (again.status_code, again.json()) == (200, served.json())
    finally:
        await gateway.client.aclose()
        await lifespan.__aexit__(None, None, None)
