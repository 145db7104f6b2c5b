"""Connectome reads: which materialization a question is about, and segments' properties.

Every function answers a whole batch of segment ids with a fixed number of SQL statements
(:mod:`resolvers.partners` has the rankings). GraphQL and the BrainCircuits REST endpoint
(``POST /circuit/segment/property/{property}?project=``) both call :func:`segment_properties`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, and_, not_, select

from gateway.auth.visibility import visible
from gateway.db.engine import read_connection
from gateway.db.id_lists import among
from gateway.db.models import ConnectomeDataset, Materialization, Segment, SegmentProperty, table
from gateway.errors import BadRequest, NotFound, Unauthenticated
from resolvers.context import Context
from resolvers.partners import Direction, partners_batch

_datasets, _materializations = table(ConnectomeDataset), table(Materialization)
_segments, _properties = table(Segment), table(SegmentProperty)

MAX_SEGMENT_IDS = 100_000
MAX_SEGMENT_ID = 2**63 - 1
NEUROTRANSMITTERS = ("ach", "gaba", "glut", "oct", "ser", "da")
# Properties stored as named JSON documents rather than as columns of their own.
STORED_PROPERTIES = ("nucleus", "soma", "mitochondria", "dcv")
# Properties derived from the connection import's columns and partner table.
COMPUTED_PROPERTIES = ("size", "link_pre", "link_post", "neurotransmitter", "connectivity")
PROPERTIES = (*COMPUTED_PROPERTIES, *STORED_PROPERTIES)
SEGMENT_COLUMNS = (
    "materialization_id",
    "id",
    "cell_group",
    "nt_type",
    "nt_score",
    *(f"{nt}_avg" for nt in NEUROTRANSMITTERS),
    "length_nm",
    "area_nm",
    "size_nm",
    "nr_pre",
    "nr_post",
    "nr_upstream_partner",
    "nr_downstream_partner",
)


@dataclass(frozen=True, slots=True)
class MaterializationRef:
    """One published (``valid``) materialization of a dataset, and its ``row`` (every
    column: what a surface shows of it)."""

    dataset: str
    id: int
    version: int
    timestamp: datetime  # naive UTC
    row: Row[Any]
    cave_managed: bool = False  # its dataset's: BrainCircuits requests need a CAVE token

    @classmethod
    def of(cls, dataset: str, row: Row[Any]) -> MaterializationRef:
        return cls(dataset, row.id, row.version, row.timestamp, row, row.dataset_cave_managed)

    @property
    def unix_timestamp(self) -> int:
        """BrainCircuits' ``materialized_timestamp``: UNIX seconds."""
        return int(self.timestamp.replace(tzinfo=UTC).timestamp())


def _materializations_of(ctx: Context, name: str) -> Any:
    """The published materializations of dataset ``name``, if the caller may see it."""
    stmt = (
        select(_materializations, _datasets.c.cave_managed.label("dataset_cave_managed"))
        .join(_datasets, _datasets.c.id == _materializations.c.dataset_id)
        .where(_datasets.c.name == name, _materializations.c.valid.is_(True))
    )
    seen = visible(_datasets, ctx.principal)
    return stmt if seen is None else stmt.where(seen)


async def _refuse_unseen(ctx: Context, dataset: str) -> None:
    """A private dataset asked for without credentials is a 401 (send a token), as
    BrainCircuits answers; to a signed-in caller who may not see it, it does not exist."""
    seen = visible(_datasets, ctx.principal)
    if ctx.principal.is_authenticated or seen is None:
        return
    hidden = select(_datasets.c.id).where(_datasets.c.name == dataset, not_(seen))
    async with read_connection(ctx.sessionmaker) as conn:
        exists = await conn.scalar(hidden)
    if exists is not None:
        raise Unauthenticated(f"Dataset {dataset!r} is private: send an access token.")


def _naive_utc(value: datetime) -> datetime:
    offset = value.utcoffset()
    return (value - offset).replace(tzinfo=None) if offset else value.replace(tzinfo=None)


