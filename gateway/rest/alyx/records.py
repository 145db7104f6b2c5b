"""Alyx records from rows (DOMAIN.md §2): related rows named by slug (nickname, name,
username), absolute ``url`` fields without a trailing slash, ISO 8601 timestamps, and blank
fields as ``null``. Fields Alyx has and neurogate does not model are ``null`` (lists ``[]``).

Each relation is filled for a whole page at once through the request's loaders (which apply
the visibility rule), so a page costs the same few statements whatever its length; a related
row the caller may not see is left out.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import Row, Table

from gateway.db.models import (
    LabMembership,
    Laboratory,
    Project,
    ProjectMember,
    Session,
    SessionProject,
    SessionUser,
    Species,
    Strain,
    Subject,
    SubjectProject,
    User,
    table,
)
from resolvers.context import Context
from resolvers.datasets import datasets_of_sessions

Record = dict[str, Any]

RELATED_MAX = 10_000  # the most related names one record lists
QC_NAMES = {0: "NOT_SET", 10: "PASS", 30: "WARNING", 40: "FAIL", 50: "CRITICAL"}
DATA_REPOSITORY = "neurogate"

_NAME = ("name",)


def timestamp(value: datetime | None) -> str | None:
    """Stored naive UTC, sent as ISO 8601 with a ``Z`` (seed 003)."""
    return None if value is None else value.isoformat() + "Z"


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def blank(value: Any) -> Any:
    """Blank fields are null, never omitted and never ``""`` (seed 003)."""
    return None if value == "" else value


@dataclass(frozen=True)
class Urls:
    """Absolute URLs from the request's own base, without a trailing slash (DOMAIN.md §2.5)."""

    base: str

    def subject(self, nickname: str) -> str:
        return f"{self.base}/subjects/{quote(nickname, safe='')}"

    def session(self, key: Any) -> str:
        return f"{self.base}/sessions/{key}"

    def dataset(self, key: Any) -> str:
        return f"{self.base}/datasets/{key}"

    def file(self, upload_id: int, alf_path: str) -> str:
        return f"{self.base}/files/{upload_id}/{alf_path}"


async def _names(ctx: Context, tbl: Table, keys: Iterable[Any], column: str = "name") -> dict:
    """``column`` of the visible rows of ``tbl`` under ``keys``."""
    loaded = await ctx.loaders.by_key(tbl, columns=(column,)).fill(
        {k for k in keys if k is not None}
    )
    return {key: getattr(row, column) for key, row in loaded.items() if row is not None}


async def _children(
    ctx: Context, tbl: Table, parent: str, value: str, parents: Sequence[Hashable]
) -> dict[Hashable, list[Any]]:
    loader = ctx.loaders.children(
        tbl, (parent,), limit=RELATED_MAX, order_by=[tbl.c[value]], columns=(value,)
    )
    grouped = await loader.fill(parents)
    return {key: [getattr(child, value) for child in grouped[key]] for key in parents}


async def _project_ids(
    ctx: Context, rows: Sequence[Row[Any]], links: Table, link_key: str
) -> list[list[Any]]:
    """Each row's projects: its owner first, then the others it is linked to."""
    linked = await _children(ctx, links, link_key, "project_id", [row.id for row in rows])
    return [list(dict.fromkeys([row.project_id, *linked[row.id]])) for row in rows]


# --- sessions ----------------------------------------------------------------------------------


def start_time(row: Row[Any]) -> str | None:
    """A session without a start time shows when it was recorded, as Alyx defaults it: ONE
    parses every listed session's ``start_time`` and fails on a null one."""
    return timestamp(row.start_time or row.created_at)


@dataclass(frozen=True)
class _SessionNames:
    subjects: dict[Any, str]
    labs: dict[Any, str]
    projects: list[list[str]]


