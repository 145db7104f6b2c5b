"""Compiled reads: a read of the entity graph as ONE statement that builds the finished JSON
of the answer in the database (``json_build_object``/``json_agg`` on PostgreSQL,
``json_object``/``json_group_array`` on SQLite).

A surface describes what it wants of each row as a :class:`Shape`: response keys holding a
column (:class:`Leaf`, with how the surface renders its values), a constant
(:class:`Constant`), or a relation followed (:class:`Nested`: to-one, or a to-many relation
through the target's own foreign key, with its own filter, order and window). The statement
reads it as :func:`resolvers.read.read` would: the same visibility rule (``visible``) at every
level (in the outer join of a to-one relation, in the WHERE of the root and of each to-many
level), the same filters and orderings (``Entity.apply``, ``compile_where``,
``compile_order``), the same windows. A to-one relation is an outer join of the level's
statement, a to-many relation a correlated subquery aggregating its window.

Anything a statement cannot express the same way raises :class:`NotCompilable` while it is
built, and the surface reads the normal way instead.
"""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON as SqlJson
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    Text,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.visitors import replacement_traverse
from sqlmodel.sql.sqltypes import AutoString

from gateway.auth.principal import Principal
from gateway.auth.visibility import visible
from gateway.db.engine import fetch_value, read_connection
from gateway.db.models._base import UuidText
from resolvers.catalog import ENTITIES
from resolvers.context import Context
from resolvers.query import Entity, Kind, QuerySpec, Window
from resolvers.relations import ToMany, ToOne


class NotCompilable(Exception):
    """The read cannot be one statement with the same answer: read it the normal way."""


# How a surface renders a column's values (the JSON each kind is, and from which columns).
TEXT, UUID, INT, BIGINT, FLOAT, BOOL, DATETIME, DATE, JSON, ENUM = (
    ["text", "uuid", "int", "bigint", "float", "bool", "datetime", "date", "json", "enum"]
)


@dataclass(frozen=True, slots=True)
class Leaf:
    key: str
    column: str
    kind: str
    # ENUM: (stored value, rendered name) pairs.
    names: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Constant:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class Nested:
    key: str
    relation: str
    shape: Shape
    spec: QuerySpec = field(default_factory=QuerySpec)  # to-many: filter, order, window


@dataclass(frozen=True, slots=True)
class Shape:
    fields: tuple[Leaf | Constant | Nested, ...]


@dataclass(frozen=True, slots=True)
class PageShape:
    """What is selected of one page of a connection, as (response key, part, what) triples:
    ``("totalCount", None)``; ``("pageInfo", ((key, name), ...))`` with names
    ``hasNextPage``, ``hasPreviousPage``, ``startCursor``, ``endCursor``; ``("edges", ((key,
    "cursor" | Shape), ...))`` (a Shape: the edge's node); ``("nodes", Shape)``; and
    ``("__typename", name)`` at any level (a name beginning with ``__typename:``)."""

    parts: tuple[tuple[str, str, Any], ...]


TYPENAME = "__typename:"


def _quoted(text: str) -> Any:
    # Keys and enum names are the surface's own identifiers, never a caller's text; as
    # literals, PostgreSQL knows their type inside json_build_object's variadic arguments.
    return literal_column("'" + text.replace("'", "''") + "'", String())


