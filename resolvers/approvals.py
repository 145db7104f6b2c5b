"""The approval workflow: records of every entity declared ``Writes.APPROVAL`` (species,
strains, categories, BrainSTEM's other taxonomies and resources, journals) change only through
reviewed proposals, checked by rules read from the declaration (:func:`field_rules`).

Ordinary users propose an Add, Change or Delete of such a record; reviewers and admins
accept or reject. Accepting applies the change and records the decision in one
transaction; two reviewers racing on one approval: exactly one wins, the other gets a
:class:`Conflict`. Only admins delete taxonomy records outright.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Integer,
    Row,
    String,
    Table,
    TypeDecorator,
    Uuid,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.auth.permissions import require_admin, require_authenticated, require_reviewer
from gateway.auth.visibility import readable_columns
from gateway.db.engine import write_transaction
from gateway.db.models import Approval, table
from gateway.db.models._base import utcnow
from gateway.db.models.taxonomy import ApprovalAction, ApprovalStatus
from gateway.errors import BadRequest, Conflict, NeurogateError, NotFound
from gateway.events import Event
from resolvers.catalog import APPROVAL, ENTITIES
from resolvers.context import Context
from resolvers.graph import APPROVED_RECORD
from resolvers.listing import get_row
from resolvers.query import Entity, Kind, Writes, parse_value
from resolvers.relations import ToOne

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
    kind: type = str  # str, int, uuid.UUID, bool, date, or dict (a JSON object or array)
    references: Table | None = None  # must name an existing row of this table
    prefix: str | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaxonomyModel:
    name: str
    table: Table
    fields: Mapping[str, FieldRule]

    @property
    def record(self) -> str:
        """The approval column that names the record an approval changes: its own
        (``species_id``) when the approval table has one, else the shared ``record_id``."""
        own = f"{self.name}_id"
        return own if own in _approvals.c else APPROVED_RECORD


# Research Resource Identifiers are written with their prefix (seed 002).
_PREFIXES = {"rrid": "RRID:"}


def _kind(column: Any) -> type:
    sql = column.type
    if isinstance(sql, TypeDecorator):  # SQLModel's AutoString: a String underneath
        sql = sql.impl_instance
    for sql_type, kind in (
        (Boolean, bool),
        (Integer, int),
        (Date, date),
        (Uuid, uuid.UUID),
        (JSON, dict),
    ):
        if isinstance(sql, sql_type):
            return kind
    if isinstance(sql, String):
        return str
    raise TypeError(f"No proposal rule for {column} ({sql}).")  # at import, not on a write


def field_rules(entity: Entity) -> dict[str, FieldRule]:
    """What a proposal for ``entity`` may set, read from its declaration: its writable
    attributes (typed, bounded and required as their columns and the declaration say) and
    its writable to-one relations by key, which must name an existing record."""
    rules: dict[str, FieldRule] = {}
    for name, attribute in entity.attributes.items():
        if not attribute.writable:
            continue
        column = entity.table.c[name]
        kind = _kind(column)
        rules[name] = FieldRule(
            getattr(column.type, "length", None) if kind is str else None,
            required=attribute.required,
            kind=kind,
            prefix=_PREFIXES.get(name),
            choices=tuple(value for value, _ in attribute.choices),
        )
    for relation in entity.relations.values():
        if isinstance(relation, ToOne) and relation.writable:
            rules[relation.fk] = FieldRule(
                required=relation.required,
                kind=_kind(entity.table.c[relation.fk]),
                references=ENTITIES[relation.target].table,
            )
    return rules


# Every entity written through approval (``Writes.APPROVAL``), by the name its approvals
# give it: its own name in lower case (``species``, ``behavioralcategory``, ``journal``).
MODELS: Mapping[str, TaxonomyModel] = {
    entity.name.lower(): TaxonomyModel(entity.name.lower(), entity.table, field_rules(entity))
    for entity in ENTITIES.values()
    if entity.writes is Writes.APPROVAL
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
            if rule.choices and value not in rule.choices:
                options = ", ".join(rule.choices)
                raise BadRequest(f'"{value}" is not a valid choice ({options}).', field=name)
        else:
            value = _storable(rule, name, value)
        cleaned[name] = value
    if partial and not cleaned:
        raise BadRequest("Propose at least one change.")
    return cleaned


def _storable(rule: FieldRule, name: str, value: Any) -> Any:
    """A proposed non-text value checked and in the form the proposal stores (JSON)."""
    if rule.kind is bool:
        if not isinstance(value, bool):
            raise BadRequest("Must be a valid boolean.", field=name)
        return value
    if rule.kind is dict:
        if not isinstance(value, dict | list):
            raise BadRequest("Expected a JSON object or array.", field=name)
        return value
    try:
        if rule.kind is date:
            return (value if isinstance(value, date) else date.fromisoformat(value)).isoformat()
        if rule.kind is uuid.UUID:
            return str(uuid.UUID(str(value)))
        if isinstance(value, bool):
            raise TypeError(name)
        return rule.kind(value)
    except (TypeError, ValueError, AttributeError) as exc:
        raise BadRequest(f"Invalid value {value!r}.", field=name) from exc


async def _check_against_database(
    conn: AsyncConnection,
    model: TaxonomyModel,
    values: Mapping[str, Any],
    *,
    instance: Any = None,
) -> None:
    """Uniqueness of the name and existence of referenced rows, as of now."""
    name = values.get("name")
    if name is not None and "name" in model.table.c:
        clash = select(model.table.c.id).where(model.table.c.name == name)
        if instance is not None:
            clash = clash.where(model.table.c.id != instance)
        if (await conn.execute(clash)).first() is not None:
            raise BadRequest(f"A {model.name} named '{name}' already exists.", field="name")
    for field_name, rule in model.fields.items():
        if rule.references is not None and values.get(field_name) is not None:
            target = rule.references
            key = _for_database(model, {field_name: values[field_name]})[field_name]
            found = await conn.execute(select(target.c.id).where(target.c.id == key))
            if found.first() is None:
                raise BadRequest(f"No {target.name} with id {key}.", field=field_name)


def _for_database(model: TaxonomyModel, values: Mapping[str, Any]) -> dict[str, Any]:
    """Stored proposal values (JSON) as their columns take them."""
    readers: dict[type, Any] = {uuid.UUID: uuid.UUID, date: date.fromisoformat}
    return {
        name: readers.get(model.fields[name].kind, lambda value: value)(value)
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
    """Delete a record written through approval outright: administrators only (seed 002)."""
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
