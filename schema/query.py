"""The Query type: for every domain type a list, a Relay connection and lookups by key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry

from schema.listing import FieldFactory
from schema.relations import Registry, RowType
from schema.scalars import BigInt
from schema.types import (
    ROW_TYPES,
    Approval,
    Brain,
    Category,
    ConnectomeDataset,
    FileUpload,
    Laboratory,
    Materialization,
    Project,
    Segment,
    Session,
    Species,
    Strain,
    Subject,
    SynapseConnection,
    User,
)


@dataclass(frozen=True)
class Exposed:
    """How one row type appears on Query: its list name and its lookups (name, key, type)."""

    type_: type[RowType]
    plural: str
    lookups: tuple[tuple[str, str, Any], ...]


EXPOSED = (
    Exposed(User, "users", (("user", "id", int),)),
    Exposed(
        Laboratory,
        "laboratories",
        (("laboratory", "id", strawberry.ID), ("laboratory_by_name", "name", str)),
    ),
    Exposed(Category, "categories", (("category", "id", int), ("category_by_name", "name", str))),
    Exposed(
        Species,
        "species",
        (("species_by_id", "id", strawberry.ID), ("species_by_name", "name", str)),
    ),
    Exposed(Strain, "strains", (("strain", "id", strawberry.ID), ("strain_by_name", "name", str))),
    Exposed(Approval, "approvals", (("approval", "id", strawberry.ID),)),
    Exposed(
        Project, "projects", (("project", "id", strawberry.ID), ("project_by_name", "name", str))
    ),
    Exposed(
        Subject,
        "subjects",
        (("subject", "id", strawberry.ID), ("subject_by_nickname", "nickname", str)),
    ),
    Exposed(Session, "sessions", (("session", "id", strawberry.ID),)),
    Exposed(Brain, "brains", (("brain", "id", int), ("brain_by_readable_id", "readable_id", str))),
    Exposed(FileUpload, "file_uploads", (("file_upload", "id", int),)),
    Exposed(
        ConnectomeDataset,
        "connectome_datasets",
        (("connectome_dataset", "id", int), ("connectome_dataset_by_name", "name", str)),
    ),
    Exposed(Materialization, "materializations", (("materialization", "id", int),)),
    Exposed(Segment, "segments", ()),
    Exposed(SynapseConnection, "synapse_connections", (("synapse_connection", "id", BigInt),)),
)

# The row types and their relations; mutations use it to return objects like queries do.
REGISTRY = Registry(ROW_TYPES)


def build_query(registry: Registry) -> type:
    factory = FieldFactory(registry)
    fields: dict[str, Any] = {}
    for exposed in EXPOSED:
        name = exposed.type_.__name__
        fields[exposed.plural] = factory.list_field(
            exposed.type_, f"{name} rows, filtered, ordered and paged by limit/offset."
        )
        fields[f"{exposed.plural}_connection"] = factory.connection_field(
            exposed.type_, f"{name} rows as a Relay connection (first/after, totalCount)."
        )
        for field_name, key, key_type in exposed.lookups:
            fields[field_name] = factory.lookup_field(
                exposed.type_, key, key_type, f"One {name} by {key}; null if missing or hidden."
            )
    return strawberry.type(type("Query", (), fields), description="Read the lab's data.")
