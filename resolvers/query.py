"""The query spec: filters, ordering, a page window and search, shared by every surface.

Each surface only *parses* its own syntax into a :class:`QuerySpec`; this module checks the spec
against the model's allowlist (:class:`Entity`) and turns it into SQL. A field that is not
listed is a :class:`QueryError`, never a query on that column.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, not_, or_, true
from sqlalchemy.sql.util import ClauseAdapter

from gateway.auth.principal import ANONYMOUS, Principal
from gateway.auth.visibility import visible
from gateway.db.models.search import SearchIndex, matches
from gateway.errors import QueryError
from resolvers.details import Structured
from resolvers.relations import Relation


class Kind(Enum):
    STRING = "string"
    INT = "int"
    BIGINT = "bigint"
    FLOAT = "float"
    BOOL = "bool"
    DATETIME = "datetime"
    DATE = "date"
    UUID = "uuid"


ORDERED_OPS = frozenset({"eq", "ne", "in", "gt", "gte", "lt", "lte", "isnull"})
TEXT_OPS = ORDERED_OPS | {"iexact", "icontains", "startswith", "endswith"}
OPS_BY_KIND: Mapping[Kind, frozenset[str]] = {
    Kind.STRING: TEXT_OPS,
    Kind.INT: ORDERED_OPS,
    Kind.BIGINT: ORDERED_OPS,
    Kind.FLOAT: ORDERED_OPS,
    Kind.DATETIME: ORDERED_OPS,
    Kind.DATE: ORDERED_OPS,
    Kind.BOOL: frozenset({"eq", "ne", "isnull"}),
    Kind.UUID: frozenset({"eq", "ne", "in", "isnull"}),
}
ALL_OPS = TEXT_OPS


_LIKE_ESCAPE = "/"


def _escape_like(value: str) -> str:
    """``value`` as a LIKE pattern that matches only itself."""
    for char in (_LIKE_ESCAPE, "%", "_"):
        value = value.replace(char, _LIKE_ESCAPE + char)
    return value


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "t"}:
        return True
    if text in {"false", "0", "no", "f"}:
        return False
    raise ValueError("expected true or false")


def _parse_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else _to_naive_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    return _to_naive_utc(parsed) if parsed.tzinfo else parsed


def _to_naive_utc(value: datetime) -> datetime:
    offset = value.utcoffset()
    return (value - offset).replace(tzinfo=None) if offset else value.replace(tzinfo=None)


def _parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip())


def _parse_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value).strip())


# The integers a column of each kind holds. A value outside them names no row, and the
# databases refuse to compare with it (SQLite past 64 bits, PostgreSQL past the column's own
# width), so it is refused where it is parsed: a 400, never a failed statement.
INT_RANGES: Mapping[Kind, tuple[int, int]] = {
    Kind.INT: (-(2**31), 2**31 - 1),
    Kind.BIGINT: (-(2**63), 2**63 - 1),
}


def _integer_of(kind: Kind) -> Callable[[Any], int]:
    low, high = INT_RANGES[kind]

    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError("expected an integer")
        number = value if isinstance(value, int) else int(str(value).strip())
        if not low <= number <= high:
            raise ValueError("out of range")
        return number

    return parse


def _parse_float(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


_PARSERS: Mapping[Kind, Callable[[Any], Any]] = {
    Kind.STRING: str,
    Kind.INT: _integer_of(Kind.INT),
    Kind.BIGINT: _integer_of(Kind.BIGINT),
    Kind.FLOAT: _parse_float,
    Kind.BOOL: _parse_bool,
    Kind.DATETIME: _parse_datetime,
    Kind.DATE: _parse_date,
    Kind.UUID: _parse_uuid,
}
# What a value of each kind must be, as a refusal says it (:func:`expected`).
_EXPECTED: Mapping[Kind, str] = {
    **{kind: kind.value for kind in Kind},
    **{kind: f"an integer from {low} to {high}" for kind, (low, high) in INT_RANGES.items()},
    Kind.FLOAT: "a finite number",
}


def expected(kind: Kind) -> str:
    """What a value of ``kind`` must be, for a refusal: ``an integer from ... to ...``."""
    return _EXPECTED[kind]


def parse_value(kind: Kind, name: str, value: Any) -> Any:
    """``value`` (as a surface gave it) as a value of ``kind``: every filter value, key and
    lookup a request carries is parsed here. :class:`QueryError` naming ``name`` for one
    that is not of ``kind`` or out of its range."""
    try:
        return _PARSERS[kind](value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise QueryError(
            f"Invalid value {value!r} for field '{name}': expected {_EXPECTED[kind]}.",
            field=name,
        ) from exc


@dataclass(frozen=True, slots=True)
class AsSeen:
    """A field computed from other rows than its entity's own: its SQL as a viewer sees it,
    reading only the rows that viewer may see (built by :mod:`resolvers.catalog.fields`).
    A filter on it then matches nothing through a hidden row, so it cannot tell whether one
    exists."""

    build: Callable[[Principal], ColumnElement[Any]]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One filterable (and possibly sortable) field of an entity: a column of its table (or
    an expression of its columns), or a value of related rows as the viewer sees them."""

    expr: ColumnElement[Any] | AsSeen
    kind: Kind
    sortable: bool = True
    # What it holds, for a field that is not one of the entity's attributes (those say it).
    description: str = ""

    @property
    def ops(self) -> frozenset[str]:
        return OPS_BY_KIND[self.kind]

    def expression(self, view: Principal) -> ColumnElement[Any]:
        """The field's SQL as ``view`` sees it."""
        return self.expr.build(view) if isinstance(self.expr, AsSeen) else self.expr

    def coerce(self, name: str, value: Any) -> Any:
        return parse_value(self.kind, name, value)


