"""Experiments: projects and their members, subjects, sessions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Index
from sqlmodel import Field, SQLModel

from gateway.db.models._base import (
    Seen,
    created_at,
    json_field,
    order_index,
    seen_by,
    updated_at,
    uuid_pk,
)


class Project(SQLModel, table=True):
    __tablename__ = "project"
    __table_args__ = seen_by(Seen.PROJECTS)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=200, unique=True, index=True)
    description: str = Field(default="")
    is_public: bool = Field(default=False, index=True)
    tags: list[str] = json_field([])
    extra_fields: dict[str, Any] = json_field({})
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class ProjectMember(SQLModel, table=True):
    __tablename__ = "project_member"
    __table_args__ = seen_by(Seen.IN_PROJECT)

    project_id: uuid.UUID = Field(foreign_key="project.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(
        foreign_key="user_account.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    role: str = Field(default="viewer", max_length=16)  # viewer, editor, manager
    is_owner: bool = Field(default=False)


class SubjectSex(StrEnum):
    """A subject's recorded sex (``Subject.sex``)."""

    M = "M"
    F = "F"
    U = "U"


class SubjectStatus(StrEnum):
    """Where a subject is in its life in the lab (``Subject.status``)."""

    PLANNED = "planned"
    ACTIVE = "active"
    INACTIVE = "inactive"
    TRANSFERRED = "transferred"
    DECEASED = "deceased"
    UNKNOWN = "unknown"


class Subject(SQLModel, table=True):
    """An experimental animal. It belongs to its lab; ``project_id``, the owning project, is
    optional (Alyx's projects are). Who sees it: ``Seen.IN_PROJECT_OR_LAB``."""

    __tablename__ = "subject"
    __table_args__ = seen_by(Seen.IN_PROJECT_OR_LAB)

    id: uuid.UUID = uuid_pk()
    nickname: str = Field(max_length=100, unique=True, index=True)
    description: str = Field(default="")
    sex: str = Field(default=SubjectSex.U.value, max_length=1)
    birth_date: date | None = None
    death_date: date | None = None
    genotype: str = Field(default="", max_length=200)
    genetic_line: str = Field(default="", max_length=100)
    status: str = Field(default=SubjectStatus.ACTIVE.value, max_length=16)
    project_id: uuid.UUID | None = Field(
        default=None, foreign_key="project.id", index=True, ondelete="CASCADE"
    )
    species_id: uuid.UUID | None = Field(
        default=None, foreign_key="species.id", index=True, ondelete="SET NULL"
    )
    strain_id: uuid.UUID | None = Field(
        default=None, foreign_key="strain.id", index=True, ondelete="SET NULL"
    )
    lab_id: uuid.UUID | None = Field(
        default=None, foreign_key="laboratory.id", index=True, ondelete="SET NULL"
    )
    responsible_user_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL"
    )
    extra_fields: dict[str, Any] = json_field({})
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class SubjectProject(SQLModel, table=True):
    """Further projects a subject belongs to (the owning project is listed here too)."""

    __tablename__ = "subject_project"
    __table_args__ = seen_by(Seen.IN_PROJECT)

    subject_id: uuid.UUID = Field(foreign_key="subject.id", primary_key=True, ondelete="CASCADE")
    project_id: uuid.UUID = Field(
        foreign_key="project.id", primary_key=True, index=True, ondelete="CASCADE"
    )


class Session(SQLModel, table=True):
    """One experiment. ``project_id`` is the owning project; its lab's members see it too
    (``Seen.IN_PROJECT_OR_LAB``)."""

    __tablename__ = "session"
    __table_args__ = seen_by(Seen.IN_PROJECT_OR_LAB)

    id: uuid.UUID = uuid_pk()
    name: str = Field(default="", max_length=100)
    narrative: str = Field(default="")
    type: str = Field(default="Experiment", max_length=255)
    number: int | None = Field(default=None)
    task_protocol: str = Field(default="", max_length=1023)
    start_time: datetime | None = Field(default=None, sa_type=DateTime())
    end_time: datetime | None = Field(default=None, sa_type=DateTime())
    qc: int = Field(default=0)
    n_trials: int | None = None
    n_correct_trials: int | None = None
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    subject_id: uuid.UUID | None = Field(
        default=None, foreign_key="subject.id", index=True, ondelete="CASCADE"
    )
    lab_id: uuid.UUID | None = Field(
        default=None, foreign_key="laboratory.id", index=True, ondelete="SET NULL"
    )
    extra_fields: dict[str, Any] = json_field({})
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


# Sessions list newest first (their default order, start_time descending with NULL last, then
# id): an index in exactly that order lets a page stream from it instead of sorting every
# matching session, and serves start_time ranges too. (SQLite's descending index keeps NULL last
# by itself and takes no NULLS clause: migration 0007 says it on PostgreSQL only.)
_sessions = Session.__table__.c  # type: ignore[attr-defined]
Index("ix_session_start_time_id", _sessions.start_time.desc().nulls_last(), _sessions.id)


class SessionProject(SQLModel, table=True):
    """Further projects a session belongs to (the owning project is listed here too)."""

    __tablename__ = "session_project"
    __table_args__ = seen_by(Seen.IN_PROJECT)

    session_id: uuid.UUID = Field(foreign_key="session.id", primary_key=True, ondelete="CASCADE")
    project_id: uuid.UUID = Field(
        foreign_key="project.id", primary_key=True, index=True, ondelete="CASCADE"
    )


class SessionUser(SQLModel, table=True):
    """The experimenters of a session (Alyx ``users``)."""

    __tablename__ = "session_user"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("session", "session_id"))

    session_id: uuid.UUID = Field(foreign_key="session.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(
        foreign_key="user_account.id", primary_key=True, index=True, ondelete="CASCADE"
    )


class Cohort(SQLModel, table=True):
    """A named group of subjects within one project (BrainSTEM ``stem/cohort``)."""

    __tablename__ = "cohort"
    __table_args__ = seen_by(Seen.IN_PROJECT)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=100)
    description: str = Field(default="")
    project_id: uuid.UUID = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    tags: list[str] = json_field([])
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class CohortSubject(SQLModel, table=True):
    """The subjects of a cohort."""

    __tablename__ = "cohort_subject"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("cohort", "cohort_id"))

    cohort_id: uuid.UUID = Field(foreign_key="cohort.id", primary_key=True, ondelete="CASCADE")
    subject_id: uuid.UUID = Field(
        foreign_key="subject.id", primary_key=True, index=True, ondelete="CASCADE"
    )


# The indexes serving each list's default order (resolvers/catalog).
order_index(Cohort, "name", "id")
