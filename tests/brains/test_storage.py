"""The content-addressed store on its own: staging, placing once, locking against deletes,
and removing temporaries on every failure."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import itertools
import os
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.errors import InsufficientStorage, PayloadTooLarge
from gateway.settings import Settings
from gateway.staging import BATCHES, CHUNK_BYTES, Writer
from gateway.storage import ABANDONED_AFTER_SECONDS, Referenced, Storage
from tests.brains.support import eventually, stored_files, temporaries
from tests.conftest import start_gateway


async def _chunks(*pieces: bytes) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


def _never_referenced() -> Referenced:
    async def referenced() -> bool:
        return False

    return referenced


# Sizes around the edges of the writer's buffers and of the disk's blocks: a file written with
# O_DIRECT ends with a piece that is not a whole block.
SIZES = [0, 1, 4095, 4096, 4097, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 7]


@pytest.mark.parametrize("direct_io", [True, False], ids=["direct", "page-cache"])
@pytest.mark.parametrize("size", SIZES)
async def test_staging_hashes_and_writes_every_byte_in_order(
    tmp_path: Path, direct_io: bool, size: int
) -> None:
    storage = Storage(tmp_path, max_bytes=10 * CHUNK_BYTES, direct_io=direct_io)
    content = os.urandom(size)
    # Pieces of uneven sizes, some much smaller than a block, some crossing buffer edges.
    cuts = [0, *sorted({min(size, c) for c in (1, 5000, CHUNK_BYTES // 3, 2 * CHUNK_BYTES)}), size]
    pieces = [content[a:b] for a, b in itertools.pairwise(cuts) if b > a]

    staged = await storage.stage(_chunks(*pieces), filename="f", content_type="t/x")

    assert staged.sha256 == hashlib.sha256(content).hexdigest()
    assert staged.size == size
    assert staged.path.parent == tmp_path / "tmp"
    assert staged.path.read_bytes() == content


def _open_flags(path: Path) -> int:
    """The flags this process opened ``path`` with (from /proc, as the kernel sees them)."""
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(FileNotFoundError):
            if fd.readlink() == path:
                fdinfo = Path(f"/proc/self/fdinfo/{fd.name}").read_text()
                return int(fdinfo.split("flags:")[1].split()[0], 8)
    raise LookupError(path)


async def test_uploads_are_written_around_the_page_cache_where_the_file_system_allows(
    tmp_path: Path,
) -> None:
    direct = Storage(tmp_path, max_bytes=CHUNK_BYTES).writer()
    buffered = Storage(tmp_path, max_bytes=CHUNK_BYTES, direct_io=False).writer()
    try:
        assert _open_flags(direct.path) & os.O_DIRECT
        assert not _open_flags(buffered.path) & os.O_DIRECT
    finally:
        direct.abort()
        buffered.abort()


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


def _disk_full_after(monkeypatch: pytest.MonkeyPatch, good_bytes: int) -> None:
    """Writes fail with ENOSPC once ``good_bytes`` have been written."""
    real_write = Writer._write
    written = 0

    def write(self: Writer, data: memoryview) -> None:
        nonlocal written
        if written >= good_bytes:
            raise OSError(errno.ENOSPC, "No space left on device")
        written += len(data)
        real_write(self, data)

    monkeypatch.setattr(Writer, "_write", write)


async def test_a_write_failing_in_the_writer_thread_fails_the_stage_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _disk_full_after(monkeypatch, 2 * CHUNK_BYTES)
    storage = Storage(tmp_path, max_bytes=100 * CHUNK_BYTES)
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(40):
            sent += 1
            yield b"f" * (CHUNK_BYTES // 2)

    with pytest.raises(InsufficientStorage) as failure:
        await storage.stage(chunks())

    assert isinstance(failure.value.__cause__, OSError)
    assert failure.value.__cause__.errno == errno.ENOSPC
    assert sent < 40  # the failure stopped the upload being read, not only its end
    await eventually(lambda: temporaries(tmp_path) == [])
    assert stored_files(tmp_path) == []


async def test_a_failing_fsync_fails_the_stage_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fsync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", fsync)
    storage = Storage(tmp_path, max_bytes=100 * CHUNK_BYTES)

    with pytest.raises(OSError) as failure:
        await storage.stage(_chunks(b"g" * (3 * CHUNK_BYTES)))

    assert failure.value.errno == errno.EIO
    await eventually(lambda: temporaries(tmp_path) == [])


def _lagging_disk(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Writes wait until the returned event is set."""
    real_write = Writer._write
    disk = threading.Event()

    def write(self: Writer, data: memoryview) -> None:
        assert disk.wait(10)
        real_write(self, data)

    monkeypatch.setattr(Writer, "_write", write)
    return disk


