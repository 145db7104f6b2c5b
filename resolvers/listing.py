"""Reading any entity: one list core (filter, order, exact count, window) and lookups by key.

List reads return SQLAlchemy Core rows, not ORM objects: they are several times cheaper to
build, and every surface converts them into its own shape anyway.

A list may fold to-one relations into its own statement (:class:`Join`): the related rows
come back in the same statement, outer-joined with the visibility rule in the join condition,
so a related row the caller may not see reads as missing, exactly as a loader would return it.
It may also carry, per row, the keys a to-many relation names (:class:`RelatedIds`), as a
JSON array the database builds under the same visibility rules.

The parts of a list statement that depend only on the caller's view (the visible select, the
folded joins, the id-list subqueries) are built once per view and reused: building them and
their cache keys anew is a measurable share of a list request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Dialect,
    Row,
    Table,
    Uuid,
    and_,
    bindparam,
    exists,
    func,
    literal,
    select,
    tuple_,
    type_coerce,
    union,
    union_all,
)
from sqlalchemy.types import NullType

from gateway.auth.principal import Principal
from gateway.auth.visibility import names_visible_rows, readable_columns, visible
from gateway.db.engine import read_connection
from gateway.db.models._base import JsonArrayOf, UuidText
from gateway.errors import NotFound
from loaders.rows import MAX_KEYS_PER_STATEMENT
from resolvers.context import Context
from resolvers.query import Entity, QuerySpec, Window, check_condition, check_window
from resolvers.relations import ToMany

# The name of the count a page's rows carry as their last column (when a total is asked for).
TOTAL = "_total"


@dataclass(frozen=True, slots=True)
class Join:
    """A to-one relation folded into a list: the visible row of ``entity`` whose key equals
    the ``fk`` column of the list's entity (``parent`` -1) or of an earlier join (its index)."""

    entity: Entity
    fk: str
    columns: tuple[str, ...]
    parent: int = -1

    @property
    def names(self) -> tuple[str, ...]:
        """The joined row's column names: its key first, then ``columns`` (never secrets)."""
        readable = readable_columns(self.entity.table, (self.entity.key, *self.columns))
        return tuple(column.name for column in readable)


@dataclass(frozen=True, slots=True)
class RelatedIds:
    """The keys a to-many ``relation`` of ``parent`` names, read in a statement's own rows:
    for each row, the keys of the visible ``target`` rows it relates, as one JSON array of
    key texts the database builds, each key once, at most ``limit``: the owned one (the
    parent's ``own`` column) first, then those whose foreign key names the parent, then the
    linked ones, each group by key. Link rows the caller may not see name nothing."""

    parent: Entity
    relation: ToMany
    target: Entity
    limit: int = 10_000


@dataclass(frozen=True, slots=True)
class Page:
    # Core rows; with joins, tuples of ``names``. With a total asked for and no joins, each
    # row carries the count last, as ``TOTAL`` (readers pick their columns by name).
    rows: Sequence[Any]
    total: int | None
    window: Window
    # With joins: the names of the columns in ``rows``, and per join, for each row, the
    # related row as a tuple in ``Join.names`` order, or None when it is missing or hidden;
    # rows pointing at the same related row share one tuple.
    names: tuple[str, ...] = ()
    joined: list[list[tuple[Any, ...] | None]] = field(default_factory=list)


def _view(ctx: Context) -> Principal:
    """What decides which rows a caller sees: the principal, whatever credential it used."""
    return replace(ctx.principal, token_id=None)


@lru_cache(maxsize=1024)
def _visible_select(entity: Entity, columns: tuple[str, ...] | None, view: Principal) -> Any:
    names = None if columns is None else (entity.key, *columns)
    stmt = select(*readable_columns(entity.table, names))
    rule = visible(entity.table, view)
    return stmt if rule is None else stmt.where(rule)


@cache
def _alias(table: Table, index: int) -> Any:
    # Built once: an alias proxies every column of its table, which is not free per request.
    return table.alias(f"joined_{index}")


