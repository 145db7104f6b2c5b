"""Root fields answered by one compiled statement (:mod:`resolvers.compiled`).

A root list or lookup of an entity whose selection the compiler knows (columns, enums,
``__typename``, to-one relations, to-many relations through the target's foreign key with
their own ``where``/``orderBy``/``limit``/``offset``; fragments, aliases, variables and
``@skip``/``@include`` as graphql-core collects them) is answered by one statement that
builds the field's finished JSON in the database; its text goes into the response as it is
(an ``orjson.Fragment``), with no per-field Python. Any other root field, and any root field
whose arguments the normal path would refuse, runs the normal way: a document may mix both.

Compiled statements are kept per (selection, variable shapes, principal class, page size,
dialect) in a bounded LRU. The caller's user id is a bind parameter of the statement, and so
is every ``ID``, ``String`` or ``UUID`` variable the statement holds only as a parameter (a
lookup's key, a filter's value): one statement serves every value of it. Which variables those
are is found by compiling with stand-in values (:func:`resolvers.compiled.bind_probes`); such a
variable is part of the key by its form only (a UUID, an integer, other text: a statement made
for one form may parse or escape another differently). Every other variable is part of the key
by its value, as it may change the statement itself (a page size, a filter's structure, a
directive).
"""

from __future__ import annotations

import secrets
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import orjson
from graphql import (
    GraphQLEnumType,
    GraphQLObjectType,
    NonNullTypeNode,
    OperationType,
    get_named_type,
    get_nullable_type,
    is_non_null_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.values import get_argument_values
from sqlalchemy import Integer, Uuid, bindparam
from strawberry.utils.str_converters import to_camel_case

from gateway.auth.principal import Principal
from resolvers import compiled as sql
from resolvers.context import Context
from resolvers.listing import check_filter
from resolvers.query import Filter, Kind, QuerySpec, Window, check_window, parse_value
from resolvers.relations import ToOne
from schema.execution import _ATTRIBUTE, _DEFINITION, PlainListExecutor
from schema.filters import to_condition, to_order
from schema.listing import COMPILED_ROOT, decode_cursor, encode_cursor
from schema.query import REGISTRY
from schema.relations import _window

_SCALAR_KINDS = {
    "String": sql.TEXT,
    "Int": sql.INT,
    "BigInt": sql.BIGINT,
    "Float": sql.FLOAT,
    "Boolean": sql.BOOL,
    "DateTime": sql.DATETIME,
    "Date": sql.DATE,
    "JSON": sql.JSON,
}

# The user id of the principal a cached statement was built for, bound per request.
_VIEWER = bindparam("compiled_viewer", type_=Integer())
# Variables a statement may bind: their coerced value is the string sent as it is, or a UUID.
_BINDABLE_TYPES = frozenset({"ID", "String", "UUID"})
Bindable = str | uuid.UUID
_CACHE_SIZE = 512
_cache: OrderedDict[tuple[Any, ...], tuple[Any, Compiled]] = OrderedDict()
# Which of a selection's bindable variables its statement binds, per (selection, shape).
_bindings: OrderedDict[tuple[Any, ...], frozenset[str]] = OrderedDict()


@dataclass(frozen=True, slots=True)
class Compiled:
    """A root field's statement, and the variables it binds, each with the kind of value its
    parameters take (a value the normal path would refuse is refused the normal way)."""

    stmt: Any
    bound: tuple[tuple[str, Kind], ...] = ()

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.bound)

    def params(self, principal: Principal, variables: dict[str, Any]) -> dict[str, Any]:
        """The statement's parameters for a request (a QueryError for a value the normal
        path refuses)."""
        params: dict[str, Any] = {}
        if principal.user_id is not None:
            params[_VIEWER.key] = principal.user_id
        for name, kind in self.bound:
            params[sql.variable_param(name)] = parse_value(kind, name, variables[name])
        return params


def principal_class(principal: Principal) -> Principal:
    """What a statement is built for: the principal with its user id a bind parameter."""
    user = _VIEWER if principal.user_id is not None else None
    return replace(principal, user_id=user, token_id=None)  # type: ignore[arg-type]


def value_form(value: Bindable) -> str:
    """What a bound variable's value is, as far as a statement may tell."""
    if isinstance(value, uuid.UUID):
        return "uuid"
    try:
        if str(uuid.UUID(value)) == value:
            return "uuid"
    except ValueError:
        pass
    if value.isascii() and value.isdigit() and str(int(value)) == value and len(value) < 10:
        return "int"
    return "text"


