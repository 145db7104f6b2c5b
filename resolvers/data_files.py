"""Where a registered dataset's bytes are (DOMAIN.md §1.13): the file a data URL names, in a
repository the gateway serves, for a caller who may see its dataset; and the notes a client
keeps on a file record (ONE flags a hash mismatch there)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.auth.permissions import editable, require_authenticated
from gateway.auth.visibility import visible
from gateway.db.engine import read_connection, write_transaction
from gateway.db.models import (
    DataRepository,
    FileRecord,
    FileUpload,
    Laboratory,
    Session,
    table,
)
from gateway.errors import BadRequest, Forbidden, NotFound
from gateway.storage import Storage
from resolvers.context import Context

_records, _uploads, _repositories = table(FileRecord), table(FileUpload), table(DataRepository)
_sessions, _labs = table(Session), table(Laboratory)


def lab_path(lab: str | None, relative_path: str) -> str:
    """Where a gateway-served repository keeps a file: Alyx's server layout, by lab."""
    return f"{lab}/Subjects/{relative_path}" if lab else relative_path



_UUID_IN_NAME = re.compile(
    r"\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(\.[^./]+)?$", re.I
)


@dataclass(frozen=True)
class DataFile:
    """A registered dataset's bytes, found: where they are and what they should be."""

    path: Path
    name: str
    size: int
    md5: str
    sha256: str


def split_data_path(path: str) -> tuple[str, uuid.UUID]:
    """``lab/Subjects/…/name.<uuid>.ext`` as its path without the UUID, and the UUID."""
    match = _UUID_IN_NAME.search(path)
    if match is None:
        raise NotFound("Not found.")
    return path[: match.start()] + (match.group(2) or ""), uuid.UUID(match.group(1))


async def find_data_file(ctx: Context, *, path: str) -> DataFile:
    """The bytes a data URL names (in any repository the gateway serves), for a caller who may
    see its dataset; missing, hidden and misplaced files are the same :class:`NotFound`."""
    wanted, key = split_data_path(path)
    seen = visible(_uploads, ctx.principal)
    stmt = (
        select(
            _uploads.c.name,
            _uploads.c.size,
            _uploads.c.md5,
            _uploads.c.sha256,
            _records.c.relative_path,
            _repositories.c.name.label("repository"),
            _labs.c.name.label("lab_name"),
        )
        .join(_records, _records.c.dataset_id == _uploads.c.id)
        .join(_repositories, _repositories.c.id == _records.c.data_repository_id)
        .join(_sessions, _sessions.c.id == _uploads.c.session_id)
        .outerjoin(_labs, _labs.c.id == _sessions.c.lab_id)
        .where(
            _uploads.c.uuid == key,
            _repositories.c.data_url == "",
            _records.c.exists.is_(True),
        )
    )
    async with read_connection(ctx.sessionmaker) as conn:
        rows = (await conn.execute(stmt if seen is None else stmt.where(seen))).all()
    found = next((r for r in rows if lab_path(r.lab_name, r.relative_path) == wanted), None)
    if found is None:
        raise NotFound("Not found.")
    directory = ctx.settings.data_directory(found.repository)
    if directory is not None:
        where = directory / wanted
    else:
        where = Storage.from_settings(ctx.settings).content_path(found.sha256)
    return DataFile(where, found.name, found.size, found.md5, found.sha256)


# --- file records: ONE notes a hash mismatch on one; no other change is made here -------------


async def _editable_record(ctx: Context, conn: AsyncConnection, record_id: Any) -> Row[Any]:
    stmt = select(_records).where(_records.c.id == record_id)
    if (seen := visible(_records, ctx.principal)) is not None:
        stmt = stmt.where(seen)
    record = (await conn.execute(stmt)).first()
    if record is None:
        raise NotFound("Not found.")
    rule = editable(_records, ctx.principal)
    if rule is not None:
        mine = select(_records.c.id).where(_records.c.id == record_id, rule)
        if (await conn.execute(mine)).first() is None:
            raise Forbidden("You may not change this file record.")
    return record


async def create_file_record(ctx: Context, values: Any) -> Row[Any]:
    require_authenticated(ctx.principal)
    raise BadRequest("File records are made by registering files (POST /register-file).")


async def update_file_record(
    ctx: Context, record_id: Any, values: Any, mode: Any
) -> Row[Any]:
    """A file record's ``json`` notes and ``exists`` flag, by whoever may change its dataset."""
    require_authenticated(ctx.principal)
    async with write_transaction(ctx.sessionmaker) as conn:
        await _editable_record(ctx, conn, record_id)
        if values:
            await conn.execute(
                update(_records).where(_records.c.id == record_id).values(dict(values))
            )
        return (await conn.execute(select(_records).where(_records.c.id == record_id))).one()


async def delete_file_record(ctx: Context, record_id: Any) -> None:
    require_authenticated(ctx.principal)
    async with write_transaction(ctx.sessionmaker) as conn:
        await _editable_record(ctx, conn, record_id)
        await conn.execute(_records.delete().where(_records.c.id == record_id))