@dataclass(frozen=True, slots=True)
class Filter:
    field: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Condition


@dataclass(frozen=True, slots=True)
class Related:
    """``condition`` holds for the visible ``target`` row the to-one relation whose foreign
    key is ``fk`` names (a row whose related row is missing or hidden matches nothing)."""

    fk: str
    target: Entity
    condition: Condition


Condition = Filter | AllOf | AnyOf | Not | Related


@dataclass(frozen=True, slots=True)
class Order:
    field: str
    descending: bool = False
    # NULL sorts as the largest value, as PostgreSQL sorts it and Alyx's orders rely on (the
    # gateway's own orders sort it as the smallest).
    null_largest: bool = False


# The furthest a page may start: GraphQL's ``offset`` is an Int (32 bits), and every surface
# shares its bound. Offsets are summed with page sizes in SQL, so they stay far from 64 bits.
MAX_OFFSET = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Window:
    limit: int
    offset: int = 0


@dataclass(frozen=True, slots=True)
class QuerySpec:
    where: Condition | None = None
    order: tuple[Order, ...] = ()
    window: Window | None = None
    search: str | None = None


@dataclass(frozen=True, slots=True)
class Attribute:
    """A field of an entity's records (a column of its table, of the same name): what it
    means, whether writes may set it (and must), and the values it may hold."""

    description: str
    writable: bool = False
    required: bool = False
    # The only values it holds (as stored), each with what it means: a surface may show them
    # as an enum (GraphQL does). Declared with :func:`resolvers.catalog.fields.choices`.
    choices: tuple[tuple[str, str], ...] = ()
    # The least value a number may hold (Django's ``MinValueValidator``).
    minimum: float | None = None


@dataclass(frozen=True, slots=True)
class BrainstemName:
    """Where the BrainSTEM shim serves an entity declared with it, and its envelope keys:
    ``/api/{portal}/{app}/{model}/``, ``{plural: [...]}`` and ``{singular: {...}}``. Its
    fields are its attributes and relations, by their own names."""

    app: str
    model: str
    singular: str
    plural: str


class Writes(Enum):
    """How an entity's records are written (:mod:`resolvers.writes` does it)."""

    NONE = "none"  # read-only here (written by their own flows, or not at all)
    DIRECT = "direct"  # created, changed and deleted by those the domain allows
    APPROVAL = "approval"  # proposed, then applied when a reviewer accepts; admins delete


@dataclass(frozen=True, slots=True)
class Invariant:
    """What every stored record of an entity satisfies beyond its columns' own checks (a
    breeding's parents belong to its project): ``holds`` builds the SQL condition on the
    entity's table; a write leaving a record where it does not is refused, a 400 on
    ``field``."""

    field: str
    message: str
    holds: Callable[[Any], ColumnElement[bool]]


