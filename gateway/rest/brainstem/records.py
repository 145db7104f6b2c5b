"""BrainSTEM records: BrainSTEM field names, ids as strings, ISO 8601 timestamps, and
relations as id lists, or, when included, the related records embedded in place.

Records are read through the entity graph's one read path (:func:`read_records`): the
model's fields and ``include[]`` become an include tree (:func:`include_of`) of the relations
to embed and those of which only the ids are shown; :func:`resolvers.read.read` applies the
visibility rule to every related row and costs the same few statements whatever the number of
rows. Rendering (:func:`render`) is then a pure function of the nodes read.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import orjson

from gateway.auth.permissions import EDITING_ROLES, ProjectRole
from gateway.rest.brainstem.models import BY_ENTITY, MODELS, Model, is_members
from gateway.rest.brainstem.query import Include
from resolvers import read
from resolvers.context import Context
from resolvers.query import Filter, QuerySpec, Window
from resolvers.read import Follow, Read
from resolvers.relations import Relation, ToOne

Record = dict[str, Any]

# The most related records one record lists per relation (a project's sessions, say).
RELATED_MAX = 10_000
_ALL_RELATED = QuerySpec(window=Window(limit=RELATED_MAX))
# A project's members as BrainSTEM shows them: role, ownership, username.
_MEMBERS = read.Include(("is_owner", "role"), (Follow("user", read.Include(("username",))),))
# A group's members: the same, with managers flagged instead of roles.
_GROUP_MEMBERS = read.Include(
    ("is_owner", "is_manager"), (Follow("user", read.Include(("username",))),)
)
# Where an approval's node holds the current record it changes.
_CURRENT = "current_record"


def _timestamp(value: datetime) -> str:
    return value.isoformat() + "Z"


# By exact type: one dict lookup per value (a page renders thousands of them).
_AS_JSON: dict[type, Any] = {uuid.UUID: str, datetime: _timestamp, date: date.isoformat}


def plain(value: Any) -> Any:
    """A column value as JSON: UUIDs as strings, timestamps (naive UTC) ISO 8601 with a Z."""
    convert = _AS_JSON.get(type(value))
    if convert is not None:
        return convert(value)
    return str(value) if isinstance(value, uuid.UUID) else value  # asyncpg's UUID subclass


def include_of(model: Model, tree: Include) -> read.Include:
    """What reading ``model``'s records with ``tree`` (``include[]``) takes: its columns,
    the included relations as records (with their own id lists), the ids of the others, and
    a project's members."""
    follows, ids = [], []
    if model.approval_of is not None:  # the record it changes, to show the proposal over
        current = read.Include(tuple(MODELS[model.approval_of].writable.values()))
        follows.append(Follow(model.changes, current, _CURRENT))
    for name, relation_name in model.relations.items():
        relation = model.relation(name)
        if is_members(relation):
            members = _MEMBERS if relation.target == "ProjectMember" else _GROUP_MEMBERS
            follows.append(Follow(relation_name, members, name, _ALL_RELATED))
        elif name in tree:
            embedded = include_of(BY_ENTITY[relation.target], tree[name])
            follows.append(Follow(relation_name, embedded, name, _ALL_RELATED))
        elif not isinstance(relation, ToOne):
            ids.append(relation_name)
    return read.Include(model.columns, tuple(follows), tuple(ids))


def scope(model: Model) -> Filter | None:
    """What the endpoint itself selects: an approvals endpoint, one taxonomy model's."""
    return None if model.approval_of is None else Filter("model", "eq", model.approval_of)


async def read_records(
    ctx: Context, model: Model, spec: QuerySpec, tree: Include, *, with_total: bool = False
) -> tuple[list[Record], Read]:
    """The records of ``model`` matching ``spec``, with ``tree`` included, and the read."""
    found = await read.read(ctx, model.entity, spec, include_of(model, tree), with_total=with_total)
    return render(model, found.nodes, tree), found


