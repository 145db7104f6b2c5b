"""Every queryable model and the fields it allows filters and orderings on (its allowlist)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Float,
    Integer,
    Table,
    TypeDecorator,
    Uuid,
    and_,
    exists,
    func,
    not_,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.sql import operators

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
    SessionProject,
    SessionUser,
    Species,
    Strain,
    Subject,
    SubjectProject,
    User,
    table,
)
from gateway.db.models.search import BRAIN_SEARCH, CATEGORY_SEARCH, SPECIES_SEARCH
from resolvers.query import Entity, FieldSpec, Kind, Order
from resolvers.relations import Link, ToMany, ToOne


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


# (the related value's column, how it is reached from the row: None for a column of the row)
Path = tuple[ColumnElement[Any], ColumnElement[bool] | None]


class _AnyRelated(TypeDecorator[Any]):
    """The type of a to-many field: a comparison holds when it holds for some related value
    (an EXISTS per path); ``ne`` and ``isnull`` hold when no related value is equal / any."""

    impl = Uuid
    cache_ok = False  # never reaches a statement: comparisons are rewritten below

    def __init__(self, paths: Sequence[Path]) -> None:
        super().__init__()
        self.paths = tuple(paths)

    def some(self, op: Any, *other: Any, **kw: Any) -> ColumnElement[bool]:
        return or_(
            *(
                op(value, *other, **kw)
                if via is None
                else exists().where(via, op(value, *other, **kw))
                for value, via in self.paths
            )
        )

    class comparator_factory(TypeDecorator.Comparator[Any]):
        def operate(self, op: Any, *other: Any, **kw: Any) -> ColumnElement[Any]:
            related: _AnyRelated = self.type  # type: ignore[assignment]
            if op is operators.ne:
                return not_(related.some(operators.eq, *other, **kw))
            if op is operators.is_:
                return not_(related.some(operators.is_not, *other, **kw))
            return related.some(op, *other, **kw)


def to_many(key: ColumnElement[Any], *paths: Path, kind: Kind = Kind.UUID) -> FieldSpec:
    """A filter-only field on related values (ids unless ``kind`` says otherwise): ``eq``/``in``
    (and the text operators) match rows related to the value(s) through any of ``paths``,
    ``ne`` rows related to none, ``isnull`` rows related to nothing."""
    return FieldSpec(type_coerce(key, _AnyRelated(paths)), kind, sortable=False)


def related_value(
    column: ColumnElement[Any], key: ColumnElement[Any], of: ColumnElement[Any]
) -> ColumnElement[Any]:
    """``column`` of the row whose ``key`` is ``of`` (a scalar subquery: one related value)."""
    return select(column).where(key == of).scalar_subquery()


_subject, _species, _session = table(Subject), table(Species), table(Session)
_project = table(Project)
_subject_links, _session_links = table(SubjectProject), table(SessionProject)
_lab, _user, _strain = table(Laboratory), table(User), table(Strain)
_upload, _session_users = table(FileUpload), table(SessionUser)


def _project_names(row: Table, links: Table, link_key: str) -> FieldSpec:
    """The names of a subject's or session's projects (its owner and every linked one)."""
    return to_many(
        row.c.id,
        (_project.c.name, _project.c.id == row.c.project_id),
        (
            _project.c.name,
            and_(links.c[link_key] == row.c.id, _project.c.id == links.c.project_id),
        ),
        kind=Kind.STRING,
    )


def scientific_slug(expr: ColumnElement[Any]) -> FieldSpec:
    """A filter-only field: a scientific name lower-cased with its spaces as hyphens
    (``mus-musculus``); compare it with :func:`slug_of_scientific_name` of the value."""
    return FieldSpec(func.replace(func.lower(expr), " ", "-"), Kind.STRING, sortable=False)


def slug_of_scientific_name(value: str) -> str:
    return "-".join(value.lower().split())


def _category_name(row: Table) -> ColumnElement[Any]:
    return related_value(table(Category).c.name, table(Category).c.id, row.c.category_id)


def _lab_name(row: Table) -> ColumnElement[Any]:
    return related_value(_lab.c.name, _lab.c.id, row.c.lab_id)


# Names the Alyx shim filters on (DOMAIN.md §2.1-2.3): related rows' names.
_SUBJECT_NAMES: dict[str, FieldSpec] = {
    "lab_name": FieldSpec(_lab_name(_subject), Kind.STRING),
    "species_name": FieldSpec(
        related_value(_species.c.name, _species.c.id, _subject.c.species_id), Kind.STRING
    ),
    "strain_name": FieldSpec(
        related_value(_strain.c.name, _strain.c.id, _subject.c.strain_id), Kind.STRING
    ),
    "responsible_username": FieldSpec(
        related_value(_user.c.username, _user.c.id, _subject.c.responsible_user_id), Kind.STRING
    ),
    "project_name": _project_names(_subject, _subject_links, "subject_id"),
}
_SESSION_NAMES: dict[str, FieldSpec] = {
    "lab_name": FieldSpec(_lab_name(_session), Kind.STRING),
    "project_name": _project_names(_session, _session_links, "session_id"),
    "username": to_many(
        _session.c.id,
        (
            _user.c.username,
            and_(
                _session_users.c.session_id == _session.c.id,
                _user.c.id == _session_users.c.user_id,
            ),
        ),
        kind=Kind.STRING,
    ),
    "dataset_name": to_many(
        _session.c.id, (_upload.c.name, _upload.c.session_id == _session.c.id), kind=Kind.STRING
    ),
    "dataset_type": to_many(
        _session.c.id,
        (_upload.c.dataset_type, _upload.c.session_id == _session.c.id),
        kind=Kind.STRING,
    ),
}

LABORATORY = Entity(
    "Laboratory",
    table(Laboratory),
    columns(table(Laboratory), "id", "name", "institution", "timezone", "created_at"),
    default_order=(Order("name"),),
)
USER = Entity(
    "User",
    table(User),
    columns(table(User), "id", "username", "first_name", "last_name", "created_at"),
    default_order=(Order("username"),),
)
CATEGORY = Entity(
    "Category",
    table(Category),
    columns(table(Category), "id", "name", "description", "created_at", "updated_at"),
    default_order=(Order("name"),),
    search=CATEGORY_SEARCH,
    relations={
        "species": ToMany("Species", ("category_id",), description="Species in this category."),
        "brains": ToMany("Brain", ("category_id",), description="Brain scans in this category."),
    },
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
        "category_name": FieldSpec(_category_name(_species), Kind.STRING),
        # BrainMaps' filter on the scientific name as seed 000's slug ``mus-musculus``.
        "scientific_name_slug": scientific_slug(_species.c.scientific_name),
    },
    default_order=(Order("name"),),
    search=SPECIES_SEARCH,
    relations={
        "category": ToOne("Category", "category_id", "The BrainMaps grouping it belongs to."),
        "strains": ToMany("Strain", ("species_id",), description="Strains of this species."),
        "subjects": ToMany("Subject", ("species_id",), description="Subjects of this species."),
        "brains": ToMany("Brain", ("species_id",), description="Brain scans of this species."),
    },
)
STRAIN = Entity(
    "Strain",
    table(Strain),
    columns(table(Strain), "id", "name", "description", "species_id", "created_at", "updated_at"),
    default_order=(Order("name"),),
    relations={
        "species": ToOne("Species", "species_id", "The species it is a strain of."),
        "subjects": ToMany("Subject", ("strain_id",), description="Subjects of this strain."),
    },
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
    relations={
        "submitter": ToOne("User", "submitter_id", "Who proposed the change."),
        "reviewer": ToOne("User", "reviewer_id", "Who accepted or rejected it."),
    },
)
PROJECT = Entity(
    "Project",
    _project,
    {
        **columns(_project, "id", "name", "description", "is_public", "created_at", "updated_at"),
        # Subjects and sessions it owns or that are linked to it (BrainSTEM ``subjects.id``).
        "has_subject": to_many(
            _project.c.id,
            (_subject.c.id, _subject.c.project_id == _project.c.id),
            (_subject_links.c.subject_id, _subject_links.c.project_id == _project.c.id),
        ),
        "has_session": to_many(
            _project.c.id,
            (_session.c.id, _session.c.project_id == _project.c.id),
            (_session_links.c.session_id, _session_links.c.project_id == _project.c.id),
        ),
    },
    default_order=(Order("name"),),
    relations={
        "sessions": ToMany(
            "Session",
            ("project_id",),
            links=(Link(_session_links, "project_id", "session_id"),),
            description="Sessions it owns and sessions linked to it.",
        ),
        "subjects": ToMany(
            "Subject",
            ("project_id",),
            links=(Link(_subject_links, "project_id", "subject_id"),),
            description="Subjects it owns and subjects linked to it.",
        ),
    },
)
SUBJECT = Entity(
    "Subject",
    _subject,
    {
        **columns(
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
        **_SUBJECT_NAMES,
        # Its owning project or any project it is linked to (BrainSTEM ``projects.id``).
        "in_project": to_many(
            _subject.c.id,
            (_subject.c.project_id, None),
            (_subject_links.c.project_id, _subject_links.c.subject_id == _subject.c.id),
        ),
    },
    default_order=(Order("nickname"),),
    relations={
        "project": ToOne("Project", "project_id", "The project that owns it."),
        "projects": ToMany(
            "Project",
            links=(Link(_subject_links, "subject_id", "project_id"),),
            own="project_id",
            description="The project that owns it, then every project it is linked to.",
        ),
        "species": ToOne("Species", "species_id", "Its species."),
        "strain": ToOne("Strain", "strain_id", "Its strain."),
        "lab": ToOne("Laboratory", "lab_id", "The laboratory it belongs to."),
        "responsible_user": ToOne("User", "responsible_user_id", "Who is responsible for it."),
        "sessions": ToMany("Session", ("subject_id",), description="Its sessions."),
    },
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
        **_SESSION_NAMES,
        "in_project": to_many(
            _session.c.id,
            (_session.c.project_id, None),
            (_session_links.c.project_id, _session_links.c.session_id == _session.c.id),
        ),
    },
    default_order=(Order("start_time", descending=True),),
    relations={
        "project": ToOne("Project", "project_id", "The project that owns it."),
        "projects": ToMany(
            "Project",
            links=(Link(_session_links, "session_id", "project_id"),),
            own="project_id",
            description="The project that owns it, then every project it is linked to.",
        ),
        "subject": ToOne("Subject", "subject_id", "The subject it recorded."),
        "lab": ToOne("Laboratory", "lab_id", "The laboratory that ran it."),
        "users": ToMany(
            "User",
            links=(Link(_session_users, "session_id", "user_id"),),
            description="Its experimenters.",
        ),
        "datasets": ToMany("FileUpload", ("session_id",), description="Files registered to it."),
    },
)
FILE_UPLOAD = Entity(
    "FileUpload",
    _upload,
    {
        **columns(
            _upload,
            "id",
            "uuid",
            "name",
            "sha256",
            "size",
            "content_type",
            "status",
            "dataset_type",
            "collection",
            "uploader_id",
            "session_id",
            "created_at",
        ),
        # Alyx's dataset filters (DOMAIN.md §2.3): who uploaded it, and its session's subject.
        "uploader_username": FieldSpec(
            related_value(_user.c.username, _user.c.id, _upload.c.uploader_id), Kind.STRING
        ),
        "subject_nickname": FieldSpec(
            select(_subject.c.nickname)
            .where(_session.c.id == _upload.c.session_id, _subject.c.id == _session.c.subject_id)
            .scalar_subquery(),
            Kind.STRING,
        ),
    },
    default_order=(Order("created_at", descending=True),),
    relations={
        "uploader": ToOne("User", "uploader_id", "Who uploaded it."),
        "session": ToOne("Session", "session_id", "The session it is registered to."),
    },
)
_brain = table(Brain)
_brain_species = related_value(_species.c.scientific_name, _species.c.id, _brain.c.species_id)
BRAIN = Entity(
    "Brain",
    _brain,
    {
        **columns(
            _brain,
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
        "species_scientific_name": FieldSpec(_brain_species, Kind.STRING),
        "species_slug": scientific_slug(_brain_species),
        # BrainMaps' ``?category=`` filter (compared with ``iexact``).
        "category_name": FieldSpec(_category_name(_brain), Kind.STRING, sortable=False),
    },
    default_order=(Order("created_at", descending=True),),
    search=BRAIN_SEARCH,
    relations={
        "species": ToOne("Species", "species_id", "Its species."),
        "category": ToOne("Category", "category_id", "Its BrainMaps category."),
        "uploader": ToOne("User", "uploader_id", "Who uploaded it."),
        "file": ToOne("FileUpload", "file_id", "The uploaded scan file."),
    },
)
CONNECTOME_DATASET = Entity(
    "ConnectomeDataset",
    table(ConnectomeDataset),
    columns(table(ConnectomeDataset), "id", "name", "description", "created_at"),
    default_order=(Order("name"),),
    relations={
        "materializations": ToMany(
            "Materialization", ("dataset_id",), description="Snapshots of it, newest first."
        ),
    },
)
MATERIALIZATION = Entity(
    "Materialization",
    table(Materialization),
    columns(table(Materialization), "id", "dataset_id", "version", "timestamp", "valid"),
    default_order=(Order("version", descending=True),),
    relations={"dataset": ToOne("ConnectomeDataset", "dataset_id", "The connectome it snapshots.")},
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
    relations={
        "materialization": ToOne("Materialization", "materialization_id", "Its snapshot."),
        "properties": ToMany(
            "SegmentProperty",
            ("materialization_id", "segment_id"),
            ("materialization_id", "id"),
            description="Its named properties, by name.",
        ),
    },
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
    relations={"materialization": ToOne("Materialization", "materialization_id", "Its snapshot.")},
)
SEGMENT_PROPERTY = Entity(
    "SegmentProperty",
    table(SegmentProperty),
    columns(table(SegmentProperty), "segment_id", "materialization_id", "name"),
    default_order=(Order("name"),),
    key="segment_id",
)


# The entity graph: every entity by name (relations name their targets by these names).
ENTITIES: dict[str, Entity] = {
    entity.name: entity
    for entity in (
        LABORATORY,
        USER,
        CATEGORY,
        SPECIES,
        STRAIN,
        APPROVAL,
        PROJECT,
        SUBJECT,
        SESSION,
        FILE_UPLOAD,
        BRAIN,
        CONNECTOME_DATASET,
        MATERIALIZATION,
        SEGMENT,
        CONNECTION,
        SEGMENT_PROPERTY,
    )
}
