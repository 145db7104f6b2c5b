"""What the persisted-query tests share: the protocol's request parts and a live gateway."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from gateway.app import create_app
from gateway.settings import Settings
from tests.live import serve

NOT_FOUND = {
    "message": "PersistedQueryNotFound",
    "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
}


@asynccontextmanager
async def live_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the gateway served by a live uvicorn."""
    with serve(create_app(settings)) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            yield client


def unique(query: str) -> str:
    """``query`` under a comment of its own, so its hash is new to any store (Redis too)."""
    return f"# {uuid.uuid4()}\n{query}"


def persisted(query: str) -> dict[str, Any]:
    sha256 = hashlib.sha256(query.encode()).hexdigest()
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256}}