async def read_record(ctx: Context, model: Model, key: Any, tree: Include) -> Record:
    """The one visible record of ``model`` under ``key``; missing and hidden are the same
    404, so ids cannot be probed."""
    missing = "" if model.approval_of is None else f"{model.singular} not found."
    include = include_of(model, tree)
    node = await read.read_one(
        ctx, model.entity, model.entity.key, key, include, where=scope(model), missing=missing
    )
    return render(model, [node], tree)[0]


def render(model: Model, nodes: Sequence[Any], tree: Include) -> list[Record]:
    """``nodes`` of ``model`` (read with :func:`include_of`) as BrainSTEM records."""
    fields = tuple(model.fields.items())
    records = [{name: plain(node.__dict__[column]) for name, column in fields} for node in nodes]
    for name, relation_name in model.relations.items():
        relation = model.relation(name)
        if is_members(relation):
            for record, node in zip(records, nodes, strict=True):
                record[name] = _members(getattr(node, name))
        elif name in tree:
            _embed(records, nodes, name, relation, tree[name])
        elif isinstance(relation, ToOne):
            for record, node in zip(records, nodes, strict=True):
                record[name] = plain(node.__dict__[relation.fk])
        else:
            for record, node in zip(records, nodes, strict=True):
                record[name] = orjson.Fragment(node.__dict__[relation_name])  # JSON already
    for name in tree.keys() & model.unmodelled:
        for record in records:
            record[name] = []
    if model.approval_of is not None:
        taxonomy = MODELS[model.approval_of]
        pairs = zip(nodes, records, strict=True)
        return [_proposal(taxonomy, node, record) for node, record in pairs]
    return records


def _embed(
    records: list[Record], nodes: Sequence[Any], name: str, relation: Relation, tree: Include
) -> None:
    """The related records under ``name``, each distinct related node rendered once."""
    target = BY_ENTITY[relation.target]
    if isinstance(relation, ToOne):
        related = [getattr(node, name) for node in nodes]
        distinct = {id(child): child for child in related if child is not None}
    else:
        lists = [getattr(node, name) for node in nodes]
        distinct = {id(child): child for children in lists for child in children}
    rendered = dict(zip(distinct, render(target, list(distinct.values()), tree), strict=True))
    if isinstance(relation, ToOne):
        for record, child in zip(records, related, strict=True):
            record[name] = None if child is None else rendered[id(child)]
    else:
        for record, children in zip(records, lists, strict=True):
            record[name] = [rendered[id(child)] for child in children]


def _rights(member: Any) -> dict[str, bool]:
    if "role" not in member.__dict__:  # a group's member
        return {"is_manager": member.is_manager, "is_owner": member.is_owner}
    return {
        "can_change": member.role in EDITING_ROLES,
        "is_manager": member.role == ProjectRole.MANAGER.value,
        "is_owner": member.is_owner,
    }


def _members(members: Sequence[Any]) -> dict[str, Any]:
    """``{username: {can_change, is_manager, is_owner}}`` (a group's without
    ``can_change``); hidden users are left out."""
    return {member.user.username: _rights(member) for member in members if member.user is not None}


def _proposal(taxonomy: Model, approval: Any, record: Record) -> Record:
    """An approval shows the record it proposes, in the taxonomy model's fields: the proposed
    values over the current ones of the record it changes (a change proposes only some)."""
    instance = getattr(approval, _CURRENT)
    proposal: Record = {}
    for field_name, column in taxonomy.writable.items():
        if column in approval.proposed:
            proposal[field_name] = approval.proposed[column]
        elif instance is not None:
            proposal[field_name] = plain(getattr(instance, column))
        else:
            proposal[field_name] = _unproposed(taxonomy, column)
    return {"id": record["id"], **proposal, **record}


def _unproposed(taxonomy: Model, column: str) -> Any:
    """What a new record gets for a field its proposal leaves out: the column's own default
    (a regulatory authority's ``is_active``), else null for a key and blank for text."""
    default = taxonomy.entity.table.c[column].default
    if default is not None and not default.is_callable:
        return default.arg
    return None if column.endswith("_id") else ""
