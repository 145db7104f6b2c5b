"""The REST shim over HTTP, each request against its raw floor measured in the same run.

One SQLite database, migrated by the project's own code: 12 labs, 240 users, 300 projects (one
in six private), 6,000 subjects, 60,000 sessions (some of both linked to a second project), and
a synthetic connectome (the project's generator, imported by ``neurogate import-connectome``).
Runs, as an anonymous caller on the public portal, except Alyx's (below):

* BrainSTEM ``GET /api/public/stem/session/?include[]=projects.*&limit=100``. The issue asked
  for ``include[]=subject.*``, which the gateway refuses with a 400: BrainSTEM sessions have no
  ``subject`` field (DOMAIN.md §1.2: the link goes through ``behavior.subjects``), so a session
  page's include is its one modelled relation, ``projects`` (each embedded project lists its
  sessions' and subjects' ids, as BrainSTEM does);
* BrainSTEM ``GET /api/public/stem/subject/?include[]=species.*&limit=100``: a to-one include,
  the join the issue had in mind;
* Alyx ``GET /sessions?limit=100``: the summary records ONE lists, signed in (seed 003: Alyx
  answers anonymous callers 403) as a lab member with a personal token, so the floor applies
  the signed-in rule: a session (and its subject) is seen with a public project or one the
  caller is a member of, or as a session of the caller's lab (a subject also by its
  responsible user); its projects are those the caller sees;
* BrainCircuits ``POST /circuit/segment/property/connectivity`` for 100 segments spread over
  the degree ranking (hubs included): every partner, both directions;
* BrainSTEM's session page with the four default includes of the client's ``load_session``,
  on SQLite and on PostgreSQL (:mod:`bench.rest_includes`). Each session holds a behavior, a
  data acquisition and a manipulation, each subject an implant they name.

Gateway: a live uvicorn serving ``gateway.app:create_app`` (``--factory``), rate limits out of
the way. Floor: a plain Starlette app (:func:`create_floor_app`) in a live uvicorn with the same
options, answering each request with ONE SQL statement through aiosqlite (the gateway's
visibility rule, order, window and count), rows turned into the family's dicts, orjson. Both
answers are compared record by record, every field, before anything is timed. Then one
keep-alive httpx client sends warm-up rounds and ``REPS`` rounds of one request to each server,
alternating which goes first so the machine's noise hits both alike.

Run with ``python -m bench rest``. ``NEUROGATE_BENCH_PROFILE=1`` also prints a cProfile of each
gateway request served in process (``httpx.ASGITransport``).
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import io
import os
import pstats
import random
import shutil
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import httpx
import orjson
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench._serve import GATEWAY_HTTP, uvicorn
from bench._timing import Timing
from bench.connectome import DATASET, import_command
from gateway.auth.permissions import EDITING_ROLES
from gateway.auth.tokens import TokenKind, hash_secret, new_secret
from gateway.connectome.synthetic import generate
from gateway.db.engine import create_engine
from gateway.db.migrate import upgrade
from gateway.db.models import (
    Behavior,
    BehaviorSubject,
    DataAcquisition,
    DataAcquisitionProcedure,
    LabMembership,
    Laboratory,
    Manipulation,
    ManipulationProcedure,
    Procedure,
    Project,
    ProjectMember,
    Session,
    SessionProject,
    Species,
    Strain,
    Subject,
    SubjectProject,
    Token,
    User,
)
from gateway.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
N_LABS, N_USERS, N_PROJECTS, PRIVATE_EVERY = 12, 240, 300, 6
N_SPECIES, N_STRAINS, N_SUBJECTS, N_SESSIONS = 20, 40, 6_000, 60_000
LINKED_SHARE = 0.15  # subjects and sessions also linked to a second project
NEURONS, CONNECTIONS = 30_000, 1_000_000  # imports in well under a minute
PAGE = BATCH = 100
# The signed-in caller of the Alyx run: user001, a member of lab-01 and of some projects.
BENCH_USER = 2

WARMUP, REPS = 5, 40
TARGET_RATIO = 2.0  # stated by the issue; reported, never enforced
UNTHROTTLED = "1000000000/minute"  # one benchmark client asks thousands of times a minute

# -- the floors' SQL ---------------------------------------------------------------------------


def _dashed(col: str) -> str:
    """A UUID column (32 hex digits on SQLite) in its canonical dashed form."""
    parts = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
    return "(" + "||'-'||".join(f"substr({col},{a},{n})" for a, n in parts) + ")"


def _public(alias: str) -> str:
    """The gateway's visibility rule for an anonymous caller: the owning project is public."""
    return f"EXISTS (SELECT 1 FROM project AS o WHERE o.id = {alias}.project_id AND o.is_public)"


def _count(table: str) -> str:
    return f"(SELECT count(*) FROM {table} AS c WHERE {_public('c')})"


