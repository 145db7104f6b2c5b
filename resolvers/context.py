"""The request context every resolver receives: who asks, the settings, the database, loaders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.auth.principal import ANONYMOUS, Principal
from gateway.db.models._base import utcnow
from gateway.events import EventBroker, InMemoryBroker
from gateway.settings import Settings
from loaders import Loaders

Clock = Callable[[], datetime]


@dataclass
class Context:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    principal: Principal
    loaders: Loaders
    clock: Clock = field(default=utcnow)
    events: EventBroker = field(default_factory=InMemoryBroker)
    # Set by Strawberry from a websocket's connection_init payload.
    connection_params: dict[str, Any] | None = None
    # Whether the answer is written as JSON by orjson, so that a root field may be answered
    # as JSON text the database built (schema.compiled); set by the GraphQL HTTP view.
    json_text_answers: bool = False
    # Response key -> compiled statement of each root field answered by one (schema.compiled),
    # set to a dict by a surface that keeps whole operations compiled; None once a root field
    # is answered any other way.
    compiled_fields: dict[str, Any] | None = None

    @classmethod
    def build(
        cls,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        principal: Principal = ANONYMOUS,
        clock: Clock = utcnow,
        events: EventBroker | None = None,
    ) -> Context:
        """A fresh context, with fresh loaders, for one request."""
        return cls(
            settings,
            sessionmaker,
            principal,
            Loaders(sessionmaker, principal),
            clock,
            events if events is not None else InMemoryBroker(),
        )

    def act_as(self, principal: Principal) -> None:
        """Continue as ``principal`` (a websocket that authenticates after connecting)."""
        self.principal = principal
        self.loaders = Loaders(self.sessionmaker, principal)

    def now(self) -> datetime:
        """The current time as naive UTC (injectable, so tests can move it)."""
        return self.clock()
