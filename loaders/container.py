"""The typed container of a request's loaders, built fresh for every request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.auth.principal import Principal
from loaders.partners import Direction, PartnerLoader
from loaders.rows import RowLoader


@dataclass
class Loaders:
    sessionmaker: async_sessionmaker[AsyncSession]
    principal: Principal
    _by_key: dict[tuple[Any, ...], RowLoader] = field(default_factory=dict)
    _partners: dict[tuple[Any, ...], PartnerLoader] = field(default_factory=dict)

    def by_key(
        self, table: Table, key: str = "id", columns: tuple[str, ...] | None = None
    ) -> RowLoader:
        """The loader of ``table``'s visible rows by a unique column; with ``columns``, rows
        carry only those (decoding unasked-for columns is a large share of a list's cost)."""
        cache_key = (table.name, key, columns)
        loader = self._by_key.get(cache_key)
        if loader is None:
            loader = RowLoader(self.sessionmaker, self.principal, table, key, columns)
            self._by_key[cache_key] = loader
        return loader

    def partners(
        self,
        materialization_id: int,
        direction: Direction,
        *,
        first: int | None,
        min_synapses: int,
    ) -> PartnerLoader:
        """The loader of segments' partners in ``materialization_id``, one per ranking asked
        for: every segment of a response asking the same one shares its statement."""
        cache_key = (materialization_id, direction, first, min_synapses)
        loader = self._partners.get(cache_key)
        if loader is None:
            loader = PartnerLoader(
                self.sessionmaker,
                self.principal,
                materialization_id,
                direction,
                first=first,
                min_synapses=min_synapses,
            )
            self._partners[cache_key] = loader
        return loader
