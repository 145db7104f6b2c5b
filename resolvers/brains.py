"""Brain scans and file uploads: upload, change, verify, delete, list and download.

Files reach these functions as :class:`~gateway.storage.StagedFile` objects: the surface that
received them has already streamed them into the storage directory and hashed them. Here it is
decided who may do what, input is validated, and rows are committed while
:class:`~gateway.storage.Storage` keeps the stored content in step with them.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, exists, func, insert, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.auth.permissions import editable, require_authenticated, require_reviewer
from gateway.auth.visibility import visible
from gateway.db.engine import read_connection, write_transaction
from gateway.db.models import Brain, FileUpload, Species, table
from gateway.errors import BadRequest, Conflict, Forbidden, NotFound
from gateway.storage import Referenced, StagedFile, Storage
from resolvers.catalog import FILE_UPLOAD
from resolvers.context import Context
from resolvers.listing import Page, get_row, list_rows
from resolvers.query import Filter, Kind, QuerySpec, Window, parse_value

NAME_MAX = 255
DESCRIPTION_MAX = 10_000
WEBSITE_MAX = 200
# readable_id holds 120 characters: the slug keeps room for a "-<n>" suffix.
SLUG_MAX = 100
# Two uploads racing for one slug: the loser picks the next free one.
READABLE_ID_ATTEMPTS = 5
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_CONTENT_TYPE = re.compile(r"[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

_brains, _uploads, _species = table(Brain), table(FileUpload), table(Species)


@dataclass(frozen=True, slots=True)
class Download:
    """What a caller may download: the content's address and how to present it."""

    id: int
    sha256: str
    size: int
    name: str
    content_type: str


