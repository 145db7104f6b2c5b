"""Curation in GraphQL: propose taxonomy changes, review them, and hear about it.

Every propose/review mutation answers the approval, or a typed error (validation, permission,
conflict, ...). ``approvalEvents`` (graphql-transport-ws) tells reviewers about every approval
proposed or reviewed, and submitters when theirs is decided.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.errors import NeurogateError, Unauthenticated
from resolvers import approvals
from resolvers.approvals import Action, Decision
from resolvers.context import Context
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
from schema.relations import field_details, under
from schema.taxonomy import Approval

Info = strawberry.Info[Context, None]

ApprovalResult = Annotated[
    Approval
    | ValidationError
    | AuthenticationError
    | PermissionDeniedError
    | NotFoundError
    | ConflictError,
    strawberry.union("ApprovalResult"),
]
DeleteResult = Annotated[
    Done | AuthenticationError | PermissionDeniedError | NotFoundError | ConflictError,
    strawberry.union("DeleteResult"),
]


@strawberry.enum(description="What a reviewer decides.")
class ReviewDecision(Enum):
    ACCEPT = "accept"
    REJECT = "reject"


@strawberry.input(description="A new species (name required, unique, at most 100 characters).")
class SpeciesInput:
    name: str
    scientific_name: str | None = None
    description: str | None = strawberry.field(default=None, description="At most 500.")
    comments: str | None = None
    rrid: str | None = None
    category_id: int | None = None


@strawberry.input(description="Changes to a species: only the fields given change.")
class SpeciesChangeInput:
    name: str | None = None
    scientific_name: str | None = None
    description: str | None = None
    comments: str | None = None
    rrid: str | None = None
    category_id: int | None = None


@strawberry.input(description="A new strain of an existing species.")
class StrainInput:
    name: str
    species_id: strawberry.ID
    description: str | None = None
    comments: str | None = None
    rrid: str | None = None


@strawberry.input(description="Changes to a strain: only the fields given change.")
class StrainChangeInput:
    name: str | None = None
    species_id: strawberry.ID | None = None
    description: str | None = None
    comments: str | None = None
    rrid: str | None = None


@strawberry.input(description="A new BrainMaps category.")
class CategoryInput:
    name: str
    description: str | None = None


@strawberry.input(description="Changes to a category: only the fields given change.")
class CategoryChangeInput:
    name: str | None = None
    description: str | None = None


def _given(values: Any) -> dict[str, Any]:
    return {} if values is None else {k: v for k, v in vars(values).items() if v is not None}


async def _approval(info: Info, row: Any) -> Approval:
    return (await as_objects(info, REGISTRY, Approval, [row]))[0]  # type: ignore[no-any-return]


async def _propose(
    info: Info,
    model: str,
    action: Action,
    *,
    instance_id: Any = None,
    values: Any = None,
    comments: str = "",
) -> ApprovalResult:
    try:
        row = await approvals.propose(
            info.context,
            model=model,
            action=action,
            instance_id=instance_id,
            proposed=_given(values),
            comments=comments,
        )
    except NeurogateError as error:
        return error_result(error)  # type: ignore[return-value]
    return await _approval(info, row)


async def _delete(info: Info, model: str, instance_id: Any) -> DeleteResult:
    try:
        await approvals.delete_taxonomy(info.context, model=model, instance_id=instance_id)
    except NeurogateError as error:
        return error_result(error)  # type: ignore[return-value]
    return Done()


@strawberry.type
class ApprovalMutation:
    @strawberry.mutation(description="Propose a new species (reviewed before it exists).")
    async def propose_species(
        self, info: Info, input: SpeciesInput, comments: str = ""
    ) -> ApprovalResult:
        return await _propose(info, "species", Action.ADD, values=input, comments=comments)

    @strawberry.mutation(description="Propose changes to a species.")
    async def propose_species_change(
        self, info: Info, id: strawberry.ID, input: SpeciesChangeInput, comments: str = ""
    ) -> ApprovalResult:
        return await _propose(
            info, "species", Action.CHANGE, instance_id=id, values=input, comments=comments
        )

    @strawberry.mutation(description="Propose deleting a species.")
    async def propose_species_deletion(
        self, info: Info, id: strawberry.ID, comments: str = ""
    ) -> ApprovalResult:
        return await _propose(info, "species", Action.DELETE, instance_id=id, comments=comments)

    @strawberry.mutation(description="Propose a new strain.")
    async def propose_strain(
        self, info: Info, input: StrainInput, comments: str = ""
    ) -> ApprovalResult:
        return await _propose(info, "strain", Action.ADD, values=input, comments=comments)

    @strawberry.mutation(description="Propose changes to a strain.")
    async def propose_strain_change(
        self, info: Info, id: strawberry.ID, input: StrainChangeInput, comments: str = ""
    ) -> ApprovalResult:
        return await _propose(
            info, "strain", Action.CHANGE, instance_id=id, values=input, comments=comments
        )

    @strawberry.mutation(description="Propose deleting a strain.")
    async def propose_strain_deletion(
        self, info: Info, id: strawberry.ID, comments: str = ""
    ) -> ApprovalResult:
        return await _propose(info, "strain", Action.DELETE, instance_id=id, comments=comments)

    @strawberry.mutation(description="Propose a new category.")
    async def propose_category(
        self, info: Info, input: CategoryInput, comments: str = ""
    ) -> ApprovalResult:
        return await _propose(info, "category", Action.ADD, values=input, comments=comments)

    @strawberry.mutation(description="Propose changes to a category.")
    async def propose_category_change(
        self, info: Info, id: strawberry.ID, input: CategoryChangeInput, comments: str = ""
    ) -> ApprovalResult:
        return await _propose(
            info, "category", Action.CHANGE, instance_id=id, values=input, comments=comments
        )

    @strawberry.mutation(description="Propose deleting a category.")
    async def propose_category_deletion(
        self, info: Info, id: strawberry.ID, comments: str = ""
    ) -> ApprovalResult:
        return await _propose(info, "category", Action.DELETE, instance_id=id, comments=comments)

    @strawberry.mutation(description="Accept (and apply) or reject a pending approval.")
    async def review_approval(
        self, info: Info, id: strawberry.ID, decision: ReviewDecision, comment: str = ""
    ) -> ApprovalResult:
        try:
            row = await approvals.review(
                info.context, approval_id=id, decision=Decision(decision.value), comment=comment
            )
        except NeurogateError as error:
            return error_result(error)  # type: ignore[return-value]
        return await _approval(info, row)

    @strawberry.mutation(description="Delete a species outright (administrators only).")
    async def delete_species(self, info: Info, id: strawberry.ID) -> DeleteResult:
        return await _delete(info, "species", id)

    @strawberry.mutation(description="Delete a strain outright (administrators only).")
    async def delete_strain(self, info: Info, id: strawberry.ID) -> DeleteResult:
        return await _delete(info, "strain", id)

    @strawberry.mutation(description="Delete a category outright (administrators only).")
    async def delete_category(self, info: Info, id: strawberry.ID) -> DeleteResult:
        return await _delete(info, "category", id)


@strawberry.type(description="Something happened to an approval you may see.")
class ApprovalEvent:
    kind: str = strawberry.field(description="proposed, accepted or rejected.")
    approval: Approval


@strawberry.type
class ApprovalSubscription:
    @strawberry.subscription(
        description=(
            "Reviewers hear of every approval proposed or reviewed; other users hear when "
            "one of theirs is accepted or rejected."
        )
    )
    async def approval_events(self, info: Info) -> AsyncGenerator[ApprovalEvent, None]:
        ctx = info.context
        principal = ctx.principal
        if not principal.is_authenticated:
            raise Unauthenticated("Authentication required.")
        reviewer = principal.is_reviewer or principal.is_admin
        details = under(info, "ApprovalEvent", field_details(info), "approval")
        async with ctx.events.subscribe(approvals.APPROVAL_TOPIC) as events:
            async for event in events:
                payload = event.payload
                decided = payload["kind"] in ("accepted", "rejected")
                if not (reviewer or (decided and payload["submitter_id"] == principal.user_id)):
                    continue
                # A fresh context per event: the approval has changed since it was cached.
                fresh = Context.build(
                    ctx.settings, ctx.sessionmaker, principal, ctx.clock, ctx.events
                )
                try:
                    row = await approvals.get_approval(fresh, payload["approval_id"])
                except NeurogateError:
                    continue  # no longer visible to this subscriber
                objects = await as_objects(info, REGISTRY, Approval, [row], details, ctx=fresh)
                yield ApprovalEvent(kind=payload["kind"], approval=objects[0])
