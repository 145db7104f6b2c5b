"""GraphQL types of connectomes: datasets, materializations, segments and connections."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from resolvers import catalog
from schema.relations import RowType, ToMany, ToOne
from schema.scalars import BigInt


@strawberry.type(description="A connectome, e.g. fruitfly_fafb_flywire (BrainCircuits 'project').")
class ConnectomeDataset(RowType):
    entity = catalog.CONNECTOME_DATASET
    relations = {"materializations": ToMany("Materialization", ("dataset_id",))}

    id: int
    name: str
    description: str
    created_at: datetime

    @strawberry.field(description="Snapshots of this dataset, newest first.")
    def materializations(self, limit: int | None = None) -> list[Materialization]:
        return self.many("materializations", limit)


@strawberry.type(description="A numbered, timestamped snapshot of a connectome dataset.")
class Materialization(RowType):
    entity = catalog.MATERIALIZATION
    relations = {"dataset": ToOne("ConnectomeDataset", "dataset_id")}

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
    relations = {
        "materialization": ToOne("Materialization", "materialization_id"),
        "properties": ToMany(
            "SegmentProperty", ("materialization_id", "segment_id"), ("materialization_id", "id")
        ),
    }

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
    def properties(self, limit: int | None = None) -> list[SegmentProperty]:
        return self.many("properties", limit)


@strawberry.type(description="Synapses from one segment to another in one neuropil.")
class SynapseConnection(RowType):
    entity = catalog.CONNECTION
    relations = {"materialization": ToOne("Materialization", "materialization_id")}

    id: BigInt
    pre_id: BigInt
    post_id: BigInt
    neuropil: str
    syn_count: int
    nt_type: str
    materialization: Materialization | None = None
