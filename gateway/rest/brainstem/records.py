"""BrainSTEM records from rows: BrainSTEM field names, ids as strings, ISO 8601 timestamps, and
relations as id lists, or, when included, the related records embedded in place.

A list page reads its included to-one relations (:func:`folds`) and the id lists of the
relations it does not include (:func:`id_lists`) in its own statement; embedded records come
with their id lists the same way. Everything else is filled for all rows at once through the
request's loaders. All of it applies the visibility rule, so the statements of a request grow
with the include depth, never with the number of rows; a related record the caller may not
see is left out.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import Row

from gateway.auth.permissions import EDITING_ROLES, ProjectRole
from gateway.db.models import User, table
from gateway.rest.brainstem.models import BY_ENTITY, MODELS, Members, Model, ToMany, ToOne
from gateway.rest.brainstem.query import Include
from loaders.rows import MAX_KEYS_PER_STATEMENT
from resolvers.context import Context
from resolvers.listing import Join, Page, RelatedIds, list_rows, named
from resolvers.query import Filter, QuerySpec

Record = dict[str, Any]

# The most related ids one record lists per relation (a project's sessions, say).
RELATED_MAX = 10_000


def _timestamp(value: datetime) -> str:
    return value.isoformat() + "Z"


# By exact type: one dict lookup per value (a page renders thousands of them).
_AS_JSON: dict[type, Any] = {uuid.UUID: str, datetime: _timestamp, date: date.isoformat}


def plain(value: Any) -> Any:
    """A column value as JSON: UUIDs as strings, timestamps (naive UTC) ISO 8601 with a Z."""
    convert = _AS_JSON.get(type(value))
    if convert is not None:
        return convert(value)
    return str(value) if isinstance(value, uuid.UUID) else value  # asyncpg's UUID subclass


def folds(model: Model, include: Include) -> dict[str, Join]:
    """The included to-one relations of a list, by name: read in the page's own statement
    (a page of subjects with their species is one statement, not two)."""
    joins = {}
    for name, relation in model.relations.items():
        if isinstance(relation, ToOne) and name in include:
            target = BY_ENTITY[relation.target]
            entity = target.entity
            columns = target.columns
            if columns is None:
                columns = tuple(c.name for c in entity.table.c if c.name != entity.key)
            joins[name] = Join(entity, relation.column, columns)
    return joins


def id_lists(model: Model) -> dict[str, RelatedIds]:
    """The ids each to-many relation of ``model`` names, by the name of the column that
    carries them: the database builds each list (a JSON array) in the rows' own statement."""
    return {
        _ids_column(name): RelatedIds(
            BY_ENTITY[relation.target].entity, relation.sources, relation.own, RELATED_MAX
        )
        for name, relation in model.relations.items()
        if isinstance(relation, ToMany)
    }


def _ids_column(relation: str) -> str:
    return f"ids_of_{relation}"


async def render_page(
    ctx: Context, model: Model, page: Page, include: Include, joins: Mapping[str, Join]
) -> list[Record]:
    """A page read with ``joins`` (:func:`folds`) as BrainSTEM records."""
    if not joins:
        return await render(ctx, model, page.rows, include)
    joined = {
        name: named(join.names, rows)
        for (name, join), rows in zip(joins.items(), page.joined, strict=True)
    }
    return await render(ctx, model, named(page.names, page.rows), include, joined)


async def render(
    ctx: Context,
    model: Model,
    rows: Sequence[Any],
    include: Include,
    joined: Mapping[str, Sequence[Any]] | None = None,
) -> list[Record]:
    """``rows`` of ``model`` as BrainSTEM records, with ``include`` expanded; ``joined``
    holds, per folded relation, each row's related row (None when missing or hidden)."""
    if not rows:
        return []
    # Rows by position, not by name: a page renders thousands of values.
    columns = rows[0]._fields
    places = [(name, columns.index(column)) for name, column in model.fields.items()]
    records = [{name: plain(row[place]) for name, place in places} for row in rows]
    if model.approval_of is not None:
        await _flatten_proposals(ctx, MODELS[model.approval_of], rows, records)
    ids = await _id_lists(ctx, model, rows)
    fills = []
    for name, relation in model.relations.items():
        for record in records:
            record[name] = None  # its place in the record, whichever fill ends first
        if isinstance(relation, ToOne):
            folded = None if joined is None else joined.get(name)
            fills.append(_fill_to_one(ctx, name, relation, rows, records, include, folded))
        elif isinstance(relation, ToMany):
            if name not in include:
                for record, text in zip(records, ids[name], strict=True):
                    record[name] = orjson.Fragment(text)  # JSON already
                continue
            fills.append(_fill_to_many(ctx, name, relation, ids[name], records, include))
        else:
            fills.append(_fill_members(ctx, name, relation, rows, records))
    # The relations load side by side, each through its own connection.
    await asyncio.gather(*fills)
    for name in include.keys() & model.unmodelled:
        for record in records:
            record[name] = []
    return records


