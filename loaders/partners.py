"""Segments' partners ranked by synapse count: one loader per (materialization, direction,
cut, threshold), batching every segment asked for in a request into one statement.

Reads ``partnership`` (per-pair totals written by the import) through its two ranking indexes,
(materialization, pre, synapses desc, post) and (materialization, post, synapses desc, pre):
one segment's top N is one index range scan with ``LIMIT``; a batch is one statement reading
every segment's partners in ranking order (range scans of the same index), cut to N here. Ties
are broken by the partner's id.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.auth.principal import Principal
from gateway.auth.visibility import visible
from gateway.db.engine import read_connection
from gateway.db.id_lists import among
from gateway.db.models import Partnership, table
from gateway.errors import BadRequest
from loaders.rows import FillableLoader

_pairs = table(Partnership)


class Direction(Enum):
    DOWNSTREAM = "downstream"  # segments this one synapses onto
    UPSTREAM = "upstream"  # segments that synapse onto this one

    @property
    def key(self) -> Any:
        return _pairs.c.pre_id if self is Direction.DOWNSTREAM else _pairs.c.post_id

    @property
    def partner(self) -> Any:
        return _pairs.c.post_id if self is Direction.DOWNSTREAM else _pairs.c.pre_id


@dataclass(slots=True)
class Partners:
    """The strongest partners first (parallel lists), and how many there are in all."""

    ids: list[int]
    synapse_counts: list[int]
    total: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.ids)

    def as_connectivity(self) -> list[dict[str, Any]]:
        """BrainCircuits' ``connectivity`` entries (ids as strings: they exceed 2^53)."""
        return [
            {"segmentid": partner, "synaptic_count": count}
            for partner, count in zip(map(str, self.ids), self.synapse_counts, strict=True)
        ]


class PartnerLoader(FillableLoader[Partners]):
    """The partners of segments (by id) of one materialization in one ``direction``: the
    ``first`` strongest (all when None) with at least ``min_synapses`` synapses. A segment
    without partners has an empty list."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        principal: Principal,
        materialization_id: int,
        direction: Direction,
        *,
        first: int | None,
        min_synapses: int,
    ) -> None:
        if first is not None and first < 0:
            raise BadRequest("first must be 0 or more.", field="first")
        if min_synapses < 0:
            raise BadRequest("minSynapses must be 0 or more.", field="minSynapses")
        super().__init__()
        self.sessionmaker = sessionmaker
        self.materialization_id = materialization_id
        self.direction = direction
        self.first = first
        self.min_synapses = min_synapses
        self.rule = visible(_pairs, principal)

    def _match(self, segments: Any) -> list[Any]:
        match = [
            _pairs.c.materialization_id == self.materialization_id,
            segments,
            _pairs.c.syn_count >= self.min_synapses,
        ]
        return match if self.rule is None else [*match, self.rule]

    def empty(self) -> Partners:
        return Partners([], [], 0)

    async def fetch(self, keys: Sequence[Hashable]) -> dict[Hashable, Partners]:
        if len(keys) == 1:
            return {keys[0]: await self._one(keys[0])}
        # Every partner of the batch, in ranking order, trimmed here: measured on SQLite, about
        # eight times faster than ranking with window functions in SQL (which sorts twice), and
        # the same amount of index to read.
        key, partner, count = self.direction.key, self.direction.partner, _pairs.c.syn_count
        ids = list(keys)
        stmt = (
            select(key, partner, count)
            .where(*self._match(among(self.sessionmaker, key, ids)))  # type: ignore[arg-type]
            .order_by(key, count.desc(), partner)
        )
        async with read_connection(self.sessionmaker) as conn:
            rows = (await conn.execute(stmt)).all()
        found: dict[Hashable, Partners] = {segment_id: self.empty() for segment_id in ids}
        limit = len(rows) if self.first is None else self.first
        for segment_id, partner_id, synapses in rows:
            entry = found[segment_id]
            if entry.total < limit:
                entry.ids.append(partner_id)
                entry.synapse_counts.append(synapses)
            entry.total += 1
        return found

    async def _one(self, segment_id: Any) -> Partners:
        """One segment's partners: one index range scan, plus a count when the list is cut."""
        partner, count = self.direction.partner, _pairs.c.syn_count
        match = self._match(self.direction.key == segment_id)
        stmt = select(partner, count).where(*match).order_by(count.desc(), partner)
        first = self.first
        if first is not None:
            stmt = stmt.limit(first + 1)  # one more tells whether the list is cut
        async with read_connection(self.sessionmaker) as conn:
            rows = (await conn.execute(stmt)).all()
            total = len(rows)
            if first is not None and total > first:
                rows = rows[:first]
                total = (await conn.execute(select(func.count()).where(*match))).scalar_one()
        return Partners([row[0] for row in rows], [row[1] for row in rows], total)
