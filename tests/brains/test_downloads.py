"""GET /files/{id}: the stored bytes, exactly, to those who may see the upload; ETag, 304,
byte ranges."""

from __future__ import annotations

import hashlib
import os

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.http.files import Unsatisfiable, parse_range
from gateway.settings import Settings
from tests.auth.support import bearer
from tests.brains.support import people, stored_files, temporaries, upload_file
from tests.conftest import Gateway

SIZE = 1000
CONTENT = bytes(range(256)) * 3 + bytes(SIZE - 768)


async def _uploaded(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], content: bytes = CONTENT
) -> tuple[str, int, str]:
    who = await people(gateway, sessionmaker)
    upload = await upload_file(gateway, who.alice, content, filename="données.bin")
    return who.alice, upload["id"], upload["sha256"]


async def test_a_file_larger_than_the_in_memory_spool_round_trips_byte_exactly(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    content = os.urandom(3 * 1024 * 1024 + 12_345)  # three 1 MiB buffers and a remainder
    token, upload_id, sha256 = await _uploaded(gateway, sessionmaker, content)

    response = await gateway.client.get(f"/files/{upload_id}", headers=bearer(token))

    assert response.status_code == 200
    assert sha256 == hashlib.sha256(content).hexdigest()
    assert response.content == content
    assert response.headers["content-length"] == str(len(content))
    assert response.headers["etag"] == f'"{sha256}"'
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"donn_es.bin\"; filename*=UTF-8''donn%C3%A9es.bin"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    [stored] = stored_files(settings.storage_dir)
    assert stored.read_bytes() == content
    assert temporaries(settings.storage_dir) == []


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=990-", 990, 999),
        ("bytes=-10", 990, 999),
        ("bytes=5-5", 5, 5),
        ("bytes=500-5000", 500, 999),
        ("bytes=-5000", 0, 999),
    ],
)
async def test_a_single_byte_range_answers_206_with_that_range(
    gateway: Gateway,
    sessionmaker: async_sessionmaker[AsyncSession],
    header: str,
    first: int,
    last: int,
) -> None:
    token, upload_id, sha256 = await _uploaded(gateway, sessionmaker)

    response = await gateway.client.get(
        f"/files/{upload_id}", headers={**bearer(token), "Range": header}
    )

    assert response.status_code == 206
    assert response.content == CONTENT[first : last + 1]
    assert response.headers["content-range"] == f"bytes {first}-{last}/{SIZE}"
    assert response.headers["content-length"] == str(last - first + 1)
    assert response.headers["etag"] == f'"{sha256}"'


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
async def test_an_unsatisfiable_range_answers_416(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], header: str
) -> None:
    token, upload_id, _ = await _uploaded(gateway, sessionmaker)

    response = await gateway.client.get(
        f"/files/{upload_id}", headers={**bearer(token), "Range": header}
    )

    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{SIZE}"
    assert response.content == b""


async def test_ranges_not_served_singly_get_the_whole_file(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    token, upload_id, sha256 = await _uploaded(gateway, sessionmaker)
    stale = {"Range": "bytes=0-9", "If-Range": '"0000"'}
    current = {"Range": "bytes=0-9", "If-Range": f'"{sha256}"'}

    for headers in (
        {"Range": "bytes=0-1,5-6"},
        {"Range": "items=0-9"},
        {"Range": "bytes=9-2"},
        stale,
    ):
        response = await gateway.client.get(
            f"/files/{upload_id}", headers={**bearer(token), **headers}
        )
        assert response.status_code == 200, headers
        assert response.content == CONTENT

    matching = await gateway.client.get(f"/files/{upload_id}", headers={**bearer(token), **current})
    assert matching.status_code == 206 and matching.content == CONTENT[:10]


async def test_a_matching_if_none_match_answers_304_without_a_body(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    token, upload_id, sha256 = await _uploaded(gateway, sessionmaker)
    url = f"/files/{upload_id}"

    for tag in (f'"{sha256}"', f'W/"{sha256}"', f'"other", "{sha256}"', "*"):
        response = await gateway.client.get(url, headers={**bearer(token), "If-None-Match": tag})
        assert response.status_code == 304, tag
        assert response.content == b""
        assert response.headers["etag"] == f'"{sha256}"'

    changed = await gateway.client.get(url, headers={**bearer(token), "If-None-Match": '"old"'})
    assert changed.status_code == 200 and changed.content == CONTENT


async def test_head_answers_the_headers_of_get_without_the_body(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    token, upload_id, sha256 = await _uploaded(gateway, sessionmaker)

    response = await gateway.client.head(f"/files/{upload_id}", headers=bearer(token))

    assert response.status_code == 200
    assert response.headers["content-length"] == str(SIZE)
    assert response.headers["etag"] == f'"{sha256}"'
    assert response.content == b""


async def test_uploads_others_may_not_see_are_not_found_like_missing_ones(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    who = await people(gateway, sessionmaker)
    upload = await upload_file(gateway, who.alice, b"private notes")
    url = f"/files/{upload['id']}"

    missing = await gateway.client.get("/files/999999", headers=bearer(who.bob))
    for headers in ({}, bearer(who.bob)):
        hidden = await gateway.client.get(url, headers=headers)
        assert hidden.status_code == 404
        assert hidden.json() == missing.json() == {"detail": "FileUpload not found."}
    assert (await gateway.client.get(url, headers=bearer(who.alice))).status_code == 200
    # Admins see everything when they ask for the super view, as on /graphql.
    assert (await gateway.client.get(url, headers=bearer(who.admin))).status_code == 404
    super_view = {**bearer(who.admin), "X-Neurogate-Portal": "super"}
    assert (await gateway.client.get(url, headers=super_view)).status_code == 200
    not_admin = {**bearer(who.bob), "X-Neurogate-Portal": "super"}
    assert (await gateway.client.get(url, headers=not_admin)).status_code == 403


def test_parse_range_follows_rfc_9110() -> None:
    assert parse_range(None, 10) is None
    assert parse_range("bytes=0-0", 10) == (0, 0)
    assert parse_range("bytes = 2 - 4", 10) == (2, 4)
    assert parse_range("bytes=-3", 10) == (7, 9)
    assert parse_range("bytes=-", 10) is None
    assert parse_range("bytes=abc", 10) is None
    for unsatisfiable in ("bytes=10-", "bytes=-0"):
        with pytest.raises(Unsatisfiable):
            parse_range(unsatisfiable, 10)
    with pytest.raises(Unsatisfiable):
        parse_range("bytes=-1", 0)  # nothing in an empty file can be asked for
