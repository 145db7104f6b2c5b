"""BrainSTEM writes: a request body's BrainSTEM fields become the domain's values, handed to
the functions GraphQL uses (``resolvers.experiments``, ``resolvers.approvals``); the field a
validation error names is translated back, so the caller reads its own field names."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row

from gateway.db.models.taxonomy import ApprovalAction
from gateway.errors import BadRequest, MethodNotAllowed, NotFound
from gateway.rest.brainstem.models import (
    MODELS,
    Model,
    Writes,
)
from resolvers import approvals, memberships, writes
from resolvers.approvals import Decision
from resolvers.context import Context
from resolvers.experiments import Mode


@dataclass(frozen=True)
class Written:
    """What a write answers: a row, the model to render it as, and the HTTP status."""

    model: Model
    row: Row[Any]
    status: int = 200


# The approvals endpoint of each model written through approval, by that model's name.
_APPROVALS = {m.approval_of: m for m in MODELS.values() if m.approval_of is not None}
# Notes for the reviewers, taken from a proposal's body where the model has no such field.
_NOTES = "comments"


def domain_values(model: Model, body: Mapping[str, Any], method: str) -> dict[str, Any]:
    """The body's fields under their domain names; read-only fields are ignored (so a record
    that was read can be sent back), anything else the model cannot write is a 400."""
    if model.writes not in (Writes.EXPERIMENT, Writes.TAXONOMY):
        raise MethodNotAllowed(f'Method "{method}" not allowed on {model.name}.')
    values = {}
    for name, value in body.items():
        if name in model.writable:
            values[model.writable[name]] = value
        elif name not in model.read_only:
            raise BadRequest(f"This field cannot be written on {model.name}.", field=name)
    return values


def _require_fields(model: Model, body: Mapping[str, Any], *, whole: bool) -> None:
    """Fields BrainSTEM requires that the domain does not: a subject's projects (DOMAIN.md
    §4; an Alyx subject belongs to its lab), a laboratory's group and institution (an Alyx
    lab has neither). ``whole``: a create or a PUT, which must name them; a value given must
    not be blank (nor an empty list)."""
    for name in sorted(model.required):
        if name in body:
            if body[name] in (None, [], ""):
                raise BadRequest("This field may not be blank or empty.", field=name)
        elif whole:
            raise BadRequest("This field is required.", field=name)


def _notes(model: Model, body: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """A proposal's ``comments`` (BrainSTEM: "used when proposing approval changes") are
    the approval's notes for its reviewers, unless the model keeps comments of its own (a
    species); the rest of the body is the proposal."""
    if model.writes is not Writes.TAXONOMY or _NOTES in model.writable or _NOTES not in body:
        return "", body
    notes = body[_NOTES]
    if not isinstance(notes, str):
        raise BadRequest("Not a valid string.", field=_NOTES)
    return notes, {name: value for name, value in body.items() if name != _NOTES}


@contextmanager
def _named_for(model: Model) -> Iterator[None]:
    """Validation errors name the BrainSTEM field, not the domain's."""
    try:
        yield
    except BadRequest as error:
        names = {domain: name for name, domain in model.writable.items()}
        if error.field not in names:
            raise
        raise type(error)(error.message, field=names[error.field], **error.details) from error


async def create(ctx: Context, model: Model, body: Mapping[str, Any]) -> Written:
    """POST; a new taxonomy record is proposed (the answer is the approval), not made."""
    notes, body = _notes(model, body)
    values = domain_values(model, body, "POST")
    _require_fields(model, body, whole=True)
    with _named_for(model):
        if model.writes is Writes.EXPERIMENT:
            row = await writes.create(ctx, model.entity, values)
            return Written(model, row, 201)
        row = await approvals.propose(
            ctx, model=model.name, action=ApprovalAction.ADD, proposed=values, comments=notes
        )
        return Written(_APPROVALS[model.name], row, 201)


async def update(
    ctx: Context, model: Model, key: Any, body: Mapping[str, Any], *, replace: bool
) -> Written:
    """PATCH (``replace=False``) or PUT; a taxonomy change is proposed, not made; an approval
    is reviewed by PATCHing ``{"options": "accept" | "reject"}`` (seed 002)."""
    if model.writes is Writes.APPROVAL and not replace:
        return await review(ctx, model, key, body.get("options"))
    notes, body = _notes(model, body)
    values = domain_values(model, body, "PUT" if replace else "PATCH")
    _require_fields(model, body, whole=replace)
    with _named_for(model):
        if model.writes is Writes.EXPERIMENT:
            mode = Mode.REPLACE if replace else Mode.PATCH
            row = await writes.update(ctx, model.entity, key, values, mode)
            return Written(model, row)
        row = await approvals.propose(
            ctx,
            model=model.name,
            action=ApprovalAction.CHANGE,
            instance_id=key,
            proposed=values,
            comments=notes,
        )
        return Written(_APPROVALS[model.name], row)


async def delete(ctx: Context, model: Model, key: Any) -> None:
    """Delete outright (taxonomy records: administrators only, seed 002)."""
    if model.writes is Writes.EXPERIMENT:
        await writes.delete(ctx, model.entity, key)
    elif model.writes is Writes.TAXONOMY:
        await approvals.delete_taxonomy(ctx, model=model.name, instance_id=key)
    else:
        raise MethodNotAllowed(f'Method "DELETE" not allowed on {model.name}.')


async def review(ctx: Context, model: Model, key: Any, decision: Any) -> Written:
    """Accept or reject an approval of this endpoint's taxonomy model."""
    if model.writes is not Writes.APPROVAL:
        raise NotFound("Not found.")
    if decision not in {d.value for d in Decision}:
        raise BadRequest('Give "accept" or "reject".', field="options")
    approval = await approvals.get_approval(ctx, key)
    if approval.model != model.approval_of:
        raise NotFound("Approval not found.")
    row = await approvals.review(ctx, approval_id=key, decision=Decision(decision))
    return Written(model, row)


_DONE = {"accept": "accepted", "reject": "rejected", "cancel": "cancelled"}


async def act(ctx: Context, model: Model, key: Any, action: str) -> Written | str:
    """A record's action (:attr:`Model.actions`): joining a group files a request (the
    answer); leaving a group, or answering an invitation or request (which is then gone),
    answers what was done."""
    if action == "join":
        row = await memberships.join_group(ctx, key)
        return Written(MODELS["group_membership_request"], row, 201)
    if action == "leave":
        await memberships.leave_group(ctx, key)
        return f"You left the {model.name}."
    await memberships.answer(ctx, model.entity, key, action)
    return f"The {model.name.replace('_', ' ')} was {_DONE[action]}."
