"""Brain scans and the stored file uploads they (and sessions' datasets) come from."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from gateway.db.models._base import Seen, created_at, order_index, seen_by, updated_at


class FileUpload(SQLModel, table=True):
    """A stored file. Content lives in the storage directory under its sha256."""

    __tablename__ = "file_upload"
    __table_args__ = seen_by(Seen.FILES)

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    name: str = Field(max_length=255)
    sha256: str = Field(max_length=64, index=True)
    size: int = Field(sa_type=BigInteger)
    content_type: str = Field(default="application/octet-stream", max_length=255)
    status: str = Field(default="uploaded", max_length=16)
    dataset_type: str = Field(default="", max_length=255)
    collection: str = Field(default="", max_length=255)
    # Alyx's dataset fields (a registered file): its md5 as ONE checks it ("" when not
    # given), the software version that wrote it, its revision and whether it is the default.
    md5: str = Field(default="", max_length=32)
    version: str = Field(default="", max_length=64)
    revision_id: UUID | None = Field(
        default=None, foreign_key="revision.id", index=True, ondelete="SET NULL"
    )
    default_dataset: bool = Field(default=True)
    uploader_id: int = Field(foreign_key="user_account.id", index=True, ondelete="RESTRICT")
    session_id: UUID | None = Field(
        default=None, foreign_key="session.id", index=True, ondelete="SET NULL"
    )
    created_at: datetime = created_at()


class Brain(SQLModel, table=True):
    __tablename__ = "brain"
    __table_args__ = seen_by(Seen.BRAINS)

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(default_factory=uuid4, unique=True, index=True)
    readable_id: str = Field(max_length=120, unique=True, index=True)
    name: str = Field(max_length=255)
    description: str = Field(default="")
    verified: bool = Field(default=False, index=True)
    is_reference: bool = Field(default=False)
    website: str = Field(default="", max_length=200)
    species_id: UUID | None = Field(
        default=None, foreign_key="species.id", index=True, ondelete="SET NULL"
    )
    category_id: int | None = Field(
        default=None, foreign_key="category.id", index=True, ondelete="SET NULL"
    )
    uploader_id: int = Field(foreign_key="user_account.id", index=True, ondelete="RESTRICT")
    file_id: int | None = Field(
        default=None, foreign_key="file_upload.id", index=True, ondelete="SET NULL"
    )
    created_at: datetime = created_at()
    updated_at: datetime = updated_at()


# The indexes serving each list's default order (resolvers/catalog).
order_index(Brain, "-created_at", "id")
order_index(FileUpload, "-created_at", "id")
