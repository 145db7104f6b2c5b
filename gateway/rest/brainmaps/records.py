"""BrainMaps' JSON records (seed 000, DOMAIN.md §1.5, §1.8, §1.11, §1.12): what each reads
through the entity graph's one read path (``*_INCLUDE``: a species' category and a brain's
species are folded into the list's own statement), and pure functions of the nodes read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row
from starlette.requests import Request

from resolvers.read import Follow, Include

BYTES_PER_MB = 1024 * 1024


def _iso(value: datetime | None) -> str | None:
    # Stored as naive UTC: BrainMaps writes ISO 8601 with a Z.
    return None if value is None else value.isoformat().replace("+00:00", "") + "Z"


def file_url(request: Request, upload_id: int | None) -> str | None:
    """Where an upload's content is downloaded (``GET /files/{id}``), on the caller's host."""
    return None if upload_id is None else f"{str(request.base_url).rstrip('/')}/files/{upload_id}"


CATEGORY_INCLUDE = Include(("name", "description"))
SPECIES_INCLUDE = Include(
    ("name", "scientific_name", "description"),
    (Follow("category", Include(("name",))),),
)
BRAIN_INCLUDE = Include(
    (
        "readable_id",
        "uuid",
        "name",
        "description",
        "category_id",
        "uploader_id",
        "verified",
        "is_reference",
        "website",
        "created_at",
        "updated_at",
        "file_id",
    ),
    (Follow("species", Include(("scientific_name",))),),
)


def category_json(node: Any) -> dict[str, Any]:
    return {"id": node.id, "name": node.name, "description": node.description}


def species_json(node: Any) -> dict[str, Any]:
    return {
        "id": str(node.id),
        "name": node.name,
        "scientific_name": node.scientific_name,
        "description": node.description,
        "category": None if node.category is None else node.category.name,
    }


def brain_json(request: Request, node: Any) -> dict[str, Any]:
    return {
        "id": node.id,
        "uuid": str(node.uuid),
        "readable_id": node.readable_id,
        "name": node.name,
        "description": node.description,
        "species": None if node.species is None else node.species.scientific_name,
        "category": node.category_id,
        "uploader": node.uploader_id,
        "verified": node.verified,
        "is_reference": node.is_reference,
        "website": node.website,
        "date_uploaded": _iso(node.created_at),
        "updated_at": _iso(node.updated_at),
        "file": file_url(request, node.file_id),
    }


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
