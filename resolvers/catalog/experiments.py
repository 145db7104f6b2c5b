"""Experiments: projects, subjects and sessions."""

from __future__ import annotations

from sqlalchemy import Table, and_, func

from gateway.auth.permissions import ProjectRole
from gateway.db.models import (
    DatasetTag,
    FileUpload,
    Laboratory,
    Project,
    ProjectMember,
    ProjectPublication,
    Session,
    SessionProject,
    SessionUser,
    Species,
    Strain,
    Subject,
    SubjectProject,
    Tag,
    User,
    WaterRestriction,
    table,
)
from gateway.db.models.experiments import Cohort, CohortSubject, SubjectSex, SubjectStatus
from resolvers.catalog.fields import attributes, choices, columns, related_value, to_many
from resolvers.query import Attribute, Entity, FieldSpec, Kind, Order, Writes
from resolvers.relations import Link, ToMany, ToOne

_project, _subject, _session = table(Project), table(Subject), table(Session)
_subject_links, _session_links = table(SubjectProject), table(SessionProject)
_publication_links = table(ProjectPublication)
_lab, _user, _strain, _species = table(Laboratory), table(User), table(Strain), table(Species)
_upload, _session_users = table(FileUpload), table(SessionUser)
_restrictions = table(WaterRestriction)
_tag, _dataset_tag = table(Tag), table(DatasetTag)
_cohort, _cohort_subjects = table(Cohort), table(CohortSubject)
_members = table(ProjectMember)
_CREATED = "When it was created (UTC)."
_UPDATED = "When it last changed (UTC)."
_EXTRA = "Free-form fields: names matching ^[A-Za-z][A-Za-z0-9_]*$, text or number values."


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
        description="The name of a project it is in (owned by or linked to).",
    )


def _in_project(row: Table, links: Table, link_key: str) -> FieldSpec:
    """Its owning project or any project it is linked to (BrainSTEM ``projects.id``)."""
    return to_many(
        row.c.id,
        (row.c.project_id, None),
        (links.c.project_id, links.c[link_key] == row.c.id),
        description="The id of a project it is in (owned by or linked to).",
    )


def _projects(links: Table, link_key: str, *, required: bool) -> ToMany:
    return ToMany(
        "Project",
        links=(Link(links, link_key, "project_id"),),
        own="project_id",
        description="The project that owns it, then every project it is linked to, by name.",
        written_as="project_ids",
        required=required,
    )


