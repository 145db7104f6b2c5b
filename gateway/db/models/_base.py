"""Column helpers shared by every table module."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer
from sqlmodel import Field


def utcnow() -> datetime:
    """Timestamps are stored as naive UTC on both databases and rendered with a ``Z``."""
    return datetime.now(UTC).replace(tzinfo=None)


def uuid_pk() -> Any:
    return Field(default_factory=uuid.uuid4, primary_key=True)


def created_at() -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(), nullable=False)


def updated_at() -> Any:
    return Field(
        default_factory=utcnow,
        sa_type=DateTime(),
        nullable=False,
        sa_column_kwargs={"onupdate": utcnow},
    )


def json_field(default: Any = None) -> Any:
    if default is None:
        return Field(default=None, sa_type=JSON, nullable=True)
    return Field(default_factory=lambda: type(default)(default), sa_type=JSON, nullable=False)


# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid), which is 64-bit there anyway.
BIGINT_ID = BigInteger().with_variant(Integer(), "sqlite")

# Marks a column that holds a secret (a password or token hash): never selected for reading.
SECRET = {"info": {"secret": True}}
