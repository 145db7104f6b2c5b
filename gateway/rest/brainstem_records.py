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
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import Row

from gateway.auth.permissions import EDITING_ROLES, ProjectRole
from gateway.auth.visibility import names_visible_rows
from gateway.db.models import User, table
from gateway.rest.brainstem_models import MODELS, Members, Model, ToMany, ToOne
from gateway.rest.brainstem_query import Include
from loaders.rows import MAX_KEYS_PER_STATEMENT
from resolvers.context import Context
from resolvers.listing import Join, Page, RelatedIds, list_rows, named
from resolvers.query import Filter, QuerySpec

Record = dict[str, Any]

# The most related ids one record lists per relation (a project's sessions, say).
RELATED_MAX = 10_000

second = itemgetter(1)


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
            target = MODELS[relation.target]
            entity = target.entity
            columns = target.columns
            if columns is None:
                columns = tuple(c.name for c in entity.table.c if c.name != entity.key)
            joins[name] = Join(entity, relation.column, columns)
    return joins


def id_lists(model: Model, include: Include) -> dict[str, RelatedIds]:
    """The to-many relations of a list shown as id lists (not included), by the name of the
    page column that carries them: the database builds each list in the page's statement."""
    return {
        _ids_column(name): RelatedIds(
            MODELS[relation.target].entity, relation.sources, relation.own, RELATED_MAX
        )
        for name, relation in model.relations.items()
        if isinstance(relation, ToMany) and name not in include
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
    fills = []
    for name, relation in model.relations.items():
        for record in records:
            record[name] = None  # its place in the record, whichever fill ends first
        if isinstance(relation, ToOne):
            folded = None if joined is None else joined.get(name)
            fills.append(_fill_to_one(ctx, name, relation, rows, records, include, folded))
        elif isinstance(relation, ToMany):
            if name not in include and (place := _place(columns, _ids_column(name))) >= 0:
                for record, row in zip(records, rows, strict=True):
                    record[name] = orjson.Fragment(row[place])  # JSON already
                continue
            fills.append(_fill_to_many(ctx, model, name, relation, rows, records, include))
        else:
            fills.append(_fill_members(ctx, name, relation, rows, records))
    # The relations load side by side, each through its own connection.
    await asyncio.gather(*fills)
    for name in include.keys() & model.unmodelled:
        for record in records:
            record[name] = []
    return records


async def _rows_to_embed(
    ctx: Context, model: Model, keys: Mapping[str, Any], include: Include
) -> Mapping[Any, Any]:
    """The visible rows of ``model`` under ``keys`` (text: key), by key. The id lists their
    records show come in the same statement (embedded projects, each listing hundreds of
    sessions, are one statement); the rows come through the model's loader otherwise."""
    related = id_lists(model, include)
    if not related or not keys or len(keys) > MAX_KEYS_PER_STATEMENT:
        return await ctx.loaders.by_key(model.entity.table).fill(keys.values())
    key = model.entity.key
    spec = QuerySpec(where=Filter(key, "in", list(keys)))
    page = await list_rows(
        ctx,
        model.entity,
        spec,
        with_total=False,
        columns=model.columns,
        related=related,
        max_page_size=len(keys),
    )
    return {getattr(row, key): row for row in page.rows}


def _place(columns: Sequence[str], name: str) -> int:
    return columns.index(name) if name in columns else -1


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
    target = MODELS[relation.target]
    distinct = {key for key in keys if key is not None}
    loaded: Mapping[Any, Any]
    if folded is not None:  # read with the page, under the same visibility rule
        loaded = {row.id: row for row in folded if row is not None}
    else:
        loaded = await _rows_to_embed(
            ctx, target, {str(key): key for key in distinct}, include[name]
        )
    embedded = await _embedded(ctx, target, loaded, distinct, include[name])
    for record, key in zip(records, keys, strict=True):
        record[name] = embedded.get(key)


async def _fill_to_many(
    ctx: Context,
    model: Model,
    name: str,
    relation: ToMany,
    rows: Sequence[Row[Any]],
    records: list[Record],
    include: Include,
) -> None:
    target = MODELS[relation.target]
    target_table = target.entity.table
    # Each row's related ids in order, once each, as the text the record shows: a page can
    # name tens of thousands, which the database writes as text far cheaper than Python builds
    # UUIDs from them (the related tables all have UUID keys).
    related: list[dict[str, None]] = [{} for _ in rows]
    # Ids the visibility rule already vouches for need no second look through the target's
    # loader: those read from the target's own table (its children loader applied the rule),
    # and those a visible row can only name when they are visible too (a subject's projects).
    trusted: list[set[str]] = [set() for _ in rows]
    if relation.own:
        own_trusted = names_visible_rows(model.entity.table, relation.own, target_table)
        for row, found, vouched in zip(rows, related, trusted, strict=True):
            if (key := getattr(row, relation.own)) is not None:
                found[text := str(key)] = None
                if own_trusted:
                    vouched.add(text)
    parents = [row.id for row in rows]
    for source in relation.sources:
        loader = ctx.loaders.children(
            source.table,
            (source.parent,),
            limit=RELATED_MAX,
            order_by=[source.table.c[source.value]],
            columns=(source.value,),
            text_ids=True,
        )
        grouped = await loader.fill(parents)
        vouched_for = (
            source.table is target_table and source.value == target.entity.key
        ) or names_visible_rows(source.table, source.value, target_table)
        for found, visible, parent in zip(related, trusted, parents, strict=True):
            texts = list(map(second, grouped[parent]))  # rows of (parent, value)
            if vouched_for:
                visible.update(texts)
            found.update(dict.fromkeys(texts))  # a repeated id keeps its first place
    if name not in include:
        unchecked = {
            text: uuid.UUID(text)
            for found, visible in zip(related, trusted, strict=True)
            for text in found if text not in visible
        }  # fmt: skip
        loaded = await ctx.loaders.by_key(target_table, columns=()).fill(unchecked.values())
        hidden = {text for text, key in unchecked.items() if loaded.get(key) is None}
        for record, found in zip(records, related, strict=True):
            record[name] = [text for text in found if text not in hidden] if hidden else [*found]
        return
    keys = {text: uuid.UUID(text) for found in related for text in found}
    rows_of = await _rows_to_embed(ctx, target, keys, include[name])
    embedded = await _embedded(ctx, target, rows_of, set(keys.values()), include[name])
    for record, found in zip(records, related, strict=True):
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
