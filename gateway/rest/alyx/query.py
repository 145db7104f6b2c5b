"""Alyx's query syntax parsed into the shared query spec (DOMAIN.md §2): one declared
parameter per filter (``?subject=&lab=&date_range=…``), ``django=field__lookup,value`` pairs,
and ``limit``/``offset``.

Each endpoint declares its parameters once (:mod:`.filters`); the parser and the OpenAPI
document (:mod:`.openapi`) both read the declarations, so the filters ONE is told about are
the ones that work. Values are typed here, against the field they filter, so a 400 names the
caller's parameter. A parameter no endpoint declares is ignored, as Alyx (django-filter)
ignores it: ONE sends some (``exists`` on its AWS path). Paging follows Django REST
framework's ``LimitOffsetPagination`` as Alyx configures it (:func:`alyx_window`).
"""

from __future__ import annotations

import ast
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from starlette.datastructures import QueryParams

from gateway.errors import QueryError
from resolvers.query import (
    MAX_OFFSET,
    AllOf,
    AnyOf,
    Condition,
    Entity,
    Filter,
    Kind,
    Not,
    QuerySpec,
    Window,
    expected,
)

DEFAULT_LIMIT = 250  # Alyx's PAGE_SIZE
MAX_LIMIT = 1000  # Alyx's LimitedLimitOffsetPagination.max_limit
PAGING = ("limit", "offset")

# Django lookups and the query-spec operator each becomes.
LOOKUPS = {
    "exact": "eq",
    "iexact": "iexact",
    "icontains": "icontains",
    "startswith": "startswith",
    "gt": "gt",
    "gte": "gte",
    "lt": "lt",
    "lte": "lte",
    "in": "in",
    "isnull": "isnull",
}

Parse = Callable[[Entity, str, str], Condition]


def typed(entity: Entity, column: str, param: str, raw: Any) -> Any:
    """``raw`` as the value type of ``column``; a 400 that names the caller's ``param``."""
    spec = entity.field_spec(column)
    try:
        return spec.coerce(column, raw)
    except QueryError:
        raise QueryError(
            f"Invalid value {raw!r} for '{param}': expected {expected(spec.kind)}."
        ) from None