class _Statement:
    """Builds one compiled statement for ``view`` on one dialect."""

    def __init__(self, view: Principal, dialect: str) -> None:
        self.view = view
        self.pg = dialect == "postgresql"
        self.aliases = 0

    # -- JSON values ------------------------------------------------------------------
    def _object(self, pairs: Sequence[tuple[str, Any]]) -> Any:
        if len(pairs) > 50:  # PostgreSQL takes at most 100 arguments to a function
            raise NotCompilable("too many fields")
        args: list[Any] = []
        for key, value in pairs:
            args += [_quoted(key), value]
        return func.json_build_object(*args) if self.pg else func.json_object(*args)

    def _nested_json(self, value: Any) -> Any:
        # SQLite keeps a value's JSON subtype only straight from a json function: what
        # comes through CASE or a subquery is parsed again.
        return value if self.pg else func.json(value)

    def _leaf(self, table: Any, entity: Entity, leaf: Leaf) -> Any:
        if leaf.column not in table.c:
            raise NotCompilable(leaf.column)
        column = table.c[leaf.column]
        if column.info.get("secret"):
            raise NotCompilable(leaf.column)
        sql_type = column.type
        if isinstance(sql_type, AutoString):  # SQLModel's plain strings: no conversion
            sql_type = sql_type.impl_instance
        kind = leaf.kind
        if kind == TEXT and isinstance(sql_type, (String, Text)) and not isinstance(
            sql_type, SqlJson
        ):
            return column
        if kind == UUID and isinstance(sql_type, Uuid):
            return UuidText(column)
        if kind == INT and isinstance(sql_type, Integer):
            return column
        if kind == BIGINT and isinstance(sql_type, Integer):
            return cast(column, Text)
        if kind == FLOAT and isinstance(sql_type, Float) and self.pg:
            # SQLite writes a REAL into JSON with 15 significant digits, Python 17.
            return column
        if kind == BOOL and isinstance(sql_type, Boolean):
            if self.pg:
                return column
            word = case(
                (column.is_(None), _quoted("null")),
                (column, _quoted("true")),
                else_=_quoted("false"),
            )
            return func.json(word)
        if kind == DATETIME and isinstance(sql_type, DateTime) and not sql_type.timezone:
            return self._datetime(column)
        if kind == DATE and isinstance(sql_type, Date) and not isinstance(sql_type, DateTime):
            return func.to_char(column, _quoted("YYYY-MM-DD")) if self.pg else column
        if kind == JSON and isinstance(sql_type, SqlJson):
            return column if self.pg else func.json(column)
        if kind == ENUM and isinstance(sql_type, (String, Text)):
            return case(
                *((column == _quoted(value), _quoted(name)) for value, name in leaf.names),
                else_=None,
            )
        raise NotCompilable(f"{entity.name}.{leaf.column} as {kind}")

    def _datetime(self, column: Any) -> Any:
        """Naive UTC as ISO 8601 with a ``Z``, microseconds only when there are some (as
        Python's ``isoformat`` writes them)."""
        if self.pg:
            micro = type_coerce(func.to_char(column, _quoted("US")), String())
            iso = _quoted('YYYY-MM-DD"T"HH24:MI:SS')
            seconds = type_coerce(func.to_char(column, iso), String())
            fraction = case((micro == _quoted("000000"), _quoted("")), else_=_quoted(".") + micro)
            return seconds + fraction + _quoted("Z")
        # SQLAlchemy stores "YYYY-MM-DD HH:MM:SS.ffffff" on SQLite.
        micro = type_coerce(func.substr(column, 21, 6), String())
        fraction = case(
            (micro.in_([_quoted(""), _quoted("000000")]), _quoted("")), else_=_quoted(".") + micro
        )
        return (
            type_coerce(func.substr(column, 1, 10), String())
            + _quoted("T")
            + func.substr(column, 12, 8)
            + fraction
            + _quoted("Z")
        )

    # -- levels -----------------------------------------------------------------------
    def _level(
        self, entity: Entity, rows: Any, shape: Shape, tables: frozenset[Any]
    ) -> tuple[Any, list[tuple[Any, Any]]]:
        """The JSON object of a row of ``entity`` (read as ``rows``) and the outer joins
        its to-one relations need."""
        pairs: list[tuple[str, Any]] = []
        joins: list[tuple[Any, Any]] = []
        for item in shape.fields:
            if isinstance(item, Constant):
                pairs.append((item.key, _quoted(item.value)))
            elif isinstance(item, Leaf):
                pairs.append((item.key, self._leaf(rows, entity, item)))
            else:
                relation = entity.relations.get(item.relation)
                if relation is None:
                    raise NotCompilable(item.relation)
                target = ENTITIES[relation.target]
                if isinstance(relation, ToOne):
                    value = self._to_one(relation, target, rows, item, joins, tables)
                else:
                    value = self._to_many(entity, relation, target, rows, item, tables)
                pairs.append((item.key, value))
        return self._object(pairs), joins

    def _to_one(
        self,
        relation: ToOne,
        target: Entity,
        rows: Any,
        item: Nested,
        joins: list[tuple[Any, Any]],
        tables: frozenset[Any],
    ) -> Any:
        self.aliases += 1
        alias = target.table.alias(f"compiled_{self.aliases}")
        condition = alias.c[target.key] == rows.c[relation.fk]
        rule = visible(target.table, self.view, alias=alias)
        joins.append((alias, condition if rule is None else and_(condition, rule)))
        inner, below = self._level(target, alias, item.shape, tables)
        joins.extend(below)
        return self._nested_json(case((alias.c[target.key].is_(None), None), else_=inner))

    def _to_many(
        self,
        parent: Entity,
        relation: ToMany,
        target: Entity,
        rows: Any,
        item: Nested,
        tables: frozenset[Any],
    ) -> Any:
        # The filter and order of a level are written on the target's own table: it must not
        # be one the statement already reads unaliased around it.
        if len(relation.keys) != 1 or target.table in tables:
            raise NotCompilable(f"{parent.name}.{item.relation}")
        related, first = self._related(parent, relation, target, rows)
        _, stmt = self.rows(
            target, (item.shape,), item.spec, tables | {target.table}, where=related, first=first
        )
        return self._nested_json(self.aggregate(stmt.correlate(rows)).scalar_subquery())

    def _related(self, parent: Entity, relation: ToMany, target: Entity, rows: Any) -> Any:
        """The condition on ``target``'s rows that ``relation`` relates them to the parent
        row ``rows``, and the ordering that puts the one the parent's own column names
        first (as :func:`resolvers.listing.related_rows` ranks them)."""
        (key,) = relation.keys
        table = target.table
        parent_key = rows.c[key]
        conditions = [table.c[fk] == parent_key for fk in relation.fks]
        for link in relation.links:
            linked = link.table.alias()
            far = select(linked.c[link.far]).where(linked.c[link.near] == parent_key)
            far = far.correlate(rows)  # across the level's FROM subquery, to its parent
            rule = visible(link.table, self.view, alias=linked)
            conditions.append(table.c[target.key].in_(far if rule is None else far.where(rule)))
        first = None
        if relation.own is not None:
            owned = table.c[target.key] == rows.c[relation.own]
            conditions.append(owned)
            first = case((owned, literal_column("0")), else_=literal_column("1"))
        return or_(*conditions), first

    def rows(
        self,
        entity: Entity,
        shapes: Sequence[Shape],
        spec: QuerySpec,
        tables: frozenset[Any],
        *,
        where: Any = None,
        first: Any = None,
    ) -> tuple[Any, Any]:
        """The visible rows of ``entity`` matching ``spec`` (and ``where``), as one column of
        JSON objects per shape (``obj``, then ``obj_1``...), ordered (``first`` first); the
        matching rows unwindowed, and their window."""
        source = entity.table
        columns = []
        for index, shape in enumerate(shapes):
            obj, joins = self._level(entity, entity.table, shape, tables)
            for alias, condition in joins:
                source = source.outerjoin(alias, condition)
            columns.append(obj.label(f"obj_{index}" if index else "obj"))
        stmt = select(*columns).select_from(source)
        rule = visible(entity.table, self.view)
        if rule is not None:
            stmt = stmt.where(rule)
        if where is not None:
            stmt = stmt.where(where)
        if first is not None:
            # As a column: SQLite resolves the parent's columns there, not in ORDER BY.
            ranked = first.label("first")
            stmt = stmt.add_columns(ranked).order_by(ranked)
        stmt = entity.apply(stmt, spec, self.view)
        window = spec.window or Window(limit=1)
        return stmt, stmt.limit(window.limit).offset(window.offset)

    def aggregate(self, rows: Any) -> Any:
        """One JSON array of ``rows``' objects, in their order; ``[]`` for none."""
        found = rows.subquery()
        if self.pg:
            return select(func.coalesce(func.json_agg(found.c.obj), literal_column("'[]'::json")))
        return select(func.json_group_array(func.json(found.c.obj)))


