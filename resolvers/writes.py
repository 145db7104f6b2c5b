"""Writing any entity of the graph, by how its declaration says it is written
(:class:`resolvers.query.Writes`): the one place that knows which domain function writes what,
so every surface creates, changes, proposes and deletes the same way.

Values are keyed by the unified names the domain functions validate (attributes by column,
to-one relations by foreign key, to-many ones by their ``written_as`` name).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row

from gateway.db.models.taxonomy import ApprovalAction
from resolvers import (
    approvals,
    declared,
    experiments,
    memberships,
    water_given,
    water_restrictions,
)
from resolvers.context import Context
from resolvers.experiments import Mode
from resolvers.query import Entity, Writes

Values = Mapping[str, Any]


@dataclass(frozen=True)
class _Direct:
    create: Callable[[Context, Values], Awaitable[Row[Any]]]
    update: Callable[[Context, Any, Values, Mode], Awaitable[Row[Any]]]
    delete: Callable[[Context, Any], Awaitable[None]]


# Projects, subjects and sessions keep rules of their own (resolvers.experiments), groups
# theirs (resolvers.memberships), water given and water restrictions Alyx's defaults
# (resolvers.water_given, resolvers.water_restrictions).
_EXPERIMENTS = {
    "Group": _Direct(
        memberships.create_group,
        memberships.change_group,
        lambda ctx, key: declared.delete_record(ctx, memberships.GROUP, key),
    ),
    "Project": _Direct(
        lambda ctx, values: experiments.create_project(ctx, values=values),
        lambda ctx, key, values, mode: experiments.update_project(
            ctx, project_id=key, values=values, mode=mode
        ),
        lambda ctx, key: experiments.delete_project(ctx, project_id=key),
    ),
    "Subject": _Direct(
        lambda ctx, values: experiments.create_subject(ctx, values=values),
        lambda ctx, key, values, mode: experiments.update_subject(
            ctx, subject_id=key, values=values, mode=mode
        ),
        lambda ctx, key: experiments.delete_subject(ctx, subject_id=key),
    ),
    "Session": _Direct(
        lambda ctx, values: experiments.create_session(ctx, values=values),
        lambda ctx, key, values, mode: experiments.update_session(
            ctx, session_id=key, values=values, mode=mode
        ),
        lambda ctx, key: experiments.delete_session(ctx, session_id=key),
    ),
    "WaterAdministration": _Direct(
        water_given.create_water_administration,
        water_given.change_water_administration,
        lambda ctx, key: declared.delete_record(ctx, water_given.WATER_ADMINISTRATION, key),
    ),
    "WaterRestriction": _Direct(
        water_restrictions.create_water_restriction,
        water_restrictions.change_water_restriction,
        lambda ctx, key: declared.delete_record(ctx, water_restrictions.WATER_RESTRICTION, key),
    ),
}


def _declared(entity: Entity) -> _Direct:
    """Every other entity written directly is written from its declaration alone."""
    return _Direct(
        lambda ctx, values: declared.create_record(ctx, entity, values),
        lambda ctx, key, values, mode: declared.change_record(ctx, entity, key, values, mode),
        lambda ctx, key: declared.delete_record(ctx, entity, key),
    )


def _direct(entity: Entity) -> _Direct:
    if entity.writes is not Writes.DIRECT:
        raise LookupError(f"{entity.name} is not written directly.")
    return _EXPERIMENTS.get(entity.name) or _declared(entity)


def _taxonomy(entity: Entity) -> str:
    if entity.writes is not Writes.APPROVAL:
        raise LookupError(f"{entity.name} is not written through approval.")
    return entity.name.lower()


async def create(ctx: Context, entity: Entity, values: Values) -> Row[Any]:
    """A new record of ``entity``; the row as written."""
    return await _direct(entity).create(ctx, values)


async def update(
    ctx: Context, entity: Entity, key: Any, values: Values, mode: Mode = Mode.PATCH
) -> Row[Any]:
    """Change the record ``key`` of ``entity``: only the values given (``Mode.PATCH``), or
    every value, defaults for those not given (``Mode.REPLACE``)."""
    return await _direct(entity).update(ctx, key, values, mode)


async def delete(ctx: Context, entity: Entity, key: Any) -> None:
    """Delete the record ``key``: directly written entities as their policy allows, those
    written through approval by administrators only."""
    if entity.writes is Writes.APPROVAL:
        await approvals.delete_taxonomy(ctx, model=_taxonomy(entity), instance_id=key)
    else:
        await _direct(entity).delete(ctx, key)


async def propose(
    ctx: Context,
    entity: Entity,
    action: ApprovalAction,
    *,
    key: Any = None,
    values: Values | None = None,
    comments: str = "",
) -> Row[Any]:
    """File a proposal to add, change or delete a record of an entity written through
    approval; the approval row."""
    return await approvals.propose(
        ctx,
        model=_taxonomy(entity),
        action=action,
        instance_id=key,
        proposed=values,
        comments=comments,
    )
