"""The Alyx endpoints neurogate serves, declared once as data: the entity each shows, the field
its URL names a record by, its filters, its summary (list) and detail records (mapping tables
in :mod:`.records`, whose include trees the read path follows) and its writes. The routes
(:mod:`.routes`) and the OpenAPI document ONE reads (:mod:`.openapi`) are both built from
these declarations, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Row

from gateway.auth.principal import Principal
from gateway.errors import Forbidden, Unauthenticated
from gateway.rest.alyx import actions, atlas, data_records, records, writes
from gateway.rest.alyx.fields import Nested, Shape
from gateway.rest.alyx.filters import (
    DATA_FORMAT_FILTERS,
    DATA_REPOSITORY_FILTERS,
    DATASET_FILTERS,
    DATASET_TYPE_FILTERS,
    FILE_RECORD_FILTERS,
    LAB_FILTERS,
    PROJECT_FILTERS,
    REVISION_FILTERS,
    SESSION_FILTERS,
    SUBJECT_FILTERS,
    TAG_FILTERS,
    USER_FILTERS,
)
from gateway.rest.alyx.query import Listing
from resolvers import data_files, datasets, experiments
from resolvers import writes as entity_writes
from resolvers.catalog import ENTITIES
from resolvers.context import Context
from resolvers.experiments import Mode
from resolvers.query import Condition, Entity, Filter


@dataclass(frozen=True)
class Writes:
    """How an endpoint creates, changes and deletes records (through the resolvers), each
    record named by its entity key."""

    fields: writes.Fields
    create: Callable[[Context, Mapping[str, Any]], Awaitable[Row[Any]]] | None
    update: Callable[[Context, Any, Mapping[str, Any], Mode], Awaitable[Row[Any]]] | None
    delete: Callable[[Context, Any], Awaitable[None]] | None


# Alyx's models whose names are not the entity's.
_ALYX_MODELS = {"FileUpload": "Dataset", "Laboratory": "Lab", "User": "LabMember"}


@dataclass(frozen=True)
class Endpoint:
    name: str  # the first path segment, which ONE takes as the endpoint's name
    entity: Entity  # what its records show
    key: str  # the path parameter of one record
    lookup: str  # the entity's field that parameter names
    key_format: str | None  # its OpenAPI string format ("uuid"), if any
    description: str
    filters: Listing
    summary: Shape  # a record in a list
    detail: Shape  # one record, read or written
    writes: Writes | None = None
    # What every record of it satisfies besides the visibility rule (a dataset is a file
    # registered to a session).
    scope: Condition | None = None
    # Seed 003: "all endpoints (except for a summary representation of users and their
    # subjects) are only accessible after authentication". What anonymous callers may read
    # here ("list", "detail"); anything else is Alyx's 403.
    anonymous: frozenset[str] = frozenset()
    # Whether one record is served at ``/{name}/{key}`` (Alyx lists some only).
    items: bool = True
    # Its records' name in the OpenAPI document (from ``name`` when not given).
    record: str = ""

    def __post_init__(self) -> None:
        for part in (self.filters, self.summary, self.detail):
            if part.entity is not self.entity:
                raise ValueError(f"/{self.name}: a {type(part).__name__} of another entity.")
        self.entity.field_spec(self.lookup)

    @property
    def model_name(self) -> str:
        """The name of the Django model Alyx keeps its records in (its 404s name it)."""
        return _ALYX_MODELS.get(self.entity.name, self.entity.name)

    @property
    def record_name(self) -> str:
        if self.record:
            return self.record
        singular = self.name.removesuffix("s").replace("-", " ")  # "subjects" -> "Subject"
        return singular.removesuffix("ie").capitalize() + ("y" if singular.endswith("ie") else "")


# --- subjects, by nickname; sessions, by UUID -------------------------------------------------


def _writes(
    fields: writes.Fields,
    create: Callable[..., Awaitable[Row[Any]]],
    update: Callable[..., Awaitable[Row[Any]]] | None,
    delete: Callable[..., Awaitable[None]],
    key: str,
) -> Writes:
    """Writes through resolvers that name the record by ``key`` (None: no changes)."""

    async def create_one(ctx: Context, values: Mapping[str, Any]) -> Row[Any]:
        return await create(ctx, values=values)

    async def update_one(
        ctx: Context, value: Any, values: Mapping[str, Any], mode: Mode
    ) -> Row[Any]:
        assert update is not None
        return await update(ctx, **{key: value}, values=values, mode=mode)

    async def delete_one(ctx: Context, value: Any) -> None:
        await delete(ctx, **{key: value})

    return Writes(fields, create_one, None if update is None else update_one, delete_one)


SUBJECTS = Endpoint(
    name="subjects",
    entity=ENTITIES["Subject"],
    key="nickname",
    lookup="nickname",
    key_format=None,
    description="Experimental animals, looked up by nickname.",
    filters=SUBJECT_FILTERS,
    summary=actions.SUBJECT_SUMMARY,
    detail=actions.SUBJECT_DETAIL,
    anonymous=frozenset({"list"}),
    writes=_writes(
        writes.SUBJECT,
        partial(experiments.create_subject, species_by_default=True),  # Alyx's default_species
        experiments.update_subject,
        experiments.delete_subject,
        key="subject_id",
    ),
)
SESSIONS = Endpoint(
    name="sessions",
    entity=ENTITIES["Session"],
    key="id",
    lookup="id",
    key_format="uuid",
    description="Experiment sessions, newest first; the detail lists the session's datasets.",
    filters=SESSION_FILTERS,
    summary=records.SESSION_SUMMARY,
    # Its probe insertions as /insertions lists them (Alyx's ProbeInsertionListSerializer).
    detail=actions.SESSION_DETAIL.extended(
        probe_insertion=Nested("probe_insertions", atlas.INSERTION.fields)
    ),
    writes=_writes(
        writes.SESSION,
        experiments.create_session,
        experiments.update_session,
        experiments.delete_session,
        key="session_id",
    ),
)

# --- datasets, by UUID (read-only: files are registered by uploading them) ---------------------

DATASETS = Endpoint(
    name="datasets",
    entity=ENTITIES["FileUpload"],
    key="id",
    lookup="uuid",
    key_format="uuid",
    description="Files registered to sessions. A record's id is the last 36 characters of url.",
    filters=DATASET_FILTERS,
    summary=records.DATASET,
    detail=records.DATASET,
    scope=datasets.ATTACHED,
)

# --- labs and projects by name (written by administrators), users by username (read-only) -------


# Django REST framework's refusal, as Alyx answers a write its caller may not make.
NOT_PERMITTED = "You do not have permission to perform this action."


def require_admin(principal: Principal) -> None:
    if not principal.is_authenticated:
        raise Unauthenticated("Authentication credentials were not provided.")
    if not principal.is_admin:
        raise Forbidden(NOT_PERMITTED)


def _graph_writes(
    entity: Entity,
    fields: writes.Fields,
    *,
    update: bool = True,
    guard: Callable[[Principal], None] | None = None,
) -> Writes:
    """Writes through the entity graph's writes (:mod:`resolvers.writes`), as GraphQL's;
    ``guard`` refuses callers first."""

    def check(ctx: Context) -> None:
        if guard is not None:
            guard(ctx.principal)

    async def create(ctx: Context, values: Mapping[str, Any]) -> Row[Any]:
        check(ctx)
        return await entity_writes.create(ctx, entity, values)

    async def change(ctx: Context, key: Any, values: Mapping[str, Any], mode: Mode) -> Row[Any]:
        check(ctx)
        return await entity_writes.update(ctx, entity, key, values, mode)

    async def delete(ctx: Context, key: Any) -> None:
        check(ctx)
        await entity_writes.delete(ctx, entity, key)

    return Writes(fields, create, change if update else None, delete)


def _for_admins(entity: Entity) -> Writes:
    """Alyx's labs and projects are created, changed and deleted by administrators (Alyx's
    staff): anyone else gets Alyx's 403."""
    fields = writes.LAB if entity.name == "Laboratory" else writes.PROJECT
    return _graph_writes(entity, fields, guard=require_admin)


