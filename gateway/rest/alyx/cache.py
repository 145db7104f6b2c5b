"""ONE's cache tables: ``GET /cache/info`` and ``GET /cache.zip``, as real Alyx serves the
tables its ``one_cache`` command writes (cortex-lab/alyx 3.6.1, misc/views.py and
misc/management/commands/one_cache.py), built from the database.

``ONE(mode='auto')`` asks ``cache/info`` when the tables were made; when they are newer than
its own it downloads ``cache.zip`` (``sessions.pqt``, ``datasets.pqt`` and ``cache_info.json``)
and then searches and lists datasets locally. The tables hold what the caller may see, so
they are built per caller (per principal), through the entity graph's read path with the
``/sessions`` and ``/datasets`` visibility. A build is kept, in this process, until the data
it was read from changes (:func:`resolvers.changes.stamp`), so repeated downloads cost one
small query; at most :data:`KEPT` callers' builds are kept. The tables are pandas frames
written as Parquet, as Alyx writes them (ONE reads their index from the pandas metadata):
pandas and pyarrow are the ``alyx-cache`` extra. Without them both URLs answer 404, as on an
Alyx without cache tables, and ONE keeps to remote queries.
"""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from gateway.auth.principal import Principal
from gateway.db.models import (
    FileUpload,
    LabMembership,
    Laboratory,
    Project,
    ProjectMember,
    Session,
    SessionProject,
    Subject,
    SubjectProject,
    table,
)
from gateway.errors import NotFound, Unauthenticated
from gateway.http.errors import json_response
from gateway.http.requests import context_of
from gateway.rest.alyx.fields import Env, Shape, Urls, Value
from gateway.rest.alyx.records import SESSION_SUMMARY
from resolvers import catalog, changes, datasets
from resolvers.context import Context
from resolvers.query import Order, QuerySpec, Window
from resolvers.read import read

ONE_API_VERSION = "3.0.0"  # the oldest ONE that reads these tables (Alyx's min_api_version)
KEPT = 32  # builds kept per process, one per caller
PAGE = 5_000  # rows read per statement while building
CHUNK = 64 * 1024  # bytes per streamed piece of the zip
QC_NAMES = ("NOT_SET", "PASS", "WARNING", "FAIL", "CRITICAL")  # ONE's QC, in its order
SESSION_COLUMNS = ("id", "lab", "subject", "date", "number", "task_protocol", "projects")
DATASET_COLUMNS = ("eid", "id", "rel_path", "file_size", "hash", "exists", "qc")
NOT_AUTHENTICATED = "Authentication credentials were not provided."

# What the tables are read from: when none of these changed, a build still holds.
_READ_FROM = tuple(
    table(model)
    for model in (
        Session,
        SessionProject,
        Subject,
        SubjectProject,
        Laboratory,
        LabMembership,
        Project,
        ProjectMember,
        FileUpload,
    )
)
_DATASET = Shape(
    catalog.FILE_UPLOAD,
    {
        "id": Value("uuid"),
        "eid": Value("session_id"),
        "name": Value("name"),
        "collection": Value("collection"),
        "file_size": Value("size"),
        "hash": Value("sha256"),
    },
)


@dataclass(frozen=True)
class Build:
    """One caller's tables: the zip and its ``cache_info.json``."""

    stamp: tuple[Any, ...]
    info: dict[str, Any]
    zipped: bytes


class CacheTables:
    """The builds of this process, newest use last (an LRU of :data:`KEPT`), and a lock per
    caller so concurrent downloads build once."""

    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        self._builds: OrderedDict[Principal, Build] = OrderedDict()
        self._locks: dict[Principal, asyncio.Lock] = {}

    async def current(self, ctx: Context, origin: str) -> Build:
        who = replace(ctx.principal, token_id=None)
        lock = self._locks.setdefault(who, asyncio.Lock())
        async with lock:
            now = await changes.stamp(ctx, _READ_FROM)
            build = self._builds.get(who)
            if build is None or build.stamp != now:
                build = await _build(ctx, now, origin)
            self._builds[who] = build
            self._builds.move_to_end(who)
            while len(self._builds) > self.kept:
                gone, _ = self._builds.popitem(last=False)
                self._locks.pop(gone, None)
        return build


async def _all(ctx: Context, entity: Any, spec: QuerySpec, shape: Shape) -> list[Any]:
    """Every visible row ``spec`` matches, read a page at a time in its (stable) order."""
    nodes: list[Any] = []
    while True:
        window = Window(PAGE, len(nodes))
        page = await read(
            ctx, entity, replace(spec, window=window), shape.include, max_page_size=PAGE
        )
        nodes.extend(page.nodes)
        if len(page.nodes) < PAGE:
            return nodes


