"""Look-ahead loading: fill every relation a query selects, in bulk, before fields resolve.

A list resolver first plans its *folds* (:func:`plan_folds`): the to-one relations selected
under its rows, and under those, are read in the list's own statement (one statement for a
session list with its project, subject and the subject's species). It then hands its page and
its selection to :func:`page_objects`, and :func:`prefetch` walks the rest of the selection
tree: for each remaining relation at each level it fills the request's loader for *all* parent
rows at once (one statement per relation level). Related objects are set as plain attributes,
so GraphQL resolves nested fields by attribute access: no per-item DataLoader call, no
per-item async work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection
from strawberry.utils.str_converters import to_camel_case

from gateway.errors import QueryError
from resolvers.context import Context
from resolvers.listing import Join, Page
from resolvers.query import Entity


@dataclass(frozen=True)
class ToOne:
    """``parent.<field>`` is the ``target`` row whose key equals ``parent.<fk>``."""

    target: str
    fk: str


@dataclass(frozen=True)
class ToMany:
    """``parent.<field>(limit:)`` lists ``target`` rows whose ``parent_cols`` equal the parent's
    ``keys``, in the target's default order."""

    target: str
    parent_cols: tuple[str, ...]
    keys: tuple[str, ...] = ("id",)


Relation = ToOne | ToMany


class RowType:
    """Mixin for Strawberry types built straight from Core rows (see :meth:`from_rows`).

    ``entity`` names the query-spec entity; ``relations`` maps a field's Python name to how it
    is loaded. To-one relation fields default to ``None`` and are set by :func:`prefetch`;
    to-many fields read ``self._many[(name, limit)]``.
    """

    entity: ClassVar[Entity]
    relations: ClassVar[dict[str, Relation]] = {}

    @classmethod
    def from_rows(
        cls, rows: Sequence[Sequence[Any]], names: Sequence[str] | None = None
    ) -> list[Any]:
        """Objects straight from rows (Core rows, or tuples of ``names``). This skips the
        dataclass ``__init__`` and reads the column names once per list, not per row: on lists
        of thousands of rows both are measurable. Rows carry the columns asked for, foreign
        keys included."""
        if not rows:
            return []
        if names is None:
            names = rows[0]._fields  # type: ignore[attr-defined]
        # To-one relations not set read their class default (None); only types with to-many
        # relations keep the per-object place those are prefetched into.
        many = any(isinstance(rel, ToMany) for rel in cls.relations.values())
        new = object.__new__
        objects: list[Any] = []
        append = objects.append
        for row in rows:
            obj = new(cls)
            attrs = obj.__dict__
            attrs.update(zip(names, row, strict=True))
            if many:
                attrs["_many"] = {}
            append(obj)
        return objects

    def many(self, name: str, limit: int | None) -> list[Any]:
        """The prefetched rows of a to-many field, keyed by the ``limit`` argument as given."""
        return self._many[(name, limit)]  # type: ignore[attr-defined, no-any-return]


class Registry:
    """The row types of one schema by GraphQL type name, with each relation's camelCase name."""

    def __init__(self, types: Iterable[type[RowType]]) -> None:
        self.types = {t.__name__: t for t in types}
        self.by_graphql_name = {
            name: {to_camel_case(field): (field, rel) for field, rel in t.relations.items()}
            for name, t in self.types.items()
        }
        self.column_of = {
            name: {to_camel_case(c.name): c.name for c in t.entity.table.c}
            for name, t in self.types.items()
        }

    def columns(
        self, type_name: str, selections: Sequence[Selection], *, folding: bool = False
    ) -> tuple[str, ...]:
        """The table columns a selection needs: its scalar fields, the foreign keys of its
        to-one relations (unless they are ``folding`` into the same statement, which reads
        the related key itself) and the keys of its to-many ones."""
        entity = self.types[type_name].entity
        columns_here, relations = self.column_of[type_name], self.by_graphql_name[type_name]
        needed = {entity.key}
        for graphql_name in _flatten(selections):
            if graphql_name in columns_here:
                needed.add(columns_here[graphql_name])
            elif graphql_name in relations:
                relation = relations[graphql_name][1]
                if isinstance(relation, ToMany):
                    needed.update(relation.keys)
                elif not folding:
                    needed.add(relation.fk)
        return tuple(sorted(needed))


