"""What an Alyx record shows, declared as data: a :class:`Shape` maps each Alyx field name, in
Alyx's order, to what it shows of a node the entity graph's read path returns
(:mod:`resolvers.read`):

- :class:`Value` — a column of the row, or of a row reached through to-one relations
  (``"subject.nickname"``; None when one is missing or hidden), optionally formatted;
- :class:`Each` — the values of related rows reached through relations, at least one of them
  to-many (``"sessions.projects.name"``): a list, each value once, in the relations' order;
- :class:`Link` — the absolute URL of a record, from its key;
- :class:`Const` — a field Alyx has and neurogate does not model (null, or an empty list);
- :class:`Computed` — a small pure function of the node where Alyx formats (ALF paths, ages),
  with the paths it reads;
- :class:`Nested` — related rows as records of their own shape.

Paths are checked against the entity graph at import. A shape's include tree is derived from
its paths, so what a record shows and what is read cannot drift apart; rendering is a pure
function of the nodes: no I/O. So is a shape's OpenAPI schema (:meth:`Shape.schema`): each
field typed from its column (or what its format says it returns, :func:`returns`) and
described as the entity graph describes the attribute it shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

from gateway.http.openapi import KIND_SCHEMAS, Schema, nullable
from resolvers.catalog import ENTITIES
from resolvers.catalog.fields import kind_of
from resolvers.query import Entity, QuerySpec, Window
from resolvers.read import Follow, Include
from resolvers.relations import ToMany

Record = dict[str, Any]
RELATED_MAX = 10_000  # the most related rows one record lists
RELATED = QuerySpec(window=Window(RELATED_MAX))  # a to-many relation in its own order


@dataclass(frozen=True)
class Urls:
    """Absolute URLs from the request's own base, without a trailing slash (DOMAIN.md §2.5)."""

    base: str

    def subject(self, nickname: str) -> str:
        return f"{self.base}/subjects/{quote(nickname, safe='')}"

    def session(self, key: Any) -> str:
        return f"{self.base}/sessions/{key}"

    def dataset(self, key: Any) -> str:
        return f"{self.base}/datasets/{key}"

    def weighing(self, key: Any) -> str:
        return f"{self.base}/weighings/{key}"

    def water_administration(self, key: Any) -> str:
        return f"{self.base}/water-administrations/{key}"

    def water_type(self, name: str) -> str:
        return f"{self.base}/water-type/{quote(name, safe='')}"

    def file(self, upload_id: int, alf_path: str) -> str:
        return f"{self.base}/files/{upload_id}/{alf_path}"

    def file_record(self, key: Any) -> str:
        return f"{self.base}/files/{key}"

    def data(self, path: str) -> str:
        """A registered file in a repository the gateway serves (ONE's HTTP_DATA_SERVER is
        ``<base>/data``)."""
        return f"{self.base}/data/{path}"


@dataclass(frozen=True, slots=True)
class Env:
    """What a rendering knows besides the nodes: the request's URLs, today (and now, naive
    UTC), and for a nested record the node it is nested in."""

    urls: Urls
    today: date
    parent: Any = None
    now: datetime | None = None


Getter = Callable[[Any, Env], Any]


class Shows(Protocol):
    """One Alyx field's meaning: what it reads of ``entity``, how it renders a node, and its
    OpenAPI schema."""

    def include(self, entity: Entity) -> Include: ...

    def getter(self, entity: Entity) -> Getter: ...

    def schema(self, entity: Entity) -> Schema: ...


F = TypeVar("F", bound=Callable[..., Any])


def returns(schema: Schema | None) -> Callable[[F], F]:
    """Declare the OpenAPI schema of what a format or computed field returns (None: the
    value's own type, as its column gives it)."""

    def mark(function: F) -> F:
        function.returns = schema  # type: ignore[attr-defined]
        return function

    return mark


def _column_schema(holder: Entity, column: str, returned: Any = None) -> Schema:
    """What a column shows: typed as its format returns (or as the column itself), and
    described as the entity graph describes it."""
    if returned is None:
        returned = KIND_SCHEMAS[kind_of(holder.table.c[column])]
    attribute = holder.attributes.get(column)
    described = {"description": attribute.description} if attribute else {}
    return nullable({**returned, **described})


@dataclass(frozen=True, slots=True)
class _Step:
    relation: str
    many: bool
    spec: QuerySpec