def compile_list(
    view: Principal, dialect: str, entity: Entity, spec: QuerySpec, shape: Shape
) -> Any:
    """The statement answering the JSON array of ``entity``'s rows ``spec`` selects."""
    built = _Statement(view, dialect)
    _, page = built.rows(entity, (shape,), spec, frozenset({entity.table}))
    return _as_text(built.aggregate(page), built.pg)


def compile_one(
    view: Principal, dialect: str, entity: Entity, spec: QuerySpec, shape: Shape
) -> Any:
    """The statement answering the JSON object of the first row ``spec`` selects (no row
    when there is none)."""
    built = _Statement(view, dialect)
    _, page = built.rows(entity, (shape,), spec, frozenset({entity.table}))
    return _as_text(page, built.pg)


def compile_page(
    view: Principal,
    dialect: str,
    entity: Entity,
    spec: QuerySpec,
    page: PageShape,
    cursors: Sequence[str],
) -> Any:
    """The statement answering the JSON object of one connection page: ``cursors`` are the
    cursors of the window's rows, in order (the surface's own encoding)."""
    built = _Statement(view, dialect)
    shapes: list[Shape] = []
    for _key, part, what in page.parts:
        if part == "nodes":
            shapes.append(what)
        elif part == "edges":
            shapes += [item for _k, item in what if isinstance(item, Shape)]
    matching, window = built.rows(entity, shapes or (Shape(()),), spec, frozenset({entity.table}))
    found = window.subquery()
    ranked = select(*found.c, func.row_number().over().label("rn")).order_by(literal_column("rn"))
    rows = ranked.subquery("ranked")
    total = select(func.count()).select_from(matching.order_by(None).subquery()).scalar_subquery()
    count = func.count(rows.c.rn)
    listed = json.dumps(list(cursors)).replace("'", "''")

    def cursor(index: Any) -> Any:
        if built.pg:
            return func.json_extract_path_text(
                literal_column(f"'{listed}'::json"), cast(index, Text)
            )
        path = _quoted("$[") + cast(index, Text) + _quoted("]")
        return func.json_extract(literal_column(f"'{listed}'"), path)

    def flag(condition: Any) -> Any:
        if built.pg:
            return condition
        return func.json(case((condition, _quoted("true")), else_=_quoted("false")))

    def array(value: Any) -> Any:
        if built.pg:
            ordered = func.json_agg(aggregate_order_by(value, rows.c.rn))
            return func.coalesce(ordered, literal_column("'[]'::json"))
        return func.json(func.json_group_array(func.json(value)))

    columns = iter(list(rows.c)[:-1])
    node_of = {id(shape): next(columns) for shape in shapes}
    pairs: list[tuple[str, Any]] = []
    offset = spec.window.offset if spec.window is not None else 0
    for key, part, what in page.parts:
        if part.startswith(TYPENAME):
            pairs.append((key, _quoted(part[len(TYPENAME) :])))
        elif part == "totalCount":
            pairs.append((key, total))
        elif part == "nodes":
            pairs.append((key, array(built._nested_json(node_of[id(what)]))))
        elif part == "pageInfo":
            info = {
                "hasNextPage": flag(literal_column(str(offset)) + count < total),
                "hasPreviousPage": flag(literal_column(str(offset)) > 0),
                "startCursor": case((count > 0, cursor(literal_column("0"))), else_=None),
                "endCursor": case((count > 0, cursor(count - 1)), else_=None),
            }
            fields = [
                (k, _quoted(n[len(TYPENAME) :]) if n.startswith(TYPENAME) else info[n])
                for k, n in what
            ]
            pairs.append((key, built._object(fields)))
        else:  # edges
            fields = []
            for k, item in what:
                if isinstance(item, Shape):
                    fields.append((k, built._nested_json(node_of[id(item)])))
                elif item.startswith(TYPENAME):
                    fields.append((k, _quoted(item[len(TYPENAME) :])))
                else:
                    fields.append((k, cursor(rows.c.rn - 1)))
            pairs.append((key, array(built._object(fields))))
    # The count makes it an aggregate: one row, also when only totalCount is selected.
    stmt = select(built._object(pairs), count).select_from(rows)
    return _as_text(stmt, built.pg)


