"""A bounded, reproducible fuzz run of every document the gateway publishes: the REST document
(``/api/openapi.json``), the one ONE reads (``/api/schema``) and the GraphQL schema, each
against the app it describes, in process, on SQLite with the demo data, signed in as an
administrator (so that writes reach the domain instead of stopping at a 401). When the suite
has PostgreSQL, a shorter run goes to the same app on it (the generated cases alone, without
the coverage phase's edge values): what SQLite takes and PostgreSQL refuses (such as text
holding U+0000, once a 500 there) shows up only on it.

No answer may be a 5xx; each must have a status its operation documents, the documented media
type, and a body that conforms to what is documented for that status (GraphQL: every error has
a code, none an internal one, and no non-null field is null). Schemathesis generates the cases,
positive and negative, the coverage phase's edge values first, from a fixed seed and
derandomized: a run is the same run every time. ``MAX_EXAMPLES`` and the coverage phase's
edge values bound it: about 15,000 cases on SQLite, two to five minutes on two busy cores;
on PostgreSQL about 9,400 more, two to three minutes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from graphql import get_introspection_query
from hypothesis import strategies
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.graphql import nodes
from schemathesis.python import asgi
from starlette.applications import Starlette

from gateway.app import create_app
from gateway.db.models._base import utcnow
from gateway.rest import openapi as rest_openapi
from gateway.rest.alyx import openapi as alyx_openapi
from gateway.settings import Settings
from gateway.storage import Storage
from schema import build_schema
from tests.auth.support import make_user, personal_token
from tests.conftest import POSTGRES_URL, postgres_copy, settings_on_a_copy, unlimited_settings
from tests.factories import demo_database

SEED = 20261202
MAX_EXAMPLES = 10  # per operation and phase


def _config(*, every_phase: bool) -> schemathesis.Config:
    """Every phase but the stateful one; or, ``every_phase`` False, the generated cases alone."""
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                "examples": {"enabled": every_phase},
                # A method a path does not take is the router's 405 (test_error_formats.py):
                # the budget goes to the documented operations instead.
                "coverage": {"enabled": every_phase, "unexpected-methods": []},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
        }
    )


REST_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Schemathesis reads any GraphQL error with a path and a code it does not know (NOT_FOUND,
# FORBIDDEN, ...) as the server's failure: the codes are judged here instead.
GRAPHQL_CHECKS = [response_schema_conformance]
INTERNAL_CODES = {"INTERNAL", "INTERNAL_SERVER_ERROR"}

# --- the app ------------------------------------------------------------------------------------


@dataclass
class Target:
    app: Starlette
    token: str  # an administrator's personal token
    # The same administrator's other token, for the logouts: a logout revokes the token it is
    # sent with, and every case after it would be anonymous.
    logout_token: str
    cases: int = 0

    def call(self, case: schemathesis.Case, url: str, scheme: str) -> schemathesis.Response:
        logout = "logout" in case.operation.label
        headers = {"Authorization": f"{scheme} {self.logout_token if logout else self.token}"}
        self.cases += 1
        return case.call(url, headers=headers, app=self.app)


async def _seed(url: str, storage: Storage) -> tuple[str, str]:
    async with demo_database(url, storage) as sessionmaker:
        admin = await make_user(
            sessionmaker, "fuzz@lab.org", username="fuzz", is_admin=True, is_reviewer=True
        )
        return (
            await personal_token(sessionmaker, admin, now=utcnow()),
            await personal_token(sessionmaker, admin, now=utcnow()),
        )


def _target(settings: Settings) -> Iterator[Target]:
    tokens = asyncio.run(_seed(settings.database_url, Storage.from_settings(settings)))
    target = Target(create_app(settings), *tokens)
    yield target
    asgi.shutdown_lifespans()  # Schemathesis started the app's lifespan with its first case
    print(f"\nfuzzed {target.cases} cases")


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Target]:
    yield from _target(settings_on_a_copy(sqlite_template, tmp_path_factory.mktemp("fuzz")))


@pytest.fixture(scope="module")
def postgres_target(
    tmp_path_factory: pytest.TempPathFactory, postgres_template: str
) -> Iterator[Target]:
    with postgres_copy(postgres_template) as url:
        yield from _target(unlimited_settings(url, tmp_path_factory.mktemp("fuzz")))


# --- the documents ------------------------------------------------------------------------------

# A file is never a literal: whatever is sent inline for one is refused (as BAD_USER_INPUT).
schemathesis.graphql.scalar("Upload", strategies.text(max_size=8).map(nodes.String))
DEFAULTS = Settings()
# Loaded at collection, since pytest makes a test of each operation; each is what the app
# serves (``test_the_fuzzed_documents_are_the_ones_served``).
DOCUMENTS = {
    "rest": rest_openapi.document(DEFAULTS.max_page_size),
    "alyx": alyx_openapi.document(),
    "graphql": build_schema(DEFAULTS).introspect(),
}
EVERY_PHASE = _config(every_phase=True)
REST = schemathesis.openapi.from_dict(DOCUMENTS["rest"], config=EVERY_PHASE)
ALYX = schemathesis.openapi.from_dict(DOCUMENTS["alyx"], config=EVERY_PHASE)
GRAPHQL = schemathesis.graphql.from_dict(DOCUMENTS["graphql"], config=EVERY_PHASE)
BASE = "http://testserver"


def test_the_fuzzed_documents_are_the_ones_served(target: Target) -> None:
    with asgi.get_client(target.app) as client:
        assert client.get("/api/openapi.json").json() == REST.raw_schema
        assert client.get("/api/schema").json() == ALYX.raw_schema
        asked = {"query": get_introspection_query()}
        introspected = client.post("/graphql", json=asked).json()["data"]
    assert introspected == GRAPHQL.raw_schema


def _rest_holds(case: schemathesis.Case, target: Target, scheme: str) -> None:
    response = target.call(case, BASE, scheme)
    case.validate_response(response, checks=REST_CHECKS)


def _graphql_holds(case: schemathesis.Case, target: Target) -> None:
    response = target.call(case, f"{BASE}/graphql", "Bearer")
    assert response.status_code < 500, response.text
    case.validate_response(response, checks=GRAPHQL_CHECKS)
    errors = response.json().get("errors") or ()
    codes = [error.get("extensions", {}).get("code") for error in errors]
    assert all(isinstance(code, str) for code in codes), response.text
    assert not INTERNAL_CODES & set(codes), response.text


@REST.parametrize()
def test_the_rest_document_holds_for_every_case(case: schemathesis.Case, target: Target) -> None:
    _rest_holds(case, target, "Bearer")


@ALYX.parametrize()
def test_the_alyx_document_holds_for_every_case(case: schemathesis.Case, target: Target) -> None:
    _rest_holds(case, target, "Token")


@GRAPHQL.parametrize()
def test_the_graphql_schema_holds_for_every_case(case: schemathesis.Case, target: Target) -> None:
    _graphql_holds(case, target)


if POSTGRES_URL:
    GENERATED = _config(every_phase=False)

    @schemathesis.openapi.from_dict(DOCUMENTS["rest"], config=GENERATED).parametrize()
    def test_the_rest_document_holds_on_postgresql(
        case: schemathesis.Case, postgres_target: Target
    ) -> None:
        _rest_holds(case, postgres_target, "Bearer")

    @schemathesis.openapi.from_dict(DOCUMENTS["alyx"], config=GENERATED).parametrize()
    def test_the_alyx_document_holds_on_postgresql(
        case: schemathesis.Case, postgres_target: Target
    ) -> None:
        _rest_holds(case, postgres_target, "Token")

    @schemathesis.graphql.from_dict(DOCUMENTS["graphql"], config=GENERATED).parametrize()
    def test_the_graphql_schema_holds_on_postgresql(
        case: schemathesis.Case, postgres_target: Target
    ) -> None:
        _graphql_holds(case, postgres_target)