def _items(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def equals(column: str) -> Parse:
    def parse(entity: Entity, param: str, raw: str) -> Condition:
        return Filter(column, "eq", typed(entity, column, param, raw))

    return parse


def key_or_name(key: str, name: str) -> Parse:
    """A related record, as real Alyx's filtersets take it, by its UUID; or, as scripts
    written for neurogate's earlier shim send it, by its name."""

    def parse(entity: Entity, param: str, raw: str) -> Condition:
        try:
            return Filter(key, "eq", uuid.UUID(raw.strip()))
        except ValueError:
            return Filter(name, "eq", raw)

    return parse


def equals_any_case(column: str) -> Parse:
    def parse(entity: Entity, param: str, raw: str) -> Condition:
        return Filter(column, "iexact", raw)

    return parse


def contains(column: str) -> Parse:
    def parse(entity: Entity, param: str, raw: str) -> Condition:
        return Filter(column, "icontains", raw)

    return parse


def each_of(column: str) -> Parse:
    """A comma-separated list, every item of which must match (Alyx's ``users``)."""

    def parse(entity: Entity, param: str, raw: str) -> Condition:
        items = _items(raw)
        if not items:
            raise QueryError(f"'{param}' takes a comma-separated list of names.")
        return AllOf(tuple(Filter(column, "eq", typed(entity, column, param, i)) for i in items))

    return parse


def absent(column: str) -> Parse:
    """A true/false parameter that holds when ``column`` is null (Alyx's ``alive``)."""

    def parse(entity: Entity, param: str, raw: str) -> Condition:
        flag = raw.strip().lower()
        if flag not in {"true", "false", "1", "0"}:
            raise QueryError(f"'{param}' takes true or false.")
        return Filter(column, "isnull", flag in {"true", "1"})

    return parse


def _day(param: str, raw: Any) -> date:
    try:
        return date.fromisoformat(str(raw).strip()[:10])
    except ValueError:
        raise QueryError(f"'{param}' takes dates as YYYY-MM-DD, not {raw!r}.") from None


def day_range(column: str) -> Parse:
    """``date_range=YYYY-MM-DD,YYYY-MM-DD``: both days included (either may be left out)."""

    def parse(entity: Entity, param: str, raw: str) -> Condition:
        parts = [part.strip() for part in raw.split(",")]
        if len(parts) != 2 or not any(parts):
            raise QueryError(f"'{param}' takes two dates: YYYY-MM-DD,YYYY-MM-DD.")
        first, last = parts
        conditions: list[Condition] = []
        if first:
            conditions.append(Filter(column, "gte", datetime.combine(_day(param, first), time())))
        if last:
            after = datetime.combine(_day(param, last) + timedelta(days=1), time())
            conditions.append(Filter(column, "lt", after))
        return AllOf(tuple(conditions))

    return parse


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


def on_days(column: str, op: str, days: list[date]) -> Condition:
    """Django's ``<datetime>__date__<lookup>``: the lookup on the day of ``column``, as
    ranges of the column itself (so its index still serves)."""
    if op == "in":
        return AnyOf(tuple(on_days(column, "eq", [day]) for day in days))
    day = days[0]
    start, end = _midnight(day), _midnight(day + timedelta(days=1))
    if op == "eq":
        return AllOf((Filter(column, "gte", start), Filter(column, "lt", end)))
    if op == "ne":
        return Not(on_days(column, "eq", days))
    bounds = {"lt": ("lt", start), "lte": ("lt", end), "gt": ("gte", end), "gte": ("gte", start)}
    if op not in bounds:
        raise QueryError(f"Lookup '{op}' is not supported on a date.")
    bound_op, bound = bounds[op]
    return Filter(column, bound_op, bound)


def _drf_int(raw: str | None, *, strict: bool) -> int | None:
    """Django REST framework's ``_positive_int``: None for what it would refuse (not a
    number, negative, or zero when ``strict``)."""
    try:
        value = int(raw) if raw is not None else None
    except ValueError:
        return None
    if value is None or value < 0 or (strict and value == 0):
        return None
    return value


def alyx_window(params: QueryParams) -> Window:
    """``limit``/``offset`` as Alyx's ``LimitedLimitOffsetPagination`` reads them: a limit
    over 1,000 is cut to 1,000; a limit that is missing, zero, negative or not a number is
    the default page (250); an offset that is not a whole number is 0. Alyx does not cap
    the offset; here one past :data:`MAX_OFFSET` is a 400, so SQL never sees it."""
    limit = _drf_int(params.get("limit"), strict=True)
    offset = _drf_int(params.get("offset"), strict=False) or 0
    if offset > MAX_OFFSET:
        raise QueryError(f"'offset' must be at most {MAX_OFFSET}.")
    return Window(limit=DEFAULT_LIMIT if limit is None else min(limit, MAX_LIMIT), offset=offset)


def unrecorded(shown: str | None = None) -> Parse:
    """A filter on a field Alyx has and neurogate does not record, whose every record shows
    ``shown`` (null, or a default such as ``false``): a value equal to it matches every
    record, any other none, as the same filter does on an Alyx that never set the field."""

    def parse(entity: Entity, param: str, raw: str) -> Condition:
        matches = shown is not None and raw.strip().lower() == shown
        return AllOf(()) if matches else AnyOf(())

    return parse


def qc_choice(column: str, choices: Mapping[str, int]) -> Parse:
    """An enum field by choice name, any case (Alyx's ``enum_field_filter``)."""

    def parse(entity: Entity, param: str, raw: str) -> Condition:
        value = choices.get(raw.strip().upper())
        if value is None:
            raise QueryError(f"Invalid {param}, choices are: {', '.join(choices)}.")
        return Filter(column, "eq", value)

    return parse


def compared(column: str, op: str) -> Parse:
    """``column`` compared with the number given (Alyx's ``performance_gte``)."""

    def parse(entity: Entity, param: str, raw: str) -> Condition:
        return Filter(column, op, typed(entity, column, param, raw))

    return parse


@dataclass(frozen=True)
class Param:
    """One filter parameter of a list endpoint."""

    name: str
    parse: Parse
    description: str
    type: str = "string"  # its OpenAPI schema type


@dataclass(frozen=True)
class Listing:
    """What one Alyx list endpoint filters: its parameters, the model fields ``django=``
    reaches (Alyx path -> catalog field), and the paths ``iexact`` is offered on."""

    entity: Entity
    params: tuple[Param, ...]
    django: Mapping[str, str] = field(default_factory=dict)
    iexact: frozenset[str] = frozenset()

    def names(self) -> tuple[str, ...]:
        return (*(p.name for p in self.params), "django", *PAGING)

    def parse(self, params: QueryParams, *, base: Condition | None = None) -> QuerySpec:
        by_name = {p.name: p for p in self.params}
        conditions: list[Condition] = [] if base is None else [base]
        for name, raw in params.multi_items():
            if name in PAGING:
                continue
            if name == "django":
                conditions.extend(self._django(raw))
                continue
            param = by_name.get(name)
            if param is not None and raw.strip():  # django-filter ignores an empty value
                conditions.append(param.parse(self.entity, name, raw))
        window = alyx_window(params)
        where = AllOf(tuple(conditions)) if conditions else None
        return QuerySpec(where=where, window=window)

    def _django(self, raw: str) -> list[Condition]:
        """``field__lookup,value[,field__lookup,value…]``; ``~field`` excludes (exact only)."""
        parts = _split_outside_brackets(raw)
        if len(parts) % 2:
            raise QueryError("'django' takes field__lookup,value pairs.")
        return [self._lookup(parts[i].strip(), parts[i + 1]) for i in range(0, len(parts), 2)]

    def _lookup(self, key: str, raw: str) -> Condition:
        negated = key.startswith("~")
        path, lookup = _split_lookup(key.removeprefix("~"))
        on_date = path.endswith("__date") and path.removesuffix("__date") in self.django
        if on_date:
            path = path.removesuffix("__date")
        column = self.django.get(path)
        if column is None:
            prefix, _, lookup_name = path.rpartition("__")
            if prefix in self.django:
                supported = ", ".join(LOOKUPS)
                raise QueryError(
                    f"Lookup '{lookup_name}' is not supported. Supported: {supported}."
                )
            allowed = ", ".join(sorted(self.django))
            raise QueryError(f"Unknown django filter field '{path}'. Allowed: {allowed}.")
        if negated and lookup != "exact":
            raise QueryError(f"'~{path}__{lookup}': only exact lookups can be excluded.")
        if lookup == "iexact" and path not in self.iexact:
            raise QueryError(f"iexact is not supported on '{path}'; use exact or icontains.")
        op = LOOKUPS[lookup]
        spec = self.entity.field_spec(column)
        if op not in spec.ops:
            raise QueryError(f"Lookup '{lookup}' is not supported on '{path}'.")
        if on_date and op != "isnull":
            if spec.kind is not Kind.DATETIME:
                raise QueryError(f"'{path}__date': '{path}' is not a date and time.")
            days = [
                _day(path, item) for item in (_literal_list(path, raw) if op == "in" else [raw])
            ]
            condition = on_days(column, op, days)
            return Not(condition) if negated else condition
        if op == "isnull" or (op == "eq" and raw == "None"):
            is_null = raw if op == "isnull" else "true"
            return Filter(column, "isnull", typed_flag(path, is_null) != negated)
        if op == "in":
            values = [typed(self.entity, column, path, item) for item in _literal_list(path, raw)]
            return Filter(column, "in", values)
        value = typed(self.entity, column, path, raw)
        return Filter(column, "ne" if negated else op, value)


def typed_flag(path: str, raw: str) -> bool:
    flag = raw.strip().lower()
    if flag not in {"true", "false"}:
        raise QueryError(f"'{path}__isnull' takes True or False.")
    return flag == "true"


def _split_lookup(key: str) -> tuple[str, str]:
    path, _, last = key.rpartition("__")
    if path and last in LOOKUPS:
        return path, last
    return key, "exact"


def _split_outside_brackets(value: str) -> list[str]:
    """Split on commas that are not inside [] or () (Alyx's ``split_comma_outside_brackets``)."""
    parts, word, depth = [], "", 0
    for char in value:
        if char in "[(":
            depth += 1
        elif char in "])":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            parts.append(word)
            word = ""
        else:
            word += char
    parts.append(word)
    return parts


def _literal_list(path: str, raw: str) -> list[Any]:
    """``[a, b]``, ``['a', 'b']``, ``(1, 2)`` or ``a,b``: the items as text (typed later)."""
    text = raw.strip()
    if text[:1] in "[(" and text[-1:] in ")]":
        try:
            values = ast.literal_eval(text)
        except (SyntaxError, ValueError):
            return _items(text[1:-1])  # bare names: [cortexlab, churchlandlab]
        if isinstance(values, list | tuple):
            return [str(v) for v in values]
        raise QueryError(f"'{path}__in' takes a list such as [a, b].")
    return _items(text)


def _in_brain_region(number: bool = False) -> Parse:
    """Alyx's ``atlas_id``, ``atlas_acronym`` and ``atlas_name`` (``SessionFilter``,
    ``ProbeInsertionFilter``): sessions or insertions with a channel of a trajectory of
    provenance at least 70 (or, for sessions, a field of view) in the region or below it.
    neurogate keeps brain regions, insertions and trajectories but no channels and no fields
    of view, so no record is known to be in a region: as on an Alyx without them, a valid
    value matches none. ``atlas_id`` is a number, as Alyx's NumberFilter."""

    def parse(entity: Entity, param: str, raw: str) -> Condition:
        if number:
            try:
                float(raw)
            except ValueError:
                raise QueryError("Enter a number.", field=param) from None  # NumberFilter's
        return AnyOf(())

    return parse


_NO_CHANNELS = "With a channel in it or below; no channels are recorded, so none."
ATLAS_PARAMS = (
    Param("atlas_name", _in_brain_region(), f"Part of a brain region's name. {_NO_CHANNELS}"),
    Param("atlas_acronym", _in_brain_region(), f"A brain region's acronym. {_NO_CHANNELS}"),
    Param(
        "atlas_id",
        _in_brain_region(number=True),
        f"A brain region's id. {_NO_CHANNELS}",
        "integer",
    ),
)
