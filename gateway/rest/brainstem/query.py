"""BrainSTEM's query syntax parsed into the shared query spec (seed 001, dynamic-rest style):
``filter{field}=v``, ``filter{field.op}=v``, ``filter{rel.id}=v``, repeatable ``sort[]=-field``,
``include[]=rel`` / ``include[]=rel.*`` (nested: ``rel.rel2.*``), ``limit`` and ``offset``.

Names are checked here against the model's BrainSTEM names, so a 400 speaks the caller's
vocabulary; the shared spec checks the translated names again when it compiles.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams

from gateway.errors import QueryError
from gateway.http.pagination import offset_window
from gateway.rest.brainstem.models import BY_ENTITY, Model, is_members
from resolvers.query import ALL_OPS, AllOf, Condition, FieldSpec, Filter, Order, QuerySpec

Include = dict[str, "Include"]  # relation name -> what to include under it

DEFAULT_LIMIT = 20
MAX_INCLUDE_DEPTH = 3
OPERATORS = {op: op for op in ALL_OPS} | {"exact": "eq"}
_TRUE, _FALSE = {"true", "1", "yes", "t"}, {"false", "0", "no", "f"}


def _unknown_field(model: Model, name: str) -> QueryError:
    allowed = ", ".join(model.filter_names)
    return QueryError(f"Unknown field '{name}' for {model.name}. Allowed fields: {allowed}.")


def _split_filter(inner: str) -> tuple[str, str]:
    """``name.icontains`` -> (``name``, ``icontains``); ``projects.id`` -> (``projects.id``,
    ``eq``): a last segment is an operator only when it is one."""
    path, _, last = inner.rpartition(".")
    if path and last in OPERATORS:
        return path, OPERATORS[last]
    return inner, "eq"


def _typed(spec: FieldSpec, name: str, value: str) -> Any:
    try:
        return spec.coerce(name, value)
    except QueryError as error:  # about a query parameter, not a body field: a plain detail
        raise QueryError(error.message) from error


def _filter(model: Model, inner: str, values: list[str]) -> list[Condition]:
    name, op = _split_filter(inner)
    column = model.filter_field(name)
    if column is None:
        raise _unknown_field(model, name)
    spec = model.entity.field_spec(column)
    if op not in spec.ops:
        allowed = ", ".join(sorted(spec.ops))
        raise QueryError(f"Operator '{op}' is not allowed on '{name}'. Allowed: {allowed}.")
    if op == "in":
        items = [item for value in values for item in value.split(",") if item != ""]
        return [Filter(column, "in", [_typed(spec, name, item) for item in items])]
    if op == "isnull":
        flags = [value.strip().lower() for value in values]
        if any(flag not in _TRUE | _FALSE for flag in flags):
            raise QueryError(f"'{name}.isnull' takes true or false.")
        return [Filter(column, "isnull", flag in _TRUE) for flag in flags]
    return [Filter(column, op, _typed(spec, name, value)) for value in values]


def _orders(model: Model, values: list[str]) -> tuple[Order, ...]:
    orders = []
    for value in (part.strip() for raw in values for part in raw.split(",")):
        if not value:
            continue
        name = value.removeprefix("-")
        column = model.sort_field(name)
        if column is None:
            sortable = ", ".join(model.sort_names)
            raise QueryError(f"Cannot sort {model.name} by '{name}'. Sortable fields: {sortable}.")
        orders.append(Order(column, descending=value.startswith("-")))
    return tuple(orders)


def parse_include(model: Model, values: list[str]) -> Include:
    """``include[]`` values as a tree of relation names, each checked against the model."""
    tree: Include = {}
    for raw in values:
        path = raw.strip().removesuffix(".*")
        if not path:
            raise QueryError("An empty include[].")
        steps = path.split(".")
        if len(steps) > MAX_INCLUDE_DEPTH:
            raise QueryError(f"include[] goes at most {MAX_INCLUDE_DEPTH} relations deep.")
        here, node = model, tree
        for index, step in enumerate(steps):
            last = index == len(steps) - 1
            if step not in here.relations:
                if step in here.unmodelled and last:
                    node.setdefault(step, {})
                    continue
                known = ", ".join(sorted({*here.relations, *here.unmodelled}))
                raise QueryError(
                    f"Unknown relation '{step}' for {here.name}. Relations: {known or 'none'}."
                )
            relation = here.relation(step)
            node = node.setdefault(step, {})
            if is_members(relation):
                if not last:
                    raise QueryError(f"'{step}' of {here.name} cannot be expanded further.")
                continue
            here = BY_ENTITY[relation.target]
    return tree


def parse_list(
    model: Model, params: QueryParams, *, max_limit: int, base: Condition | None = None
) -> tuple[QuerySpec, Include]:
    """The query spec and include tree of a list request; ``base`` is a condition the URL
    itself implies (e.g. the taxonomy model of an approvals endpoint)."""
    conditions: list[Condition] = [] if base is None else [base]
    filters: dict[str, list[str]] = {}
    for key, value in params.multi_items():
        if key.startswith("filter"):
            if not (key.startswith("filter{") and key.endswith("}")) or len(key) < 9:
                raise QueryError(
                    f"Malformed filter '{key}': write filter{{field}} or filter{{field.op}}."
                )
            if key[7] == "-":
                raise QueryError(f"Exclusion filters ('{key}') are not supported.")
            filters.setdefault(key[7:-1], []).append(value)
    for inner, values in filters.items():
        conditions.extend(_filter(model, inner, values))
    spec = QuerySpec(
        where=AllOf(tuple(conditions)) if conditions else None,
        order=_orders(model, params.getlist("sort[]")),
        window=offset_window(params, default_limit=DEFAULT_LIMIT, max_limit=max_limit),
    )
    return spec, parse_include(model, params.getlist("include[]"))
