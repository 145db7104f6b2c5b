"""Look-ahead loading: fill every relation a query selects, in bulk, before fields resolve.

A list resolver hands its rows and its selection to :func:`prefetch`, which walks the selection
tree and, for each relation at each level, fills the request's loader for *all* parent rows at
once (one statement per relation level). Related objects are then set as plain attributes, so
GraphQL resolves nested fields by attribute access: no per-item DataLoader call, no per-item
async work.
"""

from __future__ import annotations

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
    """Mixin for Strawberry types built straight from Core rows (see :meth:`from_row`).

    ``entity`` names the query-spec entity; ``relations`` maps a field's Python name to how it
    is loaded. To-one relation fields default to ``None`` and are set by :func:`prefetch`;
    to-many fields read ``self._many[(name, limit)]``.
    """

    entity: ClassVar[Entity]
    relations: ClassVar[dict[str, Relation]] = {}

    @classmethod
    def from_row(cls, row: Row[Any]) -> Any:
        # Skips the dataclass __init__ (a measurable cost on lists of thousands of rows); the
        # row carries every column, private foreign keys included, which relations read.
        obj = object.__new__(cls)
        attrs = obj.__dict__
        attrs.update(row._mapping)
        for name, relation in cls.relations.items():
            if isinstance(relation, ToOne):
                attrs[name] = None
        attrs["_many"] = {}
        return obj

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

    def convert(self, type_name: str, rows: Iterable[Row[Any] | None]) -> list[Any]:
        cls = self.types[type_name]
        return [cls.from_row(row) for row in rows if row is not None]


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
    """Load every relation selected under ``objects``, level by level, one statement each."""
    if not objects:
        return
    relations = registry.by_graphql_name[type_name]
    for graphql_name, fields in _flatten(selections).items():
        found = relations.get(graphql_name)
        if found is None:
            continue
        name, relation = found
        target = registry.types[relation.target]
        if isinstance(relation, ToOne):
            children = await _fill_to_one(ctx, name, relation, target, objects)
        else:
            limits = {_limit_argument(f): _effective_limit(f, max_nested) for f in fields}
            children = await _fill_to_many(ctx, name, relation, target, objects, limits)
        children_selections = [s for f in fields for s in f.selections]
        await prefetch(ctx, registry, relation.target, children, children_selections, max_nested)


async def _fill_to_one(
    ctx: Context, name: str, relation: ToOne, target: type[RowType], objects: Sequence[Any]
) -> list[Any]:
    rows = await ctx.loaders.by_key(target.entity.table).fill(
        getattr(obj, relation.fk) for obj in objects
    )
    # One object per related row, shared by every parent that points at it.
    memo: dict[Any, Any] = {}
    for obj in objects:
        key = getattr(obj, relation.fk)
        if key is not None and key not in memo:
            row = rows.get(key)
            memo[key] = None if row is None else target.from_row(row)
        obj.__dict__[name] = memo.get(key)
    return [child for child in memo.values() if child is not None]


async def _fill_to_many(
    ctx: Context,
    name: str,
    relation: ToMany,
    target: type[RowType],
    objects: Sequence[Any],
    limits: dict[int | None, int],
) -> list[Any]:
    entity = target.entity
    keys = [_key(obj, relation.keys) for obj in objects]
    children: list[Any] = []
    for argument, limit in limits.items():
        loader = ctx.loaders.children(
            entity.table, relation.parent_cols, limit=limit, order_by=entity.compile_order(())
        )
        grouped = await loader.fill(keys)
        for obj, key in zip(objects, keys, strict=True):
            converted = [target.from_row(row) for row in grouped[key]]
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