async def resolve_materialization(
    ctx: Context,
    dataset: str,
    *,
    version: int | None = None,
    timestamp: datetime | None = None,
) -> MaterializationRef:
    """The materialization a question is about: ``version``; or the newest published at or
    before ``timestamp`` (time travel); or else the newest published. Unpublished ones (an
    import still running, or failed) are never visible, nor are datasets the caller may not
    see (the visibility rule of ``connectome_dataset``: seen with its project)."""
    if version is not None and timestamp is not None:
        raise BadRequest("Give a materialization version or a timestamp, not both.")
    stmt = _materializations_of(ctx, dataset)
    if version is not None:
        stmt = stmt.where(_materializations.c.version == version)
    if timestamp is not None:
        stmt = stmt.where(_materializations.c.timestamp <= _naive_utc(timestamp)).order_by(
            _materializations.c.timestamp.desc(), _materializations.c.version.desc()
        )
    else:
        stmt = stmt.order_by(_materializations.c.version.desc())
    async with read_connection(ctx.sessionmaker) as conn:
        row = (await conn.execute(stmt.limit(1))).first()
    if row is None:
        await _refuse_unseen(ctx, dataset)
        if version is not None:
            raise NotFound(f"Dataset {dataset!r} has no materialization {version}.")
        if timestamp is not None:
            raise NotFound(f"Dataset {dataset!r} has no materialization at or before {timestamp}.")
        raise NotFound(f"Dataset {dataset!r} not found.")
    return MaterializationRef.of(dataset, row)


async def list_materializations(ctx: Context, dataset: str) -> list[MaterializationRef]:
    """The published materializations of ``dataset``, newest first."""
    stmt = _materializations_of(ctx, dataset).order_by(_materializations.c.version.desc())
    async with read_connection(ctx.sessionmaker) as conn:
        rows = (await conn.execute(stmt)).all()
    return [MaterializationRef.of(dataset, row) for row in rows]


def checked_ids(ids: Iterable[Any], *, field: str = "segments") -> list[int]:
    """Segment ids as given, duplicates dropped, order kept; 400 for anything that is not a
    64-bit id (JSON numbers arrive as ints, GraphQL BigInt as ints too)."""
    unique: dict[int, None] = {}
    for value in ids:
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadRequest(f"Segment ids must be integers, got {value!r}.", field=field)
        if not 0 <= value <= MAX_SEGMENT_ID:
            raise BadRequest(f"Segment id {value} is outside 0 to 2^63-1.", field=field)
        unique[value] = None
    if len(unique) > MAX_SEGMENT_IDS:
        raise BadRequest(f"At most {MAX_SEGMENT_IDS} segment ids per request.", field=field)
    return list(unique)


async def get_segments(
    ctx: Context, materialization: MaterializationRef, ids: Sequence[int]
) -> dict[int, Row[Any]]:
    """The segment rows of ``ids`` that exist in ``materialization``, by id (one statement)."""
    if not ids:
        return {}
    columns = [_segments.c[name] for name in SEGMENT_COLUMNS]
    stmt = select(*columns).where(
        _segments.c.materialization_id == materialization.id,
        among(ctx.sessionmaker, _segments.c.id, ids),
    )
    async with read_connection(ctx.sessionmaker) as conn:
        rows = (await conn.execute(stmt)).all()
    return {row.id: row for row in rows}


async def stored_properties(
    ctx: Context,
    materialization: MaterializationRef,
    ids: Sequence[int],
    names: Sequence[str] | None = None,
) -> dict[int, dict[str, Any]]:
    """Named JSON properties (nucleus, soma, ...) of ``ids``, by id then name."""
    found: dict[int, dict[str, Any]] = {}
    if not ids or names == []:
        return found
    condition = and_(
        _properties.c.materialization_id == materialization.id,
        among(ctx.sessionmaker, _properties.c.segment_id, ids),
    )
    if names is not None:
        condition = and_(condition, _properties.c.name.in_(list(names)))
    stmt = select(_properties.c.segment_id, _properties.c.name, _properties.c.value).where(
        condition
    )
    async with read_connection(ctx.sessionmaker) as conn:
        for segment_id, name, value in (await conn.execute(stmt)).all():
            found.setdefault(segment_id, {})[name] = value
    return found


# -- the BrainCircuits property shapes -------------------------------------------------------


def size_of(row: Row[Any]) -> dict[str, Any]:
    return {"size_nm": row.size_nm, "length_nm": row.length_nm, "area_nm": row.area_nm}


def link_pre_of(row: Row[Any]) -> dict[str, Any]:
    return {"nr_pre": row.nr_pre, "nr_downstream_partner": row.nr_downstream_partner}