def _steps(entity: Entity, path: str) -> tuple[list[_Step], str, Entity]:
    """``path`` (``relation.relation.column``) checked against the graph: its relation steps,
    its column and the entity that holds it."""
    *relations, column = path.split(".")
    steps = []
    for name in relations:
        relation = entity.relations.get(name)
        if relation is None:
            raise ValueError(f"{entity.name} has no relation {name!r} (in {path!r}).")
        many = isinstance(relation, ToMany)
        steps.append(_Step(name, many, RELATED if many else QuerySpec()))
        entity = ENTITIES[relation.target]
    entity.table.c[column]  # a column it does not have is an error here, at import
    return steps, column, entity


def _tree(steps: Sequence[_Step], leaf: Include) -> Include:
    for step in reversed(steps):
        leaf = Include(follow=(Follow(step.relation, leaf, spec=step.spec),))
    return leaf


def _read(entity: Entity, path: str) -> Include:
    steps, column, _ = _steps(entity, path)
    return _tree(steps, Include(columns=(column,)))


def merge(includes: Iterable[Include]) -> Include:
    """One include tree reading everything ``includes`` read; a relation followed twice is
    followed once (with one spec: two would need two keys, which no Alyx field needs)."""
    columns: set[str] = set()
    follows: dict[str, list[Follow]] = {}
    for include in includes:
        columns.update(include.columns)
        for follow in include.follow:
            follows.setdefault(follow.relation, []).append(follow)
    merged = []
    for relation, same in follows.items():
        specs = {follow.spec for follow in same}
        if len(specs) > 1:
            raise ValueError(f"{relation!r} is followed with different specs: {specs}.")
        merged.append(Follow(relation, merge(f.include for f in same), spec=specs.pop()))
    return Include(tuple(sorted(columns)), tuple(merged))


def _walk(steps: Sequence[_Step], column: str) -> Callable[[Any], Any]:
    """The value of a path of to-one steps: None past a missing or hidden row."""
    names = [step.relation for step in steps]
    if not names:
        return lambda node: getattr(node, column)

    def get(node: Any) -> Any:
        for name in names:
            node = getattr(node, name)
            if node is None:
                return None
        return getattr(node, column)

    return get


@returns(None)
def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Value:
    """A column of the row or of a row its to-one relations reach, through ``format``
    (applied to None too: formats say what a missing value shows)."""

    path: str
    format: Callable[[Any], Any] = _same

    def include(self, entity: Entity) -> Include:
        return _read(entity, self.path)

    def getter(self, entity: Entity) -> Getter:
        steps, column, _ = _steps(entity, self.path)
        if any(step.many for step in steps):
            raise ValueError(f"{self.path!r} reaches many rows: declare it as Each.")
        get, format = _walk(steps, column), self.format
        return lambda node, env: format(get(node))

    def schema(self, entity: Entity) -> Schema:
        _, column, holder = _steps(entity, self.path)
        return _column_schema(holder, column, getattr(self.format, "returns", {}))


@dataclass(frozen=True)
class Each:
    """The values of the rows a path through relations reaches (at least one to-many): each
    once, in the relations' order, hidden rows left out."""

    path: str

    def include(self, entity: Entity) -> Include:
        return _read(entity, self.path)

    def getter(self, entity: Entity) -> Getter:
        steps, column, _ = _steps(entity, self.path)
        if not any(step.many for step in steps):
            raise ValueError(f"{self.path!r} reaches one row: declare it as Value.")
        if len(steps) == 1:  # the common case, kept to one comprehension
            name = steps[0].relation
            return lambda node, env: [getattr(row, column) for row in getattr(node, name)]

        def get(node: Any, env: Env) -> list[Any]:
            rows = [node]
            for step in steps:
                reached = []
                for row in rows:
                    related = getattr(row, step.relation)
                    if step.many:
                        reached.extend(related)
                    elif related is not None:
                        reached.append(related)
                rows = reached
            return list(dict.fromkeys(getattr(row, column) for row in rows))

        return get

    def schema(self, entity: Entity) -> Schema:
        _, column, holder = _steps(entity, self.path)
        item = _column_schema(holder, column)
        return {"type": "array", "items": item, "description": f"Each: {item['description']}"}


