"""The BrainSTEM models the shim serves, as data: URL names and apps, envelope keys, how each
BrainSTEM field maps onto the unified model, its relations, and which fields a write takes.

Field names follow BrainSTEM (DOMAIN.md §1, §3): a subject's ``name`` is our ``nickname``, a
session's ``description`` our ``narrative`` and its ``date_time`` our ``start_time``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import cached_property

from resolvers import catalog
from resolvers.query import Entity
from resolvers.query import Writes as EntityWrites
from resolvers.relations import Relation, ToMany, ToOne


def shown(entity: Entity, **fields: str) -> dict[str, str]:
    """The entity graph's relations a BrainSTEM model shows, by BrainSTEM field name
    (``projects="projects"``): each means what the graph says, on every surface. Naming a
    relation the entity does not have fails here, at import."""
    for relation in fields.values():
        if relation not in entity.relations:
            raise ValueError(f"{entity.name} has no relation '{relation}'.")
    return fields


def is_members(relation: Relation) -> bool:
    """Whether ``relation`` is a project's or a group's memberships, which BrainSTEM shows as
    ``users``: ``{username: {can_change, is_manager, is_owner}}`` (a group's without
    ``can_change``)."""
    return relation.target in ("ProjectMember", "GroupMember")


class Writes(Enum):
    """Which domain functions a model's writes go to."""

    NONE = "none"  # read-only
    EXPERIMENT = "experiment"  # written directly (resolvers.writes)
    TAXONOMY = "taxonomy"  # proposals through resolvers.approvals; delete by admins
    APPROVAL = "approval"  # review (accept / reject)


@dataclass(frozen=True)
class Model:
    name: str  # the canonical URL name
    apps: frozenset[str]  # the app segments it is served under
    singular: str  # the detail envelope key
    plural: str  # the list envelope key
    entity: Entity
    fields: Mapping[str, str]  # BrainSTEM field -> row column (rendered; filterable if listed)
    filters: Mapping[str, str] = field(default_factory=dict)  # more filter names -> entity field
    # BrainSTEM field -> the entity graph relation it shows (:func:`shown`).
    relations: Mapping[str, str] = field(default_factory=dict)
    # Documented relations the gateway holds no records of: included as empty lists.
    unmodelled: frozenset[str] = frozenset()
    writes: Writes = Writes.NONE
    # Body fields a write takes besides those the graph marks writable (:attr:`writable`).
    also_writable: Mapping[str, str] = field(default_factory=dict)
    read_only: frozenset[str] = frozenset()  # body fields a write ignores (as DRF does)
    aliases: tuple[str, ...] = ()  # other URL names
    approval_of: str | None = None  # approvals: the taxonomy model they change
    # Approvals: the approval's relation to the record it changes (``species``).
    changes: str = ""
    # Body fields BrainSTEM requires on a create or PUT that the entity graph does not (a
    # subject's projects: Alyx's subjects need none).
    required: frozenset[str] = frozenset()
    # Actions on a record, ``…/{id}/<action>``, besides an approval's review (an invitation's
    # accept, reject and cancel; a group's join and leave).
    actions: frozenset[str] = frozenset()

    def filter_field(self, name: str) -> str | None:
        """The entity field a BrainSTEM filter or sort name stands for."""
        column = self.filters.get(name) or self.fields.get(name)
        return column if column in self.entity.fields else None

    def sort_field(self, name: str) -> str | None:
        column = self.filter_field(name)
        return column if column is not None and self.entity.fields[column].sortable else None

    @cached_property
    def writable(self) -> dict[str, str]:
        """Body field -> the domain value a write sets: the fields and relations the entity
        graph marks writable, under their BrainSTEM names, and :attr:`also_writable`."""
        if self.writes is Writes.NONE:
            return {}
        found = {
            name: column
            for name, column in self.fields.items()
            if (attribute := self.entity.attributes.get(column)) is not None and attribute.writable
        }
        for name in self.relations:
            relation = self.relation(name)
            if isinstance(relation, ToOne) and relation.writable:
                found[name] = relation.fk
            elif isinstance(relation, ToMany) and relation.writable:
                found[name] = relation.written_as
        return {**found, **self.also_writable}

    def relation(self, name: str) -> Relation:
        """The graph relation the BrainSTEM field ``name`` shows."""
        return self.entity.relations[self.relations[name]]

    @property
    def related(self) -> dict[str, Relation]:
        """The graph relation each BrainSTEM relation field shows, by field name."""
        return {name: self.relation(name) for name in self.relations}

    @property
    def columns(self) -> tuple[str, ...]:
        """The row columns besides the key that its records are built from (a list reads no
        more); approvals read the columns of the proposal they show too."""
        needed = set(self.fields.values())
        if self.approval_of is not None:
            needed.add("proposed")
        for relation in self.related.values():
            if isinstance(relation, ToOne):
                needed.add(relation.fk)
        needed.discard(self.entity.key)
        return tuple(sorted(needed))

    @property
    def filter_names(self) -> list[str]:
        return sorted(n for n in {*self.fields, *self.filters} if self.filter_field(n))

    @property
    def sort_names(self) -> list[str]:
        return sorted(n for n in {*self.fields, *self.filters} if self.sort_field(n))


