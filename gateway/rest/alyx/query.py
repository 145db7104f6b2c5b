"""Alyx's query syntax parsed into the shared query spec (DOMAIN.md §2): one declared
parameter per filter (``?subject=&lab=&date_range=…``), ``django=field__lookup,value`` pairs,
and ``limit``/``offset``.

Each endpoint declares its parameters here once; the parser and the OpenAPI document
(:mod:`.openapi`) both read the declarations, so the filters ONE is told about are the ones
that work. Values are typed here, against the field they filter, so a 400 names the caller's
parameter; anything undeclared is a 400, never ignored.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from starlette.datastructures import QueryParams

from gateway.errors import QueryError
from gateway.http.pagination import offset_window
from resolvers import catalog
from resolvers.query import AllOf, Condition, Entity, Filter, QuerySpec, expected

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


def _day(param: str, raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip()[:10])
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
            if param is None:
                allowed = ", ".join(self.names())
                raise QueryError(f"Unknown filter '{name}'. Allowed filters: {allowed}.")
            if raw.strip():  # django-filter ignores an empty value
                conditions.append(param.parse(self.entity, name, raw))
        window = offset_window(params, default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT)
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


# --- the list endpoints' filters (DOMAIN.md §2.1-2.3) -----------------------------------------

SUBJECT_FILTERS = Listing(
    catalog.SUBJECT,
    (
        Param("nickname", equals("nickname"), "The subject's nickname."),
        Param("id", equals("id"), "The subject's UUID."),
        Param("lab", equals("lab_name"), "The lab's name."),
        Param("sex", equals("sex"), "M, F or U."),
        Param("species", equals("species_name"), "The species' name."),
        Param("strain", equals("strain_name"), "The strain's name."),
        Param("line", equals("genetic_line"), "The genetic line."),
        Param("responsible_user", equals("responsible_username"), "The username responsible."),
        Param("project", equals("project_name"), "The name of one of its projects."),
        Param("projects", equals("project_name"), "The name of one of its projects."),
        Param("alive", absent("death_date"), "true: no death date; false: one.", "boolean"),
        Param("birth_date", equals("birth_date"), "YYYY-MM-DD."),
        Param("death_date", equals("death_date"), "YYYY-MM-DD."),
    ),
    django={
        "pk": "id",
        "id": "id",
        "nickname": "nickname",
        "sex": "sex",
        "birth_date": "birth_date",
        "death_date": "death_date",
        "description": "description",
        "lab__name": "lab_name",
        "species__nickname": "species_name",
        "strain__name": "strain_name",
        "projects__name": "project_name",
        "responsible_user__username": "responsible_username",
    },
)
SESSION_FILTERS = Listing(
    catalog.SESSION,
    (
        Param("subject", equals_any_case("subject_nickname"), "Subject nickname (any case)."),
        Param("nickname", equals_any_case("subject_nickname"), "Subject nickname (any case)."),
        Param("id", equals("id"), "The session's UUID."),
        Param("number", equals("number"), "The session's number on its day.", "integer"),
        Param("lab", equals_any_case("lab_name"), "The lab's name (any case)."),
        Param("task_protocol", contains("task_protocol"), "Part of the task protocol."),
        Param("projects", contains("project_name"), "Part of a project's name."),
        Param("project", contains("project_name"), "Part of a project's name."),
        Param("type", equals_any_case("type"), "The session type (any case)."),
        Param("users", each_of("username"), "Usernames, comma-separated; all must match."),
        Param("date_range", day_range("start_time"), "YYYY-MM-DD,YYYY-MM-DD, both included."),
        Param("datasets", each_of("dataset_name"), "Dataset names, comma-separated; all present."),
        Param("dataset_types", each_of("dataset_type"), "Dataset types, comma-separated."),
    ),
    django={
        "pk": "id",
        "id": "id",
        "name": "name",
        "number": "number",
        "type": "type",
        "narrative": "narrative",
        "task_protocol": "task_protocol",
        "start_time": "start_time",
        "end_time": "end_time",
        "n_trials": "n_trials",
        "n_correct_trials": "n_correct_trials",
        "subject__nickname": "subject_nickname",
        "lab__name": "lab_name",
        "projects__name": "project_name",
        "users__username": "username",
    },
    iexact=frozenset({"subject__nickname", "lab__name", "type"}),
)
DATASET_FILTERS = Listing(
    catalog.FILE_UPLOAD,
    (
        Param("session", equals("session_id"), "The session's UUID."),
        Param("id", equals("uuid"), "The dataset's UUID."),
        Param("name", equals("name"), "The file name."),
        Param("dataset_type", equals("dataset_type"), "The dataset type."),
        Param("collection", equals("collection"), "The collection (sub-folder)."),
        Param("created_by", equals("uploader_username"), "The uploader's username."),
        Param("subject", equals("subject_nickname"), "The session's subject nickname."),
    ),
    django={
        "pk": "uuid",
        "id": "uuid",
        "name": "name",
        "session": "session_id",
        "session__id": "session_id",
        "dataset_type__name": "dataset_type",
        "collection": "collection",
        "file_size": "size",
        "created_datetime": "created_at",
        "created_by__username": "uploader_username",
        "session__subject__nickname": "subject_nickname",
    },
)
LAB_FILTERS = Listing(
    catalog.LABORATORY,
    (
        Param("name", equals("name"), "The lab's name."),
        Param("institution", equals("institution"), "The lab's institution."),
    ),
    django={"pk": "id", "name": "name", "institution": "institution", "timezone": "timezone"},
)
PROJECT_FILTERS = Listing(
    catalog.PROJECT,
    (Param("name", equals("name"), "The project's name."),),
    django={"pk": "id", "name": "name", "description": "description"},
)
USER_FILTERS = Listing(
    catalog.USER,
    (Param("username", equals("username"), "The username."),),
    django={
        "pk": "id",
        "id": "id",
        "username": "username",
        "first_name": "first_name",
        "last_name": "last_name",
    },
)
