"""Mutations for every writable entity of the graph, generated from its declaration.

An entity written directly (``Writes.DIRECT``) gets ``create<T>(input:)``,
``update<T>(id:, input:)`` (only the fields given change) and ``delete<T>(id:)``; one written
through approval (``Writes.APPROVAL``) gets ``propose<T>(input:)``,
``propose<T>Change(id:, input:)``, ``propose<T>Deletion(id:)`` and, for administrators,
``delete<T>(id:)``. Inputs hold the entity's writable attributes (typed from their columns),
its writable to-one relations by key (``speciesId``) and to-many ones as key lists
(``projectIds``: the first owns the record). Expected failures are typed results, as on every
mutation; the writes themselves are the domain's (:mod:`resolvers.writes`).
"""

# No ``from __future__ import annotations``: the resolvers below are built at schema-build
# time and carry real annotations that Strawberry reads.

from collections.abc import Callable
from enum import Enum
from functools import cache
from typing import Annotated, Any, Optional, Union

import strawberry
from strawberry.utils.str_converters import to_snake_case

from gateway.db.models.taxonomy import ApprovalAction
from gateway.errors import NeurogateError
from resolvers import memberships, writes
from resolvers.catalog import ENTITIES
from resolvers.query import Entity, Writes
from resolvers.relations import ToMany, ToOne
from schema.approvals import ApprovalResult, DeleteResult, approval_object
from schema.errors import (
    AuthenticationError,
    ConflictError,
    Done,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
    error_result,
)
from schema.listing import as_objects
from schema.query import REGISTRY
from schema.relations import RowType
from schema.types import ROW_TYPES, attribute_type, choices_enum, column_scalar, type_name

# One input field: its Python name, its type, whether a new record must have it, what it is.
InputField = tuple[str, Any, bool, str]


def input_fields(entity: Entity) -> list[InputField]:
    """The values a write of ``entity`` takes, as its declaration says."""
    fields: list[InputField] = [
        (name, attribute_type(entity, name, nullable=False), a.required, a.description)
        for name, a in entity.attributes.items()
        if a.writable
    ]
    for name, relation in entity.relations.items():
        if isinstance(relation, ToOne) and relation.writable:
            column = entity.table.c[relation.fk]
            scalar = column_scalar(column, nullable=False)
            fields.append((relation.fk, scalar, relation.required, f"The id of {name}."))
        elif isinstance(relation, ToMany) and relation.writable:
            ids = list[strawberry.ID]
            owner = "; the first owns it" if relation.own else ""
            description = f"The ids of its {name}{owner}."
            fields.append((relation.written_as, ids, relation.required, description))
    return fields


@cache
def input_type(entity: Entity, *, change: bool) -> type:
    """``<T>Input`` (a new record: required fields non-null) or ``<T>ChangeInput`` (only the
    fields given change; an explicit null clears one)."""
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {}
    for name, scalar, required, description in input_fields(entity):
        if required and not change:
            annotations[name] = scalar
            namespace[name] = strawberry.field(description=description)
        else:
            annotations[name] = Optional[scalar]  # noqa: UP045
            namespace[name] = strawberry.field(default=strawberry.UNSET, description=description)
    namespace["__annotations__"] = annotations
    suffix = "ChangeInput" if change else "Input"
    what = "Changes to a" if change else "A new"
    cls = type(f"{type_name(entity)}{suffix}", (), namespace)
    return strawberry.input(cls, description=f"{what} {entity.name}.")


def given(values: Any) -> dict[str, Any]:
    """The fields an input gave (an explicit null included), an enum's member as the value
    it stands for (what the domain stores)."""
    return {
        k: v.value if isinstance(v, Enum) else v
        for k, v in vars(values).items()
        if v is not strawberry.UNSET
    }


def result_type(type_: type[RowType]) -> Any:
    """``<T>Result``: the record written, or a typed error."""
    members = (
        type_,
        ValidationError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
    )
    union = strawberry.union(
        f"{type_.__name__}Result", description=f"The {type_.__name__} written, or why not."
    )
    return Annotated[Union[members], union]  # noqa: UP007


def _field(resolve: Callable[..., Any], annotations: dict[str, Any], description: str) -> Any:
    resolve.__annotations__ = {"info": strawberry.Info, **annotations}
    return strawberry.mutation(resolver=resolve, description=description)


def _id(entity: Entity) -> Any:
    return Annotated[strawberry.ID, strawberry.argument(description=f"The {entity.name}'s id.")]


def _input(entity: Entity, *, change: bool) -> Any:
    what = "The fields to change (only those given)." if change else "Its fields."
    return Annotated[input_type(entity, change=change), strawberry.argument(description=what)]


_COMMENTS = Annotated[
    str, strawberry.argument(description="Notes for the reviewers (default none).")
]


