"""What the REST families' tests share: a lab of people with tokens, and a caller that sends
requests as one of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.auth.support import bearer
from tests.conftest import Gateway


@dataclass
class Lab:
    tokens: dict[str, str]
    users: dict[str, int]
    ids: dict[str, str]
    scheme: str = "Bearer"  # how the family's clients send a token (Alyx: "Token")

    def headers(self, who: str | None) -> dict[str, str]:
        return {} if who is None else bearer(self.tokens[who], self.scheme)


class Caller:
    """Requests to the gateway as one of the lab's people (or anonymously)."""

    def __init__(self, gateway: Gateway, lab: Lab) -> None:
        self.gateway, self.lab = gateway, lab

    async def __call__(
        self, method: str, url: str, who: str | None = None, **kw: Any
    ) -> httpx.Response:
        headers = {**self.lab.headers(who), **kw.pop("headers", {})}
        return await self.gateway.client.request(method, url, headers=headers, **kw)

    async def ok(self, method: str, url: str, who: str | None = None, **kw: Any) -> Any:
        """The JSON of a request that must answer 200 or 201."""
        response = await self(method, url, who, **kw)
        assert response.status_code in (200, 201), response.text
        return response.json()
