"""Dissemination (BrainSTEM ``dissemination``): the journals research is published in and the
publications themselves, shared by every user, and the projects a publication reports on."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlmodel import Field, SQLModel

from gateway.db.models._base import Seen, created_at, order_index, seen_by, updated_at, uuid_pk


class Journal(SQLModel, table=True):
    """A scientific journal; added and changed through reviewed proposals."""

    __tablename__ = "journal"
    __table_args__ = seen_by(Seen.EVERYONE)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=500, unique=True, index=True)
    description: str = Field(default="", max_length=2000)
    website: str = Field(default="", max_length=200)
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class Publication(SQLModel, table=True):
    """A publication in a journal; everyone reads it, the user who added it changes it."""

    __tablename__ = "publication"
    __table_args__ = seen_by(Seen.EVERYONE)

    id: uuid.UUID = uuid_pk()
    title: str = Field(max_length=200, index=True)
    authors: str = Field(max_length=500)
    journal_id: uuid.UUID = Field(foreign_key="journal.id", index=True, ondelete="RESTRICT")
    abstract: str = Field(default="")
    doi: str = Field(default="", max_length=200)
    publication_url: str = Field(default="", max_length=300)
    pdf_url: str = Field(default="", max_length=300)
    publication_date: date | None = Field(default=None)
    user_id: int | None = Field(
        default=None, foreign_key="user_account.id", index=True, ondelete="SET NULL"
    )
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


class ProjectPublication(SQLModel, table=True):
    """A project's publications (BrainSTEM ``project.publications``): seen with the project."""

    __tablename__ = "project_publication"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=("project", "project_id"))

    project_id: uuid.UUID = Field(foreign_key="project.id", primary_key=True, ondelete="CASCADE")
    publication_id: uuid.UUID = Field(
        foreign_key="publication.id", primary_key=True, index=True, ondelete="CASCADE"
    )


order_index(Publication, "-publication_date", "id")
