"""Alyx's data app (DOMAIN.md §1.13): dataset types and data formats (what a registered file
is), data repositories and file records (where its bytes are), revisions and tags. Everyone
sees the reference records; a file record is seen with its dataset."""

from __future__ import annotations

from sqlalchemy import and_

from gateway.db.models import (
    DataFormat,
    DataRepository,
    DatasetTag,
    DatasetType,
    FileRecord,
    FileUpload,
    Laboratory,
    Session,
    Tag,
    table,
)
from gateway.db.models import Revision as RevisionRow
from resolvers.catalog.fields import attributes, columns, reached_value, related_value
from resolvers.query import Entity, FieldSpec, Kind, Order
from resolvers.relations import Link, ToMany, ToOne

_type, _format, _repository = table(DatasetType), table(DataFormat), table(DataRepository)
_revision, _tag, _record = table(RevisionRow), table(Tag), table(FileRecord)
_dataset_tag, _upload = table(DatasetTag), table(FileUpload)

_session, _lab = table(Session), table(Laboratory)

DATASET_TYPE = Entity(
    "DatasetType",
    _type,
    columns(_type, "id", "name", "filename_pattern", "created_by_id", "created_at"),
    default_order=(Order("name"),),
    relations={"created_by": ToOne("User", "created_by_id", "Who declared it.")},
    description="What a dataset holds, e.g. spikes.times (Alyx dataset-types).",
    plural="datasetTypes",
    lookups=("id", "name"),
    attributes=attributes(
        _type,
        id="Its id.",
        name="Its unique name, e.g. spikes.times.",
        description="What it holds.",
        filename_pattern="The file names of its datasets (fnmatch, * for any part).",
        created_at="When it was declared (UTC).",
    ),
)
DATA_FORMAT = Entity(
    "DataFormat",
    _format,
    columns(_format, "id", "name", "file_extension"),
    default_order=(Order("name"),),
    description="A file format, e.g. npy (Alyx data-formats).",
    plural="dataFormats",
    lookups=("id", "name"),
    attributes=attributes(
        _format,
        id="Its id.",
        name="Its unique name, e.g. npy.",
        description="What it is.",
        file_extension="Its file extension, with the dot, e.g. .npy.",
        matlab_loader_function="The MATLAB function that loads it.",
        python_loader_function="The Python function that loads it.",
    ),
)
DATA_REPOSITORY = Entity(
    "DataRepository",
    _repository,
    columns(_repository, "id", "name", "hostname", "globus_endpoint_id", "globus_is_personal"),
    default_order=(Order("name"),),
    description=(
        "Where datasets' bytes are kept (Alyx data-repository); one with no data URL is "
        "served by the gateway."
    ),
    plural="dataRepositories",
    lookups=("id", "name"),
    attributes=attributes(
        _repository,
        id="Its id.",
        name="Its unique name.",
        timezone="The time zone of its server.",
        globus_path="Its root path on its Globus endpoint.",
        hostname="Its server's host name.",
        data_url="The URL its files are served under (blank: by the gateway).",
        repository_type="Its kind of storage.",
        globus_endpoint_id="Its Globus endpoint.",
        globus_is_personal="Whether its Globus endpoint is a personal one (not a server).",
        json_data="Anything else about it.",
    ),
)
REVISION = Entity(
    "Revision",
    _revision,
    columns(_revision, "id", "name", "created_at"),
    default_order=(Order("name"),),
    description="A named revision of datasets, ALF's #revision# folder (Alyx revisions).",
    plural="revisions",
    lookups=("id", "name"),
    attributes=attributes(
        _revision,
        id="Its id.",
        name="Its unique name, e.g. 2024-01-31.",
        description="What changed in it.",
        created_at="When it was made (UTC).",
    ),
)
TAG = Entity(
    "Tag",
    _tag,
    columns(_tag, "id", "name", "protected", "public"),
    default_order=(Order("name"),),
    relations={
        "datasets": ToMany(
            "FileUpload",
            links=(Link(_dataset_tag, "tag_id", "dataset_id"),),
            description="The datasets it labels.",
        )
    },
    description="A label on datasets; a protected one keeps them from being overwritten.",
    plural="tags",
    lookups=("id", "name"),
    attributes=attributes(
        _tag,
        id="Its id.",
        name="Its unique name.",
        description="What it labels.",
        protected="Whether its datasets are protected from being overwritten.",
        public="Whether its datasets are public.",
    ),
)
FILE_RECORD = Entity(
    "FileRecord",
    _record,
    {
        **columns(_record, "id", "dataset_id", "data_repository_id", "exists", "created_at"),
        "dataset_uuid": FieldSpec(
            related_value(_upload.c.uuid, _upload.c.id, _record.c.dataset_id),
            Kind.UUID,
            description="Its dataset's UUID.",
        ),
        "repository_name": FieldSpec(
            related_value(_repository.c.name, _repository.c.id, _record.c.data_repository_id),
            Kind.STRING,
            description="Its repository's name.",
        ),
        "globus_is_personal": FieldSpec(
            related_value(
                _repository.c.globus_is_personal, _repository.c.id, _record.c.data_repository_id
            ),
            Kind.BOOL,
            description="Whether its repository is a personal Globus endpoint.",
        ),
        "lab_name": FieldSpec(
            reached_value(
                _record,
                _lab.c.name,
                and_(
                    _upload.c.id == _record.c.dataset_id,
                    _session.c.id == _upload.c.session_id,
                    _lab.c.id == _session.c.lab_id,
                ),
            ),
            Kind.STRING,
            description="The name of its dataset's session's lab.",
        ),
    },
    default_order=(Order("created_at"), Order("id")),
    relations={
        "dataset": ToOne(
            "FileUpload", "dataset_id", "The dataset it is a copy of.",
            reverse="file_records", reverse_description="Where its copies are kept.",
        ),
        "data_repository": ToOne("DataRepository", "data_repository_id", "Where it is kept."),
    },
    description="One copy of a dataset: its repository, its path there, whether it is there.",
    plural="fileRecords",
    lookups=("id",),
    attributes=attributes(
        _record,
        id="Its id.",
        relative_path="Its path in the repository: subject/date/number[/collection]/name.",
        exists="Whether the file is in the repository.",
        json_data="Notes on it (ONE records a hash mismatch here).",
        created_at="When it was recorded (UTC).",
    ),
)

ENTITIES = (DATASET_TYPE, DATA_FORMAT, DATA_REPOSITORY, REVISION, TAG, FILE_RECORD)