@lru_cache(maxsize=1024)
def _related_ids(related: RelatedIds, view: Principal) -> ColumnElement[str]:
    """The JSON array of :class:`RelatedIds` for each row of its parent: a scalar subquery
    correlated with the parent's table."""
    relation, outer = related.relation, related.parent.table
    target, key = related.target.table, related.target.key

    def checked(stmt: Any, source: Table, value: Any, rank: int) -> Any:
        """``stmt`` keeping only ``value`` naming a visible target row, unless every visible
        row of ``source`` names one (the rule vouches) or the target has no rule."""
        stmt = stmt.add_columns(literal(rank).label("src"))
        named = target.alias()
        rule = visible(target, view, alias=named)
        if rule is None or names_visible_rows(source, value.name, target):
            return stmt
        # EXISTS, not a join: joining the parent's own column would take the parent table
        # into the FROM, and the branch would stop being correlated with the parent row.
        return stmt.where(exists().where(named.c[key] == value, rule))

    branches = []
    if relation.own is not None:
        own = outer.c[relation.own]
        branches.append(checked(select(own.label("k")).where(own.is_not(None)), outer, own, 0))
    (fk,) = relation.fks or (None,)  # id lists are of single-column keys
    if fk is not None:  # the target's own rows: their rule applies directly
        rows = target.alias()
        stmt = select(rows.c[key].label("k"), literal(1).label("src"))
        stmt = stmt.where(rows.c[fk] == outer.c[related.parent.key])
        rule = visible(target, view, alias=rows)
        branches.append(stmt if rule is None else stmt.where(rule))
    for rank, link in enumerate(relation.links, 2):
        rows = link.table.alias()
        value = rows.c[link.far]
        stmt = select(value.label("k")).where(rows.c[link.near] == outer.c[related.parent.key])
        rule = visible(link.table, view, alias=rows)
        if rule is not None:
            stmt = stmt.where(rule)
        branches.append(checked(stmt, link.table, value, rank))
    found = union_all(*(branch.correlate(outer) for branch in branches)).subquery()
    first = func.min(found.c.src)
    ranked = (
        select(found.c.k, first.label("src"))
        .group_by(found.c.k)
        .order_by(first, found.c.k)
        .limit(related.limit)
        .subquery()
    )
    # UUIDs as their text; integer keys (users, groups) as numbers.
    shown = UuidText(ranked.c.k) if isinstance(target.c[key].type, Uuid) else ranked.c.k
    return select(JsonArrayOf(shown, ranked.c.src, ranked.c.k)).scalar_subquery()


@lru_cache(maxsize=1024)
def _joined(entity: Entity, joins: tuple[Join, ...], view: Principal) -> tuple[Any, list[Any]]:
    """The outer joins of ``joins`` from ``entity``'s table, and the columns they add after
    the list's own, in order."""
    froms: list[Any] = []
    columns: list[Any] = []
    source = entity.table
    for index, join in enumerate(joins):
        alias = _alias(join.entity.table, index)
        parent = entity.table if join.parent < 0 else froms[join.parent]
        condition = alias.c[join.entity.key] == parent.c[join.fk]
        rule = visible(join.entity.table, view, alias=alias)
        source = source.outerjoin(alias, condition if rule is None else and_(condition, rule))
        froms.append(alias)
        key, *others = join.names
        # The key comes back as the driver gives it: :func:`_split` decodes each distinct
        # one once (a page of 1,000 sessions names only a few dozen projects).
        columns += [type_coerce(alias.c[key], NullType()), *(alias.c[name] for name in others)]
    return source, columns


def _split(
    rows: Sequence[Row[Any]], width: int, joins: Sequence[Join], dialect: Dialect
) -> tuple[list[tuple[Any, ...]], list[list[tuple[Any, ...] | None]]]:
    """Rows of a joined statement cut into the list's own rows and each join's rows; rows of
    a join with the same key are one tuple, its key decoded as the key column's type does."""
    own = [row[:width] for row in rows]
    joined: list[list[tuple[Any, ...] | None]] = []
    start = width
    for join in joins:
        end = start + len(join.names)
        key_type = dialect.type_descriptor(join.entity.table.c[join.entity.key].type)
        decode = key_type.result_processor(dialect, None) or (lambda raw: raw)
        seen: dict[Any, tuple[Any, ...]] = {}
        part: list[tuple[Any, ...] | None] = []
        for row in rows:
            raw = row[start]
            if raw is None:  # every column of a missing or hidden related row is NULL
                part.append(None)
                continue
            related = seen.get(raw)
            if related is None:
                related = seen[raw] = (decode(raw), *row[start + 1 : end])
            part.append(related)
        joined.append(part)
        start = end
    return own, joined