def _flatten(selections: Sequence[Selection]) -> dict[str, list[SelectedField]]:
    fields: dict[str, list[SelectedField]] = {}
    stack = list(selections)
    while stack:
        sel = stack.pop()
        if isinstance(sel, SelectedField):
            fields.setdefault(sel.name, []).append(sel)
        elif isinstance(sel, FragmentSpread | InlineFragment):
            stack.extend(sel.selections)
    return fields


def sub_selections(selections: Sequence[Selection], *path: str) -> list[Selection]:
    """The selections under ``path`` (e.g. ``edges``, ``node``) of a selection list."""
    current = list(selections)
    for name in path:
        current = [s for f in _flatten(current).get(name, []) for s in f.selections]
    return current


@dataclass(frozen=True)
class Fold:
    """A to-one relation read in its list's own statement: ``join`` fetches the ``target``
    row that the parent's field ``name`` points at; ``selections`` are those under it."""

    name: str
    target: str
    selections: list[Selection]
    join: Join


def plan_folds(registry: Registry, type_name: str, selections: Sequence[Selection]) -> list[Fold]:
    """The to-one relations selected under a list's rows, and under those, recursively; a
    fold's parent (``join.parent``) always comes before it."""
    folds: list[Fold] = []

    def walk(type_name: str, selections: Sequence[Selection], parent: int) -> None:
        relations = registry.by_graphql_name[type_name]
        for graphql_name, fields in _flatten(selections).items():
            if graphql_name not in relations:
                continue
            name, relation = relations[graphql_name]
            if not isinstance(relation, ToOne):
                continue
            below = [s for f in fields for s in f.selections]
            target = registry.types[relation.target]
            columns = registry.columns(relation.target, below, folding=True)
            join = Join(target.entity, relation.fk, columns, parent)
            folds.append(Fold(name, relation.target, below, join))
            walk(relation.target, below, len(folds) - 1)

    walk(type_name, selections, -1)
    return folds


async def page_objects(
    ctx: Context,
    registry: Registry,
    type_name: str,
    page: Page,
    selections: Sequence[Selection],
    folds: Sequence[Fold],
    max_nested: int,
) -> list[Any]:
    """The page's rows as objects with their folded relations set from the page's joined
    rows (one object per related row, shared by every parent pointing at it), then every
    other selected relation prefetched."""
    objects = registry.types[type_name].from_rows(page.rows, page.names)
    aligned: list[list[Any]] = []  # per fold, the related object of each page row (or None)
    children: list[list[Any]] = []  # per fold, its distinct objects
    for fold, related in zip(folds, page.joined, strict=True):
        # Rows of one related row are one tuple (see resolvers.listing), so identity is key.
        unique = {id(values): values for values in related if values is not None}
        built = registry.types[fold.target].from_rows(list(unique.values()), fold.join.names)
        shared = dict(zip(unique, built, strict=True))
        parents = objects if fold.join.parent < 0 else aligned[fold.join.parent]
        mine = [None if values is None else shared[id(values)] for values in related]
        for parent, child in zip(parents, mine, strict=True):
            if parent is not None:
                parent.__dict__[fold.name] = child
        aligned.append(mine)
        children.append(list(shared.values()))

    def folded_under(parent: int) -> set[str]:
        return {fold.name for fold in folds if fold.join.parent == parent}

    await asyncio.gather(
        prefetch(ctx, registry, type_name, objects, selections, max_nested, folded_under(-1)),
        *(
            prefetch(
                ctx,
                registry,
                fold.target,
                children[i],
                fold.selections,
                max_nested,
                folded_under(i),
            )
            for i, fold in enumerate(folds)
        ),
    )
    return objects


