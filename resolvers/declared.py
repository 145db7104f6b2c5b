"""Writing an entity from its declaration alone: the values it takes, how each is checked,
who may write it, and the links it keeps, all read from the entity graph, so a new entity
needs no write code of its own (projects, subjects and sessions keep their own rules in
:mod:`resolvers.experiments`).

- Values: its writable attributes, parsed by their column's type (text within its length,
  integers within 32 bits, ISO dates and times, UUIDs, JSON; declared choices), the required
  ones required; its writable to-one relations by key; its writable to-many relations as key
  lists. Every related row must be one the caller may see, else the same 400 as a missing one.
- Structured fields (:attr:`resolvers.query.Entity.structured`): the payload is validated
  against the schema its selector names (:mod:`resolvers.details`) on create and change, and
  the schema's version recorded.
- Invariants (:attr:`resolvers.query.Entity.invariants`): checked in SQL on the record as
  written, before the transaction commits; a record breaking one is a 400 and nothing stays.
- Who: the caller must be allowed to change the row it belongs to (its project, subject or
  session: ``gateway.auth.permissions.editable``), before and after the change. A row the
  caller may not see is the same :class:`NotFound` as a missing one.

Each write is one transaction.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Row,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.auth.permissions import editable, require_authenticated
from gateway.auth.visibility import readable_columns, visible
from gateway.db.engine import write_transaction
from gateway.errors import BadRequest, Forbidden, NotFound
from resolvers import details
from resolvers.catalog import ENTITIES
from resolvers.context import Context
from resolvers.experiments import (
    Mode,
    Parser,
    Rule,
    boolean,
    choice,
    clean,
    extra_fields,
    optional_date,
    optional_datetime,
    optional_integer,
    optional_key,
    storable_number,
    tags,
    text,
)
from resolvers.query import Entity
from resolvers.relations import Link, ToMany, ToOne


def _json(name: str, value: Any) -> Any:
    """A JSON object or array whose numbers can be stored and sent back (a JSON encoder
    refuses integers past 64 bits, which a request body may carry exactly)."""
    if not isinstance(value, dict | list):
        raise BadRequest("Expected a JSON object or array.", field=name)
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int | float) and not storable_number(item):
            raise BadRequest("Numbers must fit in 64 bits.", field=name)
    return value


def _integer_key(name: str, value: Any) -> int | None:
    """The id of a row keyed by an integer (a user, a group), as a number or its digits."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return optional_integer(name, value)


def _key_parser(target: str, *, required: bool = False) -> Parser:
    """How an id naming a row of the entity ``target`` is read: a UUID, or an integer;
    ``required``: not null either (refused here, not by the database's NOT NULL as a failed
    statement)."""
    entity = ENTITIES[target]
    parse = _integer_key if isinstance(entity.table.c[entity.key].type, Integer) else optional_key
    if not required:
        return parse

    def required_key(name: str, value: Any) -> Any:
        key = parse(name, value)
        if key is None:
            raise BadRequest("This field may not be null.", field=name)
        return key

    return required_key


