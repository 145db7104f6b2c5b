"""A file system that cannot take an upload, for real: the gateway runs under a file size limit
(``prlimit --fsize``; Python ignores SIGXFSZ, so the write past it fails with EFBIG, as a full
disk fails with ENOSPC). The upload answers 507 in GraphQL's format, leaves nothing behind, the
operator gets one line, and the gateway goes on serving uploads that fit."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models._base import utcnow
from tests.auth.support import bearer, make_user, personal_token
from tests.brains.support import (
    NO_ROOM,
    PREFLIGHT,
    UPLOAD_FILE,
    eventually,
    multipart,
    temporaries,
)
from tests.scale.replicas import base_environment, serving

MiB = 1024 * 1024
FILE_SIZE_LIMIT = 8 * MiB


def _upload(base: str, token: str, content: bytes) -> httpx.Response:
    files = multipart(UPLOAD_FILE, {}, {"file": ("scan.bin", content, "application/octet-stream")})
    headers = {**PREFLIGHT, **bearer(token)}
    return httpx.post(f"{base}/graphql", files=files, headers=headers, timeout=60)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_file_system_that_cannot_take_the_upload_answers_507_and_the_gateway_goes_on(
    database_url: str, tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    token = await personal_token(
        sessionmaker, await make_user(sessionmaker, "a@x.org"), now=utcnow()
    )
    env = base_environment(NEUROGATE_DATABASE_URL=database_url)
    limit = ["prlimit", f"--fsize={FILE_SIZE_LIMIT}"]
    with serving("limited", tmp_path, env, under=limit) as server:
        storage = tmp_path / "limited-storage"

        refused = _upload(server.base_url, token, os.urandom(2 * FILE_SIZE_LIMIT))

        assert refused.status_code == 507, refused.text
        assert refused.json() == {
            "errors": [{"message": NO_ROOM, "extensions": {"code": "INSUFFICIENT_STORAGE"}}]
        }
        # The same through BrainMaps' REST upload, in seed 000's error format.
        rest = httpx.post(
            f"{server.base_url}/api/file-uploads/",
            files={"file": ("scan.nii.gz", os.urandom(2 * FILE_SIZE_LIMIT), "application/gzip")},
            headers=bearer(token),
            timeout=60,
        )
        assert (rest.status_code, rest.json()) == (
            507,
            {"error": "Insufficient storage", "detail": NO_ROOM},
        )
        await eventually(lambda: temporaries(storage) == [])
        content = os.urandom(FILE_SIZE_LIMIT // 2)
        kept = _upload(server.base_url, token, content)
        assert kept.status_code == 200, kept.text
        upload = kept.json()["data"]["uploadFile"]
        assert upload["sha256"] == hashlib.sha256(content).hexdigest()
        sha = upload["sha256"]
        assert (storage / sha[:2] / sha).read_bytes() == content
        log = server.log()
    assert "The storage has no room for an upload: [Errno 27] File too large" in log
    assert "Traceback" not in log