async def _session_names(ctx: Context, rows: Sequence[Row[Any]]) -> _SessionNames:
    project_ids = await _project_ids(ctx, rows, table(SessionProject), "session_id")
    names = await _names(ctx, table(Project), {p for ids in project_ids for p in ids})
    return _SessionNames(
        subjects=await _names(ctx, table(Subject), (r.subject_id for r in rows), "nickname"),
        labs=await _names(ctx, table(Laboratory), (r.lab_id for r in rows)),
        projects=[[names[p] for p in ids if p in names] for ids in project_ids],
    )


async def session_summaries(ctx: Context, urls: Urls, rows: Sequence[Row[Any]]) -> list[Record]:
    """The list representation (SessionListSerializer), in Alyx's field order."""
    names = await _session_names(ctx, rows)
    return [
        {
            "id": str(row.id),
            "subject": names.subjects.get(row.subject_id),
            "start_time": start_time(row),
            "number": row.number,
            "lab": names.labs.get(row.lab_id),
            "projects": projects,
            "url": urls.session(row.id),
            "task_protocol": blank(row.task_protocol),
        }
        for row, projects in zip(rows, names.projects, strict=True)
    ]


async def session_details(ctx: Context, urls: Urls, rows: Sequence[Row[Any]]) -> list[Record]:
    """The detail representation: the list fields plus Alyx's narrative, type, users, the
    session's datasets and the rest of SESSION_FIELDS."""
    names = await _session_names(ctx, rows)
    keys = [row.id for row in rows]
    user_ids = await _children(ctx, table(SessionUser), "session_id", "user_id", keys)
    usernames = await _names(
        ctx, table(User), {u for ids in user_ids.values() for u in ids}, "username"
    )
    datasets = await datasets_of_sessions(ctx, keys)
    records = []
    for row, projects in zip(rows, names.projects, strict=True):
        subject, lab = names.subjects.get(row.subject_id), names.labs.get(row.lab_id)
        records.append(
            {
                "subject": subject,
                "users": [usernames[u] for u in user_ids[row.id] if u in usernames],
                "location": None,
                "procedures": [],
                "lab": lab,
                "projects": projects,
                "type": blank(row.type),
                "task_protocol": blank(row.task_protocol),
                "number": row.number,
                "start_time": start_time(row),
                "end_time": timestamp(row.end_time),
                "narrative": blank(row.narrative),
                "parent_session": None,
                "n_correct_trials": row.n_correct_trials,
                "n_trials": row.n_trials,
                "url": urls.session(row.id),
                "extended_qc": None,
                "qc": QC_NAMES.get(row.qc, str(row.qc)),
                "wateradmin_session_related": [],
                "data_dataset_session_related": [
                    _nested_dataset(urls, upload, row, subject, lab) for upload in datasets[row.id]
                ],
                "auto_datetime": timestamp(row.updated_at),
                "id": str(row.id),
                "json": row.extra_fields or None,
                "probe_insertion": [],
                "field_of_view": [],
                "notes": [],
            }
        )
    return records


# --- datasets ----------------------------------------------------------------------------------


def alf_path(
    session: Row[Any] | None, subject: str | None, lab: str | None, upload: Row[Any]
) -> str:
    """Where ONE expects the file, ``[lab/Subjects/]subject/YYYY-MM-DD/NNN/collection/name``
    (ONE reads the session and the relative path off the data URL's path)."""
    when = (session.start_time or session.created_at) if session is not None else None
    number = session.number if session is not None and session.number is not None else 1
    parts = [
        *([lab, "Subjects"] if lab else []),
        subject or "unknown",
        (when or upload.created_at).date().isoformat(),
        f"{number:03d}",
        *([upload.collection] if upload.collection else []),
        upload.name,
    ]
    return "/".join(quote(part, safe="") for part in parts)


def _data_url(
    urls: Urls, upload: Row[Any], session: Row[Any] | None, subject: str | None, lab: str | None
) -> str:
    return urls.file(upload.id, alf_path(session, subject, lab, upload))