@dataclass(frozen=True)
class Link:
    """The URL (``Urls.<kind>``) of the record whose key the path reads; None without one."""

    kind: str
    path: str

    def include(self, entity: Entity) -> Include:
        return _read(entity, self.path)

    def getter(self, entity: Entity) -> Getter:
        steps, column, _ = _steps(entity, self.path)
        get, kind = _walk(steps, column), self.kind
        getattr(Urls, kind)  # an unknown kind is an error here, at import

        def link(node: Any, env: Env) -> str | None:
            key = get(node)
            return None if key is None else getattr(env.urls, kind)(key)  # type: ignore[no-any-return]

        return link

    def schema(self, entity: Entity) -> Schema:
        text = f"The absolute URL of the {self.kind} (no trailing slash)."
        return {"type": "string", "format": "uri", "nullable": True, "description": text}


@dataclass(frozen=True)
class Const:
    """A field Alyx has and neurogate does not model: always ``value`` (a fresh list for a
    list, so no record shares one)."""

    value: Any

    def include(self, entity: Entity) -> Include:
        return Include()

    def getter(self, entity: Entity) -> Getter:
        if isinstance(self.value, list):
            return lambda node, env: []
        value = self.value
        return lambda node, env: value

    def schema(self, entity: Entity) -> Schema:
        text = "Not kept by neurogate."
        if isinstance(self.value, list):
            return {"type": "array", "maxItems": 0, "description": text}
        return {"nullable": True, "description": text}


NULL = Const(None)
EMPTY = Const([])


@dataclass(frozen=True)
class Computed:
    """A pure function of the node and the rendering's :class:`Env`, reading ``reads``."""

    function: Callable[[Any, Env], Any]
    reads: tuple[str, ...]

    def include(self, entity: Entity) -> Include:
        return merge(_read(entity, path) for path in self.reads)

    def getter(self, entity: Entity) -> Getter:
        for path in self.reads:
            _steps(entity, path)
        return self.function

    def schema(self, entity: Entity) -> Schema:
        doc = (self.function.__doc__ or "").strip().split("\n\n")[0]
        described = {"description": " ".join(doc.split())} if doc else {}
        return nullable({**getattr(self.function, "returns", {}), **described})


@dataclass(frozen=True)
class Nested:
    """The rows of a to-many ``relation`` as records of ``fields``, in ``spec``'s order;
    their functions see this node as ``Env.parent``, of which they read ``parent_reads``."""

    relation: str
    fields: Mapping[str, Shows]
    spec: QuerySpec = RELATED
    parent_reads: tuple[str, ...] = ()

    def _shape(self, entity: Entity) -> Shape:
        relation = entity.relations[self.relation]
        if not isinstance(relation, ToMany):
            raise ValueError(f"{entity.name}.{self.relation} is not to-many.")
        return Shape(ENTITIES[relation.target], self.fields)

    def include(self, entity: Entity) -> Include:
        follow = Follow(self.relation, self._shape(entity).include, spec=self.spec)
        parent = merge(_read(entity, path) for path in self.parent_reads)
        return merge([Include(follow=(follow,)), parent])

    def getter(self, entity: Entity) -> Getter:
        render, name = self._shape(entity).render, self.relation

        def nested(node: Any, env: Env) -> list[Record]:
            inner = replace(env, parent=node)
            return [render(child, inner) for child in getattr(node, name)]

        return nested

    def schema(self, entity: Entity) -> Schema:
        relation = entity.relations[self.relation]
        return {
            "type": "array",
            "items": self._shape(entity).schema(),
            "description": relation.description,
        }


@dataclass(frozen=True)
class Shape:
    """One representation of ``entity``'s records (an endpoint's summary or detail): its
    Alyx fields, in order, and the include tree that reads them."""

    entity: Entity
    fields: Mapping[str, Shows]
    include: Include = field(init=False)
    _getters: tuple[tuple[str, Getter], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        entity = self.entity
        object.__setattr__(self, "include", merge(f.include(entity) for f in self.fields.values()))
        getters = tuple((name, f.getter(entity)) for name, f in self.fields.items())
        object.__setattr__(self, "_getters", getters)

    def render(self, node: Any, env: Env) -> Record:
        return {name: get(node, env) for name, get in self._getters}

    def schema(self) -> Schema:
        """The OpenAPI schema of its records: every field always present (blank is null)."""
        return {
            "type": "object",
            "required": list(self.fields),
            "properties": {name: f.schema(self.entity) for name, f in self.fields.items()},
        }

    def extended(self, **fields: Shows) -> Shape:
        """This shape with ``fields`` replaced in place, or added at the end."""
        return Shape(self.entity, {**self.fields, **fields})
