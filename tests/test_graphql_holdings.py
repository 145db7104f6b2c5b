"""The BrainSTEM models added with equipment, stocks, logs, licenses, protocols and breedings,
in GraphQL from their declarations alone: relations read both ways (a setup's equipment and
an equipment's setup, a procedure's logs and protocol), and mutations checked by the same
rules as the shim's writes (details against the schema of their type, a breeding's parents
in its project, an owner's records written by their owner only)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import Gateway
from tests.rest.brainstem.holdings import CAMERA, arrange_holdings
from tests.rest.brainstem.modules import arrange_modules
from tests.rest.brainstem.support import Lab, arrange
from tests.test_graphql_modules import graphql


@pytest.fixture
async def lab(sessionmaker: async_sessionmaker[AsyncSession]) -> Lab:
    lab = await arrange(sessionmaker)
    await arrange_modules(sessionmaker, lab)
    await arrange_holdings(sessionmaker, lab)
    return lab


async def test_relations_read_both_ways(gateway: Gateway, lab: Lab) -> None:
    data = await graphql(
        gateway, lab, "alice",
        """query ($setup: ID!, $procedure: ID!) {
             setup(id: $setup) { name equipment(limit: 5) { type setup { name }
               hardwaredevice { name installed: equipment(limit: 5) { notes } } } }
             procedure(id: $procedure) { procedurelogs(limit: 5) { type entries
               procedure { notes } } }
             consumables(limit: 5) { name supplier { name } consumablestocks(limit: 5) { notes } }
             breedings(limit: 5) { name mother { nickname } project { name } }
           }""",
        setup=lab.ids["setup@private"], procedure=lab.ids["procedure@secret_project"],
    )  # fmt: skip
    (equipment,) = data["setup"]["equipment"]
    assert equipment["setup"] == {"name": "private rig"} and equipment["type"] == "Camera"
    assert {e["notes"] for e in equipment["hardwaredevice"]["installed"]} == {
        "private",
        "public",
    }
    (log,) = data["procedure"]["procedurelogs"]
    assert log["procedure"] == {"notes": "secret_project implant"}
    assert log["entries"][0]["details"] == {"impedances": [1.2]}
    (consumable,) = data["consumables"]
    assert consumable["supplier"] == {"name": "Cambridge NeuroTech"}
    assert {s["notes"] for s in consumable["consumablestocks"]} == {"private", "public"}
    assert {b["project"]["name"] for b in data["breedings"]} == {"open_project", "secret_project"}
    # What mallory may see of alice's: the public setup's equipment only.
    seen = await graphql(gateway, lab, "mallory", "{ equipment(limit: 10) { notes } }")
    assert seen["equipment"] == [{"notes": "public"}]


EQUIPMENT = """mutation ($input: EquipmentInput!) { createEquipment(input: $input) {
  __typename ... on Equipment { id notes coordinatesSchemaVersion setup { name } }
  ... on ValidationError { message field }
  ... on PermissionDeniedError { message }
} }"""
BREEDING = """mutation ($input: BreedingInput!) { createBreeding(input: $input) {
  __typename ... on Breeding { name litterSize }
  ... on ValidationError { message field }
} }"""


async def test_mutations_write_by_the_declared_rules(gateway: Gateway, lab: Lab) -> None:
    values = {
        "setupId": lab.ids["setup@public"],
        "type": CAMERA["type"],
        "details": CAMERA["details"],
        "coordinatesSystem": CAMERA["coordinates_system"],
        "coordinatesDetails": CAMERA["coordinates_details"],
        "notes": "side camera",
    }
    made = (await graphql(gateway, lab, "alice", EQUIPMENT, input=values))["createEquipment"]
    assert made["__typename"] == "Equipment" and made["setup"] == {"name": "public rig"}
    assert made["coordinatesSchemaVersion"] == "1.1.0"
    refused = (await graphql(gateway, lab, "mallory", EQUIPMENT, input=values))["createEquipment"]
    assert refused["__typename"] == "PermissionDeniedError"
    broken = {**values, "coordinatesDetails": {"x": {"value": 1, "unit": "km"}}}
    invalid = (await graphql(gateway, lab, "alice", EQUIPMENT, input=broken))["createEquipment"]
    assert invalid["__typename"] == "ValidationError"
    assert invalid["field"] == "coordinates_details" and "coordinates_details.x.unit" in invalid[
        "message"
    ]
    pair = {
        "projectId": lab.ids["secret_project"],
        "name": "pair",
        "motherId": lab.ids["M002"],
        "fatherId": lab.ids["M002"],
        "litterSize": 5,
    }
    bred = (await graphql(gateway, lab, "eve", BREEDING, input=pair))["createBreeding"]
    assert bred == {"__typename": "Breeding", "name": "pair", "litterSize": 5}
    stray = {**pair, "fatherId": lab.ids["M001"]}
    refused = (await graphql(gateway, lab, "eve", BREEDING, input=stray))["createBreeding"]
    assert refused["__typename"] == "ValidationError" and refused["field"] == "mother"
    licence = await graphql(
        gateway, lab, "alice",
        """mutation { createLicense(input: {name: "IACUC 7", type: ANIMAL_RESEARCH_AUTHORIZATION,
             status: ACTIVE}) { ... on License { name status user { id } } } }""",
    )  # fmt: skip
    assert licence["createLicense"]["status"] == "ACTIVE"