def _read_only(
    name: str,
    key: str,
    description: str,
    filters: Listing,
    shape: Shape,
    anonymous: frozenset[str] = frozenset(),
    written: Writes | None = None,
) -> Endpoint:
    """An endpoint whose records are looked up by ``key`` and read the same in a list."""
    entity = shape.entity
    return Endpoint(
        name,
        entity,
        key,
        key,
        None,
        description,
        filters,
        shape,
        shape,
        writes=written,
        anonymous=anonymous,
    )


LABS = _read_only(
    "labs",
    "name",
    "Laboratories, by name (administrators create and change them).",
    LAB_FILTERS,
    records.LAB,
    written=_for_admins(ENTITIES["Laboratory"]),
)
PROJECTS = _read_only(
    "projects",
    "name",
    "Projects, by name, with their members (administrators create and change them).",
    PROJECT_FILTERS,
    records.PROJECT,
    written=_for_admins(ENTITIES["Project"]),
)
USERS = _read_only(
    "users",
    "username",
    "Users, by username.",
    USER_FILTERS,
    records.USER,
    anonymous=frozenset({"list", "detail"}),  # one representation: the summary
)

# --- actions on subjects (real Alyx's ``actions`` app), by UUID; reference lists by name;
# brain regions by atlas id; probe insertions and their trajectories by UUID ---------------


