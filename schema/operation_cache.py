"""Whole query operations answered by their compiled statements, with no GraphQL at all.

Once a query has been answered with every root field compiled (:mod:`schema.compiled`), its
statements are kept per (document text, operation name, principal class, page size,
variable shape). The same request again (any value of a bound variable, of the same form;
the same values of every other variable) runs the statements straight away: no parsing, no
validation, no execution, and the answer is the one the executor would have built from the
same statements.

Nothing the normal path checks is skipped for such a request. The limits on a document
(tokens, depth, aliases, fields) depend on its text; the cost and the input objects on it and
on the variables, which the key holds by value, except bound variables: strings, which size
no page and hold no input object, and which coerce to themselves. A bound value is still
parsed as the normal path parses it, and a value it refuses, like any failure at all, sends
the request the normal way, which answers it as it always does.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLError, get_operation_ast, parse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.types import ExecutionResult

from gateway import request_facts
from gateway.auth.principal import Principal
from gateway.settings import Settings
from resolvers.compiled import read_json
from resolvers.context import Context
from schema.compiled import Compiled, principal_class, variable_shape

_SIZE = 512


@dataclass(frozen=True, slots=True)
class _Plan:
    fields: tuple[tuple[str, Compiled], ...]  # (response key, statement), in answer order
    name: str | None  # the operation's own name, as the operation counter records it


class OperationCache:
    """Compiled query operations of one GraphQL endpoint (a bounded LRU)."""

    def __init__(self, size: int = _SIZE) -> None:
        self.size = size
        self._plans: OrderedDict[tuple[Any, ...], _Plan] = OrderedDict()
        # The variables a document's statements bind, by (document, operation name).
        self._bound: OrderedDict[tuple[str, str | None], frozenset[str]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._plans)

    def watch(self, ctx: Context) -> None:
        """Have the executor note how each root field of this request is answered."""
        if ctx.settings.compiled_reads:
            ctx.compiled_fields = {}

    async def answer(
        self, ctx: Context, query: Any, operation_name: str | None, variables: Any
    ) -> ExecutionResult | None:
        """The result of a request whose operation is known compiled; None otherwise (and
        whenever anything fails: the normal path answers it then)."""
        data = await self.data(
            ctx.settings, ctx.sessionmaker, ctx.principal, query, operation_name, variables
        )
        return None if data is None else ExecutionResult(data=data, errors=None)

    async def data(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        principal: Principal,
        query: Any,
        operation_name: Any,
        variables: Any,
    ) -> dict[str, Any] | None:
        """:meth:`answer`'s data, for a caller with no request context yet (a request
        answered before the GraphQL view builds one)."""
        if not self._plans or not settings.compiled_reads or not isinstance(query, str):
            return None
        if not isinstance(operation_name, (str, type(None))):
            return None
        variables = {} if variables is None else variables
        if not isinstance(variables, dict):
            return None
        bound = self._bound.get((query, operation_name))
        if bound is None:
            return None
        key = self._key(settings, principal, query, operation_name, variables, bound)
        plan = self._plans.get(key) if key is not None else None
        if key is None or plan is None:
            return None
        self._plans.move_to_end(key)
        data: dict[str, Any] = {}
        try:
            for response_key, compiled in plan.fields:
                params = compiled.params(principal, variables)
                text = await read_json(sessionmaker, compiled.stmt, params)
                data[response_key] = orjson.Fragment(b"null" if text is None else text)
        except Exception:
            return None
        request_facts.record_operation("query", plan.name)
        return data

    def learn(
        self,
        ctx: Context,
        query: Any,
        operation_name: str | None,
        variables: Any,
        result: ExecutionResult,
    ) -> None:
        """Keep the operation ``result`` answers when every root field of it was compiled."""
        fields = ctx.compiled_fields
        ctx.compiled_fields = None
        data = result.data
        if not fields or result.errors or result.extensions or not isinstance(data, dict):
            return
        if set(data) != set(fields) or not isinstance(query, str):
            return
        if not isinstance(operation_name, (str, type(None))):
            return
        variables = {} if variables is None else variables
        if not isinstance(variables, dict):
            return
        bound = frozenset().union(*(c.variables for c in fields.values()))
        key = self._key(ctx.settings, ctx.principal, query, operation_name, variables, bound)
        if key is None:
            return
        try:
            operation = get_operation_ast(parse(query), operation_name)
        except GraphQLError:
            return
        name = operation.name.value if operation and operation.name else None
        self._plans[key] = _Plan(tuple((k, fields[k]) for k in data), name)
        self._bound[(query, operation_name)] = bound
        self._bound.move_to_end((query, operation_name))
        while len(self._plans) > self.size:
            self._plans.popitem(last=False)
        while len(self._bound) > self.size:
            self._bound.popitem(last=False)

    @staticmethod
    def _key(
        settings: Settings,
        principal: Principal,
        query: str,
        operation_name: Any,
        variables: dict[str, Any],
        bound: frozenset[str],
    ) -> tuple[Any, ...] | None:
        shape = variable_shape(variables, bound)
        if shape is None:
            return None
        view = principal_class(principal)
        return (query, operation_name, view, settings.max_page_size, bound, shape)
