from __future__ import annotations

from tests.conftest import Gateway


async def test_healthz_and_readyz_answer(gateway: Gateway) -> None:
    assert (await gateway.client.get("/healthz")).json() == {"status": "ok"}
    ready = await gateway.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok"}}


async def test_graphiql_page_is_served_to_browsers(gateway: Gateway) -> None:
    response = await gateway.client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
