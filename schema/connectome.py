"""GraphQL types of connectomes: datasets, materializations, segments and connections."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from resolvers import catalog
from schema.relations import RowType, followed
from schema.scalars import BigInt


@strawberry.type(description="A connectome, e.g. fruitfly_fafb_flywire (BrainCircuits 'project').")
class ConnectomeDataset(RowType):
    entity = catalog.CONNECTOME_DATASET

    id: int
    name: str
    description: str
    created_at: datetime

    @strawberry.field(description="Snapshots of this dataset, newest first.")
    def materializations(
        self, info: strawberry.Info, limit: int | None = None, offset: int = 0
    ) -> list[Materialization]:
        return followed(self, info)  # type: ignore[no-any-return]


@strawberry.type(description="A numbered, timestamped snapshot of a connectome dataset.")
class Materialization(RowType):
    entity = catalog.MATERIALIZATION

    id: int
    version: int
    timestamp: datetime
    valid: bool
    dataset: ConnectomeDataset | None = None


@strawberry.type(description="A named property of a segment (nucleus, soma, mitochondria, ...).")
class SegmentProperty(RowType):
    entity = catalog.SEGMENT_PROPERTY

    name: str
    value: JSON


@strawberry.type(description="A segment (neuron) as of one materialization.")
class Segment(RowType):
    entity = catalog.SEGMENT

    id: BigInt
    cell_group: str
    nt_type: str
    nt_score: float | None
    size_nm: BigInt | None
    length_nm: BigInt | None
    area_nm: BigInt | None
    nr_pre: int
    nr_post: int
    nr_upstream_partner: int
    nr_downstream_partner: int
    materialization: Materialization | None = None

    @strawberry.field(description="Named properties of this segment, by name.")
    def properties(
        self, info: strawberry.Info, limit: int | None = None, offset: int = 0
    ) -> list[SegmentProperty]:
        return followed(self, info)  # type: ignore[no-any-return]


@strawberry.type(description="Synapses from one segment to another in one neuropil.")
class SynapseConnection(RowType):
    entity = catalog.CONNECTION

    id: BigInt
    pre_id: BigInt
    post_id: BigInt
    neuropil: str
    syn_count: int
    nt_type: str
    materialization: Materialization | None = None
