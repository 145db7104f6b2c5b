"""The connectome as users ask for it: a dataset at a materialization, its segments'
properties, and their partners ranked by synapse count.

``dataset(name:, materialization:, timestamp:)`` picks the materialization once; everything
under it reads that one. Partner lists come as parallel ``ids`` / ``synapseCounts`` lists,
as the same lists in one JSON value (``compact``: no GraphQL work per item, for a hub's tens of
thousands of partners), and as a capped object list (``partners``). A batch of segments costs a
fixed number of statements: the partner lists and named properties of every segment in a
response load through one loader per argument set, created with the dataset's view, so per
request.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from typing import Annotated, Any

import strawberry
from aiodataloader import DataLoader
from sqlalchemy import Row
from strawberry.scalars import JSON

from gateway.errors import QueryError
from resolvers import connectome
from resolvers.catalog import ENTITIES
from resolvers.connectome import MaterializationRef
from resolvers.context import Context
from resolvers.partners import Direction, Partners, partners_batch
from schema.scalars import BigInt

Info = strawberry.Info[Context, None]

PARTNER_OBJECTS_MAX = 1000
# A segment's fields mean what the entity graph's Segment says they mean.
_SEGMENT = {
    name: attribute.description for name, attribute in ENTITIES["Segment"].attributes.items()
}
_FIRST = Annotated[
    int | None,
    strawberry.argument(description="How many partners at most (default 100; null: all)."),
]
_MIN_SYNAPSES = Annotated[
    int, strawberry.argument(description="Only partners with at least this many synapses.")
]


def _segment(name: str) -> Any:
    return strawberry.field(description=_SEGMENT[name])


@strawberry.type(
    name="ConnectomeMaterialization",
    description="A published snapshot of a connectome: its version and when it was taken.",
)
class MaterializationVersion:
    version: int = strawberry.field(description="Its version number.")
    timestamp: datetime = strawberry.field(description="When it was taken (UTC).")

    @classmethod
    def of(cls, ref: MaterializationRef) -> MaterializationVersion:
        return cls(version=ref.version, timestamp=ref.timestamp)


@strawberry.type(description="A partner segment and the synapses between the two.")
class Partner:
    id: BigInt = strawberry.field(description="The partner's root id.")
    synapse_count: int = strawberry.field(description="Synapses between the two.")


@strawberry.type(
    description=(
        "Partners ranked by synapse count (summed over neuropils), strongest first, ties by "
        "id. `ids` and `synapseCounts` are parallel lists; `compact` holds the same two lists "
        "as one JSON value, which costs no GraphQL work per item (use it for a hub's tens of "
        f"thousands of partners); `partners` lists objects, for first <= {PARTNER_OBJECTS_MAX}."
    )
)
class PartnerList:
    ids: list[BigInt] = strawberry.field(description="The partners' root ids.")
    synapse_counts: list[int] = strawberry.field(
        description="Synapses with each partner, parallel to ids."
    )
    total: int = strawberry.field(description="Partners with at least minSynapses synapses.")
    truncated: bool = strawberry.field(description="Whether `first` cut the list short.")
    first: strawberry.Private[int | None]

    @classmethod
    def of(cls, found: Partners, first: int | None) -> PartnerList:
        return cls(
            ids=found.ids,  # type: ignore[arg-type]
            synapse_counts=found.synapse_counts,
            total=found.total,
            truncated=found.truncated,
            first=first,
        )

    @strawberry.field(
        description="{ids: [string], synapseCounts: [int]}: the parallel lists as one value."
    )
    def compact(self) -> JSON:
        # One leaf for GraphQL to complete instead of two per partner: for a hub's 33,000
        # partners the whole request took 50 ms instead of 114 ms with the typed lists.
        return JSON({"ids": list(map(str, self.ids)), "synapseCounts": self.synapse_counts})

    @strawberry.field(description=f"The partners as objects (first <= {PARTNER_OBJECTS_MAX}).")
    def partners(self) -> list[Partner]:
        if self.first is None or self.first > PARTNER_OBJECTS_MAX:
            raise QueryError(
                f"partners lists at most {PARTNER_OBJECTS_MAX} objects: ask for "
                f"first <= {PARTNER_OBJECTS_MAX}, or read ids and synapseCounts.",
                field="first",
            )
        return [
            Partner(id=partner, synapse_count=count)  # type: ignore[arg-type]
            for partner, count in zip(self.ids, self.synapse_counts, strict=True)
        ]


@strawberry.type(description="Predicted neurotransmitter scores (0 to 1) of a segment's synapses.")
class NeurotransmitterScores:
    ach: float | None = strawberry.field(description="Acetylcholine.")
    gaba: float | None = strawberry.field(description="GABA.")
    glut: float | None = strawberry.field(description="Glutamate.")
    oct: float | None = strawberry.field(description="Octopamine.")
    ser: float | None = strawberry.field(description="Serotonin.")
    da: float | None = strawberry.field(description="Dopamine.")


@strawberry.type(
    name="ConnectomeSegment",
    description=(
        "A segment (neuron) as of the dataset's materialization. nrPre / nrPost count the "
        "synapses it makes / receives; nrDownstreamPartner / nrUpstreamPartner the distinct "
        "segments it synapses onto / receives synapses from."
    ),
)
class SegmentView:
    id: BigInt = _segment("id")
    cell_group: str = _segment("cell_group")
    nt_type: str = strawberry.field(description="Predicted neurotransmitter; empty if unknown.")
    nt_score: float | None = _segment("nt_score")
    size_nm: BigInt | None = _segment("size_nm")
    length_nm: BigInt | None = _segment("length_nm")
    area_nm: BigInt | None = _segment("area_nm")
    nr_pre: int = _segment("nr_pre")
    nr_post: int = _segment("nr_post")
    nr_upstream_partner: int = _segment("nr_upstream_partner")
    nr_downstream_partner: int = _segment("nr_downstream_partner")
    row: strawberry.Private[Row[Any]]
    view: strawberry.Private[ConnectomeView]

    @classmethod
    def of(cls, row: Row[Any], view: ConnectomeView) -> SegmentView:
        # Straight from the row (no dataclass __init__): a batch builds thousands of these.
        segment = object.__new__(cls)
        segment.__dict__.update(zip(row._fields, row, strict=True))
        segment.__dict__.update(row=row, view=view)
        return segment

    @strawberry.field(description="Predicted neurotransmitter scores.")
    def nt_scores(self) -> NeurotransmitterScores:
        row = self.row
        return NeurotransmitterScores(
            ach=row.ach_avg,
            gaba=row.gaba_avg,
            glut=row.glut_avg,
            oct=row.oct_avg,
            ser=row.ser_avg,
            da=row.da_avg,
        )

    @strawberry.field(
        description="Named properties (nucleus, soma, mitochondria, dcv, ...) as one JSON "
        "object by name; only `names` when given."
    )
    async def properties(
        self,
        names: Annotated[
            list[str] | None,
            strawberry.argument(description="The properties to return (default all)."),
        ] = None,
    ) -> JSON:
        key = None if names is None else tuple(names)
        return await self.view.property_loader(key).load(self.id)

    @strawberry.field(description="Segments synapsing onto this one.")
    async def upstream(self, first: _FIRST = 100, min_synapses: _MIN_SYNAPSES = 1) -> PartnerList:
        found = await self.view.partner_loader(Direction.UPSTREAM, first, min_synapses).load(
            self.id
        )
        return PartnerList.of(found, first)

    @strawberry.field(description="Segments this one synapses onto.")
    async def downstream(self, first: _FIRST = 100, min_synapses: _MIN_SYNAPSES = 1) -> PartnerList:
        found = await self.view.partner_loader(Direction.DOWNSTREAM, first, min_synapses).load(
            self.id
        )
        return PartnerList.of(found, first)


@strawberry.type(description="Segments found, in the order asked, and the ids that were not.")
class SegmentBatch:
    segments: list[SegmentView] = strawberry.field(description="The segments found, in order.")
    unknown_ids: list[BigInt] = strawberry.field(
        description="The ids asked for that this materialization does not have."
    )


Batch = Callable[[list[int]], Coroutine[Any, Any, list[Any]]]


@strawberry.type(
    name="Connectome",
    description="A connectome dataset as of one materialization (the newest by default).",
)
class ConnectomeView:
    name: str = strawberry.field(description="The dataset's name.")
    materialization: MaterializationVersion = strawberry.field(
        description="The materialization everything under it reads."
    )
    ctx: strawberry.Private[Context]
    ref: strawberry.Private[MaterializationRef]
    loaders: strawberry.Private[dict[Any, DataLoader]]

    @strawberry.field(description="Every published materialization of the dataset, newest first.")
    async def materializations(self) -> list[MaterializationVersion]:
        found = await connectome.list_materializations(self.ctx, self.name)
        return [MaterializationVersion.of(ref) for ref in found]

    @strawberry.field(description="One segment; null if this materialization does not have it.")
    async def segment(
        self, id: Annotated[BigInt, strawberry.argument(description="Its root id.")]
    ) -> SegmentView | None:
        (segment_id,) = connectome.checked_ids([id], field="id")
        rows = await connectome.get_segments(self.ctx, self.ref, [segment_id])
        row = rows.get(segment_id)
        return None if row is None else SegmentView.of(row, self)

    @strawberry.field(description="Segments by id, in one statement whatever their number.")
    async def segments(
        self, ids: Annotated[list[BigInt], strawberry.argument(description="Their root ids.")]
    ) -> SegmentBatch:
        wanted = connectome.checked_ids(ids, field="ids")
        rows = await connectome.get_segments(self.ctx, self.ref, wanted)
        return SegmentBatch(
            segments=[SegmentView.of(rows[i], self) for i in wanted if i in rows],
            unknown_ids=[i for i in wanted if i not in rows],  # type: ignore[misc]
        )

    def _loader(self, key: Any, batch: Batch) -> DataLoader:
        loader = self.loaders.get(key)
        if loader is None:
            loader = self.loaders[key] = DataLoader(batch)
        return loader

    def partner_loader(
        self, direction: Direction, first: int | None, min_synapses: int
    ) -> DataLoader:
        async def batch(ids: list[int]) -> list[Partners]:
            found = await partners_batch(
                self.ctx, self.ref.id, ids, direction, first=first, min_synapses=min_synapses
            )
            return [found[i] for i in ids]

        return self._loader(("partners", direction, first, min_synapses), batch)

    def property_loader(self, names: Sequence[str] | None) -> DataLoader:
        async def batch(ids: list[int]) -> list[dict[str, Any]]:
            found = await connectome.stored_properties(self.ctx, self.ref, ids, names)
            return [found.get(i, {}) for i in ids]

        return self._loader(("properties", names), batch)


@strawberry.type
class ConnectomeQuery:
    @strawberry.field(
        description=(
            "A connectome dataset (BrainCircuits' project, e.g. fruitfly_fafb_flywire) as of "
            "materialization `materialization`, or as it was at `timestamp` (the newest "
            "materialization at or before it), or else its newest."
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
        ctx = info.context
        ref = await connectome.resolve_materialization(
            ctx, name, version=materialization, timestamp=timestamp
        )
        return ConnectomeView(
            name=name,
            materialization=MaterializationVersion.of(ref),
            ctx=ctx,
            ref=ref,
            loaders={},
        )
