"""The Alyx records (DOMAIN.md §2), one mapping table per representation: each Alyx field name,
in Alyx's order, to what it shows of the entity graph (:mod:`.fields`). Related rows are named
by slug (nickname, name, username), ``url`` fields are absolute without a trailing slash,
timestamps as Alyx writes them; blank text is ``""`` where Alyx's column is not nullable
(narrative, task protocol, descriptions, lab address) and null where it is (a session's type,
a subject's line); fields Alyx has and neurogate does not model show what Alyx shows for a
record without them (null, ``[]``, ``""`` or ``0.0``). A related row the caller may not see is
left out: the read path hides it.

The formatting functions here are pure; every value they format was read by the endpoint's
include tree, which the tables themselves declare.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from gateway.db.models.alyx_data import STORAGE_REPOSITORY
from gateway.rest.alyx import data_records
from gateway.rest.alyx.fields import (
    EMPTY,
    NULL,
    Computed,
    Const,
    Each,
    Env,
    Link,
    Nested,
    Record,
    Shape,
    Shows,
    Value,
    returns,
)
from resolvers.catalog import ENTITIES
from resolvers.query import Order, QuerySpec, Window

QC_NAMES = {0: "NOT_SET", 10: "PASS", 30: "WARNING", 40: "FAIL", 50: "CRITICAL"}
DATA_REPOSITORY = STORAGE_REPOSITORY  # where an upload attached to a session is kept
DATASETS_PER_SESSION = 10_000  # the most datasets one session's record lists


# --- formats ----------------------------------------------------------------------------------


# Alyx's timestamps carry no offset, so they are not RFC 3339 ``date-time`` values.
TIMESTAMP = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?$",
    "example": "2024-06-17T15:57:51",
}


@returns(TIMESTAMP)
def timestamp(value: datetime | None) -> str | None:
    """Stored naive UTC, sent as real Alyx writes it (``USE_TZ = False``): ISO 8601 without
    an offset or ``Z``, microseconds only when present. ONE parses it with
    ``datetime.fromisoformat``, which refuses a ``Z`` before Python 3.11."""
    return None if value is None else value.replace(tzinfo=None).isoformat()


@returns({"type": "string", "format": "date"})
def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


@returns(None)
def blank(value: Any) -> Any:
    """Blank fields are null, never omitted and never ``""`` (seed 003)."""
    return None if value == "" else value


@returns({"type": "string"})
def empty_when_unset(value: Any) -> Any:
    """Alyx's serializers write an unset text field as ``""`` (a dataset's revision)."""
    return "" if value is None else value


@returns({"type": "string"})
def text(value: Any) -> str | None:
    """A key (a UUID) as text."""
    return None if value is None else str(value)


@returns({"type": "object"})
def or_null(value: Any) -> Any:
    """An empty JSON object is null, as Alyx shows a ``json`` field never set."""
    return value or None


@returns({"type": "string", "enum": sorted(QC_NAMES.values())})
def qc_name(value: int | None) -> str | None:
    return None if value is None else QC_NAMES.get(value, str(value))


@returns({"type": "string"})
def data_format(name: str) -> str | None:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else None


def absent(value: Any) -> bool:
    return value is None


@returns({"type": "array", "items": {"type": "string"}})
def alleles(genotype: str | None) -> list[str]:
    return [genotype] if genotype else []


@returns({"type": "array", "items": {"type": "object"}})
def allele_records(genotype: str | None) -> list[Record]:
    """The detail view's genotype: ``{allele, zygosity}`` items (zygosity not recorded)."""
    return [{"allele": allele, "zygosity": None} for allele in alleles(genotype)]


@returns(TIMESTAMP)
def start_time(node: Any, env: Env) -> str | None:
    """A session without a start time shows when it was recorded, as Alyx defaults it: ONE
    parses every listed session's ``start_time`` and fails on a null one."""
    return timestamp(node.start_time or node.created_at)


@returns({"type": "integer"})
def age_weeks(node: Any, env: Env) -> int | None:
    """Its age in whole weeks: from birth to its death, or to today."""
    if node.birth_date is None:
        return None
    return ((node.death_date or env.today) - node.birth_date).days // 7


# --- where ONE finds a dataset's file ---------------------------------------------------------

# What an ALF path reads of a session, and of the upload itself.
ALF_SESSION = ("start_time", "created_at", "number", "subject.nickname", "lab.name")
ALF_UPLOAD = ("id", "name", "collection", "created_at")


