"""Registering files as datasets of a session (Alyx's ``register-file``) and finding the bytes
of a registered dataset to serve them (DOMAIN.md §1.13).

A session's files are named as ONE names them: ``path`` is ``subject/YYYY-MM-DD/NNN`` and
each file name is relative to it (``[collection/][#revision#/]object.attribute.ext``). The
repository they are in is either a directory the settings name (``NEUROGATE_DATA_DIRECTORIES``:
the file is ``<directory>/<lab>/Subjects/<path>/<file>``, read where it is) or the gateway's
own storage (the file is one of the caller's uploads of that name and size, which becomes the
dataset). Either way the content is hashed here, so a dataset's md5 and size are what ONE will
download; a hash the client sent that differs is a 400, before anything is written.

A dataset registered again (same session, collection, revision and name) is updated, as Alyx
patches it, unless a protected tag holds it (Alyx's 403).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

import anyio
from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.auth.permissions import editable, require_authenticated
from gateway.auth.visibility import visible
from gateway.db.engine import write_transaction
from gateway.db.models import (
    DataFormat,
    DataRepository,
    DatasetTag,
    DatasetType,
    FileRecord,
    FileUpload,
    Laboratory,
    Revision,
    Session,
    SessionUser,
    Subject,
    Tag,
    User,
    table,
)
from gateway.db.models.alyx_data import STORAGE_REPOSITORY
from gateway.errors import BadRequest, Forbidden
from gateway.storage import Storage
from resolvers.alf_names import AlfName, dataset_type_of, parse_file
from resolvers.context import Context
from resolvers.data_files import lab_path

_types, _formats, _repositories = table(DatasetType), table(DataFormat), table(DataRepository)
_records, _uploads, _revisions = table(FileRecord), table(FileUpload), table(Revision)
_sessions, _subjects, _labs = table(Session), table(Subject), table(Laboratory)
_users, _session_users = table(User), table(SessionUser)
_tags, _dataset_tags = table(Tag), table(DatasetTag)

_SESSION_PATH = re.compile(r"(?P<subject>[\w.-]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<number>\d{1,3})")
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileToRegister:
    name: str  # as ONE sends it: relative to the session folder
    md5: str | None
    size: int | None
    version: str


@dataclass(frozen=True)
class Content:
    """What the bytes of a file are: their hashes and size."""

    md5: str
    sha256: str
    size: int


def hash_file(path: Path) -> Content:
    """The md5, sha256 and size of a file (blocking: call it in a thread)."""
    md5, sha256, size = hashlib.md5(usedforsecurity=False), hashlib.sha256(), 0
    with path.open("rb") as file:
        while chunk := file.read(_HASH_CHUNK):
            md5.update(chunk)
            sha256.update(chunk)
            size += len(chunk)
    return Content(md5.hexdigest(), sha256.hexdigest(), size)


async def _one(conn: AsyncConnection, stmt: Any) -> Row[Any] | None:
    return (await conn.execute(stmt)).first()


async def _repository(conn: AsyncConnection, name: str | None, hostname: str | None) -> Row[Any]:
    if name or hostname:
        column = _repositories.c.name if name else _repositories.c.hostname
        found = await _one(conn, select(_repositories).where(column == (name or hostname)))
        if found is None:
            raise BadRequest("The specified repository does not exist.")
        return found
    found = await _one(
        conn, select(_repositories).where(_repositories.c.name == STORAGE_REPOSITORY)
    )
    if found is not None:
        return found
    await conn.execute(insert(_repositories).values(id=uuid.uuid4(), name=STORAGE_REPOSITORY))
    return await _repository(conn, STORAGE_REPOSITORY, None)


def session_path(path: str) -> re.Match[str]:
    """``subject/YYYY-MM-DD/NNN`` at the start of ``path`` (Alyx's ``_parse_path``); a 400
    as Alyx's for anything else."""
    cleaned = path.replace("\\", "/").replace("//", "/").strip("/")
    match = _SESSION_PATH.match(cleaned)
    if match is None or cleaned[match.end() : match.end() + 1] not in ("", "/"):
        raise BadRequest(f"The path {path} should be `nickname/YYYY-MM-DD/n/...")
    return match


async def visible_session(ctx: Context, conn: AsyncConnection, path: re.Match[str]) -> Row[Any]:
    """The session ``path`` names, which the caller may see: a missing subject or session
    and a hidden one are the same 400."""
    nickname, day, number = path["subject"], path["date"], int(path["number"])
    subjects = select(_subjects.c.id).where(_subjects.c.nickname == nickname)
    if (subject_rule := visible(_subjects, ctx.principal)) is not None:
        subjects = subjects.where(subject_rule)
    subject = await _one(conn, subjects)
    if subject is None:
        raise BadRequest(f'A subject with nickname "{nickname}" does not exist.')
    first = datetime.fromisoformat(day)
    when = func.coalesce(_sessions.c.start_time, _sessions.c.created_at)
    stmt = (
        select(_sessions.c.id, _sessions.c.lab_id, _labs.c.name.label("lab_name"))
        .outerjoin(_labs, _labs.c.id == _sessions.c.lab_id)
        .where(
            _sessions.c.subject_id == subject.id,
            _sessions.c.number == number,
            when >= first,
            when < first + timedelta(days=1),
        )
        .order_by(_sessions.c.created_at)
    )
    if (rule := visible(_sessions, ctx.principal)) is not None:
        stmt = stmt.where(rule)
    found = await _one(conn, stmt)
    if found is None:
        raise BadRequest(
            f"A session for {nickname}/{number} on {day} does not exist."
        )
    return found


async def _session(ctx: Context, conn: AsyncConnection, path: str) -> Row[Any]:
    """The session ``subject/date/number`` names, which the caller may change."""
    match = session_path(path)
    if match.end() != len(match.string):
        raise BadRequest(f"The path {path} should be `nickname/YYYY-MM-DD/n/...")
    found = await visible_session(ctx, conn, match)
    may_change = editable(_sessions, ctx.principal)
    if may_change is not None and await _one(
        conn, select(_sessions.c.id).where(_sessions.c.id == found.id, may_change)
    ) is None:
        raise Forbidden("You may not register files to this session.")
    return found


def _check(content: Content, file: FileToRegister, where: str) -> None:
    if file.size is not None and file.size != content.size:
        raise BadRequest(
            f"{where} is {content.size} bytes, not {file.size}."
        )
    if file.md5 and file.md5.lower() != content.md5:
        raise BadRequest(f"{where} has md5 {content.md5}, not {file.md5}.")


async def _directory_content(directory: Path, place: str, file: FileToRegister) -> Content:
    path = directory / place
    if not path.is_file():
        raise BadRequest(f"{place} is not in the repository.")
    content = await anyio.to_thread.run_sync(hash_file, path)
    _check(content, file, place)
    return content


async def _upload_to_register(
    ctx: Context, conn: AsyncConnection, user_id: int, filename: str, file: FileToRegister
) -> tuple[Row[Any], Content]:
    """The caller's own upload (not yet a dataset) that is this file: same name and size, and
    the md5 the client computed."""
    stmt = (
        select(_uploads)
        .where(
            _uploads.c.uploader_id == user_id,
            _uploads.c.session_id.is_(None),
            _uploads.c.name == filename,
        )
        .order_by(_uploads.c.created_at.desc(), _uploads.c.id.desc())
        .limit(20)
    )
    if file.size is not None:
        stmt = stmt.where(_uploads.c.size == file.size)
    storage = Storage.from_settings(ctx.settings)
    for row in (await conn.execute(stmt)).all():
        try:
            content = await anyio.to_thread.run_sync(hash_file, storage.content_path(row.sha256))
        except FileNotFoundError:
            continue
        if not file.md5 or file.md5.lower() == content.md5:
            return row, content
    raise BadRequest(
        f"No upload of yours is {filename} ({file.size} bytes, md5 {file.md5}): upload it "
        "first (POST /api/file-uploads/ or GraphQL uploadFile), then register it.",
    )


async def _revision_id(ctx: Context, conn: AsyncConnection, name: str) -> uuid.UUID | None:
    if not name:
        return None
    found = await _one(conn, select(_revisions.c.id).where(_revisions.c.name == name))
    if found is not None:
        return found.id  # type: ignore[no-any-return]
    new = uuid.uuid4()
    await conn.execute(insert(_revisions).values(id=new, name=name, created_at=ctx.now()))
    return new


async def register_files(
    ctx: Context,
    *,
    path: str,
    files: Sequence[FileToRegister],
    repository: str | None = None,
    hostname: str | None = None,
    created_by: str | None = None,
    exists: bool = True,
    default: bool = True,
) -> list[dict[str, Any]]:
    """Alyx's ``register-file``: each file a dataset of the session ``path`` names, with a
    file record in the repository; the registered datasets as Alyx describes them."""
    user_id = require_authenticated(ctx.principal)
    if not files:
        raise BadRequest("No file names to register.")
    async with write_transaction(ctx.sessionmaker) as conn:
        if created_by:
            creator = await _one(conn, select(_users).where(_users.c.username == created_by))
            if creator is None:
                raise BadRequest(f'User "{created_by}" does not exist.')
            if creator.id != user_id and not ctx.principal.is_admin:
                raise Forbidden("Only an administrator registers files as another user.")
            user_id = creator.id
        repo = await _repository(conn, repository, hostname)
        session = await _session(ctx, conn, path)
        directory = ctx.settings.data_directory(repo.name)
        if repo.data_url and directory is None:
            raise BadRequest(
                f"Repository {repo.name} is served elsewhere ({repo.data_url}): the gateway "
                "registers files it serves (its storage, or a directory its settings name).",
            )
        types = (await conn.execute(select(_types))).all()
        rel_dir = _SESSION_PATH.match(path.replace("\\", "/").strip("/"))
        assert rel_dir is not None
        session_path = rel_dir.group(0)
        answer = []
        for file in files:
            parsed = parse_file(file.name)
            dtype = dataset_type_of(parsed.filename, types)
            relative = "/".join(
                part
                for part in (
                    session_path,
                    parsed.collection,
                    f"#{parsed.revision}#" if parsed.revision else "",
                    parsed.filename,
                )
                if part
            )
            answer.append(
                await _register_one(
                    ctx, conn, session, repo, directory, user_id, file, parsed, dtype.name,
                    relative, exists=exists, default=default,
                )
            )
        return answer


async def _register_one(
    ctx: Context,
    conn: AsyncConnection,
    session: Row[Any],
    repo: Row[Any],
    directory: Path | None,
    user_id: int,
    file: FileToRegister,
    parsed: AlfName,
    dataset_type: str,
    relative: str,
    *,
    exists: bool,
    default: bool,
) -> dict[str, Any]:
    revision_id = await _revision_id(ctx, conn, parsed.revision)
    same = select(_uploads).where(
        _uploads.c.session_id == session.id,
        _uploads.c.collection == parsed.collection,
        _uploads.c.name == parsed.filename,
        _uploads.c.revision_id.is_(None)
        if revision_id is None
        else _uploads.c.revision_id == revision_id,
    )
    existing = await _one(conn, same)
    if existing is not None:
        protected = await _one(
            conn,
            select(_tags.c.id)
            .join(_dataset_tags, _dataset_tags.c.tag_id == _tags.c.id)
            .where(_dataset_tags.c.dataset_id == existing.id, _tags.c.protected.is_(True)),
        )
        if protected is not None:
            raise Forbidden(f"Dataset {existing.uuid} is protected, cannot patch")
    if directory is not None:
        content = await _directory_content(directory, lab_path(session.lab_name, relative), file)
        upload = None
    else:
        upload, content = await _upload_to_register(ctx, conn, user_id, parsed.filename, file)
    if default:
        await conn.execute(
            update(_uploads)
            .where(
                _uploads.c.session_id == session.id,
                _uploads.c.collection == parsed.collection,
                _uploads.c.name == parsed.filename,
            )
            .values(default_dataset=False)
        )
    values = {
        "sha256": content.sha256,
        "size": content.size,
        "md5": content.md5,
        "dataset_type": dataset_type,
        "collection": parsed.collection,
        "version": file.version,
        "revision_id": revision_id,
        "default_dataset": default,
        "session_id": session.id,
        "uploader_id": user_id,
    }
    if existing is not None:
        dataset_id = existing.id
        await conn.execute(update(_uploads).where(_uploads.c.id == dataset_id).values(values))
        if upload is not None:  # its content is now the dataset's
            await conn.execute(_uploads.delete().where(_uploads.c.id == upload.id))
    elif upload is not None:
        dataset_id = upload.id
        await conn.execute(update(_uploads).where(_uploads.c.id == dataset_id).values(values))
    else:
        dataset_id = (
            await conn.execute(
                insert(_uploads)
                .values(name=parsed.filename, created_at=ctx.now(), **values)
                .returning(_uploads.c.id)
            )
        ).scalar_one()
    record = await _one(
        conn,
        select(_records).where(
            _records.c.data_repository_id == repo.id, _records.c.relative_path == relative
        ),
    )
    if record is None:
        await conn.execute(
            insert(_records).values(
                id=uuid.uuid4(),
                dataset_id=dataset_id,
                data_repository_id=repo.id,
                relative_path=relative,
                exists=exists,
                created_at=ctx.now(),
            )
        )
    elif record.dataset_id != dataset_id:
        raise BadRequest(
            f'A file record for "{relative}" already exists on repository "{repo.name}" '
            "for a different dataset.",
        )
    else:
        await conn.execute(
            update(_records)
            .where(_records.c.id == record.id)
            .values(exists=exists, json_data=None)
        )
    return await _response(conn, dataset_id)


async def _response(conn: AsyncConnection, dataset_id: int) -> dict[str, Any]:
    """A registered dataset as Alyx's ``register-file`` answers it."""
    row = (
        await conn.execute(
            select(
                _uploads,
                _subjects.c.nickname,
                _users.c.username,
                _sessions.c.number,
                _sessions.c.start_time,
                _revisions.c.name.label("revision_name"),
            )
            .join(_sessions, _sessions.c.id == _uploads.c.session_id)
            .outerjoin(_subjects, _subjects.c.id == _sessions.c.subject_id)
            .join(_users, _users.c.id == _uploads.c.uploader_id)
            .outerjoin(_revisions, _revisions.c.id == _uploads.c.revision_id)
            .where(_uploads.c.id == dataset_id)
        )
    ).one()
    experimenters = (
        await conn.execute(
            select(_users.c.username)
            .join(_session_users, _session_users.c.user_id == _users.c.id)
            .where(_session_users.c.session_id == row.session_id)
            .order_by(_users.c.username)
        )
    ).scalars()
    records = (
        await conn.execute(
            select(_records, _repositories.c.name.label("repository"))
            .join(_repositories, _repositories.c.id == _records.c.data_repository_id)
            .where(_records.c.dataset_id == dataset_id)
            .order_by(_records.c.created_at)
        )
    ).all()
    extension = PurePosixPath(row.name).suffix
    data_format = await _one(
        conn, select(_formats.c.name).where(_formats.c.file_extension == extension)
    )
    return {
        "id": str(row.uuid),
        "name": row.name,
        "file_size": row.size,
        "subject": row.nickname,
        "created_by": row.username,
        "created_datetime": row.created_at.isoformat(),
        "dataset_type": row.dataset_type,
        "data_format": data_format.name if data_format else "unknown",
        "session": str(row.session_id),
        "session_number": row.number,
        "session_users": ",".join(experimenters),
        "session_start_time": None if row.start_time is None else row.start_time.isoformat(),
        "collection": row.collection,
        "revision": row.revision_name or "",
        "default": row.default_dataset,
        "qc": 0,
        "file_records": [
            {
                "id": str(r.id),
                "data_repository": r.repository,
                "relative_path": r.relative_path,
                "exists": r.exists,
            }
            for r in records
        ],
    }
