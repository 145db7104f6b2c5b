"""Connectomes: datasets, their materializations, segments, properties and connections."""

from __future__ import annotations

from gateway.db.models import (
    Connection,
    ConnectomeDataset,
    Materialization,
    Segment,
    SegmentProperty,
    table,
)
from resolvers.catalog.fields import attributes, columns
from resolvers.query import Entity, FieldSpec, Kind, Order
from resolvers.relations import ToMany, ToOne

_dataset, _materialization = table(ConnectomeDataset), table(Materialization)
_segment, _connection, _property = table(Segment), table(Connection), table(SegmentProperty)
_SNAPSHOT = ToOne("Materialization", "materialization_id", "The snapshot it belongs to.")

CONNECTOME_DATASET = Entity(
    "ConnectomeDataset",
    _dataset,
    columns(_dataset, "id", "name", "description", "created_at"),
    default_order=(Order("name"),),
    relations={
        "materializations": ToMany(
            "Materialization", ("dataset_id",), description="Snapshots of it, newest first."
        ),
    },
    description="A connectome, e.g. fruitfly_fafb_flywire (BrainCircuits 'project').",
    plural="connectome_datasets",
    lookups=("id", "name"),
    attributes=attributes(
        _dataset,
        id="Its id.",
        name="Its unique name, e.g. fruitfly_fafb_flywire.",
        description="What it is.",
        created_at="When it was imported (UTC).",
    ),
)
MATERIALIZATION = Entity(
    "Materialization",
    _materialization,
    columns(_materialization, "id", "dataset_id", "version", "timestamp", "valid"),
    default_order=(Order("version", descending=True),),
    relations={"dataset": ToOne("ConnectomeDataset", "dataset_id", "The connectome it snapshots.")},
    description="A numbered, timestamped snapshot of a connectome dataset.",
    plural="materializations",
    lookups=("id",),
    attributes=attributes(
        _materialization,
        id="Its id.",
        version="Its version number within its dataset.",
        timestamp="The moment it captures (UTC).",
        valid="Whether it is complete and may be read.",
    ),
)
SEGMENT = Entity(
    "Segment",
    _segment,
    columns(
        _segment,
        "id",
        "materialization_id",
        "cell_group",
        "nt_type",
        "size_nm",
        "length_nm",
        "nr_pre",
        "nr_post",
        "nr_upstream_partner",
        "nr_downstream_partner",
    ),
    default_order=(Order("materialization_id"),),
    relations={
        "materialization": _SNAPSHOT,
        "properties": ToMany(
            "SegmentProperty",
            ("materialization_id", "segment_id"),
            ("materialization_id", "id"),
            description="Its named properties, by name.",
        ),
    },
    description="A segment (neuron) as of one materialization.",
    plural="segments",
    attributes=attributes(
        _segment,
        id="Its root id (64-bit: a string in JSON).",
        cell_group="Its cell type group.",
        nt_type="Its predicted neurotransmitter; empty if unknown.",
        nt_score="The confidence of that prediction.",
        ach_avg="The mean acetylcholine score (0 to 1) of its synapses.",
        gaba_avg="The mean GABA score (0 to 1) of its synapses.",
        glut_avg="The mean glutamate score (0 to 1) of its synapses.",
        oct_avg="The mean octopamine score (0 to 1) of its synapses.",
        ser_avg="The mean serotonin score (0 to 1) of its synapses.",
        da_avg="The mean dopamine score (0 to 1) of its synapses.",
        size_nm="Its volume in cubic nanometres.",
        length_nm="Its cable length in nanometres.",
        area_nm="Its surface area in square nanometres.",
        nr_pre="How many presynaptic sites it has.",
        nr_post="How many postsynaptic sites it has.",
        nr_upstream_partner="How many segments synapse onto it.",
        nr_downstream_partner="How many segments it synapses onto.",
    ),
)
CONNECTION = Entity(
    "Connection",
    _connection,
    columns(
        _connection,
        "id",
        "materialization_id",
        "pre_id",
        "post_id",
        "neuropil",
        "syn_count",
        "nt_type",
    ),
    default_order=(Order("syn_count", descending=True),),
    relations={"materialization": _SNAPSHOT},
    description="Synapses from one segment to another in one neuropil.",
    plural="synapse_connections",
    lookups=("id",),
    attributes=attributes(
        _connection,
        id="Its id.",
        pre_id="The presynaptic segment's root id.",
        post_id="The postsynaptic segment's root id.",
        neuropil="The neuropil the synapses are in.",
        syn_count="How many synapses.",
        nt_type="Their predicted neurotransmitter.",
    ),
)
SEGMENT_PROPERTY = Entity(
    "SegmentProperty",
    _property,
    {
        "segment_id": FieldSpec(
            _property.c.segment_id, Kind.BIGINT, description="The root id of its segment."
        ),
        "materialization_id": FieldSpec(
            _property.c.materialization_id, Kind.INT, description="The id of its snapshot."
        ),
        **columns(_property, "name"),
    },
    default_order=(Order("name"),),
    key="segment_id",
    description="A named property of a segment (nucleus, soma, mitochondria, ...).",
    attributes=attributes(
        _property,
        name="The property's name.",
        value="Its value, as a JSON object.",
    ),
)

# This domain's entities, in the order surfaces list them.
ENTITIES = (CONNECTOME_DATASET, MATERIALIZATION, SEGMENT, CONNECTION, SEGMENT_PROPERTY)
