"""The approval workflow: taxonomy records change only through reviewed proposals.

Ordinary users propose an Add, Change or Delete of a species, strain or category; reviewers
and admins accept or reject. Accepting applies the change and records the decision in one
transaction; two reviewers racing on one approval: exactly one wins, the other gets a
:class:`Conflict`. Only admins delete taxonomy records outright.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.auth.permissions import require_admin, require_authenticated, require_reviewer
from gateway.auth.visibility import readable_columns
from gateway.db.engine import write_transaction
from gateway.db.models import Approval, Category, Species, Strain, table
from gateway.db.models._base import utcnow
from gateway.db.models.taxonomy import ApprovalAction, ApprovalModel, ApprovalStatus
from gateway.errors import BadRequest, Conflict, NeurogateError, NotFound
from gateway.events import Event
from resolvers.catalog import APPROVAL
from resolvers.context import Context
from resolvers.listing import get_row
from resolvers.query import Kind, parse_value

APPROVAL_TOPIC = "approvals"


class ApprovalEventKind(StrEnum):
    """What happened to an approval, as its events on :data:`APPROVAL_TOPIC` say."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Decision(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"


@dataclass(frozen=True)
class FieldRule:
    max_length: int | None = None
    required: bool = False
    kind: type = str
    references: Table | None = None  # must name an existing row of this table
    prefix: str | None = None


@dataclass(frozen=True)
class TaxonomyModel:
    name: str
    table: Table
    fields: Mapping[str, FieldRule]

    @property
    def record(self) -> str:
        """The approval column that names the record an approval changes."""
        return f"{self.name}_id"


MODELS: Mapping[str, TaxonomyModel] = {
    ApprovalModel.SPECIES: TaxonomyModel(
        ApprovalModel.SPECIES,
        table(Species),
        {
            "name": FieldRule(100, required=True),
            "scientific_name": FieldRule(255),
            "description": FieldRule(500),
            "comments": FieldRule(),
            "rrid": FieldRule(100, prefix="RRID:"),
            "category_id": FieldRule(kind=int, references=table(Category)),
        },
    ),
    ApprovalModel.STRAIN: TaxonomyModel(
        ApprovalModel.STRAIN,
        table(Strain),
        {
            "name": FieldRule(100, required=True),
            "description": FieldRule(2000),
            "comments": FieldRule(),
            "rrid": FieldRule(100, prefix="RRID:"),
            "species_id": FieldRule(kind=uuid.UUID, required=True, references=table(Species)),
        },
    ),
    ApprovalModel.CATEGORY: TaxonomyModel(
        ApprovalModel.CATEGORY,
        table(Category),
        {"name": FieldRule(100, required=True), "description": FieldRule(500)},
    ),
}

_approvals = table(Approval)


def taxonomy_model(name: str) -> TaxonomyModel:
    model = MODELS.get(name)
    if model is None:
        raise BadRequest(f"Unknown taxonomy model '{name}'.", field="model")
    return model


def _instance_key(model: TaxonomyModel, instance_id: Any) -> Any:
    """The instance id in its column's type (UUID for species and strains, int for
    categories); a malformed id is simply not found."""
    try:
        if model.table.c.id.type.python_type is int:
            return parse_value(Kind.INT, "instance_id", int(instance_id))
        return instance_id if isinstance(instance_id, uuid.UUID) else uuid.UUID(str(instance_id))
    except (TypeError, ValueError) as exc:
        raise NotFound(f"{model.name.capitalize()} not found.") from exc


