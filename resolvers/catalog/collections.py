"""Collections (BrainSTEM ``stem/collection``): named sets of a project's sessions."""

from __future__ import annotations

from gateway.db.models import Collection, CollectionSession, table
from resolvers.catalog.fields import attributes, columns
from resolvers.query import Attribute, BrainstemName, Entity, Order, Writes
from resolvers.relations import Link, ToMany, ToOne

_collection = table(Collection)

COLLECTION = Entity(
    "Collection",
    _collection,
    columns(_collection, "id", "name", "description", "project_id", "created_at", "updated_at"),
    default_order=(Order("name"),),
    relations={
        "project": ToOne(
            "Project", "project_id", "The project it belongs to.", True, True,
            "collections", "Its collections of sessions, by name.",
        ),
        "sessions": ToMany(
            "Session",
            links=(Link(table(CollectionSession), "collection_id", "session_id"),),
            description="The sessions in it, newest first.",
            written_as="session_ids",
        ),
    },
    description="A named set of sessions within one project (BrainSTEM stem/collection).",
    plural="collections",
    lookups=("id",),
    writes=Writes.DIRECT,
    attributes=attributes(
        _collection,
        id="Its id.",
        name=Attribute("Its name (at most 100 characters).", writable=True, required=True),
        description=Attribute("What it gathers.", writable=True),
        tags=Attribute("Labels shared by all users.", writable=True),
        created_at="When it was created (UTC).",
        updated_at="When it last changed (UTC).",
    ),
    brainstem=BrainstemName("stem", "collection", "collection", "collections"),
)

ENTITIES = (COLLECTION,)
