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
from resolvers import approvals, auth
from resolvers.approvals import ApprovalEventKind, Decision
from resolvers.catalog.fields import choices
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
from schema.types import Approval, choices_enum

Info = strawberry.Info[Context, None]

ApprovalResult = Annotated[
    Approval
    | ValidationError
    | AuthenticationError
    | PermissionDeniedError
    | NotFoundError
    | ConflictError,
    strawberry.union("ApprovalResult", description="The approval, or why not."),
]
DeleteResult = Annotated[
    Done | AuthenticationError | PermissionDeniedError | NotFoundError | ConflictError,
    strawberry.union("DeleteResult", description="Done, or why not."),
]


@strawberry.enum(description="What a reviewer decides.")
class ReviewDecision(Enum):
    ACCEPT = strawberry.enum_value("accept", description="Apply the proposed change.")
    REJECT = strawberry.enum_value("reject", description="Change nothing.")


async def approval_object(info: Info, row: Any) -> Approval:
    """An approval row as the GraphQL object, with what is selected under it."""
    return (await as_objects(info, REGISTRY, Approval, [row]))[0]  # type: ignore[no-any-return]


@strawberry.type
class ApprovalMutation:
    @strawberry.mutation(description="Accept (and apply) or reject a pending approval.")
    async def review_approval(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The approval's id.")],
        decision: Annotated[ReviewDecision, strawberry.argument(description="Accept or reject.")],
        comment: Annotated[
            str, strawberry.argument(description="Your answer to the submitter (default none).")
        ] = "",
    ) -> ApprovalResult:
        try:
            row = await approvals.review(
                info.context, approval_id=id, decision=Decision[decision.name], comment=comment
            )
        except NeurogateError as error:
            return error_result(error)  # type: ignore[return-value]
        return await approval_object(info, row)


EventKind = choices_enum(
    "ApprovalEventKind",
    "What happened to the approval.",
    choices(
        ApprovalEventKind,
        PROPOSED="Someone proposed it.",
        ACCEPTED="A reviewer accepted it (the change is applied).",
        REJECTED="A reviewer rejected it.",
    ),
)


@strawberry.type(description="Something happened to an approval you may see.")
class ApprovalEvent:
    kind: str = strawberry.field(graphql_type=EventKind, description="What happened.")
    approval: Approval = strawberry.field(description="The approval, as it is now.")


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
                theirs = decided and payload["submitter_id"] == principal.user_id
                if not (reviewer or theirs):
                    continue
                # Checked again at delivery, as the credential and the flags stand now (a
                # lapsed credential ends the stream; the socket closes at the next check).
                current = await auth.recheck(ctx, principal)
                if not (current.is_reviewer or current.is_admin or theirs):
                    continue
                # A fresh context per event: the approval has changed since it was cached.
                fresh = Context.build(
                    ctx.settings, ctx.sessionmaker, current, ctx.clock, ctx.events
                )
                try:
                    row = await approvals.get_approval(fresh, payload["approval_id"])
                except NeurogateError:
                    continue  # no longer visible to this subscriber
                objects = await as_objects(info, REGISTRY, Approval, [row], details, ctx=fresh)
                yield ApprovalEvent(kind=payload["kind"], approval=objects[0])