def probe_of(form: str) -> tuple[str, str]:
    """A stand-in value of ``form`` that no document holds (:func:`sql.bind_probes`), and
    the random part of it that any text made from it still shows: as text, it is made of
    what escaping and case folding would change."""
    if form == "uuid":
        value = str(uuid.uuid4())
        return value, value[-12:]
    if form == "int":
        value = str(secrets.randbelow(10**9) + 10**9)
        return value, value
    marker = secrets.token_hex(8)
    return f" %_\\Probe{marker}É ", marker


def variable_shape(variables: dict[str, Any], bound: frozenset[str]) -> bytes | None:
    """The variables as a cache key: the ``bound`` ones by their form (:func:`value_form`),
    the others by value; None when a bound one is not a string or UUID (then no statement
    binds it), or when the others cannot be written as JSON."""
    if any(not isinstance(variables.get(name), Bindable) for name in bound):
        return None
    shape = {
        name: {"form": value_form(value)} if name in bound else value
        for name, value in variables.items()
    }
    try:
        return orjson.dumps(shape, default=repr, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # an integer past 64 bits: no key, nothing cached
        return None


class CompiledReadExecutor(PlainListExecutor):
    """:class:`PlainListExecutor`, answering compilable root fields with one statement each."""

    registry = REGISTRY

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Any,
        position_context: Any,
    ) -> Any:
        if path.prev is None and self._may_compile(parent_type, field_details_list):
            ctx: Context = self.context_value
            try:
                compiled = self._statement(ctx, parent_type, field_details_list)
                params = None
                if compiled is not None:
                    params = compiled.params(ctx.principal, self.variable_values.coerced)
            except Exception:
                compiled = None
            if compiled is not None and params is not None:
                if ctx.compiled_fields is not None:
                    ctx.compiled_fields[path.key] = compiled
                return self._answer(
                    ctx, compiled.stmt, params, parent_type, source, field_details_list, path,
                    position_context,
                )
        ctx = self.context_value
        if path.prev is None and isinstance(ctx, Context) and ctx.compiled_fields is not None:
            ctx.compiled_fields = None  # not every root field compiles
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def _may_compile(self, parent_type: GraphQLObjectType, details: FieldDetailsList) -> bool:
        ctx = self.context_value
        middleware = self.middleware_manager
        return (
            isinstance(ctx, Context)
            and ctx.json_text_answers
            and ctx.settings.compiled_reads
            and self.operation.operation == OperationType.QUERY
            and parent_type is self.schema.query_type
            and not (middleware and middleware.middlewares)
            and all(detail.defer_usage is None for detail in details)
        )

    async def _answer(
        self,
        ctx: Context,
        stmt: Any,
        params: dict[str, Any],
        parent_type: GraphQLObjectType,
        source: Any,
        details: FieldDetailsList,
        path: Any,
        position_context: Any,
    ) -> Any:
        try:
            text = await sql.run_compiled(ctx, stmt, params)
        except Exception:
            ctx.compiled_fields = None
            found = PlainListExecutor.execute_field(
                self, parent_type, source, details, path, position_context
            )
            return await found if self.is_awaitable(found) else found
        return orjson.Fragment(b"null" if text is None else text)

    def _statement(
        self, ctx: Context, parent_type: GraphQLObjectType, details: FieldDetailsList
    ) -> Compiled | None:
        field_def = parent_type.fields[details[0].node.name.value]
        definition = (field_def.extensions or {}).get(_DEFINITION)
        resolver = getattr(definition, "base_resolver", None)
        root = getattr(getattr(resolver, "wrapped_func", None), COMPILED_ROOT, None)
        if root is None:
            return None
        dialect = sql.dialect_of(ctx)
        common = (
            tuple(id(detail.node) for detail in details),
            principal_class(ctx.principal),
            ctx.settings.max_page_size,
            dialect,
        )
        variables = self.variable_values.coerced
        strings = self._bindable_variables(details)
        shape = variable_shape(variables, strings)
        bound = _bindings.get((*common, shape)) if shape is not None else None
        if bound is not None:
            bound_shape = variable_shape(variables, bound)
            cached = _cache.get((*common, bound_shape)) if bound_shape is not None else None
            if cached is not None:
                _cache.move_to_end((*common, bound_shape))
                return cached[1]
        compiled = self._compile(ctx, root, field_def, details, dialect)
        if shape is not None and strings:
            compiled = self._binding(ctx, root, field_def, details, dialect, strings) or compiled
            _bindings[(*common, shape)] = compiled.variables
            if len(_bindings) > _CACHE_SIZE:
                _bindings.popitem(last=False)
        key_shape = variable_shape(variables, compiled.variables)
        if key_shape is None:
            return compiled
        # The nodes are kept with their statement, so that their ids stay theirs.
        _cache[(*common, key_shape)] = ([detail.node for detail in details], compiled)
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        return compiled

    def _bindable_variables(self, details: FieldDetailsList) -> frozenset[str]:
        """The operation's ``ID``, ``String`` and ``UUID`` variables holding a value: those a
        statement may bind (none inside a fragment with variables of its own)."""
        if any(detail.fragment_variable_values for detail in details):
            return frozenset()
        variables = self.variable_values.coerced
        names = set()
        for definition in self.operation.variable_definitions or ():
            declared = definition.type
            if isinstance(declared, NonNullTypeNode):
                declared = declared.type
            named = getattr(declared, "name", None)
            name = definition.variable.name.value
            bindable = named is not None and named.value in _BINDABLE_TYPES
            if bindable and isinstance(variables.get(name), Bindable):
                names.add(name)
        return frozenset(names)

    def _binding(
        self,
        ctx: Context,
        root: tuple[Any, ...],
        field_def: Any,
        details: FieldDetailsList,
        dialect: str,
        strings: frozenset[str],
    ) -> Compiled | None:
        """The statement compiled with the string variables it holds only as parameters
        bound: all of them, else those that are so alone; None when none is."""
        coerced = self.variable_values.coerced
        forms = {name: value_form(coerced[name]) for name in strings}

        def probed(names: Iterable[str]) -> Compiled | None:
            probes = {name: probe_of(forms[name]) for name in names}
            real = self.variable_values
            stand_ins = {
                name: uuid.UUID(value) if isinstance(coerced[name], uuid.UUID) else value
                for name, (value, _) in probes.items()
            }
            self.variable_values = real._replace(coerced={**coerced, **stand_ins})
            try:
                stmt = self._compile(ctx, root, field_def, details, dialect).stmt
            except Exception:
                return None
            finally:
                self.variable_values = real
            found = sql.bind_probes(stmt, probes)
            return None if found is None else Compiled(found[0], tuple(sorted(found[1].items())))

        every = probed(strings)
        if every is not None or len(strings) == 1:
            return every
        alone = [name for name in sorted(strings) if probed([name]) is not None]
        return probed(alone) if alone else None

    def _compile(
        self,
        ctx: Context,
        root: tuple[Any, ...],
        field_def: Any,
        details: FieldDetailsList,
        dialect: str,
    ) -> Compiled:
        kind, type_ = root[0], root[1]
        entity = type_.entity
        args = self._arguments(field_def, details)
        object_type = get_named_type(field_def.type)
        view = principal_class(ctx.principal)
        max_size = ctx.settings.max_page_size
        if kind == "list":
            limit = args.get("limit")
            spec = QuerySpec(
                where=to_condition(args.get("where"), entity),
                order=to_order(args.get("orderBy")),
                window=Window(limit=max_size if limit is None else limit, offset=args["offset"]),
            )
            check_filter(ctx, spec)
            check_window(spec.window, max_page_size=max_size)
            return Compiled(
                sql.compile_list(
                    view, dialect, entity, spec, self._shape(ctx, object_type, details)
                )
            )
        if kind == "page":
            after = args.get("after")
            offset = decode_cursor(after) + 1 if after is not None else 0
            first = args.get("first")
            window = Window(limit=max_size if first is None else first, offset=offset)
            spec = QuerySpec(
                where=to_condition(args.get("where"), entity),
                order=to_order(args.get("orderBy")),
                window=window,
            )
            check_filter(ctx, spec)
            check_window(window, max_page_size=max_size)
            page = self._page_shape(ctx, object_type, details)
            cursors = [encode_cursor(offset + index) for index in range(window.limit)]
            return Compiled(sql.compile_page(view, dialect, entity, spec, page, cursors))
        key = root[2]
        value = args[to_camel_case(key)]
        spec = QuerySpec(where=Filter(key, "eq", value), window=Window(limit=1))
        shape = self._shape(ctx, object_type, details)
        return Compiled(sql.compile_one(view, dialect, entity, spec, shape))

    def _page_shape(self, ctx: Context, page_type: Any, details: FieldDetailsList) -> Any:
        """What is selected of a connection page (:class:`resolvers.compiled.PageShape`)."""
        parts: list[tuple[str, str, Any]] = []
        for key, found, field_type in self._collected(page_type, details):
            name = found[0].node.name.value
            if name == "__typename":
                parts.append((key, sql.TYPENAME + page_type.name, None))
            elif name == "totalCount":
                parts.append((key, name, None))
            elif name == "nodes":
                parts.append((key, name, self._shape(ctx, field_type, found)))
            elif name == "pageInfo":
                info = []
                for inner, below, _ in self._collected(field_type, found):
                    inner_name = below[0].node.name.value
                    if inner_name == "__typename":
                        inner_name = sql.TYPENAME + field_type.name
                    info.append((inner, inner_name))
                parts.append((key, name, tuple(info)))
            elif name == "edges":
                edge: list[tuple[str, Any]] = []
                for inner, below, below_type in self._collected(field_type, found):
                    inner_name = below[0].node.name.value
                    if inner_name == "node":
                        edge.append((inner, self._shape(ctx, below_type, below)))
                    elif inner_name == "__typename":
                        edge.append((inner, sql.TYPENAME + field_type.name))
                    else:
                        edge.append((inner, inner_name))
                parts.append((key, name, tuple(edge)))
            else:
                raise sql.NotCompilable(name)
        return sql.PageShape(tuple(parts))

    def _collected(
        self, object_type: Any, details: FieldDetailsList
    ) -> list[tuple[str, FieldDetailsList, Any]]:
        """(response key, field details, named type) of each field selected on
        ``object_type``."""
        grouped, new_defer_usages, _ = self.collect_subfields(object_type, details)
        if new_defer_usages:
            raise sql.NotCompilable("deferred")
        collected = []
        for key, found in grouped.items():
            if any(detail.defer_usage is not None for detail in found):
                raise sql.NotCompilable("deferred")
            name = found[0].node.name.value
            field = object_type.fields.get(name)
            collected.append((key, found, get_named_type(field.type) if field else None))
        return collected

    def _arguments(self, field_def: Any, details: FieldDetailsList) -> dict[str, Any]:
        first = details[0]
        return get_argument_values(  # type: ignore[no-any-return]
            field_def, first.node, self.variable_values, first.fragment_variable_values
        )

    def _shape(self, ctx: Context, object_type: Any, details: FieldDetailsList) -> sql.Shape:
        if not isinstance(object_type, GraphQLObjectType) or object_type.is_type_of is not None:
            raise sql.NotCompilable("not an object type")
        registry = self.registry
        type_name = object_type.name
        row_type = registry.types.get(type_name)
        if row_type is None:
            raise sql.NotCompilable(type_name)
        entity = row_type.entity
        grouped, new_defer_usages, _ = self.collect_subfields(object_type, details)
        if new_defer_usages:
            raise sql.NotCompilable("deferred")
        fields: list[Any] = []
        for response_key, found in grouped.items():
            if any(detail.defer_usage is not None for detail in found):
                raise sql.NotCompilable("deferred")
            name = found[0].node.name.value
            if name == "__typename":
                fields.append(sql.Constant(response_key, type_name))
                continue
            field = object_type.fields[name]
            relation_name = registry.relation_of[type_name].get(name)
            if relation_name is not None:
                nested = self._relation(ctx, entity, relation_name, response_key, field, found)
                fields.append(nested)
                continue
            column = registry.column_of[type_name].get(name)
            if column is None or getattr(field.resolve, _ATTRIBUTE, None) != column:
                raise sql.NotCompilable(f"{type_name}.{name}")
            fields.append(self._leaf(entity, column, response_key, field.type))
        return sql.Shape(tuple(fields))

    def _relation(
        self,
        ctx: Context,
        entity: Any,
        relation_name: str,
        response_key: str,
        field: Any,
        found: FieldDetailsList,
    ) -> sql.Nested:
        target_type = get_named_type(field.type)
        shape = self._shape(ctx, target_type, found)
        if isinstance(entity.relations[relation_name], ToOne):
            return sql.Nested(response_key, relation_name, shape)
        args = get_argument_values(
            field, found[0].node, self.variable_values, found[0].fragment_variable_values
        )
        target = self.registry.types[target_type.name].entity
        spec = QuerySpec(
            where=to_condition(args.get("where"), target),
            order=to_order(args.get("orderBy")),
            window=_window(response_key, args, ctx.settings.max_page_size),
        )
        check_filter(ctx, spec)
        return sql.Nested(response_key, relation_name, shape, spec)

    def _leaf(self, entity: Any, column: str, response_key: str, field_type: Any) -> sql.Leaf:
        table_column = entity.table.c[column]
        if is_non_null_type(field_type) and table_column.nullable:
            raise sql.NotCompilable("a null would be an error")  # the normal path reports it
        leaf_type = get_nullable_type(field_type)
        if isinstance(leaf_type, GraphQLEnumType):
            attribute = entity.attributes[column]
            names = tuple(
                (value, leaf_type.serialize(value)) for value, _meaning in attribute.choices
            )
            return sql.Leaf(response_key, column, sql.ENUM, names)
        name = getattr(leaf_type, "name", "")
        if name == "ID":
            if not isinstance(table_column.type, Uuid):
                raise sql.NotCompilable("ID of a non-UUID column")
            return sql.Leaf(response_key, column, sql.UUID)
        kind = _SCALAR_KINDS.get(name)
        if kind is None:
            raise sql.NotCompilable(name)
        return sql.Leaf(response_key, column, kind)