def check_filter(ctx: Context, spec: QuerySpec) -> None:
    """Refuse a filter a caller sent that is larger than the gateway's bounds (the read
    path's own filters, such as a level's keys, are not bounded by them)."""
    settings = ctx.settings
    check_condition(
        spec.where,
        max_conditions=settings.max_filter_conditions,
        max_depth=settings.max_filter_depth,
        max_values=settings.max_filter_values,
    )


async def list_rows(
    ctx: Context,
    entity: Entity,
    spec: QuerySpec,
    *,
    with_total: bool = True,
    columns: tuple[str, ...] | None = None,
    joins: Sequence[Join] = (),
    related: Mapping[str, RelatedIds] | None = None,
    max_page_size: int | None = None,
) -> Page:
    """The visible rows of ``entity`` matching ``spec``, one window of them, and the exact
    number of matching rows (when ``with_total``). Rows carry only ``columns`` (and the key)
    when given, every readable column otherwise, then a JSON array of keys per ``related``
    entry under its name; ``joins`` fold to-one relations in. Pages hold at most
    ``max_page_size`` rows (default: the gateway's setting)."""
    max_size = max_page_size or ctx.settings.max_page_size
    window = spec.window or Window(limit=max_size)
    check_window(window, max_page_size=max_size)
    view = _view(ctx)
    matching = entity.apply(_visible_select(entity, columns, view), spec, view)
    stmt = matching.add_columns(
        *(_related_ids(ids, view).label(name) for name, ids in (related or {}).items())
    )
    if joins:
        source, joined_columns = _joined(entity, tuple(joins), view)
        read = stmt.add_columns(*joined_columns).select_from(source)
    else:
        read = stmt
    if with_total:
        # The exact count rides in the page's own statement, as its last column (a database
        # computes an uncorrelated scalar subquery once): one round trip, not two.
        count = select(func.count()).select_from(matching.order_by(None).subquery())
        read = read.add_columns(count.scalar_subquery().label(TOTAL))
    async with read_connection(ctx.sessionmaker) as session:
        dialect = session.dialect
        result = await session.execute(read.limit(window.limit).offset(window.offset))
        names = tuple(result.keys())
        rows = result.all()
        total = None
        if with_total:
            if rows:
                total = rows[0][-1]
            elif window.offset > 0 or window.limit == 0:  # no row to carry it: ask alone
                total = (await session.execute(count)).scalar_one()
            else:
                total = 0
    if not joins:
        return Page(rows=rows, total=total, window=window, names=names)
    width = len(stmt.selected_columns)
    own, joined = _split(rows, width, joins, dialect)
    return Page(own, total, window, names[:width], joined)


async def get_row(ctx: Context, entity: Entity, field: str, value: Any) -> Row[Any]:
    """The one visible row whose ``field`` equals ``value``; missing and hidden rows are the
    same :class:`NotFound`, so ids cannot be probed."""
    spec = entity.field_spec(field)
    key = spec.coerce(field, value)
    row = await ctx.loaders.by_key(entity.table, field).load(key)
    if row is None:
        raise NotFound(f"{entity.name} not found.")
    return row  # type: ignore[no-any-return]


def _window_bounds(rank: Any, window: Window) -> ColumnElement[bool]:
    return and_(rank > window.offset, rank <= window.offset + window.limit)


