"""Column helpers shared by every table module."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer, MetaData, Uuid
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


_UNKNOWN_SAFETY = uuid.SafeUUID.unknown


def _uuid_from_hex(value: str | None) -> uuid.UUID | None:
    if value is None:
        return None
    # uuid.UUID(hex) re-parses and validates text we wrote ourselves; building it from the
    # integer is three times cheaper, which shows on lists of thousands of rows.
    made = object.__new__(uuid.UUID)
    object.__setattr__(made, "int", int(value, 16))
    object.__setattr__(made, "is_safe", _UNKNOWN_SAFETY)
    return made


class HexUuid(Uuid[uuid.UUID]):
    """``Uuid`` with a faster reader for backends that keep UUIDs as 32 hex characters
    (SQLite); native UUID backends (PostgreSQL) are unchanged."""

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        if self.as_uuid and not (dialect.supports_native_uuid and self.native_uuid):
            return _uuid_from_hex
        return super().result_processor(dialect, coltype)


def use_fast_uuids(metadata: MetaData) -> None:
    """Read every UUID column of ``metadata`` through :class:`HexUuid`."""
    for tbl in metadata.tables.values():
        for column in tbl.columns:
            if type(column.type) is Uuid:
                column.type = HexUuid()