def _nested_dataset(
    urls: Urls, upload: Row[Any], session: Row[Any], subject: str | None, lab: str | None
) -> Record:
    """A dataset inside a session's detail (SessionDatasetsSerializer)."""
    return {
        "id": str(upload.uuid),
        "name": upload.name,
        "dataset_type": blank(upload.dataset_type),
        "data_url": _data_url(urls, upload, session, subject, lab),
        "url": urls.dataset(upload.uuid),
        "file_size": upload.size,
        "hash": upload.sha256,
        "version": None,
        "collection": blank(upload.collection),
        "revision": None,
        "default_revision": "True",  # a string: ONE compares it with 'True'
        "qc": "NOT_SET",
    }


def _data_format(name: str) -> str | None:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else None


async def datasets(ctx: Context, urls: Urls, uploads: Sequence[Row[Any]]) -> list[Record]:
    """Dataset records (DatasetSerializer: one representation for list and detail; no ``id``,
    which is ``url[-36:]``)."""
    sessions = await ctx.loaders.by_key(table(Session)).fill(
        {u.session_id for u in uploads if u.session_id is not None}
    )
    visible = [s for s in sessions.values() if s is not None]
    subjects = await _names(ctx, table(Subject), (s.subject_id for s in visible), "nickname")
    labs = await _names(ctx, table(Laboratory), (s.lab_id for s in visible))
    uploaders = await _names(ctx, table(User), (u.uploader_id for u in uploads), "username")
    records = []
    for upload in uploads:
        session = sessions.get(upload.session_id)
        subject = subjects.get(session.subject_id) if session is not None else None
        lab = labs.get(session.lab_id) if session is not None else None
        data_url = _data_url(urls, upload, session, subject, lab)
        records.append(
            {
                "url": urls.dataset(upload.uuid),
                "name": upload.name,
                "created_by": uploaders.get(upload.uploader_id),
                "created_datetime": timestamp(upload.created_at),
                "dataset_type": blank(upload.dataset_type),
                "data_format": _data_format(upload.name),
                "collection": blank(upload.collection),
                "session": urls.session(session.id) if session is not None else None,
                "file_size": upload.size,
                "hash": upload.sha256,
                "version": None,
                "experiment_number": session.number if session is not None else None,
                "file_records": [
                    {
                        "id": str(upload.uuid),
                        "data_repository": DATA_REPOSITORY,
                        "data_repository_path": f"{urls.base}/files",
                        "relative_path": data_url.removeprefix(f"{urls.base}/files/"),
                        "data_url": data_url,
                        "exists": True,
                    }
                ],
                "auto_datetime": timestamp(upload.created_at),
                "revision": None,
                "default_dataset": True,
                "protected": False,
                "public": False,
                "tags": [],
                "qc": "NOT_SET",
                "json": None,
            }
        )
    return records


# --- subjects ----------------------------------------------------------------------------------


def age_weeks(row: Row[Any], today: date) -> int | None:
    if row.birth_date is None:
        return None
    return ((row.death_date or today) - row.birth_date).days // 7


async def _session_projects(ctx: Context, rows: Sequence[Row[Any]]) -> list[list[Any]]:
    """The projects each subject's sessions belong to (Alyx's ``session_projects``)."""
    sessions = ctx.loaders.children(
        table(Session),
        ("subject_id",),
        limit=RELATED_MAX,
        order_by=[table(Session).c.id],
        columns=("id", "project_id"),
    )
    by_subject = await sessions.fill([row.id for row in rows])
    session_rows = [s for row in rows for s in by_subject[row.id]]
    linked = await _children(
        ctx, table(SessionProject), "session_id", "project_id", [s.id for s in session_rows]
    )
    return [
        list(dict.fromkeys(p for s in by_subject[row.id] for p in [s.project_id, *linked[s.id]]))
        for row in rows
    ]


