"""The content-addressed store on its own: staging, placing once, locking against deletes,
and removing temporaries on every failure."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.errors import PayloadTooLarge
from gateway.storage import CHUNK_BYTES, Referenced, Storage
from tests.brains.support import eventually, stored_files, temporaries


async def _chunks(*pieces: bytes) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


def _never_referenced() -> Referenced:
    async def referenced() -> bool:
        return False

    return referenced


async def test_staging_hashes_and_writes_every_byte_in_order(tmp_path: Path) -> None:
    storage = Storage(tmp_path, max_bytes=10 * CHUNK_BYTES)
    pieces = [bytes([i]) * (CHUNK_BYTES // 3 + i) for i in range(7)]  # crosses buffer edges
    content = b"".join(pieces)

    staged = await storage.stage(_chunks(*pieces), filename="f", content_type="t/x")

    assert staged.sha256 == hashlib.sha256(content).hexdigest()
    assert staged.size == len(content)
    assert staged.path.parent == tmp_path / "tmp"
    assert staged.path.read_bytes() == content


async def test_identical_content_is_placed_once(tmp_path: Path) -> None:
    storage = Storage(tmp_path, max_bytes=CHUNK_BYTES)
    saved = []

    async def save() -> None:
        saved.append("row")

    for _ in range(2):
        staged = await storage.stage(_chunks(b"same"))
        await storage.keep(staged, save, _never_referenced())

    assert len(saved) == 2
    [stored] = stored_files(tmp_path)
    assert stored == storage.content_path(hashlib.sha256(b"same").hexdigest())
    assert temporaries(tmp_path) == []


async def test_a_release_waits_for_an_upload_of_the_same_content_to_commit(
    tmp_path: Path,
) -> None:
    storage = Storage(tmp_path, max_bytes=CHUNK_BYTES)
    staged = await storage.stage(_chunks(b"contended"))
    rows: set[str] = set()
    may_commit = asyncio.Event()

    async def save() -> None:
        await may_commit.wait()
        rows.add(staged.sha256)

    async def referenced() -> bool:
        return staged.sha256 in rows

    keeping = asyncio.create_task(storage.keep(staged, save, referenced))
    await eventually(lambda: storage.content_path(staged.sha256).exists())
    releasing = asyncio.create_task(storage.release(staged.sha256, referenced))
    await asyncio.sleep(0.1)
    assert not releasing.done()  # it waits for the upload's lock

    may_commit.set()
    await keeping

    assert await releasing is False  # it then sees the new row and keeps the content
    assert storage.content_path(staged.sha256).read_bytes() == b"contended"


async def test_a_failed_save_releases_content_nobody_references(tmp_path: Path) -> None:
    storage = Storage(tmp_path, max_bytes=CHUNK_BYTES)
    staged = await storage.stage(_chunks(b"doomed"))

    async def save() -> None:
        raise RuntimeError("the commit failed")

    with pytest.raises(RuntimeError):
        await storage.keep(staged, save, _never_referenced())

    assert stored_files(tmp_path) == []
    assert temporaries(tmp_path) == []


async def test_too_many_bytes_are_refused_before_they_are_written(tmp_path: Path) -> None:
    storage = Storage(tmp_path, max_bytes=10)
    writer = storage.writer()
    await writer.write(b"0123456789")

    with pytest.raises(PayloadTooLarge):
        await writer.write(b"!")

    assert writer.size == 10
    writer.abort()
    assert temporaries(tmp_path) == []


async def test_aborting_while_a_buffer_is_being_written_removes_the_temporary(
    tmp_path: Path,
) -> None:
    storage = Storage(tmp_path, max_bytes=100 * CHUNK_BYTES)
    writer = storage.writer()
    for _ in range(8):
        await writer.write(b"x" * CHUNK_BYTES)  # each full buffer goes to a worker thread

    writer.abort()

    await eventually(lambda: temporaries(tmp_path) == [])
    assert stored_files(tmp_path) == []


async def test_a_stage_cut_off_by_its_source_leaves_no_temporary(tmp_path: Path) -> None:
    storage = Storage(tmp_path, max_bytes=100 * CHUNK_BYTES)

    async def broken() -> AsyncIterator[bytes]:
        yield b"y" * (3 * CHUNK_BYTES)
        raise ConnectionResetError

    with pytest.raises(ConnectionResetError):
        await storage.stage(broken())

    await eventually(lambda: temporaries(tmp_path) == [])


def test_content_paths_accept_only_sha256_digests(tmp_path: Path) -> None:
    storage = Storage(tmp_path, max_bytes=1)
    digest = "ab" + "0" * 62
    assert storage.content_path(digest) == tmp_path / "ab" / digest
    for bad in ("../../etc/passwd", "AB" + "0" * 62, "ab"):
        with pytest.raises(ValueError):
            storage.content_path(bad)
