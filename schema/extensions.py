"""Schema extensions: caches, limiters built once, and rendering domain errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from functools import partial
from typing import Any

from graphql import GraphQLError, NoSchemaIntrospectionCustomRule, get_operation_ast
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)

from gateway import failures, request_facts
from gateway.errors import NeurogateError
from gateway.settings import Settings
from schema.limits import OperationLimits, selection_limits


class DomainErrors(SchemaExtension):
    """Gives every error an ``extensions.code``; hides unexpected exceptions behind a generic
    message (their traceback goes to the server log, never to the client: reported to the
    request's log line, :mod:`gateway.failures`)."""

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        result.errors = [_render(error) for error in result.errors]

    def on_stream_result(self, result: Any) -> None:  # type: ignore[override]
        # Subscriptions: every streamed result, including an error raised by the source.
        if result.errors:
            result.errors = [_render(error) for error in result.errors]

    def on_validate(self) -> Iterator[None]:
        yield
        errors = self.execution_context.pre_execution_errors
        if errors:
            for error in errors:
                _set_code(error, "GRAPHQL_VALIDATION_FAILED")


class CountedOperations(SchemaExtension):
    """Counts each operation that is executed (a limit refusing it first, it is not), by type
    and name, for the metrics and the request's log line."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name) if document else None
        if operation is not None and context.result is None:
            name = operation.name.value if operation.name else None
            request_facts.record_operation(operation.operation.value, name)
        yield


def _set_code(error: GraphQLError, code: str) -> None:
    error.extensions = {**(error.extensions or {}), "code": code}


def _render(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, NeurogateError):
        _set_code(error, original.code)
        if original.field:
            error.extensions = {**(error.extensions or {}), "field": original.field}
        return error
    # No original exception, a GraphQL one, or none raised inside a field (no path): the
    # request itself was wrong (e.g. a variable that does not coerce to its type), unless
    # its code says what else (a limit refusing it).
    if original is None or isinstance(original, GraphQLError) or error.path is None:
        if "code" not in (error.extensions or {}):
            _set_code(error, "BAD_USER_INPUT")
        return error
    failures.report(original)
    return GraphQLError(
        "Internal server error.",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR"},
    )


@dataclass(frozen=True)
class SchemaSettings:
    """What of the settings a schema is built from (its limits). Apps whose settings agree on
    these can serve one schema (:func:`schema.schema_for`)."""

    max_query_depth: int
    max_query_aliases: int
    max_query_fields: int
    max_query_tokens: int
    max_input_objects: int
    query_cost_limit: int
    max_page_size: int
    introspection_enabled: bool

    @classmethod
    def of(cls, settings: Settings) -> SchemaSettings:
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


def build_extensions(settings: SchemaSettings) -> list[Callable[[], SchemaExtension]]:
    """Extension factories. The validation rules are built *once* here and reused: rule
    classes built per request would be new ones each time, and Strawberry's validation
    cache (keyed by the rules) would then never hit. Every limit that needs the document
    alone is a rule (cached with it); the cost needs the request's variables too."""
    rules: list[Any] = [
        selection_limits(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_query_aliases,
            max_fields=settings.max_query_fields,
        ),
    ]
    if not settings.introspection_enabled:
        rules.append(NoSchemaIntrospectionCustomRule)
    max_tokens = settings.max_query_tokens
    return [
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        ParserCache,
        partial(AddValidationRules, rules),
        ValidationCache,
        partial(
            OperationLimits,
            max_input_objects=settings.max_input_objects,
            max_cost=settings.query_cost_limit,
            default_page=settings.max_page_size,
        ),
        CountedOperations,  # after the limits: an operation they refuse is not executed
        DomainErrors,
    ]