async def subjects(
    ctx: Context, urls: Urls, rows: Sequence[Row[Any]], *, detail: bool = False
) -> list[Record]:
    """Subject records (SubjectListSerializer; the detail adds weighings, water
    administrations and the genotype as ``{allele, zygosity}`` items)."""
    own = await _project_ids(ctx, rows, table(SubjectProject), "subject_id")
    via_sessions = await _session_projects(ctx, rows)
    projects = await _names(ctx, table(Project), {p for ids in (*own, *via_sessions) for p in ids})
    users = await _names(ctx, table(User), (r.responsible_user_id for r in rows), "username")
    species = await _names(ctx, table(Species), (r.species_id for r in rows))
    strains = await _names(ctx, table(Strain), (r.strain_id for r in rows))
    labs = await _names(ctx, table(Laboratory), (r.lab_id for r in rows))
    today = ctx.now().date()
    records = []
    for row, own_ids, session_ids in zip(rows, own, via_sessions, strict=True):
        genotype: list[Any] = [row.genotype] if row.genotype else []
        record: Record = {
            "nickname": row.nickname,
            "url": urls.subject(row.nickname),
            "id": str(row.id),
            "responsible_user": users.get(row.responsible_user_id),
            "birth_date": day(row.birth_date),
            "age_weeks": age_weeks(row, today),
            "death_date": day(row.death_date),
            "species": species.get(row.species_id),
            "sex": row.sex,
            "litter": None,
            "strain": strains.get(row.strain_id),
            "source": None,
            "line": blank(row.genetic_line),
            "projects": [projects[p] for p in own_ids if p in projects],
            "session_projects": [projects[p] for p in session_ids if p in projects],
            "lab": labs.get(row.lab_id),
            "genotype": genotype,
            "description": blank(row.description),
            "alive": row.death_date is None,
            "reference_weight": None,
            "last_water_restriction": None,
            "expected_water": None,
            "remaining_water": None,
            "json": row.extra_fields or None,
        }
        if detail:
            record["genotype"] = [{"allele": g, "zygosity": None} for g in genotype]
            record["weighings"] = []
            record["water_administrations"] = []
        records.append(record)
    return records


# --- labs, projects and users (read-only) ------------------------------------------------------


async def labs(ctx: Context, urls: Urls, rows: Sequence[Row[Any]]) -> list[Record]:
    """LabSerializer's fields; repositories and weight percentages are not modelled."""
    return [
        {
            "name": row.name,
            "institution": blank(row.institution),
            "address": blank(row.address),
            "timezone": blank(row.timezone),
            "repositories": [],
            "reference_weight_pct": None,
            "zscore_weight_pct": None,
            "json": row.json_data or None,
        }
        for row in rows
    ]


async def projects(ctx: Context, urls: Urls, rows: Sequence[Row[Any]]) -> list[Record]:
    """ProjectSerializer's fields: name, description and the members' usernames."""
    members = await _children(
        ctx, table(ProjectMember), "project_id", "user_id", [r.id for r in rows]
    )
    names = await _names(ctx, table(User), {u for ids in members.values() for u in ids}, "username")
    return [
        {
            "name": row.name,
            "description": blank(row.description),
            "users": [names[u] for u in members[row.id] if u in names],
        }
        for row in rows
    ]


async def users(ctx: Context, urls: Urls, rows: Sequence[Row[Any]]) -> list[Record]:
    """UserSerializer's fields. The email address is not shown: no surface exposes it."""
    keys = [row.id for row in rows]
    subjects = await _children(ctx, table(Subject), "responsible_user_id", "nickname", keys)
    lab_ids = await _children(ctx, table(LabMembership), "user_id", "lab_id", keys)
    lab_names = await _names(ctx, table(Laboratory), {k for ids in lab_ids.values() for k in ids})
    return [
        {
            "id": row.id,
            "username": row.username,
            "email": None,
            "subjects_responsible": subjects[row.id],
            "lab": [lab_names[k] for k in lab_ids[row.id] if k in lab_names],
            "allowed_users": [],
            "is_stock_manager": False,
        }
        for row in rows
    ]
