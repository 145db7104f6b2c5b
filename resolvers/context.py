"""The request context every resolver receives: who asks, the settings, the database, loaders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.auth.principal import ANONYMOUS, Principal
from gateway.db.models._base import utcnow
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

    @classmethod
    def build(
        cls,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        principal: Principal = ANONYMOUS,
        clock: Clock = utcnow,
    ) -> Context:
        """A fresh context, with fresh loaders, for one request."""
        return cls(settings, sessionmaker, principal, Loaders(sessionmaker, principal), clock)

    def now(self) -> datetime:
        """The current time as naive UTC (injectable, so tests can move it)."""
        return self.clock()
