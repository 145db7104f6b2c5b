"""What one GraphQL operation may ask for, measured before anything runs.

Work grows with the selection as it is *expanded*: a fragment spread twice is read twice, and
a fragment of fragments doubles at every level, so a 1 KB document can stand for billions of
fields. Both measures here walk the document once, each fragment once (its measure is
memoised by name and reused wherever it is spread), so measuring costs what the document's
length costs, never what its expansion would.

- :func:`selection_limits`, a validation rule (cached with the document): depth, aliases and
  fields of each operation, fragments expanded.
- :class:`OperationLimits`, an extension for what needs the request's variables too: the
  input objects the variables hold (each a few hundred µs for Strawberry to convert, so ten
  thousand conditions of a ``where:`` would take seconds), then the rows the operation may
  read, page sizes multiplied through nesting. Over either limit, the operation is answered
  with an error and never executed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_input_object_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    type_from_ast,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.execution.values import (
    VariableValues,
    get_argument_values,
    get_directive_values,
    get_variable_values,
)
from graphql.language.visitor import SKIP, VisitorAction
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from strawberry.extensions import SchemaExtension

# Nesting the measures follow at most, introspection fields included (which the depth limit
# leaves out, so GraphiQL's schema query passes): a chain of fragments can nest a selection
# far deeper than one definition may, and the walk must stay well inside Python's stack.
MAX_NESTING = 100

# Arguments that size the list a field answers: a page (``limit``, ``first``) or the keys
# asked for (``ids``).
PAGE_ARGUMENTS = ("limit", "first")
KEYS_ARGUMENT = "ids"
RELAY_AFTER = "after"  # what makes a field's first the page of a Relay connection


class Shape(NamedTuple):
    """A selection's measure: its depth (fields with a selection of their own, introspection
    left out), and its fields and aliases with every fragment spread expanded."""

    depth: int = 0
    fields: int = 0
    aliases: int = 0


def _beside(one: Shape, other: Shape) -> Shape:
    """The shape of two selections side by side."""
    return Shape(
        max(one.depth, other.depth), one.fields + other.fields, one.aliases + other.aliases
    )


class _TooDeep(Exception):
    pass


class _ShapeMeasure:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.memo: dict[str, Shape] = {}
        self.measuring: set[str] = set()  # a cycle (refused by its own rule) measures nothing

    def selection_set(self, selection_set: SelectionSetNode, nesting: int) -> Shape:
        if nesting > MAX_NESTING:
            raise _TooDeep
        shape = Shape()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                shape = _beside(shape, self.field(selection, nesting))
            elif isinstance(selection, InlineFragmentNode):
                shape = _beside(shape, self.selection_set(selection.selection_set, nesting))
            elif isinstance(selection, FragmentSpreadNode):
                shape = _beside(shape, self.fragment(selection.name.value, nesting))
        return shape

    def field(self, node: FieldNode, nesting: int) -> Shape:
        alias = 1 if node.alias else 0
        if node.selection_set is None:
            return Shape(0, 1, alias)
        below = self.selection_set(node.selection_set, nesting + 1)
        depth = 0 if node.name.value.startswith("__") else 1 + below.depth
        return Shape(depth, 1 + below.fields, alias + below.aliases)

    def fragment(self, name: str, nesting: int) -> Shape:
        found = self.memo.get(name)
        if found is not None:
            return found
        definition = self.fragments.get(name)
        if definition is None or name in self.measuring:
            return Shape()
        self.measuring.add(name)
        try:
            shape = self.memo[name] = self.selection_set(definition.selection_set, nesting)
        finally:
            self.measuring.discard(name)
        return shape


def selection_limits(*, max_depth: int, max_aliases: int, max_fields: int) -> type[ValidationRule]:
    """A validation rule refusing an operation deeper than ``max_depth``, or with more than
    ``max_aliases`` aliases or ``max_fields`` fields once its fragments are expanded."""

    class SelectionLimits(ValidationRule):
        def enter_document(self, node: DocumentNode, *_: Any) -> VisitorAction:
            fragments = {
                d.name.value: d for d in node.definitions if isinstance(d, FragmentDefinitionNode)
            }
            measure = _ShapeMeasure(fragments)
            for definition in node.definitions:
                if isinstance(definition, OperationDefinitionNode):
                    self._check(definition, measure)
            return SKIP

        def _check(self, operation: OperationDefinitionNode, measure: _ShapeMeasure) -> None:
            name = operation.name.value if operation.name else "anonymous"
            try:
                shape = measure.selection_set(operation.selection_set, 0)
            except _TooDeep:
                shape = Shape(depth=MAX_NESTING + 1)
            if shape.depth > max_depth:
                self.report_error(
                    GraphQLError(
                        f"'{name}' exceeds maximum operation depth of {max_depth}", operation
                    )
                )
            if shape.aliases > max_aliases:
                self.report_error(
                    GraphQLError(
                        f"'{name}' uses {shape.aliases} aliases once its fragments are "
                        f"expanded. Allowed: {max_aliases}",
                        operation,
                    )
                )
            if shape.fields > max_fields:
                self.report_error(
                    GraphQLError(
                        f"'{name}' selects {shape.fields} fields once its fragments are "
                        f"expanded (each spread counts). Allowed: {max_fields}",
                        operation,
                    )
                )

    return SelectionLimits


class _CostEstimate:
    """Rows asked for: each field with a selection reads, per row of its parent, as many
    rows as its page (1 for a to-one field, a wrapper such as a connection, or a list no
    argument sizes); what is selected under it is asked for again for each of them."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues,
        default_page: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.default_page = default_page
        self.memo: dict[tuple[str, int | None], int] = {}
        self.measuring: set[str] = set()

    def selection_set(
        self, parent: Any, selection_set: SelectionSetNode, nesting: int, page: int | None
    ) -> int:
        """Rows asked for under one row of ``parent``; ``page``: the page of the field that
        answered it, when that is a wrapper of a list (a connection, a partner list)."""
        if nesting > MAX_NESTING:  # the validation rule refused it already
            return 0
        rows = 0
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                rows += self.field(parent, selection, nesting, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                here = type_from_ast(self.schema, condition) if condition else parent
                rows += self.selection_set(here, selection.selection_set, nesting, page)
            elif isinstance(selection, FragmentSpreadNode):
                rows += self.fragment(selection.name.value, nesting, page)
        return rows

    def field(self, parent: Any, node: FieldNode, nesting: int, page: int | None) -> int:
        if node.selection_set is None:
            return 0
        definition = self._definition(parent, node.name.value)
        if definition is None:
            return 0
        own_page = self._page(definition, node)
        if is_list_type(get_nullable_type(definition.type)):
            rows, inner_page = (own_page if own_page is not None else page or 1), None
        else:  # one object; a page it takes sizes the lists it holds (edges, nodes, ...)
            rows, inner_page = 1, own_page
        named = get_named_type(definition.type)
        return rows * (1 + self.selection_set(named, node.selection_set, nesting + 1, inner_page))

    def fragment(self, name: str, nesting: int, page: int | None) -> int:
        key = (name, page)
        found = self.memo.get(key)
        if found is not None:
            return found
        definition = self.fragments.get(name)
        if definition is None or name in self.measuring:
            return 0
        self.measuring.add(name)
        try:
            here = type_from_ast(self.schema, definition.type_condition)
            rows = self.memo[key] = self.selection_set(
                here, definition.selection_set, nesting, page
            )
        finally:
            self.measuring.discard(name)
        return rows

    def _definition(self, parent: Any, name: str) -> GraphQLField | None:
        if name == "__schema":
            return SchemaMetaFieldDef
        if name == "__type":
            return TypeMetaFieldDef
        fields = getattr(parent, "fields", None)
        return fields.get(name) if fields else None

    def _page(self, definition: GraphQLField, node: FieldNode) -> int | None:
        """How many rows the field's arguments ask for; None when none sizes it."""
        sized_by = [name for name in (*PAGE_ARGUMENTS, KEYS_ARGUMENT) if name in definition.args]
        if not sized_by:
            return None
        try:
            arguments = get_argument_values(definition, node, self.variables)
        except GraphQLError:  # execution reports it; count the field at its largest default
            arguments = {}
        value = arguments.get(sized_by[0])
        if sized_by[0] == KEYS_ARGUMENT:
            return len(value) if isinstance(value, list) else 0
        if value is None:
            return self.default_page
        if sized_by[0] == "limit" or RELAY_AFTER in definition.args:
            # A list's limit, a connection's first: over the page size, the field refuses
            # the page itself (saying what the maximum is), so no more can be read.
            return min(max(int(value), 0), self.default_page)
        return max(int(value), 0)

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip is not None and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return include is None or include.get("if") is not False


def estimate_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: VariableValues,
    *,
    default_page: int,
) -> int:
    """How many rows ``operation`` may read: each list's page (the ``limit`` or ``first`` of
    its field or of the connection holding it, ``default_page`` when not given, as the list
    fields default; the number of ``ids`` asked for) multiplied by the rows of every list
    above it, summed over every field with a selection."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.get_root_type(operation.operation)
    estimate = _CostEstimate(schema, fragments, variables, default_page)
    return estimate.selection_set(root, operation.selection_set, 0, None)


def holds_more_input_objects(
    schema: GraphQLSchema, operation: OperationDefinitionNode, inputs: dict[str, Any], limit: int
) -> bool:
    """Whether the raw ``inputs`` of ``operation``'s variables hold more than ``limit`` input
    objects, counted along their declared types (before anything coerces them)."""
    stack: list[tuple[Any, Any]] = [
        (inputs[d.variable.name.value], type_from_ast(schema, d.type))
        for d in operation.variable_definitions or ()
        if d.variable.name.value in inputs
    ]
    count = 0
    while stack:
        value, type_ = stack.pop()
        if is_non_null_type(type_):
            type_ = type_.of_type
        if is_list_type(type_):
            if is_leaf_type(get_named_type(type_)):
                continue  # a list of ids or values: no object in it
            items = value if isinstance(value, list) else [value]
            stack.extend((item, type_.of_type) for item in items)
        elif is_input_object_type(type_) and isinstance(value, dict):
            count += 1
            if count > limit:
                return True
            stack.extend((value[name], f.type) for name, f in type_.fields.items() if name in value)
    return False


class OperationLimits(SchemaExtension):
    """Refuses, before it is executed, an operation whose variables hold more than
    ``max_input_objects`` input objects (BAD_USER_INPUT), or whose :func:`estimate_cost` is
    over ``max_cost`` (``MAX_COST_EXCEEDED``, with the cost and the limit)."""

    def __init__(self, *, max_input_objects: int, max_cost: int, default_page: int) -> None:
        self.max_input_objects = max_input_objects
        self.max_cost = max_cost
        self.default_page = default_page

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name) if document else None
        if document is not None and operation is not None:
            error = self._refusal(context.schema._schema, document, operation)
            if error is not None:
                context.result = GraphQLExecutionResult(data=None, errors=[error])
        yield

    def _refusal(
        self, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
    ) -> GraphQLError | None:
        inputs = self.execution_context.variables or {}
        if holds_more_input_objects(schema, operation, inputs, self.max_input_objects):
            return GraphQLError(
                f"The variables may hold at most {self.max_input_objects} input objects "
                "(each condition of a where: is one).",
                operation,
                extensions={"code": "BAD_USER_INPUT"},
            )
        variables = get_variable_values(schema, operation.variable_definitions or (), inputs)
        if not isinstance(variables, VariableValues):
            return None  # execution refuses them, before reading anything
        cost = estimate_cost(schema, document, operation, variables, default_page=self.default_page)
        if cost <= self.max_cost:
            return None
        return GraphQLError(
            f"This operation may read {cost} rows, more than the {self.max_cost} allowed: "
            "ask for smaller pages (limit, first) or fewer nested lists.",
            operation,
            extensions={"code": "MAX_COST_EXCEEDED", "cost": cost, "maxCost": self.max_cost},
        )
