"""Custom scalars: 64-bit ids as strings, and UTC timestamps with a ``Z``."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import NewType

import strawberry
from strawberry.schema.types.base_scalars import UUIDDefinition
from strawberry.types.scalar import ScalarDefinition

from resolvers.query import INT_RANGES, Kind

BigInt = NewType("BigInt", int)
BIGINT_MIN, BIGINT_MAX = INT_RANGES[Kind.BIGINT]


def _parse_bigint(value: object) -> int:
    # A literal or variable outside 64 bits fails validation (BAD_USER_INPUT) here, before
    # it could reach a statement.
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value)
    if number is None:
        raise ValueError(f"BigInt must be an integer or a string of digits, got {value!r}")
    if not BIGINT_MIN <= number <= BIGINT_MAX:
        raise ValueError(f"BigInt must be from {BIGINT_MIN} to {BIGINT_MAX}, got {value}")
    return number


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
