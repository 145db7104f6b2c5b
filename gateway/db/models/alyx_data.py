"""Alyx's data app (seed 003, DOMAIN.md §1.13): what a registered file is (dataset types and
data formats), where its bytes are kept (data repositories and the file records that place a
dataset in one), revisions, and tags. A dataset itself is a file upload registered to a
session (:class:`~gateway.db.models.brains.FileUpload`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from gateway.db.models._base import Seen, created_at, json_field, order_index, seen_by, uuid_pk


class DatasetType(SQLModel, table=True):
    """What a dataset holds, e.g. ``spikes.times``; files are matched to one by name."""

    __tablename__ = "dataset_type"
    __table_args__ = seen_by(Seen.EVERYONE)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=255, unique=True, index=True)
    description: str = Field(default="", max_length=1023)
    filename_pattern: str = Field(default="", max_length=255)
    created_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", index=True, ondelete="SET NULL"
    )
    created_at: datetime = created_at()


class DataFormat(SQLModel, table=True):
    """A file format, named after its extension's meaning, e.g. ``npy``."""

    __tablename__ = "data_format"
    __table_args__ = seen_by(Seen.EVERYONE)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=255, unique=True, index=True)
    description: str = Field(default="", max_length=255)
    file_extension: str = Field(max_length=255, unique=True)
    matlab_loader_function: str = Field(default="", max_length=255)
    python_loader_function: str = Field(default="", max_length=255)


# The repository of the gateway's own storage (made by the first registration naming none).
STORAGE_REPOSITORY = "neurogate"


class DataRepository(SQLModel, table=True):
    """Where datasets' bytes are kept and served from. A repository whose ``data_url`` is
    blank is served by the gateway itself, from its storage or from the directory the
    settings give it (``NEUROGATE_DATA_DIRECTORIES``)."""

    __tablename__ = "data_repository"
    __table_args__ = seen_by(Seen.EVERYONE)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=255, unique=True, index=True)
    timezone: str = Field(default="", max_length=64)
    globus_path: str = Field(default="", max_length=1000)
    hostname: str = Field(default="", max_length=200)
    data_url: str = Field(default="", max_length=255)
    repository_type: str | None = Field(default=None, max_length=255)
    globus_endpoint_id: uuid.UUID | None = Field(default=None)
    globus_is_personal: bool = Field(default=False)
    json_data: dict[str, Any] | None = json_field()


class Revision(SQLModel, table=True):
    """A named revision of datasets (ALF's ``#revision#`` folder)."""

    __tablename__ = "revision"
    __table_args__ = seen_by(Seen.EVERYONE)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=255, unique=True, index=True)
    description: str = Field(default="", max_length=1000)
    created_at: datetime = created_at()


class Tag(SQLModel, table=True):
    """A label on datasets; a protected tag keeps them from being overwritten."""

    __tablename__ = "tag"
    __table_args__ = seen_by(Seen.EVERYONE)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=255, unique=True, index=True)
    description: str = Field(default="", max_length=1023)
    protected: bool = Field(default=False)
    public: bool = Field(default=False)


class DatasetTag(SQLModel, table=True):
    __tablename__ = "dataset_tag"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("file_upload", "dataset_id"))

    dataset_id: int = Field(foreign_key="file_upload.id", primary_key=True, ondelete="CASCADE")
    tag_id: uuid.UUID = Field(
        foreign_key="tag.id", primary_key=True, index=True, ondelete="CASCADE"
    )


class FileRecord(SQLModel, table=True):
    """One copy of a dataset: in which repository, at which path, and whether it is there."""

    __tablename__ = "file_record"
    __table_args__ = (
        UniqueConstraint("data_repository_id", "relative_path"),
        seen_by(Seen.WITH_PARENT, parent=("file_upload", "dataset_id")),
    )

    id: uuid.UUID = uuid_pk()
    dataset_id: int = Field(foreign_key="file_upload.id", index=True, ondelete="CASCADE")
    data_repository_id: uuid.UUID = Field(
        foreign_key="data_repository.id", index=True, ondelete="RESTRICT"
    )
    relative_path: str = Field(max_length=1000)
    exists: bool = Field(default=False)
    json_data: dict[str, Any] | None = json_field()
    created_at: datetime = created_at()


order_index(FileRecord, "created_at", "id")
