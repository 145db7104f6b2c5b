"""Persisted queries: a GraphQL document named by its SHA-256 (or a safelist's id), so a
client may send the name alone.

Apollo's automatic persisted queries (APQ): a client sends
``extensions.persistedQuery = {"version": 1, "sha256Hash": h}`` without the query; an
unknown hash answers ``PersistedQueryNotFound`` and the client sends query and hash together.
That query runs like any other (every size limit applies) and is stored under its hash only
once it was executable, and only if the hash is the SHA-256 of its text, so no one can put
their own query under the hash of another's. With a safelist (:mod:`gateway.safelist`),
nothing is registered: the names are the safelist's.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cachetools import LRUCache

from gateway.safelist import NOT_REGISTERED, NOT_REGISTERED_CODE, Safelist
from gateway.settings import Settings
from gateway.shared_state import UNAVAILABLE, SharedState

log = logging.getLogger("neurogate")

APQ_VERSION = 1
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# A Redis that does not answer within this is treated as down: a lookup must never hold a
# request for longer than running it without its persisted query would.
REDIS_TIMEOUT_SECONDS = 1.0


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class PersistedQueryRefused(Exception):
    """A persisted-query request that cannot run: answered as a GraphQL error with
    ``extensions.code`` and this HTTP status, whatever the Accept header (these are refusals
    of the request, before any GraphQL document exists to execute)."""

    def __init__(self, message: str, code: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def _not_found() -> PersistedQueryRefused:
    # The message and code Apollo Client's persisted-query link looks for before resending
    # with the query; 404 as Apollo's router answers (the link reads the body either way).
    return PersistedQueryRefused("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND", 404)


class QueryStore(Protocol):
    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, query: str) -> None: ...


class MemoryQueryStore:
    """This process's store: least recently used queries go first once their text passes
    ``max_bytes`` in all (a count alone would not bound it: one query may be megabytes)."""

    def __init__(self, max_bytes: int) -> None:
        self._queries: LRUCache[str, str] = LRUCache(maxsize=max_bytes, getsizeof=len)

    async def get(self, sha256: str) -> str | None:
        return self._queries.get(sha256)

    async def put(self, sha256: str, query: str) -> None:
        if len(query) <= self._queries.maxsize:  # a larger one is simply not kept
            self._queries[sha256] = query


class RedisQueryStore:
    """The store every process shares. Each entry expires ``ttl_seconds`` after its last use
    (Redis's own eviction policy belongs to whoever runs it, so it cannot be the bound). An
    unreachable Redis turns every hash into an unknown one: clients resend their queries,
    which run unstored; the outage is the shared state's (logged once, not per request)."""

    def __init__(
        self, shared: SharedState, *, ttl_seconds: int, timeout: float = REDIS_TIMEOUT_SECONDS
    ) -> None:
        self._shared = shared
        self._timeout = timeout
        self._ttl = ttl_seconds

    def key(self, sha256: str) -> str:
        return self._shared.key("apq", sha256)

    async def get(self, sha256: str) -> str | None:
        if not self._shared.outage.should_try():
            return None
        try:
            async with asyncio.timeout(self._timeout):
                value = await self._shared.redis.getex(self.key(sha256), ex=self._ttl)
        except UNAVAILABLE as error:  # a timeout is an OSError too
            await self._shared.failed(error)
            return None
        self._shared.outage.succeeded()
        return value.decode() if isinstance(value, bytes) else value

    async def put(self, sha256: str, query: str) -> None:
        if not self._shared.outage.should_try():
            return
        try:
            async with asyncio.timeout(self._timeout):
                await self._shared.redis.set(self.key(sha256), query, ex=self._ttl)
        except UNAVAILABLE as error:
            await self._shared.failed(error)
            return
        self._shared.outage.succeeded()


def query_store(settings: Settings, shared: SharedState | None) -> QueryStore | None:
    """Where automatic persisted queries are kept; None when they are off (turned off, or a
    safelist names every query there is)."""
    if not settings.persisted_queries or settings.safelist is not None:
        return None
    if shared is not None:
        return RedisQueryStore(shared, ttl_seconds=settings.persisted_query_ttl_seconds)
    return MemoryQueryStore(settings.persisted_query_cache_bytes)


@dataclass(frozen=True)
class Resolved:
    """The query to run, and the hash to store it under once it proved executable."""

    query: str | None
    register: str | None = None


@dataclass(frozen=True)
class PersistedQueries:
    store: QueryStore | None
    safelist: Safelist | None
    max_tokens: int

    async def resolve(self, query: str | None, extensions: Mapping[str, Any] | None) -> Resolved:
        """The query a request stands for, or :class:`PersistedQueryRefused`."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            safelist = self.safelist
            if safelist and query and not safelist.allows(query, max_tokens=self.max_tokens):
                raise PersistedQueryRefused(NOT_REGISTERED, NOT_REGISTERED_CODE, 403)
            return Resolved(query)
        name = _persisted_name(persisted)
        if self.safelist is not None:
            return Resolved(self._registered(name, query))
        if self.store is None:
            raise PersistedQueryRefused(
                "PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED", 400
            )
        sha256 = name.lower()
        if not SHA256_HEX.fullmatch(sha256):
            raise PersistedQueryRefused(
                "extensions.persistedQuery.sha256Hash must be a SHA-256 in hexadecimal.",
                "BAD_REQUEST",
                400,
            )
        if query is None:
            stored = await self.store.get(sha256)
            if stored is None:
                raise _not_found()
            return Resolved(stored)
        if sha256_hex(query) != sha256:
            raise PersistedQueryRefused(
                "The query's SHA-256 is not extensions.persistedQuery.sha256Hash.",
                "PERSISTED_QUERY_HASH_MISMATCH",
                400,
            )
        return Resolved(query, register=sha256)

    async def register(self, resolved: Resolved) -> None:
        if resolved.register is not None and resolved.query is not None and self.store:
            await self.store.put(resolved.register, resolved.query)

    def _registered(self, name: str, query: str | None) -> str:
        assert self.safelist is not None
        body = self.safelist.body(name)
        if body is None:
            raise PersistedQueryRefused(
                f"No registered operation has the id {name[:100]!r}.",
                "PERSISTED_QUERY_NOT_IN_LIST",
                404,
            )
        if query is not None and not self.safelist.same(query, body, max_tokens=self.max_tokens):
            raise PersistedQueryRefused(
                "The query sent is not the registered operation of that id.",
                "PERSISTED_QUERY_HASH_MISMATCH",
                400,
            )
        return body


def _persisted_name(persisted: object) -> str:
    if not isinstance(persisted, Mapping):
        raise PersistedQueryRefused(
            "extensions.persistedQuery must be an object.", "BAD_REQUEST", 400
        )
    if persisted.get("version") != APQ_VERSION:
        raise PersistedQueryRefused(
            f"Unsupported persisted query version: only version {APQ_VERSION} is.",
            "BAD_REQUEST",
            400,
        )
    name = persisted.get("sha256Hash")
    if not isinstance(name, str) or not name:
        raise PersistedQueryRefused(
            "extensions.persistedQuery.sha256Hash must be a string.", "BAD_REQUEST", 400
        )
    return name