async def prefetch(
    ctx: Context,
    registry: Registry,
    type_name: str,
    objects: Sequence[Any],
    selections: Sequence[Selection],
    max_nested: int,
    folded: Collection[str] = (),
) -> None:
    """Load every relation selected under ``objects`` (except the ``folded`` ones, already
    set), level by level, one statement each. Sibling relations (a project's sessions and its
    subjects) load concurrently."""
    if not objects:
        return
    relations = registry.by_graphql_name[type_name]
    branches = [
        _load_relation(ctx, registry, *relations[graphql_name], objects, fields, max_nested)
        for graphql_name, fields in _flatten(selections).items()
        if graphql_name in relations and relations[graphql_name][0] not in folded
    ]
    if len(branches) == 1:
        await branches[0]
    elif branches:
        await asyncio.gather(*branches)


async def _load_relation(
    ctx: Context,
    registry: Registry,
    name: str,
    relation: Relation,
    objects: Sequence[Any],
    fields: list[SelectedField],
    max_nested: int,
) -> None:
    target = registry.types[relation.target]
    children_selections = [s for f in fields for s in f.selections]
    columns = registry.columns(relation.target, children_selections)
    if isinstance(relation, ToOne):
        children = await _fill_to_one(ctx, name, relation, target, objects, columns)
    else:
        limits = {_limit_argument(f): _effective_limit(f, max_nested) for f in fields}
        children = await _fill_to_many(ctx, name, relation, target, objects, limits, columns)
    await prefetch(ctx, registry, relation.target, children, children_selections, max_nested)


async def _fill_to_one(
    ctx: Context,
    name: str,
    relation: ToOne,
    target: type[RowType],
    objects: Sequence[Any],
    columns: tuple[str, ...],
) -> list[Any]:
    fk = relation.fk
    keys = [getattr(obj, fk) for obj in objects]
    distinct = set(keys)
    distinct.discard(None)
    rows = await ctx.loaders.by_key(target.entity.table, columns=columns).fill(distinct)
    # One object per related row, shared by every parent that points at it.
    children = target.from_rows([row for key in distinct if (row := rows[key]) is not None])
    by_key = {getattr(child, target.entity.key): child for child in children}
    for obj, key in zip(objects, keys, strict=True):
        obj.__dict__[name] = by_key.get(key)
    return children


async def _fill_to_many(
    ctx: Context,
    name: str,
    relation: ToMany,
    target: type[RowType],
    objects: Sequence[Any],
    limits: dict[int | None, int],
    columns: tuple[str, ...],
) -> list[Any]:
    entity = target.entity
    keys = [_key(obj, relation.keys) for obj in objects]
    children: list[Any] = []
    for argument, limit in limits.items():
        loader = ctx.loaders.children(
            entity.table,
            relation.parent_cols,
            limit=limit,
            order_by=entity.compile_order(()),
            columns=columns,
        )
        grouped = await loader.fill(keys)
        for obj, key in zip(objects, keys, strict=True):
            converted = target.from_rows(grouped[key])
            obj._many[(name, argument)] = converted
            children.extend(converted)
    return children


def _key(obj: Any, names: tuple[str, ...]) -> Any:
    return getattr(obj, names[0]) if len(names) == 1 else tuple(getattr(obj, n) for n in names)


def _limit_argument(field: SelectedField) -> int | None:
    # Literal arguments arrive as their source text; GraphQL validation already checked the type.
    raw = field.arguments.get("limit")
    return None if raw is None else int(raw)


def _effective_limit(field: SelectedField, max_nested: int) -> int:
    limit = _limit_argument(field)
    if limit is None:
        return max_nested
    if limit < 0 or limit > max_nested:
        raise QueryError(f"limit on {field.name} must be between 0 and {max_nested}.")
    return limit


def selects(selections: Sequence[Selection], name: str) -> bool:
    """Whether ``name`` is selected at this level, directly or through fragments."""
    return name in _flatten(selections)