def slugify(name: str) -> str:
    """``"Mouse brain #3 (Nissl)"`` -> ``"mouse-brain-3-nissl"``; ``"brain"`` if nothing is left."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-") or "brain"


def _text(value: Any, field: str, *, max_length: int, required: bool = False) -> str:
    if not isinstance(value, str):
        raise BadRequest("Must be a string.", field=field)
    value = value.strip()
    if required and not value:
        raise BadRequest("This field may not be blank.", field=field)
    if len(value) > max_length:
        raise BadRequest(
            f"Ensure this field has no more than {max_length} characters.", field=field
        )
    return value


def _website(value: Any) -> str:
    url = _text(value, "website", max_length=WEBSITE_MAX)
    if url and not re.fullmatch(r"https?://[^\s/]+\S*", url):
        raise BadRequest("Enter a valid http(s) URL.", field="website")
    return url


def _staged(file: Any) -> StagedFile:
    if not isinstance(file, StagedFile):
        raise BadRequest(
            "Send the file as a multipart upload (GraphQL multipart request spec).", field="file"
        )
    return file


def display_name(filename: str) -> str:
    """A client's file name as a label: its last path component, without control
    characters, at most 255 characters. It names the upload; it is never a path."""
    base = re.split(r"[/\\]", filename)[-1]
    return _CONTROL.sub("", base).strip()[:NAME_MAX] or "upload"


def _content_type(value: str) -> str:
    main = value.split(";", 1)[0].strip().lower()
    return main if len(main) <= NAME_MAX and _CONTENT_TYPE.fullmatch(main) else DEFAULT_CONTENT_TYPE


def _referenced(ctx: Context, sha256: str) -> Referenced:
    async def referenced() -> bool:
        async with read_connection(ctx.sessionmaker) as conn:
            query = select(exists().where(_uploads.c.sha256 == sha256))
            return bool((await conn.execute(query)).scalar())

    return referenced


def _storage(ctx: Context) -> Storage:
    return Storage.from_settings(ctx.settings)


async def _find_species(ctx: Context, species: Any) -> Row[Any]:
    """A species by id or by scientific name (case-insensitive), as BrainMaps names it."""
    text = _text(species, "species", max_length=NAME_MAX, required=True)
    try:
        condition = _species.c.id == uuid.UUID(text)
    except ValueError:
        condition = func.lower(_species.c.scientific_name) == text.lower()
    query = select(_species.c.id, _species.c.category_id).where(condition).limit(2)
    async with read_connection(ctx.sessionmaker) as conn:
        rows = (await conn.execute(query)).all()
    if not rows:
        raise BadRequest(f"Unknown species '{text}'.", field="species")
    if len(rows) > 1:
        raise BadRequest(f"Several species are named '{text}': give the id.", field="species")
    return rows[0]  # type: ignore[return-value]


async def _free_readable_id(conn: AsyncConnection, name: str) -> str:
    slug = slugify(name)
    taken = set(
        (
            await conn.execute(
                select(_brains.c.readable_id).where(
                    or_(_brains.c.readable_id == slug, _brains.c.readable_id.like(f"{slug}-%"))
                )
            )
        ).scalars()
    )
    if slug not in taken:
        return slug
    n = 2
    while f"{slug}-{n}" in taken:
        n += 1
    return f"{slug}-{n}"


async def _insert_upload(
    conn: AsyncConnection, ctx: Context, staged: StagedFile, name: str, uploader_id: int
) -> Row[Any]:
    values = {
        "name": name,
        "sha256": staged.sha256,
        "size": staged.size,
        "content_type": _content_type(staged.content_type),
        "uploader_id": uploader_id,
        "created_at": ctx.now(),
    }
    return (await conn.execute(insert(_uploads).values(values).returning(*_uploads.c))).one()


async def upload_file(ctx: Context, *, file: Any, name: str | None = None) -> Row[Any]:
    """Keep a staged file as an upload of the caller's; ``name`` defaults to the client's
    file name."""
    uploader_id = require_authenticated(ctx.principal)
    staged = _staged(file)
    label = (
        display_name(staged.filename)
        if name is None
        else _text(name, "name", max_length=NAME_MAX, required=True)
    )

    async def save() -> Row[Any]:
        async with write_transaction(ctx.sessionmaker) as conn:
            return await _insert_upload(conn, ctx, staged, label, uploader_id)

    return await _storage(ctx).keep(staged, save, _referenced(ctx, staged.sha256))


async def upload_brain(
    ctx: Context,
    *,
    file: Any,
    name: Any,
    species: Any,
    description: Any = "",
    website: Any = "",
    is_reference: bool = False,
) -> Row[Any]:
    """A new, unverified brain of the caller's, with the upload it came from; its readable
    id is the slug of its name, made unique."""
    uploader_id = require_authenticated(ctx.principal)
    staged = _staged(file)
    values: dict[str, Any] = {
        "name": _text(name, "name", max_length=NAME_MAX, required=True),
        "description": _text(description, "description", max_length=DESCRIPTION_MAX),
        "website": _website(website),
        "is_reference": bool(is_reference),
    }
    if staged.size == 0:
        raise BadRequest("The file is empty.", field="file")
    found = await _find_species(ctx, species)
    now = ctx.now()

    async def insert_once() -> Row[Any]:
        async with write_transaction(ctx.sessionmaker) as conn:
            upload = await _insert_upload(
                conn, ctx, staged, display_name(staged.filename), uploader_id
            )
            brain = {
                **values,
                "readable_id": await _free_readable_id(conn, values["name"]),
                "verified": False,
                "species_id": found.id,
                "category_id": found.category_id,
                "uploader_id": uploader_id,
                "file_id": upload.id,
                "created_at": now,
                "updated_at": now,
            }
            return (await conn.execute(insert(_brains).values(brain).returning(*_brains.c))).one()

    async def save() -> Row[Any]:
        for _ in range(READABLE_ID_ATTEMPTS):
            with contextlib.suppress(IntegrityError):
                return await insert_once()
        raise Conflict("Could not give the brain a unique readable id; try again.")

    return await _storage(ctx).keep(staged, save, _referenced(ctx, staged.sha256))


def _brain_id(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotFound("Brain not found.") from None
    return parse_value(Kind.INT, "id", number)  # type: ignore[no-any-return]


async def _brain_to_change(conn: AsyncConnection, ctx: Context, brain_id: Any) -> Row[Any]:
    """The brain the caller may change: missing and hidden brains are not found; visible
    brains of someone else are forbidden."""
    may_edit = editable(_brains, ctx.principal)
    may_see = visible(_brains, ctx.principal)
    query = select(
        _brains,
        (true() if may_edit is None else may_edit).label("may_edit"),
        (true() if may_see is None else may_see).label("may_see"),
    ).where(_brains.c.id == _brain_id(brain_id))
    row = (await conn.execute(query)).first()
    if row is None or not (row.may_edit or row.may_see):
        raise NotFound("Brain not found.")
    if not row.may_edit:
        raise Forbidden("Only the uploader or an administrator may change this brain.")
    return row


async def update_brain(
    ctx: Context,
    *,
    brain_id: Any,
    name: Any = None,
    description: Any = None,
    species: Any = None,
    website: Any = None,
    is_reference: bool | None = None,
) -> Row[Any]:
    """Change a brain's metadata (its uploader or an admin); only the fields given change."""
    require_authenticated(ctx.principal)
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = _text(name, "name", max_length=NAME_MAX, required=True)
    if description is not None:
        changes["description"] = _text(description, "description", max_length=DESCRIPTION_MAX)
    if website is not None:
        changes["website"] = _website(website)
    if is_reference is not None:
        changes["is_reference"] = bool(is_reference)
    if species is not None:
        found = await _find_species(ctx, species)
        changes.update(species_id=found.id, category_id=found.category_id)
    async with write_transaction(ctx.sessionmaker) as conn:
        brain = await _brain_to_change(conn, ctx, brain_id)
        if not changes:
            return await _brain_row(conn, brain.id)
        changes["updated_at"] = ctx.now()
        stmt = update(_brains).where(_brains.c.id == brain.id).values(changes)
        return (await conn.execute(stmt.returning(*_brains.c))).one()


