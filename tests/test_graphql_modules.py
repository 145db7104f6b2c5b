"""BrainSTEM's module models in GraphQL, generated from their declarations: lists, lookups
and relations both ways (a subject's procedures and a procedure's subject), and create /
update / delete mutations checked by the same rules as BrainSTEM writes, ``details`` against
the schema of their type."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import Gateway
from tests.rest.brainstem.modules import IMPLANT, arrange_modules
from tests.rest.brainstem.support import Caller, Lab, arrange


@pytest.fixture
async def lab(sessionmaker: async_sessionmaker[AsyncSession]) -> Lab:
    lab = await arrange(sessionmaker)
    await arrange_modules(sessionmaker, lab)
    return lab


async def graphql(gateway: Gateway, lab: Lab, who: str | None, query: str, **variables: Any) -> Any:
    response = await gateway.client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=lab.headers(who)
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def test_relations_read_both_ways(gateway: Gateway, lab: Lab) -> None:
    data = await graphql(
        gateway, lab, "alice",
        """query ($id: ID!) { subject(id: $id) {
             procedures(limit: 5) { type subject { nickname } }
             subjectlogs(limit: 5) { type details user { id } }
           }
           sessions(where: {name: {eq: "secret_run"}}, limit: 5) {
             behaviors(limit: 5) { notes subjects(limit: 5) { nickname } }
             dataacquisition(limit: 5) { type procedures(limit: 5) { type } }
             manipulations(limit: 5) { details session { name } }
           } }""",
        id=lab.ids["M002"],
    )  # fmt: skip
    subject = data["subject"]
    assert subject["procedures"] == [
        {"type": "SiliconProbeImplant", "subject": {"nickname": "M002"}}
    ]
    assert subject["subjectlogs"][0]["details"] == {"weight": {"value": 24.5, "unit": "g"}}
    (session,) = data["sessions"]
    assert session["behaviors"] == [
        {"notes": "secret_project licks", "subjects": [{"nickname": "M002"}]}
    ]
    assert session["dataacquisition"] == [
        {"type": "ExtracellularEphys", "procedures": [{"type": "SiliconProbeImplant"}]}
    ]
    assert session["manipulations"][0]["session"] == {"name": "secret_run"}


CREATE = """mutation ($input: ProcedureInput!) { createProcedure(input: $input) {
  __typename ... on Procedure { id type typeSchemaVersion coordinatesDetails subject { nickname } }
  ... on ValidationError { message field }
  ... on PermissionDeniedError { message }
} }"""


async def test_mutations_write_by_the_declared_rules(gateway: Gateway, lab: Lab) -> None:
    values = {
        "subjectId": lab.ids["M002"],
        "type": IMPLANT["type"],
        "details": IMPLANT["details"],
        "coordinatesSystem": IMPLANT["coordinates_system"],
        "coordinatesDetails": IMPLANT["coordinates_details"],
    }
    created = (await graphql(gateway, lab, "eve", CREATE, input=values))["createProcedure"]
    assert created["__typename"] == "Procedure", created
    assert created["subject"] == {"nickname": "M002"} and created["typeSchemaVersion"] == "1.0.0"
    refused = (await graphql(gateway, lab, "vic", CREATE, input=values))["createProcedure"]
    assert refused["__typename"] == "PermissionDeniedError"
    broken = {**values, "details": {"probeId": 64}}
    invalid = (await graphql(gateway, lab, "eve", CREATE, input=broken))["createProcedure"]
    assert invalid["__typename"] == "ValidationError" and invalid["field"] == "details"
    assert "details.probeId" in invalid["message"]
    changed = await graphql(
        gateway, lab, "eve",
        """mutation ($id: ID!) { updateProcedure(id: $id, input: {notes: "redone"}) {
             ... on Procedure { notes } } }""",
        id=created["id"],
    )  # fmt: skip
    assert changed["updateProcedure"] == {"notes": "redone"}
    record = await Caller(gateway, lab).ok(
        "GET", f"/api/private/modules/procedure/{created['id']}/", "eve"
    )
    assert record["procedure"]["notes"] == "redone"
    deleted = await graphql(
        gateway, lab, "eve",
        "mutation ($id: ID!) { deleteProcedure(id: $id) { __typename } }",
        id=created["id"],
    )  # fmt: skip
    assert deleted["deleteProcedure"]["__typename"] == "Done"
    gone = await graphql(gateway, lab, "eve", "query ($id: ID!) { procedure(id: $id) { id } }",
                         id=created["id"])  # fmt: skip
    assert gone["procedure"] is None