@dataclass(frozen=True, eq=False)
class Entity:
    """One entity of the graph, declared once: its table and key, what it is
    (``description``), the fields its records show (``attributes``), the fields it may be
    filtered and sorted on (``fields``, its allowlist: columns and computed ones), its
    default order, its relations (:mod:`resolvers.relations`), how it is written and, when it
    can be searched, its full-text search index. One per model, so equal and hashed by
    identity."""

    name: str
    table: Any
    fields: Mapping[str, FieldSpec]
    default_order: tuple[Order, ...]
    search: SearchIndex | None = None
    key: str = "id"
    relations: Mapping[str, Relation] = field(default_factory=dict)
    description: str = ""
    attributes: Mapping[str, Attribute] = field(default_factory=dict)
    writes: Writes = Writes.NONE
    # How many of it are called (``sessions``): listed under that name at the root of a
    # surface that lists it; empty for what is only reached through a relation.
    plural: str = ""
    # Its unique fields, which a surface may look one record up by (the key first).
    lookups: tuple[str, ...] = ()
    # Its ``type`` + JSON ``details`` pairs, each validated against the schema its type names.
    structured: tuple[Structured, ...] = ()
    # A column a new record's author is written to (read-only to writes, unless its
    # relation is writable: then the author is who the write names, by default the caller).
    author: str = ""
    # The value of a to-many relation to users (its ``written_as``) that a new record's
    # authors are written to: who the write names, by default the caller (Alyx's ``users``).
    authors: str = ""
    # What the BrainSTEM shim calls it (None: a model of its own, or not served there).
    brainstem: BrainstemName | None = None
    # What each of its records satisfies, checked on every write.
    invariants: tuple[Invariant, ...] = ()

    def field_spec(self, name: str) -> FieldSpec:
        spec = self.fields.get(name)
        if spec is None:
            allowed = ", ".join(sorted(self.fields))
            raise QueryError(
                f"Unknown field '{name}' for {self.name}. Allowed fields: {allowed}.", field=name
            )
        return spec

    def check(self, spec: QuerySpec, *, max_page_size: int) -> None:
        """Raise :class:`QueryError` for anything in ``spec`` this entity does not allow."""
        if spec.where is not None:
            self.compile_where(spec.where, ANONYMOUS)
        self.compile_order(spec.order, ANONYMOUS)
        check_window(spec.window, max_page_size=max_page_size)

    def compile_where(self, condition: Condition, view: Principal) -> ColumnElement[bool]:
        """``condition`` as SQL on this entity's rows; conditions on related rows see only
        the related rows ``view`` may see."""
        if isinstance(condition, AllOf):
            return and_(true(), *(self.compile_where(part, view) for part in condition.parts))
        if isinstance(condition, AnyOf):
            return or_(false(), *(self.compile_where(part, view) for part in condition.parts))
        if isinstance(condition, Not):
            return not_(self.compile_where(condition.part, view))
        if isinstance(condition, Related):
            # The related row is read through an alias of its table, so a relation back to
            # the same table (a category's parent), or a cycle of them, compares the related
            # row rather than correlating to the row being filtered.
            target = condition.target
            rows = target.table.alias()
            on_related = ClauseAdapter(rows).traverse(
                target.compile_where(condition.condition, view)
            )
            found = exists().where(rows.c[target.key] == self.table.c[condition.fk], on_related)
            rule = visible(target.table, view, alias=rows)
            return found if rule is None else found.where(rule)
        return self._compile_filter(condition, view)

    def _compile_filter(self, flt: Filter, view: Principal) -> ColumnElement[bool]:
        spec = self.field_spec(flt.field)
        if flt.op not in spec.ops:
            allowed = ", ".join(sorted(spec.ops))
            raise QueryError(
                f"Operator '{flt.op}' is not allowed on {self.name}.{flt.field} "
                f"({spec.kind.value}). Allowed: {allowed}.",
                field=flt.field,
            )
        col = spec.expression(view)
        if flt.op == "isnull":
            is_null = _parse_bool(flt.value) if not isinstance(flt.value, bool) else flt.value
            return col.is_(None) if is_null else col.is_not(None)
        if flt.op == "in":
            values = flt.value
            if isinstance(values, str):
                values = [v for v in values.split(",") if v != ""]
            if not isinstance(values, Sequence):
                raise QueryError(f"'in' on {flt.field} takes a list.", field=flt.field)
            return col.in_([spec.coerce(flt.field, v) for v in values])
        value = spec.coerce(flt.field, flt.value)
        if flt.op == "eq":
            return col == value
        if flt.op == "ne":
            return col != value
        if flt.op == "iexact":
            # ILIKE without wildcards: SQLAlchemy renders it lower(a) LIKE lower(b) on SQLite
            # (whose LIKE is case-sensitive here, see gateway/db/engine.py), ILIKE on
            # PostgreSQL; as an operator, it also reaches each value of a to-many field.
            return col.ilike(_escape_like(value), escape=_LIKE_ESCAPE)
        if flt.op == "icontains":
            return col.icontains(value, autoescape=True)
        if flt.op == "startswith":
            return col.startswith(value, autoescape=True)
        if flt.op == "endswith":
            return col.endswith(value, autoescape=True)
        return {"gt": col > value, "gte": col >= value, "lt": col < value, "lte": col <= value}[
            flt.op
        ]

    def compile_search(self, text: str) -> ColumnElement[bool]:
        """The database's own full-text search over this entity's search index (semantics:
        :func:`gateway.db.models.search.matches`)."""
        if self.search is None:
            raise QueryError(f"{self.name} does not support search.")
        return matches(self.search, text)

    def compile_order(self, order: Sequence[Order], view: Principal) -> list[ColumnElement[Any]]:
        """``order`` (then the default order, then the key, up to the first unique column) as
        ``view`` sees the values."""
        clauses: list[ColumnElement[Any]] = []
        seen = set()
        # Every ordering ends on the key, so pages are stable under ties.
        for item in (*order, *self.default_order, Order(self.key)):
            if item.field in seen:
                continue
            seen.add(item.field)
            spec = self.field_spec(item.field)
            if not spec.sortable:
                raise QueryError(f"{self.name} cannot be sorted by '{item.field}'.")
            # NULL sorts as the smallest value on every backend (PostgreSQL's default differs).
            # A column that holds no NULL is ordered plainly, so PostgreSQL can read the order
            # off an index of it (its indexes keep NULL largest).
            expr = spec.expression(view)
            if not getattr(expr, "nullable", True):
                clauses.append(expr.desc() if item.descending else expr.asc())
                if getattr(expr, "unique", False):
                    # No two rows tie on a unique column: the order is total here, and an
                    # index of that column alone serves it.
                    break
            elif item.null_largest:
                # A term of its own before the value, so that one index serves it on every
                # backend (SQLite's indexes cannot place NULL); ``order_index`` builds it.
                is_null = expr.is_(None)
                clauses.append(is_null.desc() if item.descending else is_null.asc())
                value = expr.desc().nulls_last() if item.descending else expr.asc().nulls_first()
                clauses.append(value)
            elif item.descending:
                clauses.append(expr.desc().nulls_last())
            else:
                clauses.append(expr.asc().nulls_first())
        return clauses

    def apply(self, stmt: Select[Any], spec: QuerySpec, view: Principal) -> Select[Any]:
        """Filter (as ``view`` sees related rows) and order ``stmt``; the window is applied
        by the pagination core."""
        if spec.where is not None:
            stmt = stmt.where(self.compile_where(spec.where, view))
        if spec.search:
            stmt = stmt.where(self.compile_search(spec.search))
        return stmt.order_by(*self.compile_order(spec.order, view))


