"""Look-ahead loading: fill every relation a query selects, in bulk, before fields resolve.

A list resolver hands its rows and its selection to :func:`prefetch`, which walks the selection
tree and, for each relation at each level, fills the request's loader for *all* parent rows at
once (one statement per relation level). Related objects are then set as plain attributes, so
GraphQL resolves nested fields by attribute access: no per-item DataLoader call, no per-item
async work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import Row
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection
from strawberry.utils.str_converters import to_camel_case

from gateway.errors import QueryError
from resolvers.context import Context
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
    def from_rows(cls, rows: Sequence[Row[Any]]) -> list[Any]:
        """Objects straight from rows. This skips the dataclass ``__init__`` and reads the
        column names once per list, not per row: on lists of thousands of rows both are
        measurable. Rows carry the columns asked for, foreign keys included."""
        if not rows:
            return []
        names = rows[0]._fields
        unset = {name: None for name, rel in cls.relations.items() if isinstance(rel, ToOne)}
        new = object.__new__
        objects = []
        for row in rows:
            obj = new(cls)
            attrs = obj.__dict__
            attrs.update(zip(names, row, strict=True))
            attrs.update(unset)
            attrs["_many"] = {}
            objects.append(obj)
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

    def columns(self, type_name: str, selections: Sequence[Selection]) -> tuple[str, ...]:
        """The table columns a selection needs: its scalar fields, the foreign keys of its
        to-one relations and the keys of its to-many ones."""
        entity = self.types[type_name].entity
        columns_here, relations = self.column_of[type_name], self.by_graphql_name[type_name]
        needed = {entity.key}
        for graphql_name in _flatten(selections):
            if graphql_name in columns_here:
                needed.add(columns_here[graphql_name])
            elif graphql_name in relations:
                relation = relations[graphql_name][1]
                needed.update((relation.fk,) if isinstance(relation, ToOne) else relation.keys)
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


async def prefetch(
    ctx: Context,
    registry: Registry,
    type_name: str,
    objects: Sequence[Any],
    selections: Sequence[Selection],
    max_nested: int,
) -> None:
    """Load every relation selected under ``objects``, level by level, one statement each.
    Sibling relations (a session's project and its subject) load concurrently."""
    if not objects:
        return
    relations = registry.by_graphql_name[type_name]
    branches = [
        _load_relation(ctx, registry, *relations[graphql_name], objects, fields, max_nested)
        for graphql_name, fields in _flatten(selections).items()
        if graphql_name in relations
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
