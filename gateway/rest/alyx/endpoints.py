"""The Alyx endpoints neurogate serves, declared once: their lookup key, filters, records and
writes. The routes (:mod:`.routes`) and the OpenAPI document ONE reads (:mod:`.openapi`)
are both built from these declarations, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row

from gateway.rest.alyx import records, writes
from gateway.rest.alyx.query import (
    DATASET_FILTERS,
    LAB_FILTERS,
    MAX_LIMIT,
    PROJECT_FILTERS,
    SESSION_FILTERS,
    SUBJECT_FILTERS,
    USER_FILTERS,
    Listing,
    typed,
)
from gateway.rest.alyx.records import Record, Urls
from resolvers import catalog, datasets, experiments
from resolvers.context import Context
from resolvers.experiments import Mode
from resolvers.listing import Page, get_row, list_rows
from resolvers.query import QuerySpec

Render = Callable[[Context, Urls, Sequence[Row[Any]]], Awaitable[list[Record]]]


@dataclass(frozen=True)
class Writes:
    """How an endpoint creates, changes and deletes records (through the resolvers)."""

    fields: writes.Fields
    create: Callable[[Context, Mapping[str, Any]], Awaitable[Row[Any]]]
    update: Callable[[Context, Row[Any], Mapping[str, Any], Mode], Awaitable[Row[Any]]]
    delete: Callable[[Context, Row[Any]], Awaitable[None]]


@dataclass(frozen=True)
class Endpoint:
    name: str  # the first path segment, which ONE takes as the endpoint's name
    key: str  # the path parameter of one record
    key_format: str | None  # its OpenAPI string format ("uuid"), if any
    description: str
    filters: Listing
    list: Callable[[Context, QuerySpec], Awaitable[Page]]
    get: Callable[[Context, str], Awaitable[Row[Any]]]
    summaries: Render
    details: Render
    writes: Writes | None = None

    @property
    def record_name(self) -> str:
        return self.name[:-1].capitalize()  # "subjects" -> "Subject"


# --- subjects, by nickname ---------------------------------------------------------------------


async def _list_subjects(ctx: Context, spec: QuerySpec) -> Page:
    return await list_rows(ctx, catalog.SUBJECT, spec, max_page_size=MAX_LIMIT)


async def _get_subject(ctx: Context, nickname: str) -> Row[Any]:
    return await get_row(ctx, catalog.SUBJECT, "nickname", nickname)


async def _subject_summaries(ctx: Context, urls: Urls, rows: Sequence[Row[Any]]) -> list[Record]:
    return await records.subjects(ctx, urls, rows)


async def _subject_details(ctx: Context, urls: Urls, rows: Sequence[Row[Any]]) -> list[Record]:
    return await records.subjects(ctx, urls, rows, detail=True)


async def _create_subject(ctx: Context, values: Mapping[str, Any]) -> Row[Any]:
    return await experiments.create_subject(ctx, values=values)


async def _update_subject(
    ctx: Context, row: Row[Any], values: Mapping[str, Any], mode: Mode
) -> Row[Any]:
    return await experiments.update_subject(ctx, subject_id=row.id, values=values, mode=mode)


async def _delete_subject(ctx: Context, row: Row[Any]) -> None:
    await experiments.delete_subject(ctx, subject_id=row.id)


SUBJECTS = Endpoint(
    name="subjects",
    key="nickname",
    key_format=None,
    description="Experimental animals, looked up by nickname.",
    filters=SUBJECT_FILTERS,
    list=_list_subjects,
    get=_get_subject,
    summaries=_subject_summaries,
    details=_subject_details,
    writes=Writes(writes.SUBJECT, _create_subject, _update_subject, _delete_subject),
)


# --- sessions, by UUID -------------------------------------------------------------------------


async def _list_sessions(ctx: Context, spec: QuerySpec) -> Page:
    return await list_rows(ctx, catalog.SESSION, spec, max_page_size=MAX_LIMIT)


async def _get_session(ctx: Context, key: str) -> Row[Any]:
    return await get_row(ctx, catalog.SESSION, "id", typed(catalog.SESSION, "id", "id", key))


async def _create_session(ctx: Context, values: Mapping[str, Any]) -> Row[Any]:
    return await experiments.create_session(ctx, values=values)


async def _update_session(
    ctx: Context, row: Row[Any], values: Mapping[str, Any], mode: Mode
) -> Row[Any]:
    return await experiments.update_session(ctx, session_id=row.id, values=values, mode=mode)


async def _delete_session(ctx: Context, row: Row[Any]) -> None:
    await experiments.delete_session(ctx, session_id=row.id)


SESSIONS = Endpoint(
    name="sessions",
    key="id",
    key_format="uuid",
    description="Experiment sessions, newest first; the detail lists the session's datasets.",
    filters=SESSION_FILTERS,
    list=_list_sessions,
    get=_get_session,
    summaries=records.session_summaries,
    details=records.session_details,
    writes=Writes(writes.SESSION, _create_session, _update_session, _delete_session),
)


# --- datasets, by UUID (read-only: files are registered by uploading them) ---------------------


async def _list_datasets(ctx: Context, spec: QuerySpec) -> Page:
    return await datasets.list_datasets(ctx, spec, max_page_size=MAX_LIMIT)


async def _get_dataset(ctx: Context, key: str) -> Row[Any]:
    return await datasets.get_dataset(ctx, typed(catalog.FILE_UPLOAD, "uuid", "id", key))


DATASETS = Endpoint(
    name="datasets",
    key="id",
    key_format="uuid",
    description="Files registered to sessions. A record's id is the last 36 characters of url.",
    filters=DATASET_FILTERS,
    list=_list_datasets,
    get=_get_dataset,
    summaries=records.datasets,
    details=records.datasets,
)


# --- labs and projects by name, users by username (read-only) ----------------------------------


def _by_name(entity: Any, key: str) -> tuple[Any, Any]:
    async def list_(ctx: Context, spec: QuerySpec) -> Page:
        return await list_rows(ctx, entity, spec, max_page_size=MAX_LIMIT)

    async def get(ctx: Context, value: str) -> Row[Any]:
        return await get_row(ctx, entity, key, value)

    return list_, get


def _read_only(name: str, key: str, description: str, filters: Listing, render: Render) -> Endpoint:
    list_, get = _by_name(filters.entity, key)
    return Endpoint(name, key, None, description, filters, list_, get, render, render)


LABS = _read_only("labs", "name", "Laboratories, by name.", LAB_FILTERS, records.labs)
PROJECTS = _read_only(
    "projects", "name", "Projects, by name, with their members.", PROJECT_FILTERS, records.projects
)
USERS = _read_only("users", "username", "Users, by username.", USER_FILTERS, records.users)

ENDPOINTS = (SUBJECTS, SESSIONS, DATASETS, LABS, PROJECTS, USERS)

# ``/users/{username}/actions?type=``: the action types Alyx has. Sessions are the one kind
# neurogate records ("experiment", the seed's example, and "session"); the others answer an
# empty page.
SESSION_ACTIONS = frozenset({"experiment", "session"})
ACTION_TYPES = (
    *sorted(SESSION_ACTIONS),
    "weighing",
    "water_administration",
    "water_restriction",
    "surgery",
    "procedure",
)
