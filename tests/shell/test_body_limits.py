"""Request bodies are bounded before they are read: over the limit, every surface answers 413
in its own format, at once when the length is declared, as soon as the limit is passed when
it is not; uploads keep their own limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.auth.support import freeze, make_user, personal_token
from tests.brains.support import upload_file
from tests.conftest import Gateway

LIMIT = 2 * 1024**2
TOO_LARGE = f"The request body is larger than the limit of {LIMIT} bytes."

# One JSON-taking route of each surface, and the 413 its clients expect.
SURFACES = [
    ("/graphql", {"errors": [{"message": TOO_LARGE, "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]}),
    ("/api/private/stem/session/", {"detail": TOO_LARGE}),
    ("/sessions", {"detail": TOO_LARGE, "status_code": 413}),
    ("/api/species/", {"error": "Payload too large", "detail": TOO_LARGE}),
    ("/circuit/segment/property/size?project=fruitfly_fafb_flywire", {"detail": TOO_LARGE}),
]
IDS = ["graphql", "brainstem", "alyx", "brainmaps", "braincircuits"]
# Routes that read a body before asking who sends it (a chunked body is refused once read).
READ_ANONYMOUSLY = [
    "/graphql",
    "/api/token/",
    "/auth-token",
    "/api/auth/login/",
    "/circuit/segment/property/size?project=fruitfly_fafb_flywire",
]


def _oversized_json() -> bytes:
    return b'{"query": "' + b" " * (LIMIT + 1) + b'"}'


@pytest.mark.parametrize(("path", "expected"), SURFACES, ids=IDS)
async def test_a_declared_oversized_body_is_refused_in_the_surfaces_format(
    gateway: Gateway, path: str, expected: dict[str, Any]
) -> None:
    gateway.statements.reset()
    response = await gateway.client.post(
        path, content=_oversized_json(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == expected
    assert response.headers["connection"] == "close"
    assert gateway.statements.count == 0


@pytest.mark.one_answer
@pytest.mark.parametrize(
    ("path", "expected"),
    [(path, expected) for path, (_, expected) in zip(READ_ANONYMOUSLY, SURFACES, strict=True)],
    ids=IDS,
)
async def test_a_chunked_body_is_refused_once_it_passes_the_limit_unread_beyond(
    gateway: Gateway, path: str, expected: dict[str, Any]
) -> None:
    chunk = b" " * 64 * 1024
    chunks = 2 * LIMIT // len(chunk)
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"query": "'
        for _ in range(chunks):
            sent += 1
            yield chunk
        yield b'"}'

    response = await gateway.client.post(
        path, content=body(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json() == expected
    assert sent <= LIMIT // len(chunk) + 2  # nothing past the limit was read


async def test_a_body_under_the_limit_is_read(gateway: Gateway) -> None:
    padding = " " * (LIMIT - 100)
    response = await gateway.client.post(
        "/graphql", json={"query": "{ __typename }" + padding}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_uploads_keep_their_own_limit(
    make_gateway: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    gateway = await make_gateway(max_body_bytes=1024)
    freeze(gateway)  # the token below is issued at the frozen clock's time
    user_id = await make_user(sessionmaker, "uploader@x.org")
    token = await personal_token(sessionmaker, user_id)
    uploaded = await upload_file(gateway, token, b"x" * 8192)
    assert uploaded["__typename"] == "FileUpload"


async def test_a_json_body_nested_too_deep_is_a_400_in_the_surfaces_format(
    gateway: Gateway,
) -> None:
    nested = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
    response = await gateway.client.post(
        "/api/auth/login/", content=nested, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "Invalid request parameters",
        "detail": "JSON nested more than 64 levels deep is refused.",
    }


async def test_a_rest_filter_listing_too_many_values_is_a_400(gateway: Gateway) -> None:
    names = ",".join(f"s{i}" for i in range(1001))
    response = await gateway.client.get(f"/api/public/stem/session/?filter{{name.in}}={names}")
    assert response.status_code == 400
    assert response.json() == {"name": ["'in' on name may list at most 1000 values."]}