def _direct(entity: Entity, type_: type[RowType]) -> dict[str, Any]:
    result = result_type(type_)

    async def as_result(info: strawberry.Info, write: Any) -> Any:
        try:
            row = await write
        except NeurogateError as error:
            return error_result(error)
        return (await as_objects(info, REGISTRY, type_, [row]))[0]

    async def create(info: strawberry.Info, input: Any) -> Any:
        return await as_result(info, writes.create(info.context, entity, given(input)))

    async def update(info: strawberry.Info, id: Any, input: Any) -> Any:
        return await as_result(info, writes.update(info.context, entity, id, given(input)))

    name = to_snake_case(type_.__name__)
    return {
        f"create_{name}": _field(
            create,
            {"input": _input(entity, change=False), "return": result},
            f"Create a {entity.name}.",
        ),
        f"update_{name}": _field(
            update,
            {"id": _id(entity), "input": _input(entity, change=True), "return": result},
            f"Change a {entity.name}: only the fields given change.",
        ),
        f"delete_{name}": _delete(entity, f"Delete a {entity.name}."),
    }


def _delete(entity: Entity, description: str) -> Any:
    async def delete(info: strawberry.Info, id: Any) -> Any:
        try:
            await writes.delete(info.context, entity, id)
        except NeurogateError as error:
            return error_result(error)
        return Done()

    return _field(delete, {"id": _id(entity), "return": DeleteResult}, description)


def _through_approval(entity: Entity, type_: type[RowType]) -> dict[str, Any]:
    async def propose(
        info: strawberry.Info, action: ApprovalAction, key: Any, values: Any, comments: str
    ) -> Any:
        try:
            row = await writes.propose(
                info.context, entity, action, key=key, values=values, comments=comments
            )
        except NeurogateError as error:
            return error_result(error)
        return await approval_object(info, row)

    async def add(info: strawberry.Info, input: Any, comments: str = "") -> Any:
        return await propose(info, ApprovalAction.ADD, None, given(input), comments)

    async def change(info: strawberry.Info, id: Any, input: Any, comments: str = "") -> Any:
        return await propose(info, ApprovalAction.CHANGE, id, given(input), comments)

    async def deletion(info: strawberry.Info, id: Any, comments: str = "") -> Any:
        return await propose(info, ApprovalAction.DELETE, id, None, comments)

    name = to_snake_case(type_.__name__)
    what = entity.name.lower()
    return {
        f"propose_{name}": _field(
            add,
            {
                "input": _input(entity, change=False),
                "comments": _COMMENTS,
                "return": ApprovalResult,
            },
            f"Propose a new {what} (reviewed before it exists).",
        ),
        f"propose_{name}_change": _field(
            change,
            {
                "id": _id(entity),
                "input": _input(entity, change=True),
                "comments": _COMMENTS,
                "return": ApprovalResult,
            },
            f"Propose changes to a {what}.",
        ),
        f"propose_{name}_deletion": _field(
            deletion,
            {"id": _id(entity), "comments": _COMMENTS, "return": ApprovalResult},
            f"Propose deleting a {what}.",
        ),
        f"delete_{name}": _delete(entity, f"Delete a {what} outright (administrators only)."),
    }


@cache
def _invitation_answer() -> Any:
    """``InvitationAnswer``: one enum, however many mutations take it."""
    return choices_enum(
        "InvitationAnswer",
        "What is done with a pending invitation or request.",
        (
            (memberships.Answer.ACCEPT.value, "Accept it: the invitee (or requester) joins."),
            (memberships.Answer.REJECT.value, "Reject it."),
            (memberships.Answer.CANCEL.value, "Withdraw it (who sent it, or the managers)."),
        ),
    )


def _answer(entity: Entity, type_: type[RowType]) -> dict[str, Any]:
    """``answer<T>(id:, answer:)``: accept, reject or cancel a pending invitation or request
    (accepting makes the invitee a member; the record is then gone)."""

    async def answer(info: strawberry.Info, id: Any, answer: Any) -> Any:
        try:
            await memberships.answer(info.context, entity, id, answer.value)
        except NeurogateError as error:
            return error_result(error)
        return Done()

    argument: Any = Annotated[
        _invitation_answer(), strawberry.argument(description="Accept, reject or cancel it.")
    ]
    return {
        f"answer_{to_snake_case(type_.__name__)}": _field(
            answer,
            {"id": _id(entity), "answer": argument, "return": DeleteResult},
            f"Accept or reject a {entity.name} (its invitee, or the managers it is for), or "
            "cancel it (who sent it).",
        )
    }


def build_mutation() -> type:
    """The ``Mutation`` fields of every writable entity."""
    fields: dict[str, Any] = {}
    for type_ in ROW_TYPES:
        entity = ENTITIES[type_.entity.name]
        if entity.name in memberships.ANSWERED:
            fields.update(_answer(entity, type_))
        if entity.writes is Writes.DIRECT:
            fields.update(_direct(entity, type_))
        elif entity.writes is Writes.APPROVAL:
            fields.update(_through_approval(entity, type_))
    return strawberry.type(type("EntityMutation", (), fields))