def _related_ids(child: str, links: str, key: str) -> str:
    """A project's subjects or sessions as BrainSTEM lists them: those it owns by id, then
    those linked to it and owned by another (visible) project, by id."""
    return f"""(SELECT json_group_array({_dashed("x.id")}) FROM (
        SELECT c.id, 0 AS src FROM {child} AS c WHERE c.project_id = p.id
        UNION ALL
        SELECT l.{key}, 1 FROM {links} AS l JOIN {child} AS c ON c.id = l.{key}
        WHERE l.project_id = p.id AND c.project_id != p.id AND {_public("c")}
        ORDER BY 2, 1) AS x)"""


def _projects_of(links: str, key: str, value: str, alias: str) -> str:
    """``value`` of a row's visible projects: its owner first, then the others it is linked
    to, by project id."""
    return f"""(SELECT json_group_array(x.v) FROM (
        SELECT {value} AS v, '' AS rank FROM project AS p WHERE p.id = {alias}.project_id
        UNION ALL
        SELECT {value}, l.project_id FROM {links} AS l JOIN project AS p ON p.id = l.project_id
        WHERE l.{key} = {alias}.id AND l.project_id != {alias}.project_id AND p.is_public
        ORDER BY 2) AS x)"""


def _records(table: str, key: str, alias: str, order: str) -> str:
    """The ids of a row's records in ``table`` (a session's behaviors, a subject's
    procedures, ...), in their default order."""
    return f"""(SELECT json_group_array({_dashed("x.id")}) FROM (
      SELECT r.id FROM {table} AS r WHERE r.{key} = {alias}.id ORDER BY {order}, r.id
    ) AS x)"""


def _session_records(table: str, alias: str) -> str:
    return _records(table, "session_id", alias, 'r."order"')


STEM_SESSIONS_SQL = f"""
WITH page AS MATERIALIZED (
  SELECT s.id, s.name, s.narrative, s.start_time, s.extra_fields, s.project_id,
    {_session_records("behavior", "s")} AS behaviors,
    {_session_records("data_acquisition", "s")} AS dataacquisition,
    {_session_records("manipulation", "s")} AS manipulations
  FROM session AS s
  WHERE {_public("s")} ORDER BY s.start_time DESC, s.id LIMIT :limit OFFSET :offset
), link AS (
  SELECT page.id AS session_id, page.project_id, '' AS rank FROM page
  UNION ALL
  SELECT l.session_id, l.project_id, l.project_id FROM session_project AS l
  JOIN page ON page.id = l.session_id WHERE l.project_id != page.project_id
), shown AS MATERIALIZED (
  SELECT p.id, {_dashed("p.id")} AS key, p.name, p.description, p.is_public, p.tags,
    p.extra_fields,
    {_related_ids("session", "session_project", "session_id")} AS sessions,
    {_related_ids("subject", "subject_project", "subject_id")} AS subjects,
    (SELECT json_group_array({_dashed("x.id")}) FROM (
      SELECT c.id FROM cohort AS c WHERE c.project_id = p.id ORDER BY c.id) AS x) AS cohorts,
    (SELECT json_group_array({_dashed("x.id")}) FROM (
      SELECT c.id FROM collection AS c WHERE c.project_id = p.id ORDER BY c.name, c.id
    ) AS x) AS collections,
    (SELECT json_group_array(json_array(x.username, x.role, x.is_owner)) FROM (
      SELECT u.username, m.role, m.is_owner FROM project_member AS m
      JOIN user_account AS u ON u.id = m.user_id WHERE m.project_id = p.id ORDER BY m.user_id
    ) AS x) AS users,
    (SELECT json_group_array({_dashed("x.id")}) FROM (
      SELECT b.id FROM project_publication AS l JOIN publication AS b ON b.id = l.publication_id
      WHERE l.project_id = p.id ORDER BY b.publication_date DESC NULLS LAST, b.id
    ) AS x) AS publications
  FROM project AS p WHERE p.is_public AND p.id IN (SELECT project_id FROM link)
)
SELECT {_dashed("page.id")}, page.name, page.narrative, page.start_time, page.extra_fields,
  page.behaviors, page.dataacquisition, page.manipulations,
  shown.key, shown.name, shown.description, shown.is_public, shown.tags, shown.extra_fields,
  shown.sessions, shown.subjects, shown.cohorts, shown.users, shown.collections,
  shown.publications,
  {_count("session")}
FROM page JOIN link ON link.session_id = page.id LEFT JOIN shown ON shown.id = link.project_id
ORDER BY page.start_time DESC, page.id, link.rank
"""