def _clean(model: TaxonomyModel, proposed: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """Proposed values checked against the model's rules, in JSON-storable form."""
    unknown = set(proposed) - set(model.fields)
    if unknown:
        name = sorted(unknown)[0]
        raise BadRequest(f"Unknown field '{name}' for {model.name}.", field=name)
    cleaned: dict[str, Any] = {}
    for name, rule in model.fields.items():
        if name not in proposed or proposed[name] is None:
            if rule.required and not partial:
                raise BadRequest("This field is required.", field=name)
            continue
        value = proposed[name]
        if rule.kind is str:
            if not isinstance(value, str):
                raise BadRequest("Must be a string.", field=name)
            value = value.strip()
            if rule.required and not value:
                raise BadRequest("This field may not be blank.", field=name)
            if rule.max_length is not None and len(value) > rule.max_length:
                raise BadRequest(
                    f"Ensure this field has no more than {rule.max_length} characters.",
                    field=name,
                )
            if rule.prefix and value and not value.startswith(rule.prefix):
                raise BadRequest(f"Must start with '{rule.prefix}'.", field=name)
        else:
            try:
                value = str(rule.kind(value)) if rule.kind is uuid.UUID else rule.kind(value)
            except (TypeError, ValueError) as exc:
                raise BadRequest(f"Invalid value {value!r}.", field=name) from exc
        cleaned[name] = value
    if partial and not cleaned:
        raise BadRequest("Propose at least one change.")
    return cleaned


async def _check_against_database(
    conn: AsyncConnection,
    model: TaxonomyModel,
    values: Mapping[str, Any],
    *,
    instance: Any = None,
) -> None:
    """Uniqueness of the name and existence of referenced rows, as of now."""
    name = values.get("name")
    if name is not None:
        clash = select(model.table.c.id).where(model.table.c.name == name)
        if instance is not None:
            clash = clash.where(model.table.c.id != instance)
        if (await conn.execute(clash)).first() is not None:
            raise BadRequest(f"A {model.name} named '{name}' already exists.", field="name")
    for field_name, rule in model.fields.items():
        if rule.references is not None and values.get(field_name) is not None:
            target = rule.references
            key = values[field_name]
            key = uuid.UUID(key) if rule.kind is uuid.UUID else key
            found = await conn.execute(select(target.c.id).where(target.c.id == key))
            if found.first() is None:
                raise BadRequest(f"No {target.name} with id {key}.", field=field_name)


def _for_database(model: TaxonomyModel, values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: uuid.UUID(value) if model.fields[name].kind is uuid.UUID else value
        for name, value in values.items()
    }


async def _existing(conn: AsyncConnection, model: TaxonomyModel, key: Any) -> Row[Any]:
    row = (await conn.execute(select(model.table).where(model.table.c.id == key))).first()
    if row is None:
        raise NotFound(f"{model.name.capitalize()} not found.")
    return row


async def get_approval(ctx: Context, approval_id: Any) -> Row[Any]:
    """One approval the caller may see (reviewers: all; others: their own)."""
    return await get_row(ctx, APPROVAL, "id", approval_id)


async def propose(
    ctx: Context,
    *,
    model: str,
    action: ApprovalAction,
    instance_id: Any = None,
    proposed: Mapping[str, Any] | None = None,
    comments: str = "",
) -> Row[Any]:
    """File a pending approval; the proposed values are validated now and again on accept."""
    submitter = require_authenticated(ctx.principal)
    spec = taxonomy_model(model)
    values: dict[str, Any] = {}
    key = None
    async with write_transaction(ctx.sessionmaker) as conn:
        if action is not ApprovalAction.ADD:
            key = _instance_key(spec, instance_id)
            await _existing(conn, spec, key)
        if action is not ApprovalAction.DELETE:
            values = _clean(spec, proposed or {}, partial=action is ApprovalAction.CHANGE)
            await _check_against_database(conn, spec, values, instance=key)
        now = ctx.now()
        approval_id = uuid.uuid4()
        await conn.execute(
            insert(_approvals).values(
                id=approval_id,
                model=spec.name,
                action=action.value,
                instance_id=None if key is None else str(key),
                **({} if key is None else {spec.record: key}),
                proposed=values,
                status=ApprovalStatus.PENDING.value,
                comments=comments.strip(),
                review_comment="",
                submitter_id=submitter,
                created_at=now,
                updated_at=now,
            )
        )
        row = await _read_approval(conn, approval_id)
    await _publish(ctx, ApprovalEventKind.PROPOSED, row)
    return row


async def review(
    ctx: Context, *, approval_id: Any, decision: Decision, comment: str = ""
) -> Row[Any]:
    """Accept (apply the change) or reject a pending approval, atomically."""
    reviewer = require_reviewer(ctx.principal)
    try:
        key = uuid.UUID(str(approval_id))
    except ValueError as exc:
        raise NotFound("Approval not found.") from exc
    status = ApprovalStatus.ACCEPTED if decision is Decision.ACCEPT else ApprovalStatus.REJECTED
    now = ctx.now()
    async with write_transaction(ctx.sessionmaker) as conn:
        # The conditional update is the lock: of two reviewers racing, one updates a row.
        claimed = await conn.execute(
            update(_approvals)
            .where(_approvals.c.id == key, _approvals.c.status == ApprovalStatus.PENDING.value)
            .values(
                status=status.value,
                reviewer_id=reviewer,
                reviewed_at=now,
                updated_at=now,
                review_comment=comment.strip(),
            )
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise await _not_pending(conn, key)
        approval = await _read_approval(conn, key)
        if status is ApprovalStatus.ACCEPTED:
            instance = await _apply(conn, approval)
            if instance is not None:
                record = taxonomy_model(approval.model).record
                await conn.execute(
                    update(_approvals)
                    .where(_approvals.c.id == key)
                    .values({"instance_id": str(instance), record: instance})
                )
        row = await _read_approval(conn, key)
    kind = (
        ApprovalEventKind.ACCEPTED
        if status is ApprovalStatus.ACCEPTED
        else ApprovalEventKind.REJECTED
    )
    await _publish(ctx, kind, row)
    return row


async def _not_pending(conn: AsyncConnection, key: uuid.UUID) -> NeurogateError:
    """Why an approval could not be claimed, read as it is now on the claiming connection
    (a loader may hold the row as it was before a racing reviewer decided it)."""
    status = select(_approvals.c.status).where(_approvals.c.id == key)
    current = (await conn.execute(status)).scalar()
    if current is None:
        return NotFound("Approval not found.")
    return Conflict(f"This approval was already {current.lower()}.")


async def _apply(conn: AsyncConnection, approval: Row[Any]) -> Any:
    """Carry out an accepted approval; returns the id of a record it created."""
    spec = taxonomy_model(approval.model)
    action = ApprovalAction(approval.action)
    if action is ApprovalAction.ADD:
        values = _clean(spec, approval.proposed, partial=False)
        await _check_against_database(conn, spec, values)
        new = await conn.execute(
            insert(spec.table).values(**_for_database(spec, values)).returning(spec.table.c.id)
        )
        return new.scalar_one()
    key = _instance_key(spec, approval.instance_id)
    await _existing(conn, spec, key)
    if action is ApprovalAction.CHANGE:
        values = _clean(spec, approval.proposed, partial=True)
        await _check_against_database(conn, spec, values, instance=key)
        await conn.execute(
            update(spec.table)
            .where(spec.table.c.id == key)
            .values(**_for_database(spec, values), updated_at=utcnow())
        )
        return None
    await _delete_record(conn, spec, key)
    return None


async def _delete_record(conn: AsyncConnection, spec: TaxonomyModel, key: Any) -> None:
    try:
        async with conn.begin_nested():
            await conn.execute(delete(spec.table).where(spec.table.c.id == key))
    except IntegrityError as exc:
        raise Conflict(f"This {spec.name} is still in use (other records refer to it).") from exc


async def delete_taxonomy(ctx: Context, *, model: str, instance_id: Any) -> None:
    """Delete a taxonomy record outright: administrators only (seed 002)."""
    require_admin(ctx.principal)
    spec = taxonomy_model(model)
    key = _instance_key(spec, instance_id)
    async with write_transaction(ctx.sessionmaker) as conn:
        await _existing(conn, spec, key)
        await _delete_record(conn, spec, key)


async def _read_approval(conn: AsyncConnection, key: uuid.UUID) -> Row[Any]:
    query = select(*readable_columns(_approvals)).where(_approvals.c.id == key)
    return (await conn.execute(query)).one()


async def _publish(ctx: Context, kind: ApprovalEventKind, row: Row[Any]) -> None:
    await ctx.events.publish(
        Event(
            APPROVAL_TOPIC,
            {
                "kind": kind.value,
                "approval_id": str(row.id),
                "submitter_id": row.submitter_id,
                "model": row.model,
                "action": row.action,
            },
        )
    )