async def _rows_to_embed(
    ctx: Context, model: Model, keys: Mapping[str, Any], columns: tuple[str, ...] | None
) -> dict[Any, Any]:
    """The visible rows of ``model`` under ``keys`` (text: key), by key, with ``columns``
    (None: its record's) and the id lists of its to-many relations, read in the same
    statement: embedded projects, each listing hundreds of sessions, are one statement."""
    entity, related = model.entity, id_lists(model)
    found: dict[Any, Any] = {}
    texts = list(keys)
    for start in range(0, len(texts), MAX_KEYS_PER_STATEMENT):
        chunk = texts[start : start + MAX_KEYS_PER_STATEMENT]
        page = await list_rows(
            ctx,
            entity,
            QuerySpec(where=Filter(entity.key, "in", chunk)),
            with_total=False,
            columns=model.columns if columns is None else columns,
            related=related,
            max_page_size=len(chunk),
        )
        found.update((getattr(row, entity.key), row) for row in page.rows)
    return found


async def _id_lists(ctx: Context, model: Model, rows: Sequence[Any]) -> dict[str, list[str]]:
    """Per to-many relation, each row's id list (JSON text): read with the rows (lists,
    embedded records), or in one statement for rows read without them (a single record)."""
    names = [name for name, rel in model.relations.items() if isinstance(rel, ToMany)]
    if not names:
        return {}
    if not all(_ids_column(name) in rows[0]._fields for name in names):
        read = await _rows_to_embed(ctx, model, {str(row.id): row.id for row in rows}, ())
        rows = [read[row.id] for row in rows]
    return {name: [getattr(row, _ids_column(name)) for row in rows] for name in names}


async def _embedded(
    ctx: Context, model: Model, loaded: Mapping[Any, Any], keys: set[Any], include: Include
) -> dict[Any, Record]:
    """The records of the loaded rows under ``keys`` (once each), by key."""
    present = [row for key in keys if (row := loaded.get(key)) is not None]
    rendered = await render(ctx, model, present, include)
    return {row.id: record for row, record in zip(present, rendered, strict=True)}


async def _fill_to_one(
    ctx: Context,
    name: str,
    relation: ToOne,
    rows: Sequence[Row[Any]],
    records: list[Record],
    include: Include,
    folded: Sequence[Any] | None,
) -> None:
    keys = [getattr(row, relation.column) for row in rows]
    if name not in include:
        for record, key in zip(records, keys, strict=True):
            record[name] = plain(key)
        return
    target = BY_ENTITY[relation.target]
    distinct = {key for key in keys if key is not None}
    loaded: Mapping[Any, Any]
    if folded is not None:  # read with the page, under the same visibility rule
        loaded = {row.id: row for row in folded if row is not None}
    else:
        loaded = await _rows_to_embed(ctx, target, {str(key): key for key in distinct}, None)
    embedded = await _embedded(ctx, target, loaded, distinct, include[name])
    for record, key in zip(records, keys, strict=True):
        record[name] = embedded.get(key)


async def _fill_to_many(
    ctx: Context,
    name: str,
    relation: ToMany,
    ids: Sequence[str],
    records: list[Record],
    include: Include,
) -> None:
    """The records of an included to-many relation, in the order of each row's id list."""
    target = BY_ENTITY[relation.target]
    lists = [orjson.loads(text) for text in ids]
    keys = {text: uuid.UUID(text) for found in lists for text in found}
    rows_of = await _rows_to_embed(ctx, target, keys, None)
    embedded = await _embedded(ctx, target, rows_of, set(keys.values()), include[name])
    for record, found in zip(records, lists, strict=True):
        record[name] = [embedded[key] for text in found if (key := keys[text]) in embedded]


async def _fill_members(
    ctx: Context, name: str, relation: Members, rows: Sequence[Row[Any]], records: list[Record]
) -> None:
    members = relation.table
    loader = ctx.loaders.children(
        members,
        ("project_id",),
        limit=RELATED_MAX,
        order_by=[members.c.user_id],
        columns=("user_id", "role", "is_owner"),
    )
    grouped = await loader.fill([row.id for row in rows])
    user_ids = {m.user_id for row in rows for m in grouped[row.id]}
    users = await ctx.loaders.by_key(table(User), columns=("username",)).fill(user_ids)
    for record, row in zip(records, rows, strict=True):
        record[name] = {
            user.username: {
                "can_change": m.role in EDITING_ROLES,
                "is_manager": m.role == ProjectRole.MANAGER.value,
                "is_owner": m.is_owner,
            }
            for m in grouped[row.id]
            if (user := users.get(m.user_id)) is not None
        }


def _instance_key(approval: Row[Any]) -> uuid.UUID | None:
    try:
        return None if approval.instance_id is None else uuid.UUID(approval.instance_id)
    except ValueError:
        return None


async def _flatten_proposals(
    ctx: Context, taxonomy: Model, rows: Sequence[Row[Any]], records: list[Record]
) -> None:
    """An approval shows the record it proposes, in the taxonomy model's fields: the proposed
    values over the current ones of the record it changes (a change proposes only some)."""
    keys = [_instance_key(row) for row in rows]
    current = await ctx.loaders.by_key(taxonomy.entity.table).fill(
        {key for key in keys if key is not None}
    )
    for index, (row, key) in enumerate(zip(rows, keys, strict=True)):
        instance = current.get(key) if key is not None else None
        proposal: Record = {}
        for field_name, column in taxonomy.writable.items():
            if column in row.proposed:
                proposal[field_name] = row.proposed[column]
            elif instance is not None:
                proposal[field_name] = plain(getattr(instance, column))
            else:
                proposal[field_name] = None if column.endswith("_id") else ""
        record = records[index]
        records[index] = {"id": record["id"], **proposal, **record}