SUBJECT_FIELDS = ("id", "name", "description", "sex", "genetic_line", "genotype")
SUBJECT_FIELDS += ("birth_date", "death_date", "status")
SPECIES_FIELDS = ("id", "name", "description", "comments", "scientific_name", "rrid")
STEM_SUBJECTS_SQL = f"""
SELECT {_dashed("s.id")}, s.nickname, s.description, s.sex, s.genetic_line, s.genotype,
  s.birth_date, s.death_date, s.status, s.extra_fields,
  {_projects_of("subject_project", "subject_id", _dashed("p.id"), "s")}, {_dashed("s.strain_id")},
  {_records("procedure", "subject_id", "s", "r.date_time DESC")},
  {_records("subject_log", "subject_id", "s", "r.created_at DESC")},
  {_dashed("sp.id")}, sp.name, sp.description, sp.comments, sp.scientific_name, sp.rrid,
  {_count("subject")}
FROM subject AS s LEFT JOIN species AS sp ON sp.id = s.species_id
WHERE {_public("s")} ORDER BY s.nickname, s.id LIMIT :limit OFFSET :offset
"""

def _seen_project(alias: str) -> str:
    """A project row the signed-in caller (``:user``) sees: public, or theirs as a member."""
    return (
        f"({alias}.is_public OR EXISTS (SELECT 1 FROM project_member AS pm "
        f"WHERE pm.project_id = {alias}.id AND pm.user_id = :user))"
    )


def _signed_in(alias: str, *, responsible: bool = False) -> str:
    """The gateway's rule for subjects and sessions, signed in (Seen.IN_PROJECT_OR_LAB): with
    a project the caller sees, in one of the caller's labs, or (subjects) theirs."""
    own = f" OR {alias}.responsible_user_id = :user" if responsible else ""
    return (
        f"(EXISTS (SELECT 1 FROM project AS o WHERE o.id = {alias}.project_id AND "
        f"{_seen_project('o')}) OR {alias}.lab_id IN (SELECT m.lab_id FROM lab_membership AS m "
        f"WHERE m.user_id = :user AND m.end_date IS NULL){own})"
    )


ALYX_SESSIONS_SQL = f"""
SELECT {_dashed("s.id")}, sub.nickname, s.start_time, s.created_at, s.number, lab.name,
  (SELECT json_group_array(x.v) FROM (
    SELECT p.name AS v, '' AS rank FROM project AS p
    WHERE p.id = s.project_id AND {_seen_project("p")}
    UNION ALL
    SELECT p.name, l.project_id FROM session_project AS l JOIN project AS p ON p.id = l.project_id
    WHERE l.session_id = s.id AND l.project_id != s.project_id AND {_seen_project("p")}
    ORDER BY 2) AS x),
  s.task_protocol,
  (SELECT count(*) FROM session AS c WHERE {_signed_in("c")})
FROM session AS s
LEFT JOIN subject AS sub ON sub.id = s.subject_id AND {_signed_in("sub", responsible=True)}
LEFT JOIN laboratory AS lab ON lab.id = s.lab_id
WHERE {_signed_in("s")} ORDER BY s.start_time DESC, s.id LIMIT :limit OFFSET :offset
"""

# Kind 0: the segments the newest published materialization has (and its timestamp); 1 and 2:
# downstream and upstream partners, each side in the gateway's ranking order off its index.
CONNECTIVITY_SQL = """
WITH m AS MATERIALIZED (
  SELECT mat.id, CAST(strftime('%s', mat.timestamp) AS INTEGER) AS ts FROM materialization AS mat
  JOIN connectome_dataset AS d ON d.id = mat.dataset_id WHERE d.name = :dataset AND mat.valid
  ORDER BY mat.version DESC LIMIT 1
)
SELECT 0, s.id, m.ts, NULL FROM segment AS s, m
WHERE s.materialization_id = m.id AND s.id IN (SELECT value FROM json_each(:ids))
UNION ALL
SELECT * FROM (SELECT 1, pre_id, post_id, syn_count FROM partnership, m
  WHERE materialization_id = m.id AND pre_id IN (SELECT value FROM json_each(:ids))
  AND syn_count >= 1 ORDER BY pre_id, syn_count DESC, post_id)
UNION ALL
SELECT * FROM (SELECT 2, post_id, pre_id, syn_count FROM partnership, m
  WHERE materialization_id = m.id AND post_id IN (SELECT value FROM json_each(:ids))
  AND syn_count >= 1 ORDER BY post_id, syn_count DESC, pre_id)
"""

# -- the floor app -------------------------------------------------------------------------------


def _timestamp(value: str | None) -> str | None:
    """SQLite's ``YYYY-MM-DD HH:MM:SS.ffffff`` as the gateway writes it: ISO 8601 with a Z,
    microseconds only when there are some."""
    if value is None:
        return None
    fraction = value[19:]
    return f"{value[:10]}T{value[11:19]}{'' if fraction in ('', '.000000') else fraction}Z"


def _alyx_timestamp(value: str | None) -> str | None:
    """As Alyx writes it: ISO 8601 without an offset, microseconds only when there are some."""
    stamped = _timestamp(value)
    return None if stamped is None else stamped.removesuffix("Z")


