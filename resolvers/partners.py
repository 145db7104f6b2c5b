"""A segment's partners ranked by synapse count, for one segment or a batch.

Both go through the request's partner loaders (:mod:`loaders.partners`): segments asked for
with the same ranking in one request share one statement, whichever field or endpoint asks.
"""

from __future__ import annotations

from collections.abc import Sequence

from loaders.partners import Direction, Partners
from resolvers.context import Context

__all__ = ["Direction", "Partners", "partners", "partners_batch"]


async def partners(
    ctx: Context,
    materialization_id: int,
    segment_id: int,
    direction: Direction,
    *,
    first: int | None = 100,
    min_synapses: int = 1,
) -> Partners:
    """One segment's ``first`` strongest partners (all when ``None``) with at least
    ``min_synapses`` synapses, batched with the other segments asked for alongside it."""
    loader = ctx.loaders.partners(
        materialization_id, direction, first=first, min_synapses=min_synapses
    )
    return await loader.load(segment_id)  # type: ignore[no-any-return]


async def partners_batch(
    ctx: Context,
    materialization_id: int,
    segment_ids: Sequence[int],
    direction: Direction,
    *,
    first: int | None = 100,
    min_synapses: int = 1,
) -> dict[int, Partners]:
    """:func:`partners` for every id of a batch, in one statement (a single id takes the
    cheaper one-segment scan). Ids without partners map to an empty list."""
    loader = ctx.loaders.partners(
        materialization_id, direction, first=first, min_synapses=min_synapses
    )
    known = await loader.fill(segment_ids)
    return {segment_id: known[segment_id] for segment_id in segment_ids}
