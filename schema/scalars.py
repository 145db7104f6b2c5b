"""Custom scalars: 64-bit ids as strings, and UTC timestamps with a ``Z``."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import NewType

import strawberry
from strawberry.schema.types.base_scalars import UUIDDefinition
from strawberry.types.scalar import ScalarDefinition

BigInt = NewType("BigInt", int)


def _parse_bigint(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ValueError(f"BigInt must be an integer or a string of digits, got {value!r}")


def _serialize_datetime(value: datetime) -> str:
    # Stored as naive UTC (see gateway.db.models._base.utcnow).
    if value.tzinfo is None:
        return value.isoformat() + "Z"
    return value.isoformat()


def _parse_datetime(value: object) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


SCALAR_MAP: dict[object, ScalarDefinition] = {
    BigInt: strawberry.scalar(
        name="BigInt",
        description=(
            "A 64-bit integer (e.g. a connectome segment id such as 720575940634474894), "
            "serialized as a string: GraphQL Int is 32-bit and JavaScript loses precision "
            "past 2^53. Accepted as a string or an integer."
        ),
        serialize=str,
        parse_value=_parse_bigint,
    ),
    uuid.UUID: dataclasses.replace(
        UUIDDefinition, description="A UUID, e.g. 3f2c9a4e-8b1d-4c6e-9f0a-2d7b5e1c4a93."
    ),
    datetime: strawberry.scalar(
        name="DateTime",
        description="An ISO 8601 timestamp in UTC, e.g. 2024-03-01T12:00:00Z.",
        serialize=_serialize_datetime,
        parse_value=_parse_datetime,
    ),
}
