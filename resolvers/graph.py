"""Assembling the entity graph from its declarations: every entity by name, with the
to-many relations declared from the other side (:attr:`resolvers.relations.ToOne.reverse`)
added to their targets, and each entity written through approval related to its approvals,
so a new entity is one declaration wherever its relations lead."""

from __future__ import annotations

import re
from collections.abc import Iterable

from resolvers.query import Entity, Writes
from resolvers.relations import ToMany, ToOne

# The approvals' column naming the record of a model that has no column of its own there.
APPROVED_RECORD = "record_id"


def with_reverse_relations(entities: Iterable[Entity]) -> dict[str, Entity]:
    """``entities`` by name, each target of a to-one relation with a ``reverse`` given that
    to-many relation. A name declared twice is an error here, at import."""
    found = {entity.name: entity for entity in entities}
    _relate_approvals(found)
    for entity in found.values():
        for relation in list(entity.relations.values()):
            if not isinstance(relation, ToOne) or not relation.reverse:
                continue
            target = found[relation.target]
            if relation.reverse in target.relations:
                raise ValueError(f"{target.name}.{relation.reverse} is declared twice.")
            # Entities are frozen, their relation tables are not: the graph is assembled
            # once, here, before any surface reads it.
            target.relations[relation.reverse] = ToMany(  # type: ignore[index]
                entity.name,
                (relation.fk,),
                description=relation.reverse_description,
                declared_by=entity.name,
            )
    return found


def _relate_approvals(found: dict[str, Entity]) -> None:
    """Each entity written through approval that the approvals do not already name by a
    column of their own (species, strains, categories) is named by ``record_id``: the
    approval's to-one relation to it (``journal``), and its ``approvals`` back."""
    approval = found.get("Approval")
    if approval is None:
        return
    named = {r.target for r in approval.relations.values() if isinstance(r, ToOne)}
    for entity in found.values():
        if entity.writes is not Writes.APPROVAL or entity.name in named:
            continue
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", entity.name).lower()
        what = snake.replace("_", " ")
        approval.relations[snake] = ToOne(  # type: ignore[index]
            entity.name,
            APPROVED_RECORD,
            f"The {what} it changes, while that exists (for an Add: once accepted).",
            reverse="approvals",
            reverse_description="Proposed changes to it, newest first.",
        )
