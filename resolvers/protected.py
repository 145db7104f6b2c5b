"""Whether registering files would overwrite a protected dataset (Alyx's ``check-protected``,
which ONE's ``RegistrationClient.check_protected_files`` asks before registering).

A file names its session's folder, collection and name as in ``register-file``; the datasets it
would overwrite are that session's datasets of the same collection and name, of every revision
(the latest revision first, none last), as Alyx's ``_check_dataset_protected`` finds them. One
is protected when a protected tag is on it. Only datasets the caller may see are told about.
Unlike Alyx, which adds the caller to the session's users on this read, nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exists, select

from gateway.auth.permissions import require_authenticated
from gateway.auth.visibility import visible
from gateway.db.engine import read_connection
from gateway.db.models import DatasetTag, FileUpload, Revision, Tag, User, table
from gateway.errors import BadRequest
from resolvers.alf_names import parse_file
from resolvers.context import Context
from resolvers.registration import session_path, visible_session

_uploads, _revisions, _users = table(FileUpload), table(Revision), table(User)
_tags, _dataset_tags = table(Tag), table(DatasetTag)


@dataclass(frozen=True)
class FileProtection:
    """One file asked about: each dataset it would overwrite, as (revision name, protected)."""

    name: str
    datasets: tuple[tuple[str, bool], ...]

    @property
    def protected(self) -> bool:
        return any(protected for _, protected in self.datasets)


async def protected_files(
    ctx: Context, *, path: str, filenames: Sequence[str], created_by: str | None = None
) -> list[FileProtection]:
    """For each of ``filenames`` (relative to ``path``, ``subject/YYYY-MM-DD/NNN[/folders]``)
    the datasets registering it would overwrite and whether each is protected."""
    require_authenticated(ctx.principal)
    match = session_path(path)
    folders = match.string[match.end() :].strip("/")
    names = [parse_file(f"{folders}/{name}" if folders else name) for name in filenames]
    protected = exists().where(
        _dataset_tags.c.dataset_id == _uploads.c.id,
        _tags.c.id == _dataset_tags.c.tag_id,
        _tags.c.protected.is_(True),
    )
    seen = visible(_uploads, ctx.principal)
    async with read_connection(ctx.sessionmaker) as conn:
        if created_by:
            user = select(_users.c.id).where(_users.c.username == created_by)
            if (await conn.execute(user)).first() is None:
                raise BadRequest(f'User "{created_by}" does not exist.')
        session = await visible_session(ctx, conn, match)
        answer = []
        for asked, name in zip(filenames, names, strict=True):
            stmt = (
                select(_revisions.c.name.label("revision"), protected.label("protected"))
                .outerjoin(_revisions, _revisions.c.id == _uploads.c.revision_id)
                .where(
                    _uploads.c.session_id == session.id,
                    _uploads.c.collection == name.collection,
                    _uploads.c.name == name.filename,
                )
                .order_by(_revisions.c.created_at.desc().nulls_last(), _uploads.c.id)
            )
            rows = (await conn.execute(stmt if seen is None else stmt.where(seen))).all()
            datasets = tuple((row.revision or "", bool(row.protected)) for row in rows)
            answer.append(FileProtection(asked, datasets))
    return answer