def check_window(window: Window | None, *, max_page_size: int) -> None:
    if window is None:
        return
    if window.limit < 0 or window.offset < 0:
        raise QueryError("limit and offset must not be negative.")
    if window.offset > MAX_OFFSET:
        raise QueryError(f"offset {window.offset} is over the maximum of {MAX_OFFSET}.")
    if window.limit > max_page_size:
        raise QueryError(
            f"Page size {window.limit} is over the maximum of {max_page_size}; "
            "ask for fewer rows and page with offset or a cursor."
        )


def check_condition(
    condition: Condition | None, *, max_conditions: int, max_depth: int, max_values: int
) -> None:
    """Raise :class:`QueryError` for a filter larger than the gateway reads: more than
    ``max_conditions`` conditions (comparisons and the and/or/not joining them), nested more
    than ``max_depth`` deep, or an ``in`` listing more than ``max_values`` values. Databases
    parse a long chain of OR as deep as it is long (SQLite gives up at 1,000), and each
    value of an ``in`` is a statement parameter (PostgreSQL takes at most 32,767)."""
    if condition is None:
        return
    stack: list[tuple[Condition, int]] = [(condition, 1)]
    count = 0
    while stack:
        part, depth = stack.pop()
        count += 1
        if count > max_conditions:
            raise QueryError(f"A filter may hold at most {max_conditions} conditions.")
        if depth > max_depth:
            raise QueryError(f"A filter may nest and, or and not at most {max_depth} deep.")
        if isinstance(part, (AllOf, AnyOf)):
            stack.extend((inner, depth + 1) for inner in part.parts)
        elif isinstance(part, Not):
            stack.append((part.part, depth + 1))
        elif isinstance(part, Related):
            stack.append((part.condition, depth + 1))
        elif part.op == "in":
            values = part.value.split(",") if isinstance(part.value, str) else part.value
            if isinstance(values, Sequence) and len(values) > max_values:
                raise QueryError(
                    f"'in' on {part.field} may list at most {max_values} values.",
                    field=part.field,
                )
