"""Assembling the entity graph from its declarations: every entity by name, with the
to-many relations declared from the other side (:attr:`resolvers.relations.ToOne.reverse`)
added to their targets, so a new entity is one declaration wherever its relations lead."""

from __future__ import annotations

from collections.abc import Iterable

from resolvers.query import Entity
from resolvers.relations import ToMany, ToOne


def with_reverse_relations(entities: Iterable[Entity]) -> dict[str, Entity]:
    """``entities`` by name, each target of a to-one relation with a ``reverse`` given that
    to-many relation. A name declared twice is an error here, at import."""
    found = {entity.name: entity for entity in entities}
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
