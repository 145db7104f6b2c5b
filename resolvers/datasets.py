"""Datasets: the stored files registered to a session (Alyx's ``/datasets``, DOMAIN.md §1.13).

A dataset is a file upload whose ``session_id`` is set; who sees it is the file-upload
visibility rule (an upload of a session the caller sees, or the caller's own upload).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

from sqlalchemy import Row

from gateway.errors import NotFound
from resolvers.catalog import FILE_UPLOAD
from resolvers.context import Context
from resolvers.listing import Page, get_row, list_rows
from resolvers.query import AllOf, Filter, QuerySpec

# The most datasets one session's record lists.
DATASETS_PER_SESSION = 10_000
_ATTACHED = Filter("session_id", "isnull", False)


def _attached(spec: QuerySpec) -> QuerySpec:
    where = _ATTACHED if spec.where is None else AllOf((_ATTACHED, spec.where))
    return QuerySpec(where=where, order=spec.order, window=spec.window, search=spec.search)


async def list_datasets(
    ctx: Context, spec: QuerySpec, *, with_total: bool = True, max_page_size: int | None = None
) -> Page:
    """The visible datasets matching ``spec`` (uploads attached to a session)."""
    return await list_rows(
        ctx, FILE_UPLOAD, _attached(spec), with_total=with_total, max_page_size=max_page_size
    )


async def get_dataset(ctx: Context, dataset_id: Any) -> Row[Any]:
    """One visible dataset by its UUID; a missing, hidden or unattached upload is NotFound."""
    row = await get_row(ctx, FILE_UPLOAD, "uuid", dataset_id)
    if row.session_id is None:
        raise NotFound("Dataset not found.")
    return row


async def datasets_of_sessions(
    ctx: Context, session_ids: Iterable[Hashable]
) -> dict[Hashable, list[Row[Any]]]:
    """Each session's visible datasets, oldest first, for a whole page in one statement."""
    uploads = FILE_UPLOAD.table
    loader = ctx.loaders.children(
        uploads,
        ("session_id",),
        limit=DATASETS_PER_SESSION,
        order_by=[uploads.c.created_at, uploads.c.id],
    )
    return await loader.fill(session_ids)