def _keys_of(target: str, *, required: bool) -> Parser:
    """A list of ids of ``target`` rows, repeats dropped; ``required``: not empty."""
    parse = _key_parser(target)

    def keys(name: str, value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise BadRequest("Expected a list of ids.", field=name)
        found = [parse(name, item) for item in value]
        if None in found:
            raise BadRequest("An id may not be null.", field=name)
        if required and not found:
            raise BadRequest("This list may not be empty.", field=name)
        return list(dict.fromkeys(found))

    return keys


# JSON columns whose values have a shape of their own.
_JSON_PARSERS: Mapping[str, Parser] = {"tags": tags, "extra_fields": extra_fields}


def _number(minimum: float | None, *, required: bool) -> Parser:
    """A finite number (a numeric string too, as a form sends it), at least ``minimum``."""

    def parse(name: str, value: Any) -> float | None:
        if value is None or value == "":
            if required:
                raise BadRequest("This field may not be null.", field=name)
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise BadRequest("A valid number is required.", field=name)
        try:
            number = float(value)
        except ValueError:
            raise BadRequest("A valid number is required.", field=name) from None
        if not math.isfinite(number):
            raise BadRequest("A valid number is required.", field=name)
        if minimum is not None and number < minimum:
            raise BadRequest(
                f"Ensure this value is greater than or equal to {minimum:g}.", field=name
            )
        return number

    return parse


def _parser(entity: Entity, name: str) -> Parser:
    """How a value of the attribute ``name`` is checked, from its declaration and column."""
    attribute = entity.attributes[name]
    column = entity.table.c[name]
    sql = column.type
    if isinstance(sql, TypeDecorator):  # SQLModel's AutoString: a String underneath
        sql = sql.impl_instance
    if attribute.choices:
        return choice(*(value for value, _ in attribute.choices))
    if isinstance(sql, Boolean):
        return boolean
    if isinstance(sql, Integer):
        return optional_integer
    if isinstance(sql, Float):
        return _number(attribute.minimum, required=attribute.required)
    if isinstance(sql, DateTime):
        return optional_datetime
    if isinstance(sql, Date):
        return optional_date
    if isinstance(sql, Uuid):
        return optional_key
    if isinstance(sql, JSON):
        return _JSON_PARSERS.get(name, _json)
    if isinstance(sql, String):
        return text(sql.length, required=attribute.required)
    raise TypeError(f"No parser for {entity.name}.{name} ({sql}).")


def _default_of(column: Any) -> Callable[[], Any]:
    """The value a new record gets when the write does not give one: the column's default."""
    default = column.default
    if default is None:
        return lambda: None
    if default.is_callable:
        return lambda: default.arg(None)  # SQLAlchemy wraps it to take an execution context
    return lambda: default.arg


def rules(entity: Entity) -> dict[str, Rule]:
    """Every value a write of ``entity`` takes, with its check, default and whether a new
    record must have it."""
    found: dict[str, Rule] = {}
    for name, attribute in entity.attributes.items():
        if attribute.writable:
            column = entity.table.c[name]
            found[name] = Rule(_parser(entity, name), _default_of(column), attribute.required)
    for relation in entity.relations.values():
        if isinstance(relation, ToOne) and relation.writable:
            parse = _key_parser(relation.target, required=relation.required)
            found[relation.fk] = Rule(parse, required=relation.required)
        elif isinstance(relation, ToMany) and relation.writable:
            parse = _keys_of(relation.target, required=relation.required)
            found[relation.written_as] = Rule(parse, list, relation.required)
    return found


def _links(entity: Entity) -> dict[str, tuple[ToMany, Link]]:
    """The link table each writable to-many relation keeps, by the value that writes it."""
    found = {}
    for relation in entity.relations.values():
        if isinstance(relation, ToMany) and relation.writable:
            if len(relation.links) != 1 or relation.fks or relation.own:
                raise TypeError(f"{entity.name}: a written to-many relation is one link table.")
            found[relation.written_as] = (relation, relation.links[0])
    return found


def _label(entity: Entity) -> str:
    return entity.name


async def _visible_keys(
    conn: AsyncConnection, ctx: Context, target: Entity, keys: Sequence[Any], name: str
) -> None:
    """Every one of ``keys`` names a row of ``target`` the caller may see (a 400 otherwise)."""
    rows: Table = target.table
    query = select(rows.c[target.key]).where(rows.c[target.key].in_(keys))
    rule = visible(rows, ctx.principal)
    found = set((await conn.execute(query if rule is None else query.where(rule))).scalars())
    for key in keys:
        if key not in found:
            raise BadRequest(f'Invalid pk "{key}" - object does not exist.', field=name)


async def _check_references(
    conn: AsyncConnection, ctx: Context, entity: Entity, values: Mapping[str, Any]
) -> None:
    for relation in entity.relations.values():
        if isinstance(relation, ToOne) and relation.writable and values.get(relation.fk):
            target = ENTITIES[relation.target]
            await _visible_keys(conn, ctx, target, [values[relation.fk]], relation.fk)
        elif isinstance(relation, ToMany) and relation.writable and values.get(relation.written_as):
            target = ENTITIES[relation.target]
            await _visible_keys(conn, ctx, target, values[relation.written_as], relation.written_as)


def _check_structured(entity: Entity, values: dict[str, Any], current: Row[Any] | None) -> None:
    """Validate each structured pair a write touches, as it will be stored."""
    for pair in entity.structured:
        if pair.selector not in values and pair.payload not in values:
            continue
        kind = values.get(pair.selector, getattr(current, pair.selector, None))
        payload = values.get(pair.payload, getattr(current, pair.payload, None))
        values[pair.version] = details.check(pair, kind, payload)


async def _may_change(conn: AsyncConnection, ctx: Context, entity: Entity, key: Any) -> None:
    """Forbidden unless the caller may change the row ``key`` (as it now is)."""
    rows = entity.table
    rule = editable(rows, ctx.principal)
    query = select(rows.c[entity.key]).where(rows.c[entity.key] == key)
    if rule is not None and (await conn.execute(query.where(rule))).first() is None:
        raise Forbidden(f"You may not change this {_label(entity).lower()}.")


async def _check_invariants(conn: AsyncConnection, entity: Entity, key: Any) -> None:
    """A 400 for the first invariant the record ``key`` breaks as written (rolled back)."""
    rows = entity.table
    for invariant in entity.invariants:
        query = select(rows.c[entity.key]).where(
            rows.c[entity.key] == key, invariant.holds(rows)
        )
        if (await conn.execute(query)).first() is None:
            raise BadRequest(invariant.message, field=invariant.field)


async def visible_row(conn: AsyncConnection, ctx: Context, entity: Entity, key: Any) -> Row[Any]:
    """The row ``key`` of ``entity`` as the caller may see it; a :class:`NotFound` otherwise."""
    rows = entity.table
    query = select(*readable_columns(rows)).where(rows.c[entity.key] == key)
    rule = visible(rows, ctx.principal)
    row = (await conn.execute(query if rule is None else query.where(rule))).first()
    if row is None:
        raise NotFound(f"{_label(entity)} not found.")
    return row


def key_of(entity: Entity, value: Any) -> Any:
    try:
        return entity.field_spec(entity.key).coerce(entity.key, value)
    except BadRequest as exc:
        raise NotFound(f"{_label(entity)} not found.") from exc


async def _write_links(
    conn: AsyncConnection, entity: Entity, key: Any, values: Mapping[str, Any]
) -> None:
    for name, (_relation, link) in _links(entity).items():
        if name in values:
            await conn.execute(delete(link.table).where(link.table.c[link.near] == key))
            if values[name]:
                rows = [{link.near: key, link.far: far} for far in values[name]]
                await conn.execute(insert(link.table), rows)


def _split(entity: Entity, cleaned: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(column values, link lists)."""
    links = {name: cleaned.pop(name) for name in _links(entity) if name in cleaned}
    return cleaned, links


async def _read(conn: AsyncConnection, entity: Entity, key: Any) -> Row[Any]:
    rows = entity.table
    query = select(*readable_columns(rows)).where(rows.c[entity.key] == key)
    return (await conn.execute(query)).one()


@asynccontextmanager
async def _unique_clash_as_bad_request(
    conn: AsyncConnection, entity: Entity
) -> AsyncIterator[None]:
    """A write that would repeat a unique value (a name, an insertion's name in its session, an
    invitation of the same user to the same project): a 400 naming the unique fields, the
    transaction left usable."""
    try:
        async with conn.begin_nested():
            yield
    except IntegrityError as exc:
        uniques = [
            " and ".join(column.name for column in constraint.columns)
            for constraint in entity.table.constraints
            if isinstance(constraint, UniqueConstraint)
        ]
        which = f" with the same {' or '.join(uniques)}" if uniques else ""
        raise BadRequest(f"A {_label(entity)}{which} already exists.") from exc


@asynccontextmanager
async def _still_in_use_as_bad_request(
    conn: AsyncConnection, entity: Entity
) -> AsyncIterator[None]:
    """A delete other rows still refer to: a 400, not a failed statement."""
    try:
        async with conn.begin_nested():
            yield
    except IntegrityError as exc:
        raise BadRequest(f"This {_label(entity).lower()} is still in use.") from exc


# Run in a write's transaction once its row is written, with its key and the caller's id: rows
# that belong with it (the creator's membership of a new group, a group's changed members).
AfterWrite = Callable[[AsyncConnection, Any, int], Awaitable[None]]


async def create_record(
    ctx: Context, entity: Entity, values: Mapping[str, Any], *, then: AfterWrite | None = None
) -> Row[Any]:
    """A new record of ``entity``, in a row the caller may change."""
    user_id = require_authenticated(ctx.principal)
    cleaned = clean(rules(entity), values, Mode.CREATE)
    _check_structured(entity, cleaned, None)
    columns, links = _split(entity, cleaned)
    now = ctx.now()
    if entity.author and columns.get(entity.author) is None:
        columns[entity.author] = user_id  # unless writes may name another (a weighing's user)
    async with write_transaction(ctx.sessionmaker) as conn:
        await _check_references(conn, ctx, entity, {**columns, **links})
        if entity.authors and not links.get(entity.authors):
            links[entity.authors] = [user_id]
        rows = entity.table
        stamps = {name: now for name in ("created_at", "updated_at") if name in rows.c}
        row = {**columns, **stamps}
        key_column = rows.c[entity.key]
        if key_column.autoincrement is False and isinstance(key_column.type, Integer):
            # A key the database does not number (a brain region's atlas id): the next free one.
            row[entity.key] = select(func.coalesce(func.max(key_column), 0) + 1).scalar_subquery()
        async with _unique_clash_as_bad_request(conn, entity):
            inserted = await conn.execute(insert(rows).values(**row).returning(rows.c[entity.key]))
        key = inserted.scalar_one()
        if then is not None:
            await then(conn, key, user_id)
        await _may_change(conn, ctx, entity, key)  # rolled back when not
        await _check_invariants(conn, entity, key)
        await _write_links(conn, entity, key, links)
        return await _read(conn, entity, key)


async def change_record(
    ctx: Context,
    entity: Entity,
    key_value: Any,
    values: Mapping[str, Any],
    mode: Mode,
    *,
    then: AfterWrite | None = None,
) -> Row[Any]:
    """Change the record ``key_value``: the caller must be allowed to change it as it is and
    as it will be (moving it to a session of another project, say)."""
    user_id = require_authenticated(ctx.principal)
    key = key_of(entity, key_value)
    cleaned = clean(rules(entity), values, mode)
    async with write_transaction(ctx.sessionmaker) as conn:
        current = await visible_row(conn, ctx, entity, key)
        await _may_change(conn, ctx, entity, key)
        _check_structured(entity, cleaned, current)
        columns, links = _split(entity, cleaned)
        await _check_references(conn, ctx, entity, {**columns, **links})
        rows = entity.table
        if "updated_at" in rows.c:
            columns["updated_at"] = ctx.now()
        async with _unique_clash_as_bad_request(conn, entity):
            await conn.execute(update(rows).where(rows.c[entity.key] == key).values(**columns))
        await _may_change(conn, ctx, entity, key)
        await _check_invariants(conn, entity, key)
        await _write_links(conn, entity, key, links)
        if then is not None:
            await then(conn, key, user_id)
        return await _read(conn, entity, key)


async def delete_record(ctx: Context, entity: Entity, key_value: Any) -> None:
    require_authenticated(ctx.principal)
    key = key_of(entity, key_value)
    async with write_transaction(ctx.sessionmaker) as conn:
        await visible_row(conn, ctx, entity, key)
        await _may_change(conn, ctx, entity, key)
        async with _still_in_use_as_bad_request(conn, entity):
            await conn.execute(delete(entity.table).where(entity.table.c[entity.key] == key))
