"""The request context every resolver receives: who asks, the settings, the database, loaders."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.auth.principal import ANONYMOUS, Principal
from gateway.settings import Settings
from loaders import Loaders


@dataclass
class Context:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    principal: Principal
    loaders: Loaders

    @classmethod
    def build(
        cls,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        principal: Principal = ANONYMOUS,
    ) -> Context:
        """A fresh context, with fresh loaders, for one request."""
        return cls(settings, sessionmaker, principal, Loaders(sessionmaker, principal))