async def _rows(request: Request, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
    if params is None:
        query = request.query_params
        params = {"limit": int(query.get("limit", "20")), "offset": int(query.get("offset", "0"))}
        if ":user" in sql:  # the signed-in caller the bench's token names
            params["user"] = BENCH_USER
    async with request.app.state.conn.execute(sql, params) as cursor:
        return list(await cursor.fetchall())


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


def _paging(request: Request, rows: list[Any]) -> dict[str, Any]:
    """``count`` (every row's last column), ``next`` and ``previous``."""
    limit, offset = int(request.query_params["limit"]), int(request.query_params.get("offset", 0))
    count = rows[0][-1] if rows else 0
    url = request.url
    return {
        "count": count,
        "next": str(url.include_query_params(limit=limit, offset=offset + limit))
        if offset + limit < count
        else None,
        "previous": str(url.include_query_params(limit=limit, offset=max(offset - limit, 0)))
        if offset
        else None,
    }


async def floor_stem_sessions(request: Request) -> Response:
    rows = await _rows(request, STEM_SESSIONS_SQL)
    sessions: dict[str, dict[str, Any]] = {}
    projects: dict[str, dict[str, Any]] = {}
    for row in rows:
        sid, name, narrative, start, extra, behaviors, acquisitions, manipulations = row[:8]
        key, project = row[8], row[9:-1]
        record = sessions.get(sid)
        if record is None:
            record = sessions[sid] = {
                "id": sid,
                "name": name,
                "description": narrative,
                "date_time": _timestamp(start),
                "extra_fields": orjson.loads(extra),
                "projects": [],
                "behaviors": orjson.loads(behaviors),
                "dataacquisition": orjson.loads(acquisitions),
                "manipulations": orjson.loads(manipulations),
            }
        if key is None:
            continue  # a link to a project the caller may not see
        embedded = projects.get(key)
        if embedded is None:
            pname, description, public, tags, pextra, ids, subjects, cohorts, users = project[:9]
            collections, publications = project[9:11]
            embedded = projects[key] = {
                "id": key,
                "name": pname,
                "description": description,
                "is_public": bool(public),
                "tags": orjson.loads(tags),
                "extra_fields": orjson.loads(pextra),
                "sessions": orjson.loads(ids),
                "subjects": orjson.loads(subjects),
                "cohorts": orjson.loads(cohorts),
                "users": {
                    username: {
                        "can_change": role in EDITING_ROLES,
                        "is_manager": role == "manager",
                        "is_owner": bool(is_owner),
                    }
                    for username, role, is_owner in orjson.loads(users)
                },
                "publications": orjson.loads(publications),
                "collections": orjson.loads(collections),
            }
        record["projects"].append(embedded)
    return _json({"sessions": [*sessions.values()], **_paging(request, rows)})


async def floor_stem_subjects(request: Request) -> Response:
    rows = await _rows(request, STEM_SUBJECTS_SQL)
    subjects = []
    for row in rows:
        subject = dict(zip(SUBJECT_FIELDS, row[:9], strict=True))
        subject["extra_fields"] = orjson.loads(row[9])
        subject["projects"] = orjson.loads(row[10])
        subject["strain"] = row[11]
        subject["procedures"] = orjson.loads(row[12])
        subject["subjectlogs"] = orjson.loads(row[13])
        species = row[14:20]
        subject["species"] = (
            None if species[0] is None else dict(zip(SPECIES_FIELDS, species, strict=True))
        )
        subjects.append(subject)
    return _json({"subjects": subjects, **_paging(request, rows)})


async def floor_alyx_sessions(request: Request) -> Response:
    rows = await _rows(request, ALYX_SESSIONS_SQL)
    base = str(request.base_url).rstrip("/")
    results = [
        {
            "id": sid,
            "subject": nickname,
            "start_time": _alyx_timestamp(start or created),
            "number": number,
            "lab": lab,
            "projects": orjson.loads(projects),
            "url": f"{base}/sessions/{sid}",
            "task_protocol": protocol,  # Alyx blank: ""
        }
        for sid, nickname, start, created, number, lab, projects, protocol, _ in rows
    ]
    return _json({**_paging(request, rows), "results": results})


async def floor_connectivity(request: Request) -> Response:
    ids = list(dict.fromkeys(orjson.loads(await request.body())["segments"]))
    params = {"dataset": request.query_params["project"], "ids": orjson.dumps(ids).decode()}
    known: set[int] = set()
    sides: tuple[dict[int, list[Any]], dict[int, list[Any]]] = ({}, {})
    timestamp = None
    for kind, key, other, count in await _rows(request, CONNECTIVITY_SQL, params):
        if kind == 0:
            known.add(key)
            timestamp = other
        else:
            entry = {"segmentid": str(other), "synaptic_count": count}
            sides[kind - 1].setdefault(key, []).append(entry)
    down, up = sides
    results = {
        str(i): {"downstream": down.get(i, []), "upstream": up.get(i, [])}
        for i in ids
        if i in known
    }
    unknown = [str(i) for i in ids if i not in known]
    return _json(
        {"materialized_timestamp": timestamp, "results": results, "unknown_segments": unknown}
    )


async def _healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_floor_app() -> Starlette:
    """The floor: ``uvicorn bench.rest:create_floor_app --factory``, on the SQLite file named
    by ``NEUROGATE_BENCH_FLOOR_DB``."""
    path = os.environ["NEUROGATE_BENCH_FLOOR_DB"]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with aiosqlite.connect(path) as conn:
            app.state.conn = conn
            gc.collect()  # as the gateway's lifespan does
            gc.freeze()
            yield

    routes = [
        Route("/healthz", _healthz),
        Route("/floor/stem/session/", floor_stem_sessions),
        Route("/floor/stem/subject/", floor_stem_subjects),
        Route("/floor/alyx/sessions", floor_alyx_sessions),
        Route("/floor/connectivity", floor_connectivity, methods=["POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


# -- data --------------------------------------------------------------------------------------


def _experiment_rows() -> list[tuple[type[SQLModel], list[dict[str, Any]]]]:
    rng = random.Random(20240501)
    now = datetime(2024, 5, 1, 12, 0, 0)
    stamp = {"created_at": now, "updated_at": now}
    labs = [
        {"id": uuid.uuid4(), "name": f"lab-{i:02d}", "institution": f"Institute {i}",
         "timezone": "Europe/London", "created_at": now}
        for i in range(N_LABS)
    ]  # fmt: skip
    users = [
        {"id": i + 1, "alyx_id": uuid.uuid4(), "email": f"user{i}@example.org",
         "username": f"user{i:03d}",
         "first_name": "First", "last_name": f"Last{i}", **stamp}
        for i in range(N_USERS)
    ]  # fmt: skip
    memberships = [{"user_id": u["id"], "lab_id": labs[u["id"] % N_LABS]["id"]} for u in users]
    projects = [
        {"id": uuid.uuid4(), "name": f"project-{i:03d}", "description": f"Project {i}",
         "is_public": i % PRIVATE_EVERY != 0, "tags": ["bench", f"t{i % 7}"],
         "extra_fields": {"grant": f"G-{i}"}, **stamp}
        for i in range(N_PROJECTS)
    ]  # fmt: skip
    members = [
        {"project_id": p["id"], "user_id": u["id"], "is_owner": n == 0,
         "role": "manager" if n == 0 else rng.choice(("viewer", "editor"))}
        for p in projects
        for n, u in enumerate(rng.sample(users, 4))
    ]  # fmt: skip
    species = [
        {"id": uuid.uuid4(), "name": f"species-{i:02d}", "scientific_name": f"Genus species{i}",
         "description": f"Species {i}", "comments": "", "rrid": "", **stamp}
        for i in range(N_SPECIES)
    ]  # fmt: skip
    strains = [
        {"id": uuid.uuid4(), "name": f"strain-{i:02d}", "species_id": species[i % N_SPECIES]["id"],
         **stamp}
        for i in range(N_STRAINS)
    ]  # fmt: skip
    subjects, subject_links, sessions, session_links = [], [], [], []

    def owned_and_linked(links: list[dict[str, Any]], key: str, row: dict[str, Any]) -> None:
        links.append({key: row["id"], "project_id": row["project_id"]})
        other = rng.choice(projects)["id"]
        if rng.random() < LINKED_SHARE and other != row["project_id"]:
            links.append({key: row["id"], "project_id": other})

    for i in range(N_SUBJECTS):
        strain = rng.choice(strains) if rng.random() < 0.7 else None
        subjects.append(
            {"id": uuid.uuid4(), "nickname": f"SUBJ-{i:05d}", "sex": rng.choice("MFU"),
             "birth_date": date(2022, 1, 1) + timedelta(rng.randrange(700)),
             "project_id": rng.choice(projects)["id"], "lab_id": rng.choice(labs)["id"],
             "species_id": strain["species_id"] if strain else rng.choice(species)["id"],
             "strain_id": strain["id"] if strain else None,
             "responsible_user_id": rng.choice(users)["id"], "extra_fields": {}, **stamp}
        )  # fmt: skip
        owned_and_linked(subject_links, "subject_id", subjects[-1])
    for i in range(N_SESSIONS):
        subject = rng.choice(subjects)
        start = now - timedelta(seconds=rng.randrange(3 * 365 * 86400))
        sessions.append(
            {"id": uuid.uuid4(), "name": f"{start:%Y-%m-%d}_{i % 10 + 1:03d}",
             "number": i % 10 + 1, "start_time": start, "end_time": start + timedelta(hours=1),
             "task_protocol": "" if i % 20 == 0 else "_iblrig_tasks_trainingChoiceWorld6.4.2",
             "n_trials": 400 + i % 300, "n_correct_trials": 300 + i % 100,
             "project_id": subject["project_id"], "subject_id": subject["id"],
             "lab_id": subject["lab_id"], "extra_fields": {"rig": f"rig-{i % 5}"}, **stamp}
        )  # fmt: skip
        owned_and_linked(session_links, "session_id", sessions[-1])
    return [  # parents first: foreign keys are on
        (Laboratory, labs), (User, users), (LabMembership, memberships), (Project, projects),
        (ProjectMember, members), (Species, species), (Strain, strains), (Subject, subjects),
        (SubjectProject, subject_links), (Session, sessions), (SessionProject, session_links),
        *_module_rows(subjects, sessions, stamp),
    ]  # fmt: skip


def _module_rows(
    subjects: list[dict[str, Any]], sessions: list[dict[str, Any]], stamp: dict[str, Any]
) -> list[tuple[type[SQLModel], list[dict[str, Any]]]]:
    """An implant per subject; per session, the subject's behavior, a recording and an
    optogenetic stimulation through the implant (what the session's default includes embed)."""
    implants = {
        s["id"]: {"id": uuid.uuid4(), "subject_id": s["id"], "type": "SiliconProbeImplant",
                  "details": {"probeId": "H3-64"}, "type_schema_version": "1.0.0",
                  "coordinates_system": "Stereotaxic_BregmaAbsolute",
                  "coordinates_details": {"apCoordinate": {"value": -2.0, "unit": "mm"}},
                  "coordinates_schema_version": "1.1.0", "date_time": s["created_at"], **stamp}
        for s in subjects
    }  # fmt: skip
    behaviors, acquisitions, manipulations = [], [], []
    watched, recorded, stimulated = [], [], []
    for i, session in enumerate(sessions):
        implant = implants[session["subject_id"]]["id"]
        common = {"session_id": session["id"], **stamp}
        behaviors.append({"id": uuid.uuid4(), "notes": "Licks", "order": 1, **common})
        watched.append({"behavior_id": behaviors[-1]["id"], "subject_id": session["subject_id"]})
        acquisitions.append(
            {"id": uuid.uuid4(), "type": "ExtracellularEphys", "order": 2,
             "details": {"nChannels": 64, "sr": {"value": 30, "unit": "kHz"}},
             "type_schema_version": "1.1.0", **common}
        )  # fmt: skip
        recorded.append({"data_acquisition_id": acquisitions[-1]["id"], "procedure_id": implant})
        manipulations.append(
            {"id": uuid.uuid4(), "type": "OptogeneticStimulation", "order": 3,
             "details": [{"wavelength": {"value": 473, "unit": "nm"}, "profile": "Pulse train",
                          "power": {"value": 1 + i % 9, "unit": "mW"}}],
             "type_schema_version": "1.1.0", **common}
        )  # fmt: skip
        stimulated.append({"manipulation_id": manipulations[-1]["id"], "procedure_id": implant})
    return [
        (Procedure, list(implants.values())), (Behavior, behaviors),
        (BehaviorSubject, watched), (DataAcquisition, acquisitions),
        (DataAcquisitionProcedure, recorded), (Manipulation, manipulations),
        (ManipulationProcedure, stimulated),
    ]  # fmt: skip


def _defaults(model: type[SQLModel]) -> dict[str, Any]:
    """The values a model gives the fields a row leaves out (Core inserts skip them)."""
    return {
        name: field.get_default(call_default_factory=True)
        for name, field in model.model_fields.items()
        if not field.is_required()
    }


async def build_experiments(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for model, rows in _experiment_rows():
            defaults = _defaults(model)
            table = SQLModel.metadata.tables[model.__tablename__]
            await conn.execute(insert(table), [{**defaults, **row} for row in rows])


def connectome_files() -> Path:
    """The synthetic connectome (the project's generator), generated once and kept."""
    data = ROOT / "bench" / "data" / f"connectome-rest-{NEURONS}-{CONNECTIONS}"
    if not (data / "connections.csv.gz").exists():
        partial = data.with_name(data.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        started = time.perf_counter()
        summary = generate(partial, neurons=NEURONS, connections=CONNECTIONS)
        partial.rename(data)
        print(
            f"generated {summary.neurons:,} neurons, {summary.connections:,} connection rows "
            f"in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    return data


def import_connectome(url: str, data: Path) -> str:
    """``neurogate import-connectome``, as an operator runs it; its closing line."""
    command = import_command(data)
    env = {**os.environ, "NEUROGATE_DATABASE_URL": url}
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"import failed: {done.stdout}\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


async def sign_in(engine: AsyncEngine) -> str:
    """A personal token of ``BENCH_USER``, as ``neurogate`` issues one: its secret."""
    secret = new_secret(TokenKind.PERSONAL)
    now = datetime.now(UTC).replace(tzinfo=None)
    async with engine.begin() as conn:
        await conn.execute(
            insert(SQLModel.metadata.tables[Token.__tablename__]),
            [
                {
                    **_defaults(Token),
                    "user_id": BENCH_USER,
                    "kind": TokenKind.PERSONAL.value,
                    "name": "bench",
                    "secret_hash": hash_secret(secret),
                    "prefix": secret[:8],
                    "created_at": now,
                    "expires_at": now + timedelta(days=1),
                }
            ],
        )
    return secret


async def build_database(db: Path) -> tuple[str, str]:
    """The database's URL, and the token the signed-in runs present."""
    url = f"sqlite+aiosqlite:///{db}"
    engine = create_engine(url)
    try:
        await upgrade(engine)
        await build_experiments(engine)
        token = await sign_in(engine)
    finally:
        await engine.dispose()
    return url, token


def pick_segments(db: Path) -> list[int]:
    """``BATCH`` segments spread evenly over the downstream-degree ranking, the top hub last."""
    with sqlite3.connect(db) as conn:
        ranked = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM segment WHERE materialization_id = "
                "(SELECT max(id) FROM materialization WHERE valid) "
                "ORDER BY nr_downstream_partner, id"
            )
        ]
    step = len(ranked) / BATCH
    return [ranked[round((i + 1) * step) - 1] for i in range(BATCH)]


# -- servers, requests, checks -----------------------------------------------------------------


@contextmanager
def serve(factory: str, env: dict[str, str]) -> Iterator[str]:
    """``factory`` served by a live uvicorn on 127.0.0.1, with the same options for any app
    (the gateway's: its own HTTP protocol)."""
    with uvicorn([factory, "--factory", "--http", GATEWAY_HTTP], env) as (base, _):
        yield base


@dataclass(frozen=True)
class Call:
    """One HTTP request, sent the same way to either server."""

    method: str
    path: str
    params: list[tuple[str, str]]
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def send(self, client: httpx.Client, base: str) -> bytes:
        headers = dict(self.headers)
        if self.body is not None:
            headers["Content-Type"] = "application/json"
        response = client.request(
            self.method, base + self.path, params=self.params, content=self.body, headers=headers
        )
        if response.status_code != 200:
            raise RuntimeError(f"{self.path}: HTTP {response.status_code}: {response.text[:300]}")
        return response.content


Check = Callable[[Any, Any], str]  # (gateway's answer, floor's answer) -> what was compared


@dataclass(frozen=True)
class Run:
    title: str
    gateway: Call
    floor: Call
    check: Check


def _same_page(plural: str) -> Check:
    def check(gateway: Any, floor: Any) -> str:
        theirs, ours = gateway[plural], floor[plural]
        if [r["id"] for r in theirs] != [r["id"] for r in ours]:
            raise RuntimeError(f"{plural}: the floor and the gateway list different ids")
        for one, other in zip(theirs, ours, strict=True):
            if one != other:
                raise RuntimeError(f"{plural}: the records differ:\n{one}\n{other}")
        if gateway["count"] != floor["count"] or not gateway["next"] or not floor["next"]:
            raise RuntimeError(f"{plural}: the count or the paging differs")
        return f"{len(theirs)} records identical field by field, count {gateway['count']:,}"

    return check


def _same_connectivity(gateway: Any, floor: Any) -> str:
    if list(gateway["results"]) != list(floor["results"]) or gateway != floor:
        raise RuntimeError("connectivity: the floor and the gateway disagree")
    partners = sum(len(side) for sides in gateway["results"].values() for side in sides.values())
    return (
        f"{len(gateway['results'])} segments, {partners:,} partners identical "
        "(ids, order, synapse counts)"
    )


def runs(segments: list[int], token: str) -> list[Run]:
    page = [("limit", str(PAGE))]
    signed_in = (("Authorization", f"Token {token}"),)
    body, project = orjson.dumps({"segments": segments}), [("project", DATASET)]
    return [
        Run(
            f"BrainSTEM session list, include[]=projects.*, limit {PAGE}",
            Call("GET", "/api/public/stem/session/", [("include[]", "projects.*"), *page]),
            Call("GET", "/floor/stem/session/", page),
            _same_page("sessions"),
        ),
        Run(
            f"BrainSTEM subject list, include[]=species.*, limit {PAGE}",
            Call("GET", "/api/public/stem/subject/", [("include[]", "species.*"), *page]),
            Call("GET", "/floor/stem/subject/", page),
            _same_page("subjects"),
        ),
        Run(
            f"Alyx /sessions, limit {PAGE}",
            Call("GET", "/sessions", page, headers=signed_in),
            Call("GET", "/floor/alyx/sessions", page),
            _same_page("results"),
        ),
        Run(
            f"BrainCircuits connectivity, {BATCH} segments",
            Call("POST", "/circuit/segment/property/connectivity", project, body),
            Call("POST", "/floor/connectivity", project, body),
            _same_connectivity,
        ),
    ]


# -- the run -----------------------------------------------------------------------------------


def measure_pair(client: httpx.Client, run: Run, bases: tuple[str, str]) -> tuple[Timing, Timing]:
    """``WARMUP`` then ``REPS`` rounds of one request to each server; which goes first
    alternates, so drifting load on the machine hits both alike."""
    samples: tuple[list[float], list[float]] = ([], [])
    sides = list(zip((run.gateway, run.floor), bases, samples, strict=True))
    for round_ in range(WARMUP + REPS):
        for call, base, kept in sides if round_ % 2 == 0 else sides[::-1]:
            started = time.perf_counter()
            call.send(client, base)
            if round_ >= WARMUP:
                kept.append(time.perf_counter() - started)
    return Timing("gateway (uvicorn)", samples[0]), Timing(
        "floor (Starlette+aiosqlite)", samples[1]
    )


def _ratio(gateway: Timing, floor: Timing) -> float:
    return gateway.median / floor.median


def _met(ratio: float) -> str:
    return "met" if ratio <= TARGET_RATIO else "NOT met"


def bench(
    db: Path, url: str, segments: list[int], token: str
) -> list[tuple[Run, Timing, Timing]]:
    gateway_env = {
        "NEUROGATE_DATABASE_URL": url,
        "NEUROGATE_GRAPHIQL": "false",
        "NEUROGATE_RATE_LIMIT_ANONYMOUS": UNTHROTTLED,
        "NEUROGATE_RATE_LIMIT_AUTHENTICATED": UNTHROTTLED,
    }
    results = []
    with (
        serve("gateway.app:create_app", gateway_env) as gateway_base,
        serve("bench.rest:create_floor_app", {"NEUROGATE_BENCH_FLOOR_DB": str(db)}) as floor_base,
        httpx.Client(timeout=60) as client,
    ):
        for run in runs(segments, token):
            theirs = run.gateway.send(client, gateway_base)
            ours = run.floor.send(client, floor_base)
            # Absolute URLs name the server that answered.
            same = run.check(orjson.loads(theirs.replace(gateway_base.encode(), b"")),
                             orjson.loads(ours.replace(floor_base.encode(), b"")))  # fmt: skip
            print(f"\n{run.title}\n  checked: {same}", flush=True)
            print(f"  response: gateway {len(theirs):,} bytes, floor {len(ours):,} bytes")
            gateway, floor = measure_pair(client, run, (gateway_base, floor_base))
            ratio = _ratio(gateway, floor)
            print(f"  {gateway.row()}\n  {floor.row()}")
            print(
                f"  ratio gateway/floor: medians {ratio:.2f}x, p90s {gateway.p90 / floor.p90:.2f}x"
                f"   (target <= {TARGET_RATIO:g}x: {_met(ratio)})",
                flush=True,
            )
            results.append((run, gateway, floor))
    return results


async def profile(url: str, segments: list[int], token: str) -> None:
    """Each gateway request served in process, under cProfile: where its time goes."""
    from gateway.app import create_app  # the benchmark process itself serves nothing else

    settings = Settings(
        database_url=url,
        graphiql=False,
        rate_limit_anonymous=UNTHROTTLED,
        rate_limit_authenticated=UNTHROTTLED,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bench") as client,
    ):
        for run in runs(segments, token):
            call = run.gateway
            profiler = cProfile.Profile()
            for n in range(WARMUP + 10):
                if n == WARMUP:
                    profiler.enable()
                await client.request(
                    call.method,
                    call.path,
                    params=call.params,
                    content=call.body,
                    headers=dict(call.headers),
                )
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
            print(f"\ncProfile of 10 in-process requests (by own time): {run.title}")
            print("('poll' of epoll is the event loop waiting for SQLite's thread)")
            print(out.getvalue())


def main() -> None:
    data = connectome_files()
    workdir_root = ROOT / "bench" / "data"
    workdir_root.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir_root) as workdir:
        db = Path(workdir) / "rest.db"
        started = time.perf_counter()
        url, token = asyncio.run(build_database(db))
        imported = import_connectome(url, data)
        print(
            f"built {db.name} in {time.perf_counter() - started:.1f} s: {N_LABS} labs, "
            f"{N_USERS} users, {N_PROJECTS} projects ({N_PROJECTS // PRIVATE_EVERY} private), "
            f"{N_SUBJECTS:,} subjects, {N_SESSIONS:,} sessions\n  {imported}",
            flush=True,
        )
        segments = pick_segments(db)
        results = bench(db, url, segments, token)
        print(f"\n{'run':<56} {'gateway':>10} {'floor':>10} {'ratio':>7}  target")
        for run, gateway, floor in results:
            ratio = _ratio(gateway, floor)
            print(
                f"{run.title:<56} {gateway.median * 1e3:8.2f}ms {floor.median * 1e3:8.2f}ms "
                f"{ratio:6.2f}x  <= {TARGET_RATIO:g}x {_met(ratio)}"
            )
        # The client's load_session: a session page with its four default includes.
        from bench import rest_includes  # it builds on this module

        ratios = {"SQLite": rest_includes.measure(url, str(db), "SQLite")}
        on_postgres = rest_includes.measure_postgres()
        if on_postgres is not None:
            ratios["PostgreSQL"] = on_postgres
        for database, ratio in ratios.items():
            title = f"{rest_includes.run().title[:44]}... ({database})"
            print(f"{title:<56} {'':>22} {ratio:6.2f}x  <= {TARGET_RATIO:g}x {_met(ratio)}")
        if os.environ.get("NEUROGATE_BENCH_PROFILE"):
            asyncio.run(profile(url, segments, token))


if __name__ == "__main__":
    main()
