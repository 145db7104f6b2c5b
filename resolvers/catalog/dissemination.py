"""Dissemination (BrainSTEM ``dissemination``): journals, changed through reviewed proposals,
and the publications in them, which the user who added one changes. Everyone reads both."""

from __future__ import annotations

from gateway.db.models import Journal, ProjectPublication, Publication, table
from resolvers.catalog.fields import attributes, columns
from resolvers.query import Attribute, BrainstemName, Entity, Order, Writes
from resolvers.relations import Link, ToMany, ToOne

_journal, _publication = table(Journal), table(Publication)
_CREATED = "When it was created (UTC)."
_UPDATED = "When it last changed (UTC)."

JOURNAL = Entity(
    "Journal",
    _journal,
    columns(_journal, "id", "name", "website", "created_at", "updated_at"),
    default_order=(Order("name"),),
    description="A scientific journal (BrainSTEM dissemination/journal).",
    plural="journals",
    lookups=("id", "name"),
    writes=Writes.APPROVAL,
    attributes=attributes(
        _journal,
        id="Its id.",
        name=Attribute("Its unique name, e.g. eLife.", writable=True, required=True),
        description=Attribute("What it publishes.", writable=True),
        website=Attribute("Its website.", writable=True),
        created_at=_CREATED,
        updated_at=_UPDATED,
    ),
    brainstem=BrainstemName("dissemination", "journal", "journal", "journals"),
)
PUBLICATION = Entity(
    "Publication",
    _publication,
    columns(
        _publication,
        "id",
        "title",
        "authors",
        "journal_id",
        "doi",
        "publication_date",
        "user_id",
        "created_at",
        "updated_at",
    ),
    default_order=(Order("publication_date", descending=True), Order("id")),
    relations={
        "journal": ToOne(
            "Journal", "journal_id", "The journal it appeared in.", True, True,
            "publications", "The publications in it, newest first.",
        ),
        "projects": ToMany(
            "Project",
            links=(Link(table(ProjectPublication), "publication_id", "project_id"),),
            description="The projects it reports on (those one may see), by name.",
            written_as="project_ids",
        ),
        "user": ToOne("User", "user_id", "Who added it (and may change it)."),
    },
    description="A research publication (BrainSTEM dissemination/publication).",
    plural="publications",
    lookups=("id",),
    writes=Writes.DIRECT,
    author="user_id",
    attributes=attributes(
        _publication,
        id="Its id.",
        title=Attribute("Its title.", writable=True, required=True),
        authors=Attribute("Its authors, as cited.", writable=True, required=True),
        abstract=Attribute("Its abstract.", writable=True, required=True),
        doi=Attribute("Its DOI, e.g. 10.1016/j.neuron.2020.05.023.", writable=True),
        publication_url=Attribute("Where it can be read.", writable=True),
        pdf_url=Attribute("Where a PDF of it can be downloaded.", writable=True),
        publication_date=Attribute("When it was published.", writable=True, required=True),
        created_at=_CREATED,
        updated_at=_UPDATED,
    ),
    brainstem=BrainstemName("dissemination", "publication", "publication", "publications"),
)

ENTITIES = (JOURNAL, PUBLICATION)