def alf_path(session: Any, upload: Any) -> str:
    """Where ONE expects the file, ``[lab/Subjects/]subject/YYYY-MM-DD/NNN/collection/name``
    (ONE reads the session and the relative path off the data URL's path)."""
    subject = lab = when = None
    number = 1
    if session is not None:
        subject = None if session.subject is None else session.subject.nickname
        lab = None if session.lab is None else session.lab.name
        when = session.start_time or session.created_at
        number = 1 if session.number is None else session.number
    parts = [
        *([lab, "Subjects"] if lab else []),
        subject or "unknown",
        (when or upload.created_at).date().isoformat(),
        f"{number:03d}",
        # A collection may be nested (alf/probe00/pykilosort): one path segment per folder.
        *(upload.collection.split("/") if upload.collection else []),
        upload.name,
    ]
    return "/".join(quote(part, safe="") for part in parts)


@returns({"type": "array", "items": {"type": "object"}})
def _file_records(upload: Any, env: Env) -> list[Record]:
    """Where the dataset's file is kept: its file records (registered files); an upload
    attached to a session without one is kept in the gateway's storage, one record."""
    session = upload.session
    lab = None if session is None or session.lab is None else session.lab.name
    if upload.file_records:
        return data_records.file_records(upload, lab, env)
    urls = env.urls
    url = urls.file(upload.id, alf_path(session, upload))
    return [
        {
            "id": str(upload.uuid),
            "data_repository": DATA_REPOSITORY,
            "data_repository_path": f"{urls.base}/files",
            "relative_path": url.removeprefix(f"{urls.base}/files/"),
            "data_url": url,
            "exists": True,
        }
    ]


@returns({"type": "string", "format": "uri"})
def _nested_data_url(upload: Any, env: Env) -> str | None:
    """Where the file is downloaded (under the session the dataset is nested in)."""
    session = env.parent
    if upload.file_records:
        lab = None if session is None or session.lab is None else session.lab.name
        return data_records.first_data_url(upload, lab, env)
    return env.urls.file(upload.id, alf_path(session, upload))


@returns({"type": "string"})
def _md5(value: str) -> str | None:
    """The md5 ONE checks a download against; null when it was never given."""
    return value or None


@returns({"type": "boolean"})
def _protected(upload: Any, env: Env) -> bool:
    """Whether a protected tag keeps it from being overwritten."""
    return any(tag.protected for tag in upload.tags)


@returns({"type": "boolean"})
def _public(upload: Any, env: Env) -> bool:
    """Whether a public tag makes it public."""
    return any(tag.public for tag in upload.tags)


# --- sessions (SessionListSerializer, SESSION_FIELDS) -----------------------------------------

_SESSION, _UPLOAD = ENTITIES["Session"], ENTITIES["FileUpload"]

SESSION_SUMMARY = Shape(
    _SESSION,
    {
        "id": Value("id", text),
        "subject": Value("subject.nickname"),
        "start_time": Computed(start_time, ("start_time", "created_at")),
        "number": Value("number"),
        "lab": Value("lab.name"),
        "projects": Each("projects.name"),
        "url": Link("session", "id"),
        "task_protocol": Value("task_protocol"),
    },
)
# A dataset inside a session's detail (SessionDatasetsSerializer).
SESSION_DATASET: dict[str, Shows] = {
    "id": Value("uuid", text),
    "name": Value("name"),
    "dataset_type": Value("dataset_type", blank),
    "data_url": Computed(_nested_data_url, (*ALF_UPLOAD, "uuid", *data_records.FILE_RECORD_READS)),
    "url": Link("dataset", "uuid"),
    "file_size": Value("size"),
    "hash": Value("md5", _md5),
    "version": Value("version"),
    "collection": Value("collection"),
    "revision": Value("revision.name", empty_when_unset),
    "default_revision": Value("default_dataset", str),  # a string: ONE compares it with 'True'
    "qc": Const("NOT_SET"),
}
OLDEST_FIRST = QuerySpec(
    order=(Order("created_at"), Order("id")), window=Window(DATASETS_PER_SESSION)
)
SESSION_DETAIL = Shape(
    _SESSION,
    {
        "subject": Value("subject.nickname"),
        "users": Each("users.username"),
        "location": NULL,
        "procedures": EMPTY,
        "lab": Value("lab.name"),
        "projects": Each("projects.name"),
        "type": Value("type", blank),
        "task_protocol": Value("task_protocol"),
        "number": Value("number"),
        "start_time": Computed(start_time, ("start_time", "created_at")),
        "end_time": Value("end_time", timestamp),
        "narrative": Value("narrative"),
        "parent_session": NULL,
        "n_correct_trials": Value("n_correct_trials"),
        "n_trials": Value("n_trials"),
        "url": Link("session", "id"),
        "extended_qc": NULL,
        "qc": Value("qc", qc_name),
        "wateradmin_session_related": EMPTY,
        "data_dataset_session_related": Nested(
            "datasets", SESSION_DATASET, OLDEST_FIRST, parent_reads=ALF_SESSION
        ),
        "auto_datetime": Value("updated_at", timestamp),
        "id": Value("id", text),
        "json": Value("extra_fields", or_null),
        "probe_insertion": EMPTY,
        "field_of_view": EMPTY,
        "notes": EMPTY,
    },
)