async def test_a_lagging_disk_stops_the_upload_being_read_after_a_few_buffers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = _lagging_disk(monkeypatch)
    storage = Storage(tmp_path, max_bytes=100 * CHUNK_BYTES)
    piece = CHUNK_BYTES // 4
    pieces = [bytes([i]) * piece for i in range(8 * BATCHES)]
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for p in pieces:
            sent += 1
            yield p

    staging = asyncio.create_task(storage.stage(chunks()))
    await asyncio.sleep(0.3)
    assert not staging.done()
    # Memory is bounded: the writer holds a few batches of CHUNK_BYTES, not the upload so far.
    assert sent * piece <= (BATCHES + 1) * CHUNK_BYTES + piece

    disk.set()
    staged = await staging
    assert staged.sha256 == hashlib.sha256(b"".join(pieces)).hexdigest()
    assert staged.path.read_bytes() == b"".join(pieces)


class _CountedSha256:
    """sha256 that counts the pieces it was given."""

    def __init__(self) -> None:
        self.inner = hashlib.sha256()
        self.pieces = 0

    def update(self, data: memoryview) -> None:
        self.pieces += 1
        self.inner.update(data)

    def hexdigest(self) -> str:
        return self.inner.hexdigest()


async def test_buffers_are_hashed_while_the_disk_is_still_writing_an_earlier_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = _lagging_disk(monkeypatch)
    writer = Storage(tmp_path, max_bytes=100 * CHUNK_BYTES).writer()
    counted = _CountedSha256()
    writer._hash = counted  # type: ignore[assignment]  # what hashes, observed
    pieces = [bytes([i]) * CHUNK_BYTES for i in range(BATCHES)]
    for piece in pieces:
        await writer.write(piece)

    # The first buffer's write waits for the disk; every buffer is hashed meanwhile.
    await eventually(lambda: counted.pieces == BATCHES)
    assert not disk.is_set()

    disk.set()
    staged = await writer.finish()
    assert staged.sha256 == hashlib.sha256(b"".join(pieces)).hexdigest()
    assert staged.path.read_bytes() == b"".join(pieces)


async def test_cancelling_an_upload_that_waits_for_the_disk_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = _lagging_disk(monkeypatch)
    storage = Storage(tmp_path, max_bytes=100 * CHUNK_BYTES)

    async def chunks() -> AsyncIterator[bytes]:
        while True:
            yield b"h" * CHUNK_BYTES

    staging = asyncio.create_task(storage.stage(chunks()))
    await eventually(lambda: temporaries(tmp_path) != [])
    await asyncio.sleep(0.1)
    staging.cancel()
    with pytest.raises(asyncio.CancelledError):
        await staging

    assert temporaries(tmp_path) == []  # at once, though a write is still under way
    disk.set()


def test_content_paths_accept_only_sha256_digests(tmp_path: Path) -> None:
    storage = Storage(tmp_path, max_bytes=1)
    digest = "ab" + "0" * 62
    assert storage.content_path(digest) == tmp_path / "ab" / digest
    for bad in ("../../etc/passwd", "AB" + "0" * 62, "ab"):
        with pytest.raises(ValueError):
            storage.content_path(bad)


async def test_temporary_files_of_abandoned_uploads_are_swept_at_start_up(
    settings: Settings,
) -> None:
    """A process killed mid-upload leaves its temporary file; the next start deletes it, but
    not the temporary file of an upload another worker has in flight."""
    storage = Storage.from_settings(settings)
    in_flight = storage.writer()
    await in_flight.write(b"still arriving")
    abandoned = storage.root / "tmp" / "killed.part"
    abandoned.write_bytes(b"half an upload")
    long_ago = time.time() - ABANDONED_AFTER_SECONDS - 60
    os.utime(abandoned, (long_ago, long_ago))
    lifespan, gateway = await start_gateway(settings)
    try:
        assert not abandoned.exists()
        assert in_flight.path.exists()
        staged = await in_flight.finish()
        assert staged.sha256 == hashlib.sha256(b"still arriving").hexdigest()
        storage.discard(staged)
    finally:
        await gateway.client.aclose()
        await lifespan.__aexit__(None, None, None)
