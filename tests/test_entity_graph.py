"""The entity graph's declarations hold together: every relation names a real entity and
real columns, every entity and field says what it is, and what the declarations call
writable is exactly what the domain's write functions accept."""

from __future__ import annotations

import pytest

from gateway.db.models.taxonomy import ApprovalModel
from gateway.settings import Settings
from resolvers import approvals, experiments
from resolvers import declared as declared_writes
from resolvers.catalog import ENTITIES
from resolvers.query import Writes
from resolvers.relations import ToOne
from schema import build_schema
from schema.mutations import input_fields
from schema.types import ROW_TYPES


def test_every_relation_names_an_entity_and_columns_that_exist() -> None:
    for entity in ENTITIES.values():
        for name, relation in entity.relations.items():
            target = ENTITIES[relation.target]
            if isinstance(relation, ToOne):
                assert relation.fk in entity.table.c, (entity.name, name)
                continue
            assert all(fk in target.table.c for fk in relation.fks), (entity.name, name)
            assert all(key in entity.table.c for key in relation.keys), (entity.name, name)
            for link in relation.links:
                assert {link.near, link.far} <= set(link.table.c.keys()), (entity.name, name)
            assert relation.own is None or relation.own in entity.table.c
            assert relation.fks or relation.links or relation.own, (entity.name, name)


def test_every_entity_field_and_relation_says_what_it_is() -> None:
    for entity in ENTITIES.values():
        assert entity.description, entity.name
        assert entity.attributes, entity.name
        for name, attribute in entity.attributes.items():
            assert attribute.description.strip(), (entity.name, name)
        for name, relation in entity.relations.items():
            assert relation.description.strip(), (entity.name, name)


def test_every_entity_has_a_graphql_type_whose_fields_are_described() -> None:
    assert {t.entity.name for t in ROW_TYPES} == set(ENTITIES)
    schema = build_schema(Settings.from_env())._schema
    for row_type in ROW_TYPES:
        graphql_type = schema.get_type(row_type.__name__)
        assert graphql_type is not None and graphql_type.description, row_type.__name__
        for name, field in graphql_type.fields.items():  # type: ignore[union-attr]
            assert field.description, f"{row_type.__name__}.{name}"


# Entities with write rules of their own; every other one written directly is written from
# its declaration (resolvers.declared), whose rules must then be exactly what it declares.
DIRECT_RULES = {
    "Project": experiments.PROJECT_RULES,
    "Subject": experiments.SUBJECT_RULES,
    "Session": experiments.SESSION_RULES,
}


WRITTEN = sorted(name for name, entity in ENTITIES.items() if entity.writes is not Writes.NONE)


@pytest.mark.parametrize("name", WRITTEN)
def test_what_is_declared_writable_is_what_the_domain_accepts(name: str) -> None:
    entity = ENTITIES[name]
    declared = {field for field, *_ in input_fields(entity)}
    if entity.writes is Writes.DIRECT:
        direct = DIRECT_RULES.get(name) or declared_writes.rules(entity)
        assert declared == set(direct)
        required = {n for n, rule in direct.items() if rule.required}
    else:
        rules = approvals.MODELS[name.lower()].fields
        assert declared == set(rules)
        required = {n for n, rule in rules.items() if rule.required}
    assert {field for field, _, must, _ in input_fields(entity) if must} == required


def test_every_entity_written_through_approval_is_a_model_approvals_record() -> None:
    """An approval stores its model's name, which GraphQL shows as an ``ApprovalModel``
    member: an entity declared ``Writes.APPROVAL`` without one could not be proposed."""
    through_approval = {e.name.lower() for e in ENTITIES.values() if e.writes is Writes.APPROVAL}
    assert through_approval == set(approvals.MODELS) == set(ApprovalModel)
    assert {"journal", "regulatoryauthority", "behavioralcategory", "supplier"} <= through_approval