@lru_cache(maxsize=1024)
def _pairs(parent: Entity, relation: ToMany, target: Entity, view: Principal) -> Any:
    """(parent key ``p``, target key ``k``, ``owned``) for every pair ``relation`` relates,
    its link rows under their visibility rule, each pair once; ``owned`` is 0 for the pair
    the parent's own column names (it comes first), 1 for the others. Parent keys are bound
    as ``:parents``."""
    parents: Any = bindparam("parents", expanding=True)
    branches = []
    for fk in relation.fks:
        rows = target.table
        branches.append(
            select(rows.c[fk].label("p"), rows.c[target.key].label("k")).where(
                rows.c[fk].in_(parents)
            )
        )
    for link in relation.links:
        rows = link.table.alias()
        stmt = select(rows.c[link.near].label("p"), rows.c[link.far].label("k")).where(
            rows.c[link.near].in_(parents)
        )
        rule = visible(link.table, view, alias=rows)
        branches.append(stmt if rule is None else stmt.where(rule))
    branches = [branch.add_columns(literal(1).label("owned")) for branch in branches]
    if relation.own is not None:
        rows = parent.table.alias()
        own = rows.c[relation.own]
        branches.insert(
            0,
            select(rows.c[parent.key].label("p"), own.label("k"), literal(0).label("owned")).where(
                rows.c[parent.key].in_(parents), own.is_not(None)
            ),
        )
    if len(branches) == 1:
        return branches[0].subquery()
    found = union(*branches).subquery()
    # A pair both owned and linked is the owned one.
    return (
        select(found.c.p, found.c.k, func.min(found.c.owned).label("owned"))
        .group_by(found.c.p, found.c.k)
        .subquery()
    )


async def related_rows(
    ctx: Context,
    parent: Entity,
    relation: ToMany,
    target: Entity,
    keys: Sequence[Any],
    spec: QuerySpec,
    columns: tuple[str, ...],
) -> tuple[tuple[str, ...], dict[Any, list[tuple[Any, ...]]]]:
    """The visible ``target`` rows ``relation`` relates to each parent key (a tuple for
    composite keys), matching ``spec``'s filter, in its order (then the target's default
    order; the one the parent's ``own`` column names first), one window per parent: one
    statement for every parent (per 10,000 keys). Answers the rows' column names (the key,
    then ``columns``) and the rows by parent key. ``spec``'s window is its surface's: bounded
    there (GraphQL refuses an out-of-range ``limit`` argument, an Alyx record declares how
    many related rows it lists), as the gateway's page size would cut an Alyx session's
    datasets short."""
    view = _view(ctx)
    window = spec.window or Window(limit=ctx.settings.max_page_size)
    check_window(window, max_page_size=max(window.limit, ctx.settings.max_page_size))
    check_filter(ctx, spec)
    table = target.table
    order = target.compile_order(spec.order, view)
    selected = readable_columns(table, (target.key, *columns))
    if relation.is_reverse:
        parent_cols = [table.c[fk] for fk in relation.fks]
        inner = select(*parent_cols, *selected)
        if len(parent_cols) == 1:
            inner = inner.where(parent_cols[0].in_(bindparam("parents", expanding=True)))
        else:
            inner = inner.where(tuple_(*parent_cols).in_(bindparam("parents", expanding=True)))
    else:
        pairs = _pairs(parent, relation, target, view)
        parent_cols = [pairs.c.p]
        inner = select(pairs.c.p, *selected).select_from(
            pairs.join(table, table.c[target.key] == pairs.c.k)
        )
        if relation.own is not None:  # the owned one first (see the relation)
            order = [pairs.c.owned, *order]
    rank = func.row_number().over(partition_by=parent_cols, order_by=order).label("_rank")
    inner = inner.add_columns(rank)
    rule = visible(table, view)
    if rule is not None:
        inner = inner.where(rule)
    if spec.where is not None:
        inner = inner.where(target.compile_where(spec.where, view))
    ranked = inner.subquery()
    width = len(parent_cols)
    stmt = (
        select(*list(ranked.c)[:-1])
        .where(_window_bounds(ranked.c._rank, window))
        .order_by(*list(ranked.c)[:width], ranked.c._rank)
    )
    grouped: dict[Any, list[Any]] = {}
    async with read_connection(ctx.sessionmaker) as session:
        for start in range(0, len(keys), MAX_KEYS_PER_STATEMENT):
            chunk = list(keys[start : start + MAX_KEYS_PER_STATEMENT])
            result = await session.execute(stmt, {"parents": chunk})
            for row in result.all():
                key = row[0] if width == 1 else tuple(row[:width])
                grouped.setdefault(key, []).append(tuple(row[width:]))
    return tuple(column.name for column in selected), grouped
