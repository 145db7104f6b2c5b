"""Where recordings are in the brain: atlas brain regions (BrainSTEM taxonomies/brainregion,
Alyx ``brain-regions``), the probe insertions of sessions (Alyx ``insertions``) and the
trajectories estimated for them (Alyx ``trajectories``). Regions are reference data everyone
reads and only administrators write (as BrainSTEM allows); insertions are seen with their
session, trajectories with their insertion."""

from __future__ import annotations

from gateway.db.models import Atlas, BrainRegion, ProbeInsertion, TrajectoryEstimate, table
from resolvers.catalog.fields import attributes, choices, columns
from resolvers.query import Attribute, BrainstemName, Entity, Order, Writes
from resolvers.relations import ToOne

_region, _insertion = table(BrainRegion), table(ProbeInsertion)
_trajectory = table(TrajectoryEstimate)
_CREATED = "When it was created (UTC)."
_UPDATED = "When it last changed (UTC)."

BRAIN_REGION = Entity(
    "BrainRegion",
    _region,
    columns(
        _region, "id", "atlas", "acronym", "name", "description", "parent_id", "level"
    ),
    default_order=(Order("id"),),
    # Its parent is shown as an id for now: the GraphQL filter inputs of a self-referencing
    # to-one relation recurse without end (being fixed separately).
    description=(
        "A region of a brain atlas ontology, keyed by its atlas id (the Allen structure id), "
        "e.g. 385 VISp, Primary visual area (BrainSTEM taxonomies/brainregion, Alyx brain-regions)."
    ),
    plural="brainRegions",
    lookups=("id",),
    attributes=attributes(
        _region,
        id="Its atlas id (the Allen structure id for the Allen atlases; the next free one for a "
        "region an administrator adds).",
        name=Attribute("Its name, unique in its atlas, e.g. Primary visual area.", True, True),
        description=Attribute("What it is.", writable=True),
        acronym=Attribute("Its acronym, unique in its atlas, e.g. VISp.", True, True),
        atlas=Attribute(
            "The atlas it belongs to.",
            writable=True,
            required=True,
            choices=choices(
                Atlas,
                AIA="Allen Mouse Brain Atlas.",
                AIA_DM="Allen Developing Mouse Brain Atlas.",
                AIA_HB="Allen Human Brain Atlas.",
                AIA_DHB="Allen Developing Human Brain Atlas.",
                AIA_P="Allen Non-Human Primate Brain Atlas.",
                AIA_S="Allen Spinal Column Atlas.",
                BM4="Brain Maps 4.0, rat brain atlas.",
                PF2001="Paxinos & Franklin 2001 mouse brain atlas.",
                PW1997="Paxinos & Watson 1997 rat brain atlas.",
                S2004="Swanson 2004 rat brain atlas.",
            ),
        ),
        parent_id="The atlas id of the region it is part of (none for the root).",
        level="Its depth in the ontology tree (the root is 0).",
        rgb="The colour the atlas draws it in, as six hex digits.",
    ),
    writes=Writes.DIRECT,  # by administrators only (gateway.auth.permissions.editable)
    brainstem=BrainstemName("taxonomies", "brainregion", "brain_region", "brain_regions"),
)
PROBE_INSERTION = Entity(
    "ProbeInsertion",
    _insertion,
    columns(_insertion, "id", "name", "model", "serial", "session_id", "created_at", "updated_at"),
    default_order=(Order("session_id"), Order("name")),
    relations={
        "session": ToOne(
            "Session", "session_id", "The session it recorded in.", writable=True, required=True,
            reverse="probe_insertions", reverse_description="Its probe insertions, by name.",
        ),
    },
    description="A probe inserted for a session's recording (Alyx insertions).",
    plural="probeInsertions",
    lookups=("id",),
    writes=Writes.DIRECT,
    attributes=attributes(
        _insertion,
        id="Its id (ONE's pid).",
        name=Attribute("Its name, unique in its session, e.g. probe00.", True, True),
        model=Attribute("The probe model, e.g. 3B2.", writable=True),
        serial=Attribute("The probe's serial number.", writable=True),
        json_data=Attribute("Structured data about it (Alyx's json: QC, ...).", writable=True),
        created_at=_CREATED,
        updated_at=_UPDATED,
    ),
)
TRAJECTORY_ESTIMATE = Entity(
    "TrajectoryEstimate",
    _trajectory,
    columns(
        _trajectory, "id", "probe_insertion_id", "provenance", "x", "y", "z", "depth", "theta",
        "phi", "roll", "created_at", "updated_at",
    ),
    default_order=(Order("probe_insertion_id"), Order("provenance", descending=True)),
    relations={
        "probe_insertion": ToOne(
            "ProbeInsertion", "probe_insertion_id", "The insertion it estimates.", True, True,
            reverse="trajectories",
            reverse_description="Where it went, one estimate per provenance, best first.",
        ),
    },
    description=(
        "A straight-line estimate of a probe insertion's track, relative to Bregma "
        "(Alyx trajectories)."
    ),
    plural="trajectoryEstimates",
    lookups=("id",),
    writes=Writes.DIRECT,
    attributes=attributes(
        _trajectory,
        id="Its id.",
        x=Attribute("Medio-lateral coordinate (um) where it enters the brain, right +.", True),
        y=Attribute("Antero-posterior coordinate (um) where it enters the brain, front +.", True),
        z=Attribute("Dorso-ventral coordinate (um) where it enters the brain, up +.", True),
        depth=Attribute("How deep the probe went (um).", True),
        theta=Attribute("Polar angle from vertical (degrees, 0-180).", True),
        phi=Attribute("Azimuth from right, anti-clockwise (degrees).", True),
        roll=Attribute("The probe's roll (degrees, 0-360).", True),
        provenance=Attribute(
            "How it was estimated: 10 planned, 30 micro-manipulator, 50 histology track, "
            "70 ephys aligned histology track.",
            True,
        ),
        coordinate_system=Attribute("The coordinate system it is given in.", True),
        json_data=Attribute("Structured data about it.", True),
        created_at=_CREATED,
        updated_at="When it last changed (UTC; Alyx's datetime).",
    ),
)

# This domain's entities, in the order surfaces list them.
ENTITIES = (BRAIN_REGION, PROBE_INSERTION, TRAJECTORY_ESTIMATE)