def _action(
    name: str, record: str, description: str, filters: Listing, shape: Shape, **more: Any
) -> Endpoint:
    entity = shape.entity
    return Endpoint(
        name,
        entity,
        "id",
        "id",
        "uuid",
        description,
        filters,
        shape,
        shape,
        record=record,
        **more,
    )


WEIGHINGS = _action(
    "weighings",
    "Weighing",
    "Weighings of subjects, in grams (read, create and delete).",
    actions.WEIGHING_FILTERS,
    actions.WEIGHING,
    writes=_graph_writes(ENTITIES["Weighing"], actions.WEIGHING_WRITES, update=False),
)
WATER_ADMINISTRATIONS = _action(
    "water-administrations",
    "WaterAdministration",
    "Water given to subjects, in millilitres.",
    actions.WATER_ADMINISTRATION_FILTERS,
    actions.WATER_ADMINISTRATION,
    writes=_graph_writes(
        ENTITIES["WaterAdministration"], actions.WATER_ADMINISTRATION_WRITES, update=True
    ),
)
WATER_RESTRICTIONS = _action(
    "water-restriction",
    "WaterRestriction",
    "Water restrictions, the current ones first (a list only, as Alyx serves it).",
    actions.WATER_RESTRICTION_FILTERS,
    actions.WATER_RESTRICTION,
    items=False,
)
WATER_RESTRICTED_SUBJECTS = Endpoint(
    name="water-restricted-subjects",
    entity=ENTITIES["Subject"],
    key="nickname",
    lookup="nickname",
    key_format=None,
    description="Living and dead subjects under water restriction, with their water figures.",
    filters=actions.NO_FILTERS,
    summary=actions.WATER_RESTRICTED_SUBJECT,
    detail=actions.WATER_RESTRICTED_SUBJECT,
    scope=Filter("water_restriction_under_way", "isnull", False),
    items=False,
    record="WaterRestrictedSubject",
)
SURGERIES = _action(
    "surgeries",
    "Surgery",
    "Surgeries on subjects, newest first.",
    actions.SURGERY_FILTERS,
    actions.SURGERY,
)
WATER_TYPES = Endpoint(
    "water-type",
    ENTITIES["WaterType"],
    "name",
    "name",
    None,
    "Water types, by name.",
    actions.NAME_FILTERS["WaterType"],
    actions.WATER_TYPE,
    actions.WATER_TYPE,
    record="WaterType",
)
PROCEDURES = Endpoint(
    "procedures",
    ENTITIES["ProcedureType"],
    "name",
    "name",
    None,
    "Procedure types (a list only, as Alyx serves it).",
    actions.NAME_FILTERS["ProcedureType"],
    actions.PROCEDURE_TYPE,
    actions.PROCEDURE_TYPE,
    items=False,
    record="ProcedureType",
)

