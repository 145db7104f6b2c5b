"""The one read path of the entity graph: a query spec for the root entity and an include
tree of what to follow, in; plain nodes, out. Every surface reads this way, so a relation
means the same everywhere and the statements of a read grow with the depth of the tree,
never with the number of rows.

The tree is data (:class:`Include`, :class:`Follow`): a surface builds it from its own
syntax (GraphQL from the selection as graphql-core collects it, BrainSTEM from ``include[]``,
an Alyx endpoint from its declaration). :func:`read` plans it: to-one relations under the
root are folded into the root's statement (outer joins under the visibility rule); each
to-many relation is one statement per level for all parents at once (windowed per parent);
to-one relations under those are one statement per level too. Id-only relations are a JSON
array the database builds per row: in the root's own statement, and below the root in one
statement per level for the distinct rows of that level.

Nodes carry the columns read and, under each follow's key, the related node (to-one, None
when missing or hidden) or list of nodes (to-many); under the name of each id-only relation,
the JSON text of its keys (:class:`resolvers.listing.RelatedIds`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from gateway.errors import NotFound
from loaders.rows import MAX_KEYS_PER_STATEMENT
from resolvers.catalog import ENTITIES
from resolvers.context import Context
from resolvers.listing import Join, Page, RelatedIds, check_filter, list_rows, related_rows
from resolvers.query import AllOf, Condition, Entity, Filter, QuerySpec, Window
from resolvers.relations import ToMany, ToOne


@dataclass(frozen=True, slots=True)
class Include:
    """What to read of each row: ``columns`` (the key always), relations to follow, and
    to-many relations of which only the keys are read (``ids``)."""

    columns: tuple[str, ...] = ()
    follow: tuple[Follow, ...] = ()
    ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Follow:
    """Follow ``relation``, reading ``include`` of the related rows, into the node attribute
    ``key`` (default: the relation's name). A to-many relation is filtered, ordered and
    windowed per parent by ``spec`` (default window: the gateway's page size)."""

    relation: str
    include: Include = field(default_factory=Include)
    key: str = ""
    spec: QuerySpec = field(default_factory=QuerySpec)

    @property
    def attribute(self) -> str:
        return self.key or self.relation


class Node:
    """A row that was read: its columns and followed relations as attributes."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.__dict__!r})"


@cache
def node_class(entity: Entity) -> type[Node]:
    """The node type of ``entity``: its to-one relations read None until followed."""
    defaults = {name: None for name, rel in entity.relations.items() if isinstance(rel, ToOne)}
    return type(f"{entity.name}Node", (Node,), defaults)


def nodes_of(entity: Entity, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[Any]:
    """Nodes straight from rows: no ``__init__``, the names zipped once per row."""
    cls = node_class(entity)
    new = object.__new__
    nodes: list[Any] = []
    append = nodes.append
    for row in rows:
        node = new(cls)
        node.__dict__.update(zip(names, row, strict=True))
        append(node)
    return nodes


@dataclass(frozen=True, slots=True)
class Read:
    nodes: list[Any]
    total: int | None
    window: Window


def relation_of(entity: Entity, name: str) -> tuple[ToOne | ToMany, Entity]:
    relation = entity.relations[name]
    return relation, ENTITIES[relation.target]


def columns_for(entity: Entity, include: Include, *, folding: bool) -> tuple[str, ...]:
    """The columns a read of ``include`` needs: its own, the keys its to-many follows start
    from, and the foreign keys of its to-one follows (unless they are ``folding`` into the
    same statement, which reads the related key itself)."""
    needed = {entity.key, *include.columns}
    for follow in include.follow:
        relation = entity.relations[follow.relation]
        if isinstance(relation, ToMany):
            needed.update(relation.keys)
        elif not folding:
            needed.add(relation.fk)
    return tuple(sorted(needed))


def ids_of(entity: Entity, include: Include) -> dict[str, RelatedIds]:
    """The id-only relations of ``include``, by name, as a statement of ``entity`` reads them."""
    found = {}
    if include.ids and not _unique_key(entity):
        raise TypeError(f"Id lists are read for rows of a unique key, not {entity.name}'s.")
    for name in include.ids:
        relation, target = relation_of(entity, name)
        if not isinstance(relation, ToMany):
            raise TypeError(f"{entity.name}.{name} is not a to-many relation.")
        found[name] = RelatedIds(entity, relation, target)
    return found


@dataclass(frozen=True, slots=True)
class _Fold:
    follow: Follow
    target: Entity
    join: Join


def _folds(entity: Entity, include: Include) -> list[_Fold]:
    """The to-one follows under the root, and under those, recursively, as joins of the
    root's statement; a fold's parent (``join.parent``) always comes before it."""
    folds: list[_Fold] = []

    def walk(entity: Entity, include: Include, parent: int) -> None:
        for follow in include.follow:
            relation, target = relation_of(entity, follow.relation)
            if not isinstance(relation, ToOne):
                continue
            columns = columns_for(target, follow.include, folding=True)
            folds.append(_Fold(follow, target, Join(target, relation.fk, columns, parent)))
            walk(target, follow.include, len(folds) - 1)

    walk(entity, include, -1)
    return folds


async def read(
    ctx: Context,
    entity: Entity,
    spec: QuerySpec,
    include: Include,
    *,
    with_total: bool = False,
    max_page_size: int | None = None,
) -> Read:
    """The visible rows of ``entity`` matching ``spec`` (one window of them) as nodes with
    ``include`` read, and the exact number of matching rows when ``with_total``."""
    check_filter(ctx, spec)
    folds = _folds(entity, include)
    page = await list_rows(
        ctx,
        entity,
        spec,
        with_total=with_total,
        columns=columns_for(entity, include, folding=True),
        joins=[fold.join for fold in folds],
        related=ids_of(entity, include),
        max_page_size=max_page_size,
    )
    nodes = _page_nodes(entity, page)
    # Per fold, the node of each root row (None when missing or hidden), then its own.
    aligned: list[list[Any]] = []
    levels: list[tuple[Entity, list[Any], Include, frozenset[str]]] = []
    for fold, related in zip(folds, page.joined, strict=True):
        # Rows of one related row are one tuple (resolvers.listing), so identity is key.
        unique = {id(values): values for values in related if values is not None}
        built = nodes_of(fold.target, fold.join.names, list(unique.values()))
        shared = dict(zip(unique, built, strict=True))
        parents = nodes if fold.join.parent < 0 else aligned[fold.join.parent]
        mine = [None if values is None else shared[id(values)] for values in related]
        attribute = fold.follow.attribute
        for parent, child in zip(parents, mine, strict=True):
            if parent is not None:
                parent.__dict__[attribute] = child
        aligned.append(mine)
        levels.append((fold.target, built, fold.follow.include, _folded_under(folds, len(levels))))
    await asyncio.gather(
        follow(ctx, entity, nodes, include, _folded_under(folds, -1)),
        *(follow(ctx, *level) for level in levels),
        *(
            _read_ids(ctx, target, built, ids_of(target, below))
            for target, built, below, _ in levels
            if below.ids and built
        ),
    )
    return Read(nodes, page.total, page.window)


async def read_one(
    ctx: Context,
    entity: Entity,
    field: str,
    value: Any,
    include: Include,
    *,
    where: Condition | None = None,
    missing: str = "",
) -> Any:
    """The node of the one visible row of ``entity`` whose unique ``field`` equals ``value``
    (and matching ``where``); missing and hidden rows are the same :class:`NotFound` (its
    message ``missing``, by default "<Entity> not found."), so keys cannot be probed."""
    condition: Condition = Filter(field, "eq", entity.field_spec(field).coerce(field, value))
    if where is not None:
        condition = AllOf((condition, where))
    found = await read(ctx, entity, QuerySpec(where=condition), include, max_page_size=1)
    if not found.nodes:
        raise NotFound(missing or f"{entity.name} not found.")
    return found.nodes[0]


def _folded_under(folds: Sequence[_Fold], parent: int) -> frozenset[str]:
    return frozenset(fold.follow.relation for fold in folds if fold.join.parent == parent)


def _page_nodes(entity: Entity, page: Page) -> list[Any]:
    names = page.names or (page.rows[0]._fields if page.rows else ())
    return nodes_of(entity, names, page.rows)


async def follow(
    ctx: Context,
    entity: Entity,
    nodes: list[Any],
    include: Include,
    folded: frozenset[str] = frozenset(),
) -> None:
    """Follow every relation of ``include`` (but the ``folded`` ones, already set) from
    ``nodes``, level by level; sibling relations load side by side."""
    if not nodes:
        return
    branches = [
        _follow_one(ctx, entity, nodes, item)
        for item in include.follow
        if item.relation not in folded
    ]
    if len(branches) == 1:
        await branches[0]
    elif branches:
        await asyncio.gather(*branches)


async def _follow_one(ctx: Context, entity: Entity, nodes: list[Any], item: Follow) -> None:
    relation, target = relation_of(entity, item.relation)
    attribute = item.attribute
    columns = columns_for(target, item.include, folding=False)
    if isinstance(relation, ToOne):
        keys = [getattr(node, relation.fk) for node in nodes]
        distinct = {key for key in keys if key is not None}
        rows = await ctx.loaders.by_key(target.table, target.key, columns).fill(distinct)
        found = [row for key in distinct if (row := rows[key]) is not None]
        children = nodes_of(target, found[0]._fields, found) if found else []
        by_key = {getattr(child, target.key): child for child in children}
        for node, key in zip(nodes, keys, strict=True):
            node.__dict__[attribute] = by_key.get(key)
    else:
        keys = [_key(node, relation.keys) for node in nodes]
        names, grouped = await related_rows(
            ctx, entity, relation, target, list(dict.fromkeys(keys)), item.spec, columns
        )
        children = _related_nodes(target, names, nodes, keys, grouped, attribute)
    if item.include.ids:
        await _read_ids(ctx, target, children, ids_of(target, item.include))
    await follow(ctx, target, children, item.include)


def _related_nodes(
    target: Entity,
    names: tuple[str, ...],
    nodes: list[Any],
    keys: list[Any],
    grouped: dict[Any, list[tuple[Any, ...]]],
    attribute: str,
) -> list[Any]:
    """Each parent's related rows as nodes under ``attribute``; a row related to several
    parents is one node (when the target's key is unique), so what is read under it is read
    once. Answers the distinct nodes."""
    if not _unique_key(target):
        children = []
        for node, key in zip(nodes, keys, strict=True):
            node.__dict__[attribute] = mine = nodes_of(target, names, grouped.get(key, ()))
            children.extend(mine)
        return children
    shared: dict[Any, Any] = {}
    for rows in grouped.values():
        fresh = [row for row in rows if row[0] not in shared]
        shared.update(zip((row[0] for row in fresh), nodes_of(target, names, fresh), strict=True))
    for node, key in zip(nodes, keys, strict=True):
        node.__dict__[attribute] = [shared[row[0]] for row in grouped.get(key, ())]
    return list(shared.values())


@cache
def _unique_key(entity: Entity) -> bool:
    primary = entity.table.primary_key.columns
    return len(primary) == 1 and entity.key in primary


async def _read_ids(
    ctx: Context, entity: Entity, nodes: list[Any], related: dict[str, RelatedIds]
) -> None:
    """The id lists of ``related`` for ``nodes`` (of a unique key) below the root: one
    statement per 10,000 distinct rows."""
    by_key = {getattr(node, entity.key): node for node in nodes}
    wanted = list(by_key)
    for start in range(0, len(wanted), MAX_KEYS_PER_STATEMENT):
        chunk = wanted[start : start + MAX_KEYS_PER_STATEMENT]
        page = await list_rows(
            ctx,
            entity,
            QuerySpec(where=Filter(entity.key, "in", chunk)),
            with_total=False,
            columns=(),
            related=related,
            max_page_size=len(chunk),
        )
        for row in page.rows:
            by_key[row[0]].__dict__.update(zip(page.names[1:], row[1:], strict=True))


def _key(node: Any, names: tuple[str, ...]) -> Any:
    return getattr(node, names[0]) if len(names) == 1 else tuple(getattr(node, n) for n in names)
