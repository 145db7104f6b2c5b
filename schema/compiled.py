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
is the key of a lookup given as a ``ID``/``String`` variable (``session(id: $id)``): one
statement serves every id. Every other variable is part of the key by its value, as it may
change the statement itself (a page size, a filter's structure, a directive).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any

import orjson
from graphql import (
    GraphQLEnumType,
    GraphQLObjectType,
    NonNullTypeNode,
    OperationType,
    VariableNode,
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
from resolvers.query import Filter, QuerySpec, Window, check_window
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
# A lookup's key, when a variable gives it.
_KEY = "compiled_key"
# Variables a bound key may come from: their coerced value is the string sent as it is.
_BINDABLE_TYPES = frozenset({"ID", "String"})
_CACHE_SIZE = 512
_cache: OrderedDict[tuple[Any, ...], tuple[Any, Compiled]] = OrderedDict()


@dataclass(frozen=True, slots=True)
class Compiled:
    """A root field's statement, and the variable its bound key comes from (with how the
    normal path parses it: a value it refuses is refused the normal way)."""

    stmt: Any
    variable: str | None = None
    parse: Any = None

    def params(self, principal: Principal, variables: dict[str, Any]) -> dict[str, Any]:
        """The statement's parameters for a request (a QueryError for a key the normal
        path refuses)."""
        params: dict[str, Any] = {}
        if principal.user_id is not None:
            params[_VIEWER.key] = principal.user_id
        if self.variable is not None:
            params[_KEY] = self.parse(variables[self.variable])
        return params


def principal_class(principal: Principal) -> Principal:
    """What a statement is built for: the principal with its user id a bind parameter."""
    user = _VIEWER if principal.user_id is not None else None
    return replace(principal, user_id=user, token_id=None)  # type: ignore[arg-type]


def variable_shape(variables: dict[str, Any], bound: frozenset[str]) -> bytes | None:
    """The variables as a cache key: the ``bound`` ones as strings of any value, the others
    by value; None when a bound one is not a string (then no statement binds it), or when
    the others cannot be written as JSON."""
    if any(not isinstance(variables.get(name), str) for name in bound):
        return None
    others = {name: value for name, value in variables.items() if name not in bound}
    try:
        return orjson.dumps(others, default=repr, option=orjson.OPT_SORT_KEYS)
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
        key_variable = self._key_variable(root, details)
        typed: tuple[Any, ...] | None = None
        if key_variable is not None:
            shape = variable_shape(variables, frozenset({key_variable}))
            typed = None if shape is None else (*common, key_variable, shape)
        by_value = variable_shape(variables, frozenset())
        valued = None if by_value is None else (*common, None, by_value)
        for key in (typed, valued):
            cached = _cache.get(key) if key is not None else None
            if key is not None and cached is not None:
                _cache.move_to_end(key)
                return cached[1]
        compiled = self._compile(ctx, root, field_def, details, dialect, key_variable)
        key = typed if compiled.variable is not None and typed is not None else valued
        if key is None:
            return compiled
        # The nodes are kept with their statement, so that their ids stay theirs.
        _cache[key] = ([detail.node for detail in details], compiled)
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        return compiled

    def _key_variable(self, root: tuple[Any, ...], details: FieldDetailsList) -> str | None:
        """The variable a lookup's key is given by, when its value is a string sent as it
        is (an ``ID`` or ``String`` variable): the statement may bind it."""
        if root[0] != "one" or len(details) != 1 or details[0].fragment_variable_values:
            return None
        argument = to_camel_case(root[2])
        arguments = details[0].node.arguments or ()
        node = next((a.value for a in arguments if a.name.value == argument), None)
        if not isinstance(node, VariableNode):
            return None
        name = node.name.value
        for definition in self.operation.variable_definitions or ():
            if definition.variable.name.value == name:
                declared = definition.type
                if isinstance(declared, NonNullTypeNode):
                    declared = declared.type
                named = getattr(declared, "name", None)
                if named is not None and named.value in _BINDABLE_TYPES:
                    return name
        return None

    def _compile(
        self,
        ctx: Context,
        root: tuple[Any, ...],
        field_def: Any,
        details: FieldDetailsList,
        dialect: str,
        key_variable: str | None = None,
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
        stmt = sql.compile_one(view, dialect, entity, spec, shape)
        if key_variable is not None:
            field_spec = entity.field_spec(key)

            def parse(raw: Any) -> Any:
                return field_spec.coerce(key, raw)

            bound = sql.bind_value(stmt, parse(value), _KEY)
            if bound is not None:
                return Compiled(bound, key_variable, parse)
        return Compiled(stmt)

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