BRAIN_REGIONS = Endpoint(
    name="brain-regions",
    entity=ENTITIES["BrainRegion"],
    key="id",
    lookup="id",
    key_format=None,
    description="Brain regions of the Allen atlas ontology, by atlas id.",
    filters=atlas.BRAIN_REGION_FILTERS,
    summary=atlas.BRAIN_REGION,
    detail=atlas.BRAIN_REGION,
)
INSERTIONS = Endpoint(
    name="insertions",
    entity=ENTITIES["ProbeInsertion"],
    key="id",
    lookup="id",
    key_format="uuid",
    description="Probe insertions of sessions, newest session first; the detail lists datasets.",
    filters=atlas.INSERTION_FILTERS,
    summary=atlas.INSERTION,
    detail=atlas.INSERTION_DETAIL,
    writes=_graph_writes(ENTITIES["ProbeInsertion"], atlas.INSERTION_WRITES, update=True),
)
TRAJECTORIES = Endpoint(
    name="trajectories",
    entity=ENTITIES["TrajectoryEstimate"],
    key="id",
    lookup="id",
    key_format="uuid",
    description="Trajectory estimates of probe insertions, one per provenance.",
    filters=atlas.TRAJECTORY_FILTERS,
    summary=atlas.TRAJECTORY,
    detail=atlas.TRAJECTORY,
    writes=_graph_writes(ENTITIES["TrajectoryEstimate"], atlas.TRAJECTORY_WRITES, update=True),
)

# --- Alyx's data app: what datasets are and where they are kept (read-only here; datasets and
# their file records are made by register-file) -----------------------------------------------

DATASET_TYPES = _read_only(
    "dataset-types",
    "name",
    "Dataset types, by name: what datasets hold, and the file names that are of each.",
    DATASET_TYPE_FILTERS,
    data_records.DATASET_TYPE,
)
DATA_FORMATS = _read_only(
    "data-formats", "name", "File formats, by name.", DATA_FORMAT_FILTERS, data_records.DATA_FORMAT
)
DATA_REPOSITORIES = _read_only(
    "data-repository",
    "name",
    "Where datasets are kept, by name; one without a data_url is served by the gateway.",
    DATA_REPOSITORY_FILTERS,
    data_records.DATA_REPOSITORY,
)
REVISIONS = _read_only(
    "revisions", "name", "Dataset revisions, by name.", REVISION_FILTERS, data_records.REVISION
)
TAGS = _read_only("tags", "name", "Dataset tags, by name.", TAG_FILTERS, data_records.TAG)
FILE_RECORDS = Endpoint(
    name="files",
    entity=ENTITIES["FileRecord"],
    key="id",
    lookup="id",
    key_format="uuid",
    description="File records: where each copy of a dataset is kept, and whether it is there.",
    filters=FILE_RECORD_FILTERS,
    summary=data_records.FILE_RECORD,
    detail=data_records.FILE_RECORD,
    writes=Writes(
        writes.FILE_RECORD,
        data_files.create_file_record,
        data_files.update_file_record,
        data_files.delete_file_record,
    ),
)

ENDPOINTS = (
    SUBJECTS,
    SESSIONS,
    DATASETS,
    LABS,
    PROJECTS,
    USERS,
    WEIGHINGS,
    WATER_ADMINISTRATIONS,
    WATER_RESTRICTIONS,
    WATER_RESTRICTED_SUBJECTS,
    WATER_TYPES,
    SURGERIES,
    PROCEDURES,
    BRAIN_REGIONS,
    INSERTIONS,
    TRAJECTORIES,
    DATASET_TYPES,
    DATA_FORMATS,
    DATA_REPOSITORIES,
    REVISIONS,
    TAGS,
    FILE_RECORDS,
)


@dataclass(frozen=True)
class UserActions:
    """What ``/users/{username}/actions?type=`` lists for one action type: the records of
    ``endpoint`` (rendered as its list renders them) whose ``by`` field is the user. ``by``
    is None where the records name no user (procedure types), so the page is empty."""

    endpoint: Endpoint
    by: str | None


# The action types Alyx has, and the records each lists. "experiment" is seed 003's example.
USER_ACTIONS = {
    "experiment": UserActions(SESSIONS, "username"),
    "session": UserActions(SESSIONS, "username"),
    "weighing": UserActions(WEIGHINGS, "username"),
    "water_administration": UserActions(WATER_ADMINISTRATIONS, "username"),
    "water_restriction": UserActions(WATER_RESTRICTIONS, "username"),
    "surgery": UserActions(SURGERIES, "username"),
    "procedure": UserActions(PROCEDURES, None),
}
ACTION_TYPES = tuple(USER_ACTIONS)