def _lab_name(row: Table) -> FieldSpec:
    return FieldSpec(
        related_value(_lab.c.name, _lab.c.id, row.c.lab_id),
        Kind.STRING,
        description="The name of its laboratory.",
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
            description="The id of a subject it owns or is linked to.",
        ),
        "has_session": to_many(
            _project.c.id,
            (_session.c.id, _session.c.project_id == _project.c.id),
            (_session_links.c.session_id, _session_links.c.project_id == _project.c.id),
            description="The id of a session it owns or is linked to.",
        ),
        "has_publication": to_many(
            _project.c.id,
            (_publication_links.c.publication_id, _publication_links.c.project_id == _project.c.id),
            description="The id of a publication reporting on it.",
        ),
    },
    default_order=(Order("name"),),
    relations={
        "sessions": ToMany(
            "Session",
            ("project_id",),
            links=(Link(_session_links, "project_id", "session_id"),),
            description="Sessions it owns and sessions linked to it, newest first.",
        ),
        "subjects": ToMany(
            "Subject",
            ("project_id",),
            links=(Link(_subject_links, "project_id", "subject_id"),),
            description="Subjects it owns and subjects linked to it, by nickname.",
        ),
        "cohorts": ToMany("Cohort", ("project_id",), description="Its cohorts, by name."),
        "members": ToMany(
            "ProjectMember", ("project_id",), description="Who is in it, and their roles."
        ),
        "publications": ToMany(
            "Publication",
            links=(Link(_publication_links, "project_id", "publication_id"),),
            description="The publications reporting on it, newest first.",
        ),
    },
    description="A project: groups subjects and sessions and sets who may see them.",
    plural="projects",
    lookups=("id", "name"),
    writes=Writes.DIRECT,
    attributes=attributes(
        _project,
        id="Its id.",
        name=Attribute("Its unique name.", writable=True, required=True),
        description=Attribute("What it is about (rich text allowed).", writable=True),
        is_public=Attribute("Whether everyone may see it and what it holds.", writable=True),
        tags=Attribute("Labels shared by all users.", writable=True),
        extra_fields=Attribute(_EXTRA, writable=True),
        created_at=_CREATED,
        updated_at=_UPDATED,
    ),
)
PROJECT_MEMBER = Entity(
    "ProjectMember",
    _members,
    columns(_members, "project_id", "user_id", "role", "is_owner"),
    default_order=(Order("user_id"),),
    key="user_id",
    relations={
        "project": ToOne("Project", "project_id", "The project."),
        "user": ToOne("User", "user_id", "The member."),
    },
    description="A user's membership of a project: the role it gives them.",
    attributes=attributes(
        _members,
        role=Attribute(
            "What they may do in the project.",
            choices=choices(
                ProjectRole,
                VIEWER="See what it holds.",
                EDITOR="Also change what it holds.",
                MANAGER="Also change who is in it.",
            ),
        ),
        is_owner=Attribute("Whether they own it."),
    ),
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
        # Names the Alyx shim filters on (DOMAIN.md §2.1): related rows' names.
        "lab_name": _lab_name(_subject),
        "species_name": FieldSpec(
            related_value(_species.c.name, _species.c.id, _subject.c.species_id),
            Kind.STRING,
            description="The name of its species.",
        ),
        "strain_name": FieldSpec(
            related_value(_strain.c.name, _strain.c.id, _subject.c.strain_id),
            Kind.STRING,
            description="The name of its strain.",
        ),
        "responsible_username": FieldSpec(
            related_value(_user.c.username, _user.c.id, _subject.c.responsible_user_id),
            Kind.STRING,
            description="The username of who is responsible for it.",
        ),
        "project_name": _project_names(_subject, _subject_links, "subject_id"),
        "in_project": _in_project(_subject, _subject_links, "subject_id"),
        # Alyx's water_restricted: isnull false selects subjects under water restriction.
        "water_restriction_under_way": to_many(
            _subject.c.id,
            (
                _restrictions.c.id,
                and_(
                    _restrictions.c.subject_id == _subject.c.id,
                    _restrictions.c.end_time.is_(None),
                ),
            ),
            description="Its water restriction under way (started, not ended), if any.",
        ),
    },
    default_order=(Order("nickname"),),
    relations={
        "project": ToOne("Project", "project_id", "The project that owns it."),
        # Optional: a subject belongs to its lab (Alyx); BrainSTEM asks for one on its own.
        "projects": _projects(_subject_links, "subject_id", required=False),
        "species": ToOne("Species", "species_id", "Its species.", writable=True),
        "strain": ToOne("Strain", "strain_id", "Its strain.", writable=True),
        "lab": ToOne("Laboratory", "lab_id", "The laboratory it belongs to.", writable=True),
        "responsible_user": ToOne(
            "User", "responsible_user_id", "Who is responsible for it.", writable=True
        ),
        "sessions": ToMany("Session", ("subject_id",), description="Its sessions, newest first."),
        "cohorts": ToMany(
            "Cohort",
            links=(Link(_cohort_subjects, "subject_id", "cohort_id"),),
            description="The cohorts it is in, by name.",
        ),
    },
    description="An experimental animal.",
    plural="subjects",
    lookups=("id", "nickname"),
    writes=Writes.DIRECT,
    attributes=attributes(
        _subject,
        id="Its id.",
        nickname=Attribute("Its unique nickname (BrainSTEM name).", True, True),
        description=Attribute("Notes on it.", writable=True),
        sex=Attribute(
            "Its sex.",
            writable=True,
            choices=choices(SubjectSex, M="Male.", F="Female.", U="Unknown or not recorded."),
        ),
        birth_date=Attribute("When it was born.", writable=True),
        death_date=Attribute("When it died, if it has.", writable=True),
        genotype=Attribute("Its genotype.", writable=True),
        genetic_line=Attribute("Its genetic line.", writable=True),
        status=Attribute(
            "Where it is in its life in the lab.",
            writable=True,
            choices=choices(
                SubjectStatus,
                PLANNED="Planned, not yet in the lab.",
                ACTIVE="In the lab and in use.",
                INACTIVE="In the lab, not in use.",
                TRANSFERRED="Moved to another lab.",
                DECEASED="Dead.",
                UNKNOWN="Not known.",
            ),
        ),
        extra_fields=Attribute(_EXTRA, writable=True),
        created_at=_CREATED,
        updated_at=_UPDATED,
    ),
)
SESSION = Entity(
    "Session",
    _session,
    {
        **columns(
            _session,
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
        # Names the Alyx shim filters on (DOMAIN.md §2.2): related rows' names.
        "subject_nickname": FieldSpec(
            related_value(_subject.c.nickname, _subject.c.id, _session.c.subject_id),
            Kind.STRING,
            description="The nickname of its subject.",
        ),
        "lab_name": _lab_name(_session),
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
            description="The username of one of its experimenters.",
        ),
        "dataset_name": to_many(
            _session.c.id,
            (_upload.c.name, _upload.c.session_id == _session.c.id),
            kind=Kind.STRING,
            description="The name of a file registered to it.",
        ),
        "dataset_type": to_many(
            _session.c.id,
            (_upload.c.dataset_type, _upload.c.session_id == _session.c.id),
            kind=Kind.STRING,
            description="The dataset type of a file registered to it.",
        ),
        "dataset_tag": to_many(
            _session.c.id,
            (
                _tag.c.name,
                and_(
                    _upload.c.session_id == _session.c.id,
                    _dataset_tag.c.dataset_id == _upload.c.id,
                    _tag.c.id == _dataset_tag.c.tag_id,
                ),
            ),
            kind=Kind.STRING,
            description="The name of a tag on a file registered to it.",
        ),
        "in_project": _in_project(_session, _session_links, "session_id"),
        # Alyx's ``performance``: 100 * correct / trials in integer arithmetic, as Alyx's
        # integer columns compute it on PostgreSQL (SQLite divides integers the same way).
        "performance": FieldSpec(
            # The plain SQL operator: SQLAlchemy's ``/`` would cast to a fraction.
            (100 * _session.c.n_correct_trials).op("/")(func.nullif(_session.c.n_trials, 0)),
            Kind.FLOAT,
            sortable=False,
            description="Its correct trials in whole percent (null without trials).",
        ),
    },
    default_order=(Order("start_time", descending=True),),
    relations={
        "project": ToOne("Project", "project_id", "The project that owns it."),
        "projects": _projects(_session_links, "session_id", required=True),
        "subject": ToOne("Subject", "subject_id", "The subject it recorded.", writable=True),
        "lab": ToOne("Laboratory", "lab_id", "The laboratory that ran it.", writable=True),
        "users": ToMany(
            "User",
            links=(Link(_session_users, "session_id", "user_id"),),
            description="Its experimenters, by username (by default, who created it).",
            written_as="user_ids",
        ),
        "datasets": ToMany(
            "FileUpload", ("session_id",), description="Files registered to it, newest first."
        ),
    },
    description="One experiment session.",
    plural="sessions",
    lookups=("id",),
    writes=Writes.DIRECT,
    attributes=attributes(
        _session,
        id="Its id.",
        name=Attribute("Its name (BrainSTEM).", writable=True),
        narrative=Attribute("What happened (BrainSTEM description).", writable=True),
        type=Attribute("Its type, e.g. Experiment.", writable=True),
        number=Attribute("Its number within its subject's day (Alyx).", writable=True),
        task_protocol=Attribute("The task protocol it ran.", writable=True),
        start_time=Attribute("When it started (UTC; BrainSTEM date_time).", writable=True),
        end_time=Attribute("When it ended (UTC).", writable=True),
        qc=Attribute(
            "Its quality: 0 not set, 10 pass, 30 warning, 40 fail, 50 critical.", writable=True
        ),
        n_trials=Attribute("How many trials it ran.", writable=True),
        n_correct_trials=Attribute("How many of them were correct.", writable=True),
        extra_fields=Attribute(_EXTRA, writable=True),
        created_at=_CREATED,
        updated_at=_UPDATED,
    ),
)
COHORT = Entity(
    "Cohort",
    _cohort,
    columns(_cohort, "id", "name", "description", "project_id", "created_at", "updated_at"),
    default_order=(Order("name"),),
    relations={
        "project": ToOne("Project", "project_id", "The project it belongs to."),
        "subjects": ToMany(
            "Subject",
            links=(Link(_cohort_subjects, "cohort_id", "subject_id"),),
            description="The subjects in it, by nickname.",
        ),
    },
    description="A named group of subjects within one project (BrainSTEM cohort).",
    attributes=attributes(
        _cohort,
        id="Its id.",
        name=Attribute("Its name (not unique).", writable=True, required=True),
        description=Attribute("What groups its subjects.", writable=True),
        tags=Attribute("Labels shared by all users.", writable=True),
        created_at=_CREATED,
        updated_at=_UPDATED,
    ),
    plural="cohorts",
    lookups=("id",),
)

# This domain's entities, in the order surfaces list them.
ENTITIES = (PROJECT, PROJECT_MEMBER, SUBJECT, SESSION, COHORT)
