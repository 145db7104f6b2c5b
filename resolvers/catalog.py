"""Every queryable model and the fields it allows filters and orderings on (its allowlist)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Float, Integer, Table, Uuid, select

from gateway.db.models import (
    Approval,
    Brain,
    Category,
    Connection,
    ConnectomeDataset,
    FileUpload,
    Laboratory,
    Materialization,
    Project,
    Segment,
    SegmentProperty,
    Session,
    Species,
    Strain,
    Subject,
    User,
    table,
)
from resolvers.query import Entity, FieldSpec, Kind, Order


def _kind(column: Any) -> Kind:
    sa_type = column.type
    if isinstance(sa_type, Boolean):
        return Kind.BOOL
    if isinstance(sa_type, BigInteger):
        return Kind.BIGINT
    if isinstance(sa_type, Integer):
        return Kind.INT
    if isinstance(sa_type, Float):
        return Kind.FLOAT
    if isinstance(sa_type, DateTime):
        return Kind.DATETIME
    if isinstance(sa_type, Date):
        return Kind.DATE
    if isinstance(sa_type, Uuid):
        return Kind.UUID
    return Kind.STRING


def columns(table: Table, *names: str) -> dict[str, FieldSpec]:
    """Allow filtering and sorting on these columns of ``table``, typed from the column."""
    return {name: FieldSpec(table.c[name], _kind(table.c[name])) for name in names}


_subject, _species = table(Subject), table(Species)

LABORATORY = Entity(
    "Laboratory",
    table(Laboratory),
    columns(table(Laboratory), "id", "name", "institution", "timezone", "created_at"),
    default_order=(Order("name"),),
    search_fields=("name", "institution"),
)
USER = Entity(
    "User",
    table(User),
    columns(table(User), "id", "username", "first_name", "last_name", "created_at"),
    default_order=(Order("username"),),
    search_fields=("username", "first_name", "last_name"),
)
CATEGORY = Entity(
    "Category",
    table(Category),
    columns(table(Category), "id", "name", "description", "created_at", "updated_at"),
    default_order=(Order("name"),),
    search_fields=("name", "description"),
)
SPECIES = Entity(
    "Species",
    _species,
    {
        **columns(
            _species,
            "id",
            "name",
            "scientific_name",
            "description",
            "category_id",
            "created_at",
            "updated_at",
        ),
        "category_name": FieldSpec(
            select(table(Category).c.name)
            .where(table(Category).c.id == _species.c.category_id)
            .scalar_subquery(),
            Kind.STRING,
        ),
    },
    default_order=(Order("name"),),
    search_fields=("name", "scientific_name", "description"),
)
STRAIN = Entity(
    "Strain",
    table(Strain),
    columns(table(Strain), "id", "name", "description", "species_id", "created_at", "updated_at"),
    default_order=(Order("name"),),
    search_fields=("name", "description"),
)
APPROVAL = Entity(
    "Approval",
    table(Approval),
    columns(
        table(Approval),
        "id",
        "model",
        "action",
        "instance_id",
        "status",
        "submitter_id",
        "reviewer_id",
        "created_at",
        "updated_at",
        "reviewed_at",
    ),
    default_order=(Order("created_at", descending=True),),
)
PROJECT = Entity(
    "Project",
    table(Project),
    columns(table(Project), "id", "name", "description", "is_public", "created_at", "updated_at"),
    default_order=(Order("name"),),
    search_fields=("name", "description"),
)
SUBJECT = Entity(
    "Subject",
    _subject,
    columns(
        _subject,
        "id",
        "nickname",
        "description",
        "sex",
        "birth_date",
        "death_date",
        "genotype",
        "genetic_line",
        "status",
        "project_id",
        "species_id",
        "strain_id",
        "lab_id",
        "responsible_user_id",
        "created_at",
        "updated_at",
    ),
    default_order=(Order("nickname"),),
    search_fields=("nickname", "description"),
)
SESSION = Entity(
    "Session",
    table(Session),
    {
        **columns(
            table(Session),
            "id",
            "name",
            "narrative",
            "type",
            "number",
            "task_protocol",
            "start_time",
            "end_time",
            "qc",
            "n_trials",
            "n_correct_trials",
            "project_id",
            "subject_id",
            "lab_id",
            "created_at",
            "updated_at",
        ),
        "subject_nickname": FieldSpec(
            select(_subject.c.nickname)
            .where(_subject.c.id == table(Session).c.subject_id)
            .scalar_subquery(),
            Kind.STRING,
        ),
    },
    default_order=(Order("start_time", descending=True),),
    search_fields=("name", "narrative", "task_protocol"),
)
FILE_UPLOAD = Entity(
    "FileUpload",
    table(FileUpload),
    columns(
        table(FileUpload),
        "id",
        "name",
        "sha256",
        "size",
        "content_type",
        "status",
        "dataset_type",
        "uploader_id",
        "session_id",
        "created_at",
    ),
    default_order=(Order("created_at", descending=True),),
    search_fields=("name",),
)
BRAIN = Entity(
    "Brain",
    table(Brain),
    columns(
        table(Brain),
        "id",
        "uuid",
        "readable_id",
        "name",
        "description",
        "verified",
        "is_reference",
        "species_id",
        "category_id",
        "uploader_id",
        "created_at",
        "updated_at",
    ),
    default_order=(Order("created_at", descending=True),),
    search_fields=("name", "description", "readable_id"),
)
CONNECTOME_DATASET = Entity(
    "ConnectomeDataset",
    table(ConnectomeDataset),
    columns(table(ConnectomeDataset), "id", "name", "description", "created_at"),
    default_order=(Order("name"),),
    search_fields=("name", "description"),
)
MATERIALIZATION = Entity(
    "Materialization",
    table(Materialization),
    columns(table(Materialization), "id", "dataset_id", "version", "timestamp", "valid"),
    default_order=(Order("version", descending=True),),
)
SEGMENT = Entity(
    "Segment",
    table(Segment),
    columns(
        table(Segment),
        "id",
        "materialization_id",
        "cell_group",
        "nt_type",
        "size_nm",
        "length_nm",
        "nr_pre",
        "nr_post",
        "nr_upstream_partner",
        "nr_downstream_partner",
    ),
    default_order=(Order("materialization_id"),),
)
CONNECTION = Entity(
    "Connection",
    table(Connection),
    columns(
        table(Connection),
        "id",
        "materialization_id",
        "pre_id",
        "post_id",
        "neuropil",
        "syn_count",
        "nt_type",
    ),
    default_order=(Order("syn_count", descending=True),),
)
SEGMENT_PROPERTY = Entity(
    "SegmentProperty",
    table(SegmentProperty),
    columns(table(SegmentProperty), "segment_id", "materialization_id", "name"),
    default_order=(Order("name"),),
    key="segment_id",
)
