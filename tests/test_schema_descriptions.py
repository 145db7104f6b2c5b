"""Every type, field, argument, input field and enum value of the GraphQL schema says what it
is: GraphiQL's docs pane (and any client reading introspection) shows it."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
)

from gateway.settings import Settings
from schema import build_schema

# GraphQL's own scalars, described by the specification rather than by us.
BUILT_IN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})


def undescribed(schema: GraphQLSchema) -> list[str]:
    """Every place of ``schema`` without a description, as ``kind Type.field(arg)``."""
    missing = []
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN_SCALARS:
            continue
        if not type_.description:
            missing.append(f"type {name}")
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in type_.fields.items():
                if not field.description:
                    missing.append(f"field {name}.{field_name}")
                missing.extend(
                    f"argument {name}.{field_name}({arg_name})"
                    for arg_name, arg in field.args.items()
                    if not arg.description
                )
        elif isinstance(type_, GraphQLInputObjectType):
            missing.extend(
                f"input field {name}.{field_name}"
                for field_name, field in type_.fields.items()
                if not field.description
            )
        elif isinstance(type_, GraphQLEnumType):
            missing.extend(
                f"enum value {name}.{value_name}"
                for value_name, value in type_.values.items()
                if not value.description
            )
    return missing


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    assert undescribed(build_schema(Settings.from_env())._schema) == []


def test_a_removed_description_is_found() -> None:
    schema = build_schema(Settings.from_env())._schema
    schema.query_type.fields["subjects"].args["limit"].description = None  # type: ignore[union-attr]
    schema.type_map["SubjectSex"].values["M"].description = ""  # type: ignore[attr-defined]
    assert undescribed(schema) == ["argument Query.subjects(limit)", "enum value SubjectSex.M"]
