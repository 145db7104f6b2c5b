"""What the connectome adds to the entity graph's ``Segment`` type: its partners ranked by
synapse count, and its neurotransmitter scores as one object.

Partner lists come as parallel ``ids`` / ``synapseCounts`` lists, as the same lists in one
JSON value (``compact``: no GraphQL work per item, for a hub's tens of thousands of partners),
and as a capped object list (``partners``). They load through the request's partner loaders,
so every segment of a response asking the same ranking shares one statement, whichever field
the segments came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry.scalars import JSON

from gateway.errors import QueryError
from resolvers.connectome import NEUROTRANSMITTERS
from resolvers.context import Context
from resolvers.partners import Direction, Partners, partners
from schema.scalars import BigInt

Info = strawberry.Info[Context, None]

PARTNER_OBJECTS_MAX = 1000
_FIRST = Annotated[
    int | None,
    strawberry.argument(description="How many partners at most (default 100; null: all)."),
]
_MIN_SYNAPSES = Annotated[
    int, strawberry.argument(description="Only partners with at least this many synapses.")
]


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


_SCORES = tuple(f"{nt}_avg" for nt in NEUROTRANSMITTERS)


class SegmentFields:
    """The connectome's fields of ``schema.types.Segment``, which gains them: ``self`` is
    then a segment node of the read path, holding the segment's columns."""

    if TYPE_CHECKING:
        id: int
        materialization_id: int

    # What each resolver reads of the node (the key, ``id``, is always read).
    reads: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "nt_scores": _SCORES,
        "upstream": ("materialization_id",),
        "downstream": ("materialization_id",),
    }

    @strawberry.field(description="Predicted neurotransmitter scores.")
    def nt_scores(self) -> NeurotransmitterScores:
        return NeurotransmitterScores(
            **{nt: getattr(self, f"{nt}_avg") for nt in NEUROTRANSMITTERS}
        )

    @strawberry.field(description="Segments synapsing onto this one.")
    async def upstream(
        self, info: Info, first: _FIRST = 100, min_synapses: _MIN_SYNAPSES = 1
    ) -> PartnerList:
        return await _partner_list(self, info, Direction.UPSTREAM, first, min_synapses)

    @strawberry.field(description="Segments this one synapses onto.")
    async def downstream(
        self, info: Info, first: _FIRST = 100, min_synapses: _MIN_SYNAPSES = 1
    ) -> PartnerList:
        return await _partner_list(self, info, Direction.DOWNSTREAM, first, min_synapses)


async def _partner_list(
    segment: SegmentFields, info: Info, direction: Direction, first: int | None, min_synapses: int
) -> PartnerList:
    found = await partners(
        info.context,
        segment.materialization_id,
        segment.id,
        direction,
        first=first,
        min_synapses=min_synapses,
    )
    return PartnerList.of(found, first)