# --- datasets (DatasetSerializer: one representation; no ``id``, which is ``url[-36:]``) ------

DATASET = Shape(
    _UPLOAD,
    {
        "url": Link("dataset", "uuid"),
        "name": Value("name"),
        "created_by": Value("uploader.username"),
        "created_datetime": Value("created_at", timestamp),
        "dataset_type": Value("dataset_type", blank),
        "data_format": Value("name", data_format),
        "collection": Value("collection"),
        "session": Link("session", "session.id"),
        "file_size": Value("size"),
        "hash": Value("md5", _md5),
        "version": Value("version"),
        "experiment_number": Value("session.number"),
        "file_records": Computed(
            _file_records,
            (
                "uuid",
                *ALF_UPLOAD,
                *(f"session.{p}" for p in ALF_SESSION),
                *data_records.FILE_RECORD_READS,
            ),
        ),
        "auto_datetime": Value("created_at", timestamp),
        "revision": Value("revision.name", empty_when_unset),
        "default_dataset": Value("default_dataset"),
        "protected": Computed(_protected, ("tags.protected",)),
        "public": Computed(_public, ("tags.public",)),
        "tags": Each("tags.name"),
        "qc": Const("NOT_SET"),
        "json": NULL,
    },
)

# --- subjects (SubjectListSerializer; the detail adds weighings, water administrations and
# the genotype as {allele, zygosity} items) ----------------------------------------------------

SUBJECT_SUMMARY = Shape(
    ENTITIES["Subject"],
    {
        "nickname": Value("nickname"),
        "url": Link("subject", "nickname"),
        "id": Value("id", text),
        "responsible_user": Value("responsible_user.username"),
        "birth_date": Value("birth_date", day),
        "age_weeks": Computed(age_weeks, ("birth_date", "death_date")),
        "death_date": Value("death_date", day),
        "species": Value("species.name"),
        "sex": Value("sex"),
        "litter": NULL,
        "strain": Value("strain.name"),
        "source": NULL,
        "line": Value("genetic_line", blank),
        "projects": Each("projects.name"),
        # The projects its sessions belong to.
        "session_projects": Each("sessions.projects.name"),
        "lab": Value("lab.name"),
        "genotype": Value("genotype", alleles),
        "description": Value("description"),
        "alive": Value("death_date", absent),
        # Placeholders in Alyx's order: the water figures are computed from the subject's
        # weighings, water and restrictions (.actions.SUBJECT_WATER, which the endpoint uses).
        "reference_weight": Const(0.0),
        "last_water_restriction": NULL,
        "expected_water": Const(0.0),
        "remaining_water": Const(0.0),
        "json": Value("extra_fields", or_null),
    },
)
SUBJECT_DETAIL = SUBJECT_SUMMARY.extended(
    genotype=Value("genotype", allele_records), weighings=EMPTY, water_administrations=EMPTY
)

# --- labs, projects and users -----------------------------------------------------------------

# LabSerializer; repositories and weight percentages are not modelled.
LAB = Shape(
    ENTITIES["Laboratory"],
    {
        "name": Value("name"),
        "institution": Value("institution"),
        "address": Value("address"),
        "timezone": Value("timezone"),
        "repositories": EMPTY,
        "reference_weight_pct": Const(0.0),
        "zscore_weight_pct": Const(0.0),
        "json": Value("json_data", or_null),
    },
)
# ProjectSerializer: its members' usernames.
PROJECT = Shape(
    ENTITIES["Project"],
    {
        "name": Value("name"),
        "description": Value("description"),
        "users": Each("members.user.username"),
    },
)
# UserSerializer, with Alyx's UUID ids. The email address is not shown: no surface exposes it.
USER = Shape(
    ENTITIES["User"],
    {
        "id": Value("alyx_id", text),
        "username": Value("username"),
        "email": NULL,
        "subjects_responsible": Each("responsible_for.nickname"),
        "lab": Each("laboratories.name"),
        "allowed_users": EMPTY,
        "is_stock_manager": Const(False),
    },
)
