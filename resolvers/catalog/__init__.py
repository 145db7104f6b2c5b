"""The entity graph: every entity declared once, by domain (its fields, allowlist, relations
and descriptions), and :data:`ENTITIES`, every one by name, as relations name their targets.
"""

from __future__ import annotations

from resolvers.catalog import (
    accounts,
    actions,
    alyx_data,
    atlas,
    brains,
    breeding,
    collections,
    compliance,
    connectome,
    dissemination,
    experiments,
    groups,
    holdings,
    modules,
    personal,
    references,
    taxonomy,
)
from resolvers.catalog.accounts import LABORATORY, USER
from resolvers.catalog.brains import BRAIN, FILE_UPLOAD
from resolvers.catalog.connectome import (
    CONNECTION,
    CONNECTOME_DATASET,
    MATERIALIZATION,
    SEGMENT,
    SEGMENT_PROPERTY,
)
from resolvers.catalog.experiments import PROJECT, SESSION, SUBJECT
from resolvers.catalog.fields import columns, related_value, slug_of_scientific_name
from resolvers.catalog.taxonomy import APPROVAL, CATEGORY, SPECIES, STRAIN
from resolvers.graph import with_reverse_relations
from resolvers.query import Entity

ENTITIES: dict[str, Entity] = with_reverse_relations(
    entity
    for domain in (
        accounts,
        groups,
        taxonomy,
        references,
        experiments,
        actions,
        collections,
        dissemination,
        breeding,
        holdings,
        modules,
        personal,
        compliance,
        brains,
        atlas,
        alyx_data,
        connectome,
    )
    for entity in domain.ENTITIES
)

__all__ = [
    "APPROVAL",
    "BRAIN",
    "CATEGORY",
    "CONNECTION",
    "CONNECTOME_DATASET",
    "ENTITIES",
    "FILE_UPLOAD",
    "LABORATORY",
    "MATERIALIZATION",
    "PROJECT",
    "SEGMENT",
    "SEGMENT_PROPERTY",
    "SESSION",
    "SPECIES",
    "STRAIN",
    "SUBJECT",
    "USER",
    "columns",
    "related_value",
    "slug_of_scientific_name",
]
