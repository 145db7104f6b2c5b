"""Uploaded content, stored once per sha256 in the storage directory.

Layout under ``NEUROGATE_STORAGE_DIR``::

    tmp/<random>.part    uploads in flight (never a client's file name)
    <sha[:2]>/<sha>      content, written once, named by its sha256
    locks/<sha[:2]>      lock files that order placing content against deleting it

An upload is streamed through a :class:`Writer` into a temporary file while its sha256 is
computed, fsynced, and becomes a :class:`StagedFile`. :meth:`Storage.keep` moves it into place
(or drops it when identical content is already stored) and runs the caller's database write
while holding the content's lock; :meth:`Storage.release` deletes content that no record refers
to any more, under the same lock. So a delete cannot remove content that an upload of the same
bytes has placed but not yet committed, and a failed commit leaves no orphan behind.

The locks are ``flock`` locks on files, so they hold across worker processes on one host.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
import re
import tempfile
import threading
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

from gateway.errors import BadRequest, PayloadTooLarge
from gateway.settings import Settings

T = TypeVar("T")
log = logging.getLogger("neurogate.storage")

# Bytes hashed and written per hand-off to a worker thread: large enough that the hand-off
# costs nothing next to the work, small enough that memory stays flat (two buffers per upload).
CHUNK_BYTES = 1 << 20
# Pieces at least this large are handed to the worker as they are (no copy); smaller ones are
# gathered into one buffer, so a client sending tiny chunks cannot pile up small objects.
_PIECE_BYTES = 64 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_LOCK_POLL_MAX = 0.05
# Clean-ups that must finish even when the request that started them is cancelled; asyncio
# keeps only weak references to tasks.
_cleanups: set[asyncio.Task[bool]] = set()

Referenced = Callable[[], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class StagedFile:
    """Content fully received, hashed and fsynced, waiting in ``tmp/`` to be kept."""

    path: Path
    sha256: str
    size: int
    filename: str  # as the client named it: shown to people, never used as a path
    content_type: str


Piece = bytes | bytearray | memoryview


class Writer:
    """One upload on its way in. Each full buffer is hashed and written by a worker thread
    while the next one fills, so receiving, hashing and writing overlap. A buffer is a list of
    the received pieces themselves, written with one ``writev``: the bytes are not copied on
    their way to the file."""

    def __init__(self, fd: int, path: Path, *, max_bytes: int, filename: str, content_type: str):
        self.path = path
        self.filename = filename
        self.content_type = content_type
        self._fd = fd
        self._max_bytes = max_bytes
        self._hash = hashlib.sha256()
        self._pieces: list[Piece] = []
        self._buffered = 0
        self._size = 0
        self._pending: asyncio.Future[None] | None = None
        # Guards _busy/_aborted only (held for a few instructions, never during I/O): an abort
        # must not close the descriptor under a worker thread that is still writing to it.
        self._state = threading.Lock()
        self._busy = False
        self._aborted = False
        self._closed = False

    @property
    def size(self) -> int:
        return self._size

    async def write(self, data: bytes | memoryview) -> None:
        """Add ``data`` (not modified afterwards: it is kept by reference until written)."""
        if self._size + len(data) > self._max_bytes:
            raise PayloadTooLarge(f"The upload exceeds the limit of {self._max_bytes} bytes.")
        self._size += len(data)
        self._buffered += len(data)
        if len(data) >= _PIECE_BYTES:
            self._pieces.append(data)
        elif self._pieces and isinstance(self._pieces[-1], bytearray):
            self._pieces[-1] += data
        else:
            self._pieces.append(bytearray(data))
        if self._buffered >= CHUNK_BYTES:
            await self._hand_off(self._take_buffer(), sync=False)

    async def finish(self) -> StagedFile:
        """Write what is left, fsync, close: the content is complete on disk."""
        await self._hand_off(self._take_buffer(), sync=True)
        return StagedFile(
            self.path, self._hash.hexdigest(), self._size, self.filename, self.content_type
        )

    def abort(self) -> None:
        """Forget the upload: the temporary file goes, now or when the worker is done."""
        with self._state:
            self._aborted = True
            idle = not self._busy
        if idle:
            self._close(unlink=True)

    def _take_buffer(self) -> list[Piece]:
        pieces, self._pieces, self._buffered = self._pieces, [], 0
        return pieces

    async def _hand_off(self, buffer: list[Piece], *, sync: bool) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            await pending  # the previous buffer first: bytes reach the file in order
        work = asyncio.get_running_loop().run_in_executor(None, self._work, buffer, sync)
        if sync:
            await work
        else:
            self._pending = work

    def _work(self, pieces: list[Piece], sync: bool) -> None:
        with self._state:
            if self._aborted:
                return
            self._busy = True
        try:
            for piece in pieces:
                self._hash.update(piece)
            _write_all(self._fd, pieces)
            if sync:
                os.fsync(self._fd)
                self._close(unlink=False)
        finally:
            with self._state:
                self._busy = False
                aborted = self._aborted
            if aborted:
                self._close(unlink=True)

    def _close(self, *, unlink: bool) -> None:
        if not self._closed:
            self._closed = True
            os.close(self._fd)
        if unlink:
            self.path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Storage:
    root: Path
    max_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Storage:
        return cls(settings.storage_dir, settings.max_upload_bytes)

    def content_path(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a sha256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def open(self, sha256: str) -> BinaryIO:
        """The stored content for reading (an open file survives a concurrent delete)."""
        return self.content_path(sha256).open("rb")

    def writer(self, *, filename: str = "", content_type: str = "") -> Writer:
        tmp = self.root / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        fd, path = tempfile.mkstemp(dir=tmp, suffix=".part")
        return Writer(
            fd,
            Path(path),
            max_bytes=self.max_bytes,
            filename=filename,
            content_type=content_type,
        )

    async def stage(
        self, chunks: AsyncIterable[bytes], *, filename: str = "", content_type: str = ""
    ) -> StagedFile:
        """Receive ``chunks`` into a staged file; nothing is left behind if they fail."""
        writer = self.writer(filename=filename, content_type=content_type)
        try:
            async for chunk in chunks:
                await writer.write(chunk)
            return await writer.finish()
        except BaseException:
            writer.abort()
            raise

    def discard(self, staged: StagedFile) -> None:
        """Drop a staged file that was not kept (a no-op once it was)."""
        staged.path.unlink(missing_ok=True)

    async def keep(
        self, staged: StagedFile, save: Callable[[], Awaitable[T]], referenced: Referenced
    ) -> T:
        """Move ``staged`` into place and run ``save`` (the database write that refers to it)
        under the content's lock. If ``save`` fails, the content is released again: it stays
        only if some other record (``referenced``) still uses it."""
        try:
            async with self._locked(staged.sha256):
                await asyncio.to_thread(self._place, staged)
                return await save()
        except BaseException:
            await self._release_despite_cancellation(staged.sha256, referenced)
            raise

    async def release(self, sha256: str, referenced: Referenced) -> bool:
        """Delete the content unless ``referenced()`` says a record still uses it."""
        async with self._locked(sha256):
            if await referenced():
                return False
            self.content_path(sha256).unlink(missing_ok=True)
            return True

    def _place(self, staged: StagedFile) -> None:
        final = self.content_path(staged.sha256)
        if final.exists():
            self.discard(staged)  # identical content is stored once
            return
        if not staged.path.exists():
            raise BadRequest("The uploaded file is no longer available.", field="file")
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.path, final)
        _fsync_directory(final.parent)  # the rename itself must survive a crash

    async def _release_despite_cancellation(self, sha256: str, referenced: Referenced) -> None:
        task = asyncio.ensure_future(self.release(sha256, referenced))
        _cleanups.add(task)
        task.add_done_callback(_forget)
        with contextlib.suppress(Exception):
            # An unreachable database keeps the file: an orphan is safer than a row whose
            # content is gone. A cancellation leaves the task to finish on its own.
            await asyncio.shield(task)

    @contextlib.asynccontextmanager
    async def _locked(self, sha256: str) -> AsyncIterator[None]:
        # One lock per content directory: contents sharing a directory share a lock, which
        # costs nothing (the lock is held for a rename and a commit) and bounds the lock files
        # at 256.
        locks = self.root / "locks"
        locks.mkdir(parents=True, exist_ok=True)
        fd = os.open(locks / self.content_path(sha256).parent.name, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            delay = 0.001
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    # Polled, not waited for in a thread: a cancelled waiter must not go on
                    # to take the lock after its request is gone.
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, _LOCK_POLL_MAX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock


def _forget(task: asyncio.Task[bool]) -> None:
    _cleanups.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("could not release stored content", exc_info=task.exception())


def _write_all(fd: int, pieces: list[Piece]) -> None:
    while pieces:
        written = os.writev(fd, pieces)
        while pieces and written >= len(pieces[0]):
            written -= len(pieces.pop(0))
        if written:  # a short write: the rest of this piece goes next
            pieces[0] = memoryview(pieces[0])[written:]


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
