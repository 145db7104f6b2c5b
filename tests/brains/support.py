"""Shared helpers of the brain and upload tests: people, a species, GraphQL multipart
requests built per the spec, and what the storage directory holds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import Brain, FileUpload, table
from tests.auth.support import bearer, freeze, make_user, personal_token
from tests.conftest import Gateway
from tests.factories import build

PREFLIGHT = {"Apollo-Require-Preflight": "true"}
SCIENTIFIC_NAME = "Mus musculus"
# What an upload answers when the storage has no room for it (507).
NO_ROOM = "The server has no room to store this upload; try again later."

BRAIN_FIELDS = """
  __typename
  ... on Brain {
    id readableId name description verified isReference website
    species { scientificName } uploader { id } file { id name sha256 size contentType }
  }
  ... on ValidationError { message field }
  ... on AuthenticationError { message }
  ... on PermissionDeniedError { message }
  ... on NotFoundError { message }
  ... on ConflictError { message }
"""
UPLOAD_BRAIN = f"""
mutation($file: Upload!, $input: BrainInput!) {{
  uploadBrain(file: $file, input: $input) {{ {BRAIN_FIELDS} }}
}}"""
UPLOAD_FILE = """
mutation($file: Upload!, $name: String) {
  uploadFile(file: $file, name: $name) {
    __typename
    ... on FileUpload { id name sha256 size contentType uploader { id } }
    ... on ValidationError { message field }
    ... on AuthenticationError { message }
  }
}"""
UPDATE_BRAIN = f"""
mutation($id: Int!, $input: BrainChangeInput!) {{
  updateBrain(id: $id, input: $input) {{ {BRAIN_FIELDS} }}
}}"""
DELETE_BRAIN = """
mutation($id: Int!) {
  deleteBrain(id: $id) {
    __typename
    ... on Done { ok }
    ... on AuthenticationError { message }
    ... on PermissionDeniedError { message }
    ... on NotFoundError { message }
  }
}"""
VERIFY_BRAIN = f"""
mutation($id: Int!, $verified: Boolean! = true) {{
  verifyBrain(id: $id, verified: $verified) {{ {BRAIN_FIELDS} }}
}}"""
BRAIN_BY_ID = "query($id: Int!) { brain(id: $id) { id readableId verified } }"


@dataclass
class People:
    """Tokens of an uploader, someone else, a reviewer and an admin."""

    alice: str
    bob: str
    reviewer: str
    admin: str
    alice_id: int
    bob_id: int


async def people(gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]) -> People:
    freeze(gateway)  # the tokens below are issued at the frozen clock's time
    ids = {
        "alice": await make_user(sessionmaker, "alice@x.org"),
        "bob": await make_user(sessionmaker, "bob@x.org"),
        "reviewer": await make_user(sessionmaker, "rita@x.org", is_reviewer=True),
        "admin": await make_user(sessionmaker, "adam@x.org", is_admin=True),
    }
    tokens = {name: await personal_token(sessionmaker, uid) for name, uid in ids.items()}
    return People(**tokens, alice_id=ids["alice"], bob_id=ids["bob"])


async def mouse(sessionmaker: async_sessionmaker[AsyncSession]) -> str:
    """A species (in a category) named as BrainMaps clients name it; returns its id."""

    async def recipe(world: Any) -> str:
        rodents = await world.category(name="Rodents")
        species = await world.species(
            name="House mouse", scientific_name=SCIENTIFIC_NAME, category_id=rodents.id
        )
        return str(species.id)

    return await build(sessionmaker, recipe)  # type: ignore[no-any-return]


def multipart(
    query: str,
    variables: dict[str, Any],
    files: dict[str, tuple[str, bytes, str]],
) -> dict[str, Any]:
    """An httpx ``files=`` argument for a GraphQL multipart request: ``operations``, ``map``
    (each file fills the variable of its own name), then the files, in that order."""
    operations = {"query": query, "variables": {**variables, **dict.fromkeys(files)}}
    mapping = {str(i): [f"variables.{name}"] for i, name in enumerate(files)}
    parts: dict[str, Any] = {
        "operations": (None, orjson.dumps(operations)),
        "map": (None, orjson.dumps(mapping)),
    }
    for i, (filename, content, content_type) in enumerate(files.values()):
        parts[str(i)] = (filename, content, content_type)
    return parts


async def post_multipart(
    gateway: Gateway,
    token: str | None,
    query: str,
    variables: dict[str, Any],
    files: dict[str, tuple[str, bytes, str]],
    *,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = {**PREFLIGHT, **(bearer(token) if token else {})} if headers is None else headers
    return await gateway.client.post(
        "/graphql", files=multipart(query, variables, files), headers=sent
    )


async def upload_brain(
    gateway: Gateway,
    token: str | None,
    content: bytes = b"brain scan bytes",
    *,
    filename: str = "scan.tif",
    **fields: Any,
) -> dict[str, Any]:
    """The ``uploadBrain`` result (a Brain or a typed error)."""
    brain_input = {"name": "Sample Brain", "species": SCIENTIFIC_NAME, **fields}
    response = await post_multipart(
        gateway,
        token,
        UPLOAD_BRAIN,
        {"input": brain_input},
        {"file": (filename, content, "image/tiff")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["uploadBrain"]  # type: ignore[no-any-return]


async def upload_file(
    gateway: Gateway, token: str, content: bytes, *, filename: str = "data.bin"
) -> dict[str, Any]:
    response = await post_multipart(
        gateway,
        token,
        UPLOAD_FILE,
        {},
        {"file": (filename, content, "application/octet-stream")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["uploadFile"]  # type: ignore[no-any-return]


async def mutate(
    gateway: Gateway, token: str | None, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """The single root field of a JSON GraphQL mutation that must not error."""
    response = await gateway.client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers=bearer(token) if token else {},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return next(iter(body["data"].values()))  # type: ignore[no-any-return]


def stored_files(storage_dir: Path) -> list[Path]:
    """Content files in the store (not temporaries, not locks)."""
    if not storage_dir.exists():
        return []
    return sorted(
        p for p in storage_dir.glob("*/*") if p.is_file() and p.parent.name not in ("tmp", "locks")
    )


def temporaries(storage_dir: Path) -> list[Path]:
    tmp = storage_dir / "tmp"
    return sorted(tmp.iterdir()) if tmp.exists() else []


async def count_rows(sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    """(file uploads, brains) in the database."""
    async with sessionmaker() as session:
        uploads = await session.execute(select(func.count()).select_from(table(FileUpload)))
        brains = await session.execute(select(func.count()).select_from(table(Brain)))
        return uploads.scalar_one(), brains.scalar_one()


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``check()`` holds (a worker thread may still be finishing a write)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.01)
