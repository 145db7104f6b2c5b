"""Alyx's data records (cortex-lab/alyx 3.6.1 ``data/serializers.py``): dataset types, data
formats, data repositories, file records, revisions and tags, and where a registered dataset's
bytes are downloaded from.

A file record in a repository the gateway serves (one without a ``data_url`` of its own) is
downloaded from ``<base>/data/<lab>/Subjects/<relative path>``, the UUID of its dataset before
the extension, as Alyx's file servers lay datasets out; ONE's ``HTTP_DATA_SERVER`` is then
``<base>/data``. A repository with a ``data_url`` is served elsewhere: its URLs are that root
and the relative path, as Alyx builds them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from gateway.rest.alyx.fields import (
    NULL,
    Computed,
    Const,
    Env,
    Link,
    Record,
    Shape,
    Value,
    returns,
)
from resolvers.catalog import ENTITIES
from resolvers.data_files import lab_path


def with_uuid(path: str, key: Any) -> str:
    """ONE's ``add_uuid_string``: the UUID before the file's last extension."""
    folder, slash, name = path.rpartition("/")
    stem, dot, extension = name.rpartition(".")
    named = f"{stem}.{key}.{extension}" if dot and stem else f"{name}.{key}"
    return f"{folder}{slash}{named}"


def data_url(record: Any, dataset_key: Any, lab: str | None, env: Env) -> str | None:
    """Where a file record's bytes are downloaded (None where its repository is unknown)."""
    repository = record.data_repository
    if repository is None:
        return None
    relative = with_uuid(record.relative_path, dataset_key)
    if repository.data_url:
        root = repository.data_url
        return f"{root}{'' if root.endswith('/') else '/'}{relative}"
    return env.urls.data(quote(lab_path(lab, relative)))


# What a record's data URL reads of a file record.
FILE_RECORD_READS = (
    "file_records.id",
    "file_records.relative_path",
    "file_records.exists",
    "file_records.data_repository.name",
    "file_records.data_repository.data_url",
    "file_records.data_repository.globus_path",
)


def file_records(upload: Any, lab: str | None, env: Env) -> list[Record]:
    return [
        {
            "id": str(record.id),
            "data_repository": getattr(record.data_repository, "name", None),
            "data_repository_path": getattr(record.data_repository, "globus_path", None),
            "relative_path": record.relative_path,
            "data_url": data_url(record, upload.uuid, lab, env),
            "exists": record.exists,
        }
        for record in upload.file_records
    ]


def first_data_url(upload: Any, lab: str | None, env: Env) -> str | None:
    """The URL of the first copy that is there, as ONE picks one."""
    for record in upload.file_records:
        if record.exists:
            url = data_url(record, upload.uuid, lab, env)
            if url:
                return url
    return None


@returns({"type": "string", "format": "uri"})
def _dataset_link(record: Any, env: Env) -> str | None:
    return None if record.dataset is None else env.urls.dataset(record.dataset.uuid)


@returns({"type": "object"})
def _json(value: Any) -> Any:
    return value


@returns({"type": "string"})
def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@returns({"type": "string"})
def _blank_is_null(value: Any) -> Any:
    return value or None


E = ENTITIES

DATASET_TYPE = Shape(
    E["DatasetType"],
    {
        "id": Value("id", _text),
        "name": Value("name"),
        "created_by": Value("created_by.username"),
        "description": Value("description"),
        "filename_pattern": Value("filename_pattern"),
    },
)
DATA_FORMAT = Shape(
    E["DataFormat"],
    {
        "id": Value("id", _text),
        "json": NULL,
        "name": Value("name"),
        "description": Value("description"),
        "file_extension": Value("file_extension"),
        "matlab_loader_function": Value("matlab_loader_function"),
        "python_loader_function": Value("python_loader_function"),
    },
)
DATA_REPOSITORY = Shape(
    E["DataRepository"],
    {
        "name": Value("name"),
        "timezone": Value("timezone"),
        "globus_path": Value("globus_path"),
        "hostname": Value("hostname"),
        "data_url": Value("data_url", _blank_is_null),
        "repository_type": Value("repository_type"),
        "globus_endpoint_id": Value("globus_endpoint_id", _text),
        "globus_is_personal": Value("globus_is_personal"),
        "json": Value("json_data", _json),
    },
)
REVISION = Shape(
    E["Revision"],
    {
        "id": Value("id", _text),
        "json": NULL,
        "name": Value("name"),
        "description": Value("description"),
        "created_datetime": Value("created_at", lambda v: None if v is None else v.isoformat()),
    },
)
TAG = Shape(
    E["Tag"],
    {
        "id": Value("id", _text),
        "json": NULL,
        "name": Value("name"),
        "description": Value("description"),
        "protected": Value("protected"),
        "public": Value("public"),
        "hash": NULL,
    },
)
# FileRecordSerializer: a hyperlinked serializer of every field, BaseModel's ``name`` (blank
# unless set) among them.
FILE_RECORD = Shape(
    E["FileRecord"],
    {
        "url": Link("file_record", "id"),
        "name": Const(""),
        "json": Value("json_data", _json),
        "relative_path": Value("relative_path"),
        "exists": Value("exists"),
        "dataset": Computed(_dataset_link, ("dataset.uuid",)),
        "data_repository": Value("data_repository.name"),
    },
)