_CREATED = {"created_date": "created_at"}  # seed 001 sorts by it

PROJECT = Model(
    "project",
    frozenset({"stem"}),
    "project",
    "projects",
    catalog.PROJECT,
    {
        "id": "id",
        "name": "name",
        "description": "description",
        "is_public": "is_public",
        "tags": "tags",
        "extra_fields": "extra_fields",
    },
    filters={
        "sessions": "has_session",
        "sessions.id": "has_session",
        "subjects": "has_subject",
        "subjects.id": "has_subject",
        "publications": "has_publication",
        "publications.id": "has_publication",
        **_CREATED,
    },
    relations=shown(
        catalog.PROJECT,
        sessions="sessions",
        subjects="subjects",
        cohorts="cohorts",
        users="members",
        publications="publications",
    ),
    unmodelled=frozenset({"collections"}),
    writes=Writes.EXPERIMENT,
    also_writable={"users": "members"},  # {username: role}: see resolvers.experiments
    read_only=frozenset(
        {"id", "sessions", "subjects", "collections", "cohorts", "links", "publications"}
    ),
)
SUBJECT = Model(
    "subject",
    frozenset({"stem"}),
    "subject",
    "subjects",
    catalog.SUBJECT,
    {
        "id": "id",
        "name": "nickname",
        "description": "description",
        "sex": "sex",
        "genetic_line": "genetic_line",
        "genotype": "genotype",
        "birth_date": "birth_date",
        "death_date": "death_date",
        "status": "status",
        "extra_fields": "extra_fields",
    },
    filters={
        "projects": "in_project",
        "projects.id": "in_project",
        "strain": "strain_id",
        "strain.id": "strain_id",
        "species": "species_id",
        "species.id": "species_id",
        **_CREATED,
    },
    relations=shown(catalog.SUBJECT, projects="projects", strain="strain", species="species"),
    unmodelled=frozenset({"procedures", "subjectlogs", "licenses", "cohorts"}),
    writes=Writes.EXPERIMENT,
    read_only=frozenset({"id", "procedures", "subjectlogs", "links", "name_used_in_storage"}),
    required=frozenset({"projects"}),
)
SESSION = Model(
    "session",
    frozenset({"stem"}),
    "session",
    "sessions",
    catalog.SESSION,
    {
        "id": "id",
        "name": "name",
        "description": "narrative",
        "date_time": "start_time",
        "extra_fields": "extra_fields",
    },
    filters={"projects": "in_project", "projects.id": "in_project", **_CREATED},
    relations=shown(catalog.SESSION, projects="projects"),
    unmodelled=frozenset(
        {"dataacquisition", "behaviors", "manipulations", "epochs", "datastorage", "collections"}
    ),
    writes=Writes.EXPERIMENT,
    read_only=frozenset(
        {
            "id",
            "epochs",
            "dataacquisition",
            "behaviors",
            "manipulations",
            "links",
            "name_used_in_storage",
        }
    ),
)
SPECIES = Model(
    "species",
    frozenset({"taxonomies"}),
    "species",
    "species",
    catalog.SPECIES,
    {
        "id": "id",
        "name": "name",
        "description": "description",
        "comments": "comments",
        "scientific_name": "scientific_name",
        "rrid": "rrid",
    },
    writes=Writes.TAXONOMY,
    read_only=frozenset({"id", "rrid_url"}),
)
STRAIN = Model(
    "strain",
    frozenset({"taxonomies"}),
    "strain",
    "strains",
    catalog.STRAIN,
    {
        "id": "id",
        "name": "name",
        "description": "description",
        "comments": "comments",
        "rrid": "rrid",
    },
    filters={"species": "species_id", "species.id": "species_id"},
    relations=shown(catalog.STRAIN, species="species"),
    writes=Writes.TAXONOMY,
    read_only=frozenset({"id", "rrid_url"}),
)
_APPROVAL_FIELDS = {
    "id": "id",
    "instance_id": "instance_id",
    "action": "action",
    "reviewer": "reviewer_id",
    "status": "status",
}
_APPROVAL_FILTERS = {"reviewer.id": "reviewer_id", **_CREATED}


def approvals_of(model: Model) -> Model:
    """The ``<model>approval`` endpoint of a model written through approval, served where
    the model is: its proposals, shown in the model's fields (BrainSTEM's envelope keys are
    the model's singular with ``_approval(s)``: ``behavioral_category_approval``)."""
    (changes,) = (
        name
        for name, relation in catalog.APPROVAL.relations.items()
        if isinstance(relation, ToOne) and relation.target == model.entity.name
    )
    return Model(
        f"{model.name}approval",
        model.apps,
        f"{model.singular}_approval",
        f"{model.singular}_approvals",
        catalog.APPROVAL,
        _APPROVAL_FIELDS,
        filters=_APPROVAL_FILTERS,
        writes=Writes.APPROVAL,
        aliases=(f"{model.name}_approvals", f"{model.name}_approval"),
        approval_of=model.name,
        changes=changes,
    )


