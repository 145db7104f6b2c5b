"""BrainMaps' JSON records (seed 000, DOMAIN.md §1.5, §1.8, §1.11, §1.12), built from rows.

Related names (a species' category, a brain's species) are fetched for a whole page at once
through the request's loaders, never row by row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from starlette.requests import Request

from gateway.db.models import Category, Species, table
from resolvers.context import Context

BYTES_PER_MB = 1024 * 1024


def _iso(value: datetime | None) -> str | None:
    # Stored as naive UTC: BrainMaps writes ISO 8601 with a Z.
    return None if value is None else value.isoformat().replace("+00:00", "") + "Z"


def file_url(request: Request, upload_id: int | None) -> str | None:
    """Where an upload's content is downloaded (``GET /files/{id}``), on the caller's host."""
    return None if upload_id is None else f"{str(request.base_url).rstrip('/')}/files/{upload_id}"


async def _names(
    ctx: Context, model: Any, column: str, ids: Sequence[Any]
) -> dict[Any, str | None]:
    wanted = sorted({i for i in ids if i is not None}, key=str)
    rows = await ctx.loaders.by_key(table(model), "id").load_many(wanted)
    return {
        key: (None if row is None else getattr(row, column))
        for key, row in zip(wanted, rows, strict=True)
    }


def category_json(row: Row[Any]) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "description": row.description}


async def species_json(ctx: Context, rows: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    categories = await _names(ctx, Category, "name", [row.category_id for row in rows])
    return [
        {
            "id": str(row.id),
            "name": row.name,
            "scientific_name": row.scientific_name,
            "description": row.description,
            "category": categories.get(row.category_id),
        }
        for row in rows
    ]


async def brains_json(
    request: Request, ctx: Context, rows: Sequence[Row[Any]]
) -> list[dict[str, Any]]:
    species = await _names(ctx, Species, "scientific_name", [row.species_id for row in rows])
    return [
        {
            "id": row.id,
            "uuid": str(row.uuid),
            "readable_id": row.readable_id,
            "name": row.name,
            "description": row.description,
            "species": species.get(row.species_id),
            "category": row.category_id,
            "uploader": row.uploader_id,
            "verified": row.verified,
            "is_reference": row.is_reference,
            "website": row.website,
            "date_uploaded": _iso(row.created_at),
            "updated_at": _iso(row.updated_at),
            "file": file_url(request, row.file_id),
        }
        for row in rows
    ]


def upload_json(request: Request, row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "file": file_url(request, row.id),
        "date_uploaded": _iso(row.created_at),
        "uploader": row.uploader_id,
        "status": row.status,
        "file_size_mb": round(row.size / BYTES_PER_MB, 3),
    }
