"""Completing lists of plain objects without graphql-core's per-field machinery.

graphql-core completes every field of every object the same general way: it builds a resolve
info, calls the field's resolver, checks for awaitables, then completes the value by its
type. That costs about 2.5 µs a field; a page of 1,000 sessions with their project, subject
and species is 11,000 fields, some 30 ms, more than reading the page from the database.

Most fields of a page are *plain*: they read one attribute of a row object (see
:func:`read_plain_fields_directly`) and need no info, no arguments and no awaiting. When every
field selected under a list's items is plain (to-one relations included, whose nodes the read
path has already set, see ``resolvers.read``), :class:`PlainListExecutor` completes
the list in one pass: it plans the selection once (graphql-core's own field collection, so
fragments, aliases and ``@skip``/``@include`` count as they always do), then per item reads
each attribute and coerces each leaf with the type's own ``coerce_output_value``.

Anything else takes graphql-core's path unchanged: a field with a resolver or arguments, a
list or abstract type under the items, ``@defer``/``@stream``, field middleware. So does a
list whose plain completion meets anything but a clean value (a null in a non-null field, a
leaf that does not coerce): reading attributes has no side effects, so graphql-core then
completes the same list again and reports the error exactly as it always does.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

import strawberry
from graphql import (
    GraphQLList,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    Undefined,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

# Where Strawberry keeps a GraphQL field's own definition (its schema converter's back-ref).
_DEFINITION = "strawberry-definition"
# Set on the resolvers of plain fields: the attribute they read.
_ATTRIBUTE = "plain_attribute"

# One selected field of a plan: its response key, how to read it from the parent, how to
# coerce it (leaves) or the plan of its own selection (objects), and whether it may be null.
Entry = tuple[str, Callable[[Any], Any], Callable[[Any], Any] | None, "Plan | None", bool]
Plan = tuple[Entry, ...]


def read_plain_fields_directly(schema: strawberry.Schema) -> None:
    """Resolve fields that have no resolver with one ``getattr``, and mark them plain.

    Strawberry reaches the attribute of such a field through two wrapper calls, which cost a
    few milliseconds on a page of 1,000 rows. Fields with resolvers, permissions or
    extensions keep Strawberry's own resolver (and are never plain).
    """
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field in graphql_type.fields.values():
            definition = (field.extensions or {}).get(_DEFINITION)
            if (
                definition is not None
                and definition.base_resolver is None
                and not definition.extensions
                and not field.args
                and getattr(field.resolve, "_is_default", False)
            ):
                field.resolve = _attribute(definition.python_name)


def _attribute(name: str) -> Callable[..., Any]:
    def resolve(source: Any, _info: Any) -> Any:
        return getattr(source, name)

    setattr(resolve, _ATTRIBUTE, name)
    return resolve


class _NotPlain(Exception):
    """A value the plain completion does not complete: graphql-core's path takes over."""


class PlainListExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, completing lists of plain objects in one pass (module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Plans by (item type, field group), like graphql-core's own collected-fields memo;
        # the group is kept alive with its plan so that its id stays unique.
        self._plans: dict[tuple[Any, int], tuple[FieldDetailsList, Plan | None]] = {}

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if isinstance(result, list) and result and self._plain_allowed(field_details_list, path):
            item_type = return_type.of_type
            nullable = not is_non_null_type(item_type)
            plan = self._plan(get_nullable_type(item_type), field_details_list)
            if plan is not None:
                try:
                    return [
                        None if item is None and nullable else _complete(plan, item)
                        for item in result
                    ]
                except Exception:  # graphql-core completes it again, errors and all
                    pass
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _plain_allowed(self, field_details_list: FieldDetailsList, path: Path) -> bool:
        middleware = self.middleware_manager
        return (
            not (middleware and middleware.middlewares)
            and self.get_stream_usage(field_details_list, path) is None
        )

    def _plan(self, item_type: Any, field_details_list: FieldDetailsList) -> Plan | None:
        key = (item_type, id(field_details_list))
        cached = self._plans.get(key)
        if cached is None:
            plan = self._build_plan(item_type, field_details_list)
            cached = self._plans[key] = (field_details_list, plan)
        return cached[1]

    def _build_plan(self, object_type: Any, field_details_list: FieldDetailsList) -> Plan | None:
        """The plan of a selection on ``object_type``, or None when any of it is not plain."""
        if not is_object_type(object_type) or object_type.is_type_of is not None:
            return None
        grouped, new_defer_usages, _ = self.collect_subfields(object_type, field_details_list)
        if new_defer_usages:
            return None
        entries: list[Entry] = []
        for response_key, details in grouped.items():
            if any(detail.defer_usage is not None for detail in details):
                return None
            entry = self._entry(object_type, response_key, details)
            if entry is None:
                return None
            entries.append(entry)
        return tuple(entries)

    def _entry(
        self, object_type: GraphQLObjectType, response_key: str, details: FieldDetailsList
    ) -> Entry | None:
        name = details[0].node.name.value
        if name == "__typename":
            type_name = object_type.name
            return (response_key, lambda _source: type_name, str, None, False)
        field = object_type.fields.get(name)
        attribute = getattr(field.resolve, _ATTRIBUTE, None) if field is not None else None
        if attribute is None:
            return None
        nullable = not is_non_null_type(field.type)  # type: ignore[union-attr]
        field_type: Any = get_nullable_type(field.type)  # type: ignore[union-attr]
        read = attrgetter(attribute)
        if is_leaf_type(field_type):
            return (response_key, read, field_type.coerce_output_value, None, nullable)
        sub_plan = self._build_plan(field_type, details)
        if sub_plan is None:
            return None
        return (response_key, read, None, sub_plan, nullable)


def _complete(plan: Plan, source: Any) -> dict[str, Any]:
    if source is None:
        raise _NotPlain  # a null item of a non-null list
    completed: dict[str, Any] = {}
    for response_key, read, coerce, sub_plan, nullable in plan:
        value = read(source)
        if value is None or value is Undefined:
            if not nullable:
                raise _NotPlain
            completed[response_key] = None
        elif coerce is not None:
            coerced = coerce(value)
            if coerced is None or coerced is Undefined:
                raise _NotPlain
            completed[response_key] = coerced
        else:
            completed[response_key] = _complete(sub_plan, value)  # type: ignore[arg-type]
    return completed