USER = Model(
    "user",
    frozenset({"users"}),
    "user",
    "users",
    catalog.USER,
    {"id": "id", "username": "username", "first_name": "first_name", "last_name": "last_name"},
)

COHORT = Model(
    "cohort",
    frozenset({"stem"}),
    "cohort",
    "cohorts",
    catalog.ENTITIES["Cohort"],
    {"id": "id", "name": "name", "description": "description", "tags": "tags"},
    filters={"project": "project_id", "project.id": "project_id", **_CREATED},
    relations=shown(catalog.ENTITIES["Cohort"], project="project", subjects="subjects"),
)

SPECIES_APPROVAL, STRAIN_APPROVAL = approvals_of(SPECIES), approvals_of(STRAIN)


def declared(entity: Entity) -> Model:
    """The model of an entity declared with its BrainSTEM names (``entity.brainstem``): its
    attributes and relations under their own names, a to-one relation filterable by the
    related id (``filter{session.id}``), written from its declaration (directly, or
    through approval)."""
    names = entity.brainstem
    assert names is not None
    filters = {**_CREATED} if "created_at" in entity.fields else {}
    for name, relation in entity.relations.items():
        if isinstance(relation, ToOne) and relation.fk in entity.fields:
            filters |= {name: relation.fk, f"{name}.id": relation.fk}
    writes = {EntityWrites.DIRECT: Writes.EXPERIMENT, EntityWrites.APPROVAL: Writes.TAXONOMY}
    # A record's proposals are BrainSTEM's ``<model>approval`` endpoint, not a field of it.
    shown_relations = [n for n, r in entity.relations.items() if r.target != "Approval"]
    written = {n for n, a in entity.attributes.items() if a.writable}
    written |= {n for n, r in entity.relations.items() if r.writable}
    return Model(
        names.model,
        frozenset({names.app}),
        names.singular,
        names.plural,
        entity,
        {name: name for name in entity.attributes},
        filters=filters,
        relations=shown(entity, **{name: name for name in shown_relations}),
        writes=writes.get(entity.writes, Writes.NONE),
        read_only=frozenset({*entity.attributes, *entity.relations} - written),
    )


def with_declared_relations(model: Model) -> Model:
    """``model`` also showing the relations other BrainSTEM models declared on its entity (a
    session's ``behaviors``), which then no longer answer as empty lists. Those declared by, or
    leading to, entities BrainSTEM does not serve (a session's Alyx probe insertions, a
    subject's Alyx ``weighings``) stay off."""
    added = {
        name: name
        for name, relation in model.entity.relations.items()
        if isinstance(relation, ToMany)
        and relation.declared_by
        and catalog.ENTITIES[relation.declared_by].brainstem is not None
        and catalog.ENTITIES[relation.target].brainstem is not None
        and name not in model.relations
    }
    if not added:
        return model
    return replace(
        model,
        relations={**model.relations, **added},
        unmodelled=model.unmodelled - set(added),
        read_only=model.read_only | set(added),
    )


_ANSWERS = frozenset({"accept", "reject", "cancel"})
# What BrainSTEM's users app and invitations add to their declarations: actions, and the
# group's ``users`` ({user: rights}: see resolvers.memberships).
_ACTIONS: Mapping[str, frozenset[str]] = {
    "group": frozenset({"join", "leave"}),
    "group_membership_invitation": _ANSWERS,
    "group_membership_request": _ANSWERS,
    "project_membership_invitation": _ANSWERS,
    "project_group_membership_invitation": _ANSWERS,
}
# Its principal investigators may be none (BrainSTEM lists such laboratories).
_REQUIRED: Mapping[str, frozenset[str]] = {"laboratory": frozenset({"group", "institution"})}
_ALSO_WRITTEN: Mapping[str, Mapping[str, str]] = {"group": {"users": "users"}}


def _with_users_app(model: Model) -> Model:
    also = _ALSO_WRITTEN.get(model.name, {})
    return replace(
        model,
        actions=_ACTIONS.get(model.name, frozenset()),
        required=_REQUIRED.get(model.name, frozenset()),
        also_writable=also,
        read_only=model.read_only - set(also),
    )


_DECLARED = tuple(
    _with_users_app(declared(e)) for e in catalog.ENTITIES.values() if e.brainstem is not None
)
MODELS: Mapping[str, Model] = {
    m.name: m
    for m in (
        *(
            with_declared_relations(model)
            for model in (
                PROJECT,
                SUBJECT,
                SESSION,
                COHORT,
                SPECIES,
                STRAIN,
                SPECIES_APPROVAL,
                STRAIN_APPROVAL,
                USER,
            )
        ),
        *_DECLARED,
        *(approvals_of(m) for m in _DECLARED if m.writes is Writes.TAXONOMY),
    )
}
# The model that shows each entity's records (approvals show their taxonomy model's).
BY_ENTITY: Mapping[str, Model] = {
    m.entity.name: m for m in MODELS.values() if m.approval_of is None
}
BY_URL_NAME: Mapping[str, Model] = {
    name: model for model in MODELS.values() for name in (model.name, *model.aliases)
}