def link_post_of(row: Row[Any]) -> dict[str, Any]:
    return {"nr_post": row.nr_post, "nr_upstream_partner": row.nr_upstream_partner}


def neurotransmitter_of(row: Row[Any]) -> dict[str, Any]:
    return {
        "nt_type": row.nt_type or None,
        "nt_type_score": row.nt_score,
        "scores": {nt: getattr(row, f"{nt}_avg") for nt in NEUROTRANSMITTERS},
    }


_FROM_ROW = {
    "size": size_of,
    "link_pre": link_pre_of,
    "link_post": link_post_of,
    "neurotransmitter": neurotransmitter_of,
}


@dataclass(frozen=True, slots=True)
class SegmentProperties:
    """Properties of the known ids (request order), by id then property name; the ids the
    materialization does not have; and the materialization that answered."""

    materialization: MaterializationRef
    results: dict[int, dict[str, Any]]
    unknown: list[int]

    @property
    def materialized_timestamp(self) -> int:
        return self.materialization.unix_timestamp


def checked_properties(properties: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(properties))
    unknown = [name for name in wanted if name not in PROPERTIES]
    if unknown or not wanted:
        raise BadRequest(
            f"Unknown segment property {', '.join(map(repr, unknown)) or '(none given)'}. "
            f"Known: {', '.join(PROPERTIES)}.",
            field="property",
        )
    return wanted


async def segment_properties(
    ctx: Context,
    dataset: str,
    ids: Iterable[Any],
    properties: Iterable[str],
    *,
    version: int | None = None,
    timestamp: datetime | None = None,
    connectivity_limit: int | None = None,
    cave_token: str | None = None,
) -> SegmentProperties:
    """BrainCircuits' segment properties for a batch of ids, in at most five statements
    whatever the batch size: the materialization, the segment rows, the stored properties,
    and downstream and upstream partners (for ``connectivity``, all of them unless
    ``connectivity_limit``; strongest first, then by id).

    Shapes: ``size`` {size_nm, length_nm, area_nm}; ``link_pre`` {nr_pre,
    nr_downstream_partner}; ``link_post`` {nr_post, nr_upstream_partner};
    ``neurotransmitter`` {nt_type, nt_type_score, scores: {ach, gaba, glut, oct, ser, da}};
    ``connectivity`` {downstream, upstream: [{segmentid (a string), synaptic_count}]};
    ``nucleus``, ``soma``, ``mitochondria``, ``dcv``: the stored JSON, or null.

    A CAVE-managed dataset needs ``cave_token`` (BrainCircuits' ``Authorization-Cave``);
    its value is not checked, there being no CAVE server here to ask.
    """
    wanted = checked_properties(properties)
    segment_ids = checked_ids(ids)
    materialization = await resolve_materialization(
        ctx, dataset, version=version, timestamp=timestamp
    )
    if materialization.cave_managed and not (cave_token and cave_token.strip()):
        raise Unauthenticated(
            f"Dataset {dataset!r} is managed by CAVE: send an Authorization-Cave header."
        )
    rows = await get_segments(ctx, materialization, segment_ids)
    known = [segment_id for segment_id in segment_ids if segment_id in rows]
    results: dict[int, dict[str, Any]] = {segment_id: {} for segment_id in known}
    for name in wanted:
        shape = _FROM_ROW.get(name)
        if shape is not None:
            for segment_id in known:
                results[segment_id][name] = shape(rows[segment_id])
    stored = [name for name in wanted if name in STORED_PROPERTIES]
    if stored:
        values = await stored_properties(ctx, materialization, known, stored)
        for segment_id in known:
            mine = values.get(segment_id, {})
            for name in stored:
                results[segment_id][name] = mine.get(name)
    if "connectivity" in wanted:
        sides = {
            direction.value: await partners_batch(
                ctx, materialization.id, known, direction, first=connectivity_limit
            )
            for direction in (Direction.DOWNSTREAM, Direction.UPSTREAM)
        }
        for segment_id in known:
            results[segment_id]["connectivity"] = {
                side: by_id[segment_id].as_connectivity() for side, by_id in sides.items()
            }
    unknown = [segment_id for segment_id in segment_ids if segment_id not in rows]
    return SegmentProperties(materialization, results, unknown)