def bind_probes(
    stmt: Any, probes: Mapping[str, tuple[str, str]]
) -> tuple[Any, dict[str, Kind]] | None:
    """``stmt``, compiled with each variable of ``probes`` given a stand-in value (random
    text, a UUID or an integer, that no document holds; with the random part of it that any
    text made from it still shows), with every parameter holding a stand-in, or the UUID or
    integer a filter parsed from it, turned into a bind parameter of that variable's
    (:func:`variable_param`); and the kind of value each variable's parameters take. The
    statement then serves every value of those variables.

    None when any stand-in is held in another way (changed by escaping or case folding, in a
    list, in a longer text) or not at all: the statement then depends on the value itself,
    beyond being a parameter, and is kept for that value alone."""
    found: dict[str, Kind] = {}
    spoilt = False

    def holder(value: Any) -> tuple[str, Kind] | None:
        for name, (probe, _) in probes.items():
            if type(value) is str and value == probe:
                return name, Kind.STRING
            if isinstance(value, uuid.UUID) and str(value) == probe:
                return name, Kind.UUID
            if type(value) is int and str(value) == probe:
                return name, Kind.INT
        return None

    def visit(element: Any) -> Any:
        nonlocal spoilt
        if not isinstance(element, BindParameter):
            return None
        held = holder(element.value)
        if held is None:
            text = str(element.value).lower()
            spoilt = spoilt or any(marker in text for _, marker in probes.values())
            return None
        name, kind = held
        if kind is Kind.INT and isinstance(element.type, BigInteger):
            kind = Kind.BIGINT
        spoilt = spoilt or found.setdefault(name, kind) is not kind
        return bindparam(variable_param(name), type_=element.type)

    rebuilt = replacement_traverse(stmt, {}, visit)  # type: ignore[call-overload]
    if spoilt or set(found) != set(probes):
        return None
    return rebuilt, found