async def _brain_row(conn: AsyncConnection, brain_id: int) -> Row[Any]:
    return (await conn.execute(select(_brains).where(_brains.c.id == brain_id))).one()


async def delete_brain(ctx: Context, *, brain_id: Any) -> None:
    """Delete a brain (its uploader or an admin) with the upload it came from, unless
    something else uses that upload; the stored content goes when no upload refers to it."""
    require_authenticated(ctx.principal)
    released: str | None = None
    async with write_transaction(ctx.sessionmaker) as conn:
        brain = await _brain_to_change(conn, ctx, brain_id)
        await conn.execute(delete(_brains).where(_brains.c.id == brain.id))
        if brain.file_id is not None:
            other_brain = exists().where(_brains.c.file_id == _uploads.c.id)
            orphaned = delete(_uploads).where(
                _uploads.c.id == brain.file_id,
                _uploads.c.session_id.is_(None),  # still a session's dataset: it stays
                ~other_brain,
            )
            gone = await conn.execute(orphaned.returning(_uploads.c.sha256))
            released = gone.scalar()
    if released is not None:
        await _storage(ctx).release(released, _referenced(ctx, released))


async def verify_brain(ctx: Context, *, brain_id: Any, verified: bool = True) -> Row[Any]:
    """Mark a brain verified (or not): reviewers and admins only. Unverified brains are
    hidden from everyone but their uploader, so reviewers find them by id."""
    try:
        require_reviewer(ctx.principal)
    except Forbidden:
        raise Forbidden("Only reviewers and administrators may verify brains.") from None
    stmt = (
        update(_brains)
        .where(_brains.c.id == _brain_id(brain_id))
        .values(verified=verified, updated_at=ctx.now())
        .returning(*_brains.c)
    )
    async with write_transaction(ctx.sessionmaker) as conn:
        row = (await conn.execute(stmt)).first()
    if row is None:
        raise NotFound("Brain not found.")
    return row


async def list_my_uploads(
    ctx: Context, *, limit: int | None = None, offset: int = 0, with_total: bool = False
) -> Page:
    """The caller's own uploads, newest first (BrainMaps' ``GET /api/file-uploads/``)."""
    uploader_id = require_authenticated(ctx.principal)
    spec = QuerySpec(
        where=Filter("uploader_id", "eq", uploader_id),
        window=Window(limit=ctx.settings.max_page_size if limit is None else limit, offset=offset),
    )
    return await list_rows(ctx, FILE_UPLOAD, spec, with_total=with_total)


async def open_download(ctx: Context, *, upload_id: Any) -> Download:
    """An upload the caller may see; missing and hidden uploads are the same NotFound."""
    row = await get_row(ctx, FILE_UPLOAD, "id", upload_id)
    return Download(row.id, row.sha256, row.size, row.name, row.content_type)


def open_content(ctx: Context, download: Download) -> Any:
    """The stored content of ``download``, open for reading (blocking: call it in a
    thread)."""
    try:
        return _storage(ctx).open(download.sha256)
    except FileNotFoundError:
        raise NotFound(f"{FILE_UPLOAD.name} not found.") from None  # as for a hidden upload
