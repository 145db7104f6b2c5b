"""The Alyx endpoints neurogate serves, declared once as data: the entity each shows, the field
its URL names a record by, its filters, its summary (list) and detail records (mapping tables
in :mod:`.records`, whose include trees the read path follows) and its writes. The routes
(:mod:`.routes`) and the OpenAPI document ONE reads (:mod:`.openapi`) are both built from
these declarations, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row

from gateway.rest.alyx import data_records, records, writes
from gateway.rest.alyx.fields import Shape
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
from resolvers.catalog import ENTITIES
from resolvers.context import Context
from resolvers.experiments import Mode
from resolvers.query import Condition, Entity


@dataclass(frozen=True)
class Writes:
    """How an endpoint creates, changes and deletes records (through the resolvers), each
    record named by its entity key."""

    fields: writes.Fields
    create: Callable[[Context, Mapping[str, Any]], Awaitable[Row[Any]]]
    update: Callable[[Context, Any, Mapping[str, Any], Mode], Awaitable[Row[Any]]]
    delete: Callable[[Context, Any], Awaitable[None]]


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

    def __post_init__(self) -> None:
        for part in (self.filters, self.summary, self.detail):
            if part.entity is not self.entity:
                raise ValueError(f"/{self.name}: a {type(part).__name__} of another entity.")
        self.entity.field_spec(self.lookup)

    @property
    def record_name(self) -> str:
        return self.name[:-1].capitalize()  # "subjects" -> "Subject"


# --- subjects, by nickname; sessions, by UUID -------------------------------------------------


def _writes(
    fields: writes.Fields,
    create: Callable[..., Awaitable[Row[Any]]],
    update: Callable[..., Awaitable[Row[Any]]],
    delete: Callable[..., Awaitable[None]],
    key: str,
) -> Writes:
    """Writes through the experiments resolvers, which name the record by ``key``."""

    async def create_one(ctx: Context, values: Mapping[str, Any]) -> Row[Any]:
        return await create(ctx, values=values)

    async def update_one(
        ctx: Context, value: Any, values: Mapping[str, Any], mode: Mode
    ) -> Row[Any]:
        return await update(ctx, **{key: value}, values=values, mode=mode)

    async def delete_one(ctx: Context, value: Any) -> None:
        await delete(ctx, **{key: value})

    return Writes(fields, create_one, update_one, delete_one)


SUBJECTS = Endpoint(
    name="subjects",
    entity=ENTITIES["Subject"],
    key="nickname",
    lookup="nickname",
    key_format=None,
    description="Experimental animals, looked up by nickname.",
    filters=SUBJECT_FILTERS,
    summary=records.SUBJECT_SUMMARY,
    detail=records.SUBJECT_DETAIL,
    anonymous=frozenset({"list"}),
    writes=_writes(
        writes.SUBJECT,
        experiments.create_subject,
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
    detail=records.SESSION_DETAIL,
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

# --- labs and projects by name, users by username (read-only) ----------------------------------


def _read_only(
    name: str,
    key: str,
    description: str,
    filters: Listing,
    shape: Shape,
    anonymous: frozenset[str] = frozenset(),
) -> Endpoint:
    """An endpoint whose records are looked up by ``key`` and read the same in a list."""
    entity = shape.entity
    return Endpoint(
        name, entity, key, key, None, description, filters, shape, shape, anonymous=anonymous
    )


LABS = _read_only("labs", "name", "Laboratories, by name.", LAB_FILTERS, records.LAB)
PROJECTS = _read_only(
    "projects", "name", "Projects, by name, with their members.", PROJECT_FILTERS, records.PROJECT
)
USERS = _read_only(
    "users",
    "username",
    "Users, by username.",
    USER_FILTERS,
    records.USER,
    anonymous=frozenset({"list", "detail"}),  # one representation: the summary
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
    DATASET_TYPES,
    DATA_FORMATS,
    DATA_REPOSITORIES,
    REVISIONS,
    TAGS,
    FILE_RECORDS,
)

# ``/users/{username}/actions?type=``: the action types Alyx has. Sessions are the one kind
# neurogate records ("experiment", the seed's example, and "session"); the others answer an
# empty page.
SESSION_ACTIONS = frozenset({"experiment", "session"})
ACTION_TYPES = (
    *sorted(SESSION_ACTIONS),
    "weighing",
    "water_administration",
    "water_restriction",
    "surgery",
    "procedure",
)