def variable_param(name: str) -> str:
    """The bind parameter a variable's value is given in."""
    return f"compiled_variable_{name}"


def _as_text(stmt: Any, pg: bool) -> Any:
    # asyncpg would decode a json value; the answer is spliced as the database wrote it.
    if not pg:
        return stmt
    column, *others = stmt.selected_columns
    return stmt.with_only_columns(cast(column, Text), *others)


def dialect_of(ctx: Context) -> str:
    return str(ctx.sessionmaker.kw["bind"].dialect.name)


async def run_compiled(ctx: Context, stmt: Any, params: dict[str, Any]) -> str | None:
    """The JSON text the compiled ``stmt`` answers (None when it answers no row)."""
    return await read_json(ctx.sessionmaker, stmt, params)


async def read_json(
    sessionmaker: async_sessionmaker[AsyncSession], stmt: Any, params: dict[str, Any]
) -> str | None:
    """:func:`run_compiled` for a caller that has no request context."""
    engine = sessionmaker.kw["bind"]
    prepared = _prepared(engine, stmt) if engine.dialect.name == "postgresql" else None
    if prepared is not None:
        return await _fetch(engine, prepared, params)
    async with read_connection(sessionmaker) as connection:
        result = await connection.execute(stmt, params)
        return result.scalar()  # type: ignore[no-any-return]


# A compiled statement is sent on PostgreSQL as its SQL text straight to a driver connection
# lent for it (:mod:`gateway.db.lent`; asyncpg prepares it once per connection): SQLAlchemy's
# pool, connection, execution context and result around one scalar cost as much CPU as the
# rest of a cached lookup.
_PREPARED_SIZE = 1024
_prepared_texts: OrderedDict[int, tuple[Any, Any]] = OrderedDict()


def _prepared(engine: Any, stmt: Any) -> Any:
    """``stmt`` compiled for ``engine``'s dialect (kept with it), or None when its text
    depends on its values (an expanding IN list: SQLAlchemy's own path renders it)."""
    found = _prepared_texts.get(id(stmt))
    if found is not None and found[0] is stmt:
        _prepared_texts.move_to_end(id(stmt))
        return found[1]
    compiled = stmt.compile(dialect=engine.dialect)
    if compiled.literal_execute_params or compiled.post_compile_params:
        compiled = None
    _prepared_texts[id(stmt)] = (stmt, compiled)
    if len(_prepared_texts) > _PREPARED_SIZE:
        _prepared_texts.popitem(last=False)
    return compiled


async def _fetch(engine: Any, compiled: Any, params: dict[str, Any]) -> str | None:
    values = compiled.construct_params(params)
    processors = compiled._bind_processors
    args = tuple(
        processors[name](values[name]) if name in processors else values[name]
        for name in compiled.positiontup
    )
    sql_text = compiled.string
    # Counted as every statement is (the request's log line, the tests' counters).
    engine.sync_engine.dispatch.before_cursor_execute(None, None, sql_text, args, None, False)
    return await fetch_value(engine, sql_text, args)  # type: ignore[no-any-return]
