"""The connectome as users ask for it: a dataset at a materialization, its segments, and
their partners ranked by synapse count.

``dataset(name:, materialization:, timestamp:)`` picks the materialization once; everything
under it reads that one. Its segments are the entity graph's ``Segment`` objects (their
partner lists: :mod:`schema.segments`), read by id in one statement whatever their number,
with what is selected under them followed by the read path; its materializations are the
graph's ``Materialization`` objects.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from resolvers import connectome
from resolvers.connectome import MaterializationRef
from resolvers.context import Context
from schema.listing import as_objects
from schema.query import REGISTRY
from schema.relations import field_details, under
from schema.scalars import BigInt
from schema.types import Materialization, Segment

Info = strawberry.Info[Context, None]


@strawberry.type(description="Segments found, in the order asked, and the ids that were not.")
class SegmentBatch:
    segments: list[Segment] = strawberry.field(description="The segments found, in order.")
    unknown_ids: list[BigInt] = strawberry.field(
        description="The ids asked for that this materialization does not have."
    )


@strawberry.type(
    name="Connectome",
    description="A connectome dataset as of one materialization (the newest by default).",
)
class ConnectomeView:
    name: str = strawberry.field(description="The dataset's name.")
    ref: strawberry.Private[MaterializationRef]

    @strawberry.field(
        description="When the materialization everything under it reads was taken, in UNIX "
        "seconds (BrainCircuits' materialized_timestamp)."
    )
    def materialized_timestamp(self) -> int:
        return self.ref.unix_timestamp

    @strawberry.field(description="The materialization everything under it reads.")
    async def materialization(self, info: Info) -> Materialization:
        (found,) = await as_objects(info, REGISTRY, Materialization, [self.ref.row])
        return found  # type: ignore[no-any-return]

    @strawberry.field(description="Every published materialization of the dataset, newest first.")
    async def materializations(self, info: Info) -> list[Materialization]:
        found = await connectome.list_materializations(info.context, self.name)
        return await as_objects(info, REGISTRY, Materialization, [ref.row for ref in found])

    @strawberry.field(description="One segment; null if this materialization does not have it.")
    async def segment(
        self, info: Info, id: Annotated[BigInt, strawberry.argument(description="Its root id.")]
    ) -> Segment | None:
        (segment_id,) = connectome.checked_ids([id], field="id")
        rows = await connectome.get_segments(info.context, self.ref, [segment_id])
        found = await as_objects(info, REGISTRY, Segment, list(rows.values()))
        return found[0] if found else None

    @strawberry.field(description="Segments by id, in one statement whatever their number.")
    async def segments(
        self,
        info: Info,
        ids: Annotated[list[BigInt], strawberry.argument(description="Their root ids.")],
    ) -> SegmentBatch:
        wanted = connectome.checked_ids(ids, field="ids")
        rows = await connectome.get_segments(info.context, self.ref, wanted)
        ordered = [rows[i] for i in wanted if i in rows]
        details = under(info, "SegmentBatch", field_details(info), "segments")
        return SegmentBatch(
            segments=await as_objects(info, REGISTRY, Segment, ordered, details),
            unknown_ids=[i for i in wanted if i not in rows],  # type: ignore[misc]
        )


@strawberry.type
class ConnectomeQuery:
    @strawberry.field(
        description=(
            "A connectome dataset (BrainCircuits' project, e.g. fruitfly_fafb_flywire) as of "
            "materialization `materialization`, or as it was at `timestamp` (the newest "
            "materialization at or before it), or else its newest; `materializedTimestamp` "
            "says which answered. A private dataset (of a private project) is seen by its "
            "project's members only; asked for without a token it is UNAUTHENTICATED."
        )
    )
    async def dataset(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="The dataset's name.")],
        materialization: Annotated[
            int | None, strawberry.argument(description="A materialization version.")
        ] = None,
        timestamp: Annotated[
            datetime | None,
            strawberry.argument(description="A moment (UTC): the newest materialization then."),
        ] = None,
    ) -> ConnectomeView | None:
        ref = await connectome.resolve_materialization(
            info.context, name, version=materialization, timestamp=timestamp
        )
        return ConnectomeView(name=name, ref=ref)