def _sessions_table(nodes: list[Any], env: Env) -> Any:
    """ONE's sessions table, indexed by id: lab, subject, date, number, task_protocol and
    projects (comma-separated); sessions without a subject, lab or number left out, as
    Alyx's ``one_cache`` writes it. Sorted by id, which ONE would otherwise sort itself."""
    import pandas as pd

    rows = [SESSION_SUMMARY.render(node, env) for node in nodes]
    frame = pd.DataFrame.from_records(
        [
            {
                "id": r["id"],
                "lab": r["lab"],
                "subject": r["subject"],
                "date": datetime.fromisoformat(r["start_time"]).date(),
                "number": r["number"],
                "task_protocol": r["task_protocol"] or "",
                "projects": ",".join(r["projects"]),
            }
            for r in rows
            if r["subject"] and r["lab"] and r["number"] is not None
        ],
        columns=SESSION_COLUMNS,
    )
    frame = frame.astype({"number": "uint16", "task_protocol": str, "projects": str, "id": str})
    return frame.set_index("id").sort_index()


def _datasets_table(nodes: list[Any], sessions: Any, env: Env) -> Any:
    """ONE's datasets table, indexed by (eid, id): rel_path (collection/name), file_size,
    hash, exists and qc (NOT_SET: neurogate keeps no dataset QC), for the datasets of the
    listed sessions."""
    import pandas as pd

    rows = [_DATASET.render(node, env) for node in nodes]
    frame = pd.DataFrame.from_records(
        [
            {
                "eid": str(r["eid"]),
                "id": str(r["id"]),
                "rel_path": "/".join(filter(None, (r["collection"], r["name"]))),
                "file_size": r["file_size"],
                "hash": r["hash"],
                "exists": True,
                "qc": QC_NAMES[0],
            }
            for r in rows
            if str(r["eid"]) in sessions
        ],
        columns=DATASET_COLUMNS,
    )
    qc = pd.CategoricalDtype(categories=list(QC_NAMES), ordered=True)
    frame = frame.astype({"file_size": "UInt64", "exists": bool, "qc": qc})
    return frame.set_index(["eid", "id"]).sort_index()


def _parquet(frame: Any, metadata: dict[str, Any]) -> bytes:
    """``frame`` as a Parquet file carrying its index and ONE's metadata (``one_metadata``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = pa.Table.from_pandas(frame)
    schema_meta = {**(data.schema.metadata or {}), b"one_metadata": json.dumps(metadata).encode()}
    buffer = io.BytesIO()
    pq.write_table(data.replace_schema_metadata(schema_meta), buffer)
    return buffer.getvalue()


async def _build(ctx: Context, stamp: tuple[Any, ...], origin: str) -> Build:
    env = Env(Urls(origin), ctx.now().date())
    by_id = (Order("id"),)
    sessions = await _all(ctx, catalog.SESSION, QuerySpec(order=by_id), SESSION_SUMMARY)
    uploads = await _all(
        ctx, catalog.FILE_UPLOAD, QuerySpec(where=datasets.ATTACHED, order=by_id), _DATASET
    )
    created = ctx.now().replace(microsecond=0)
    meta = {
        "date_created": created.isoformat(sep=" "),
        "origin": origin,
        "min_api_version": ONE_API_VERSION,
    }
    tables = {"sessions": _sessions_table(sessions, env)}
    tables["datasets"] = _datasets_table(uploads, set(tables["sessions"].index), env)
    buffer = io.BytesIO()
    described = {}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, data in tables.items():
            content = _parquet(data, meta)
            zipped.writestr(f"{name}.pqt", content)
            described[name] = {"nrecs": len(data.index), "size": len(content)}
        info = {**meta, "tables": described}
        zipped.writestr("cache_info.json", json.dumps(info, indent=1))
    return Build(stamp, info, buffer.getvalue())


def _installed() -> bool:
    """Whether the ``alyx-cache`` extra (pandas, pyarrow) is installed."""
    try:
        import pandas  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


async def _current(request: Request) -> Build:
    ctx = context_of(request)
    if not ctx.principal.is_authenticated:
        raise Unauthenticated(NOT_AUTHENTICATED)
    if not _installed():
        raise NotFound("This server keeps no cache tables (the alyx-cache extra is missing).")
    tables: CacheTables = request.app.state.alyx_cache_tables
    return await tables.current(ctx, str(request.base_url).rstrip("/"))


async def cache_info(request: Request) -> Response:
    """When the caller's tables were made, their sizes, the oldest ONE that reads them and
    where to download them (``location``)."""
    if request.path_params.get("tag"):
        raise NotFound("No cache tables are kept for dataset tags.")
    build = await _current(request)
    location = f"{str(request.base_url).rstrip('/')}/cache.zip"
    return json_response({**build.info, "location": location})


async def cache_zip(request: Request) -> Response:
    """The caller's tables, streamed."""
    build = await _current(request)

    async def pieces() -> AsyncIterator[bytes]:
        view = memoryview(build.zipped)
        for start in range(0, len(view), CHUNK):
            yield bytes(view[start : start + CHUNK])

    headers = {
        "Content-Length": str(len(build.zipped)),
        "Content-Disposition": 'attachment; filename="cache.zip"',
    }
    return StreamingResponse(pieces(), media_type="application/zip", headers=headers)
