"""Uploaded content, stored once per sha256 in the storage directory.

Layout under ``NEUROGATE_STORAGE_DIR``::

    tmp/<random>.part    uploads in flight (never a client's file name); those a killed
                         process left are swept at start-up (:meth:`Storage.sweep_abandoned`)
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
import ctypes
import fcntl
import functools
import hashlib
import logging
import os
import re
import tempfile
import threading
import time
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

from gateway.errors import BadRequest, PayloadTooLarge
from gateway.settings import Settings

T = TypeVar("T")
log = logging.getLogger("neurogate.storage")

# Bytes gathered into one batch before it goes to the writer thread, which hashes it and writes
# it with one writev: large enough that the hand-off costs nothing next to the work.
CHUNK_BYTES = 2 << 20
# Batches of about CHUNK_BYTES received and handed to the writer thread but not yet written:
# past this many the receiving side waits (and so stops reading the socket) until the thread
# has caught up by half. Memory stays flat, and short stalls on either side (a slow write, a
# burst from the network) don't stop the other.
BATCHES = 4
# Pieces at least this large are handed over as they are (no copy); smaller
# ones are gathered into one bytearray, so a client sending tiny chunks cannot pile up objects.
_PIECE_BYTES = 64 * 1024
# Bytes written between two requests to the kernel to start writing them to disk.
_WRITEBACK_BYTES = 8 << 20
_SHA256 = re.compile(r"[0-9a-f]{64}")
_LOCK_POLL_MAX = 0.05
# An upload in flight writes to its temporary file every few seconds at most; one untouched
# for this long was left by a process that died mid-upload (a kill -9 runs no clean-up).
ABANDONED_AFTER_SECONDS = 24 * 3600
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
    """One upload on its way in. The event loop gathers the received pieces into batches and
    queues them for a thread of the upload's own, which hashes and writes them in order: so
    receiving, hashing and writing overlap, with no hop through the event loop per batch. A
    batch is a list of the received pieces themselves, hashed piece by piece and written with
    one ``writev``: the bytes are not copied on their way to the file. (Copying each batch into
    one buffer first, so that the thread takes the GIL back twice per batch rather than once
    per piece, was measured: no faster, and it costs CPU.)

    Every writer ends in :meth:`finish` or :meth:`abort`."""

    def __init__(self, fd: int, path: Path, *, max_bytes: int, filename: str, content_type: str):
        self.path = path
        self.filename = filename
        self.content_type = content_type
        self._fd = fd
        self._max_bytes = max_bytes
        self._hash = hashlib.sha256()
        self._size = 0
        self._batch: list[Piece] = []  # being gathered
        self._batched = 0
        self._thread: threading.Thread | None = None
        # Shared with the thread, under _lock (held for a few instructions, never during I/O):
        self._lock = threading.Lock()
        self._queued = threading.Condition(self._lock)
        self._queue: deque[tuple[list[Piece], bool]] = deque()  # batch, last?
        self._pending = 0  # batches queued or being written
        self._waiter: asyncio.Future[None] | None = None  # the event loop waiting for the thread
        self._waiting_for_last = False  # (else for the queue to shrink)
        self._error: BaseException | None = None
        self._aborted = False
        # The thread's own:
        self._written = 0
        self._writeback_from = 0

    @property
    def size(self) -> int:
        return self._size

    async def write(self, data: Piece) -> None:
        """Add ``data`` (not modified afterwards: it is kept by reference until written)."""
        if self._size + len(data) > self._max_bytes:
            raise PayloadTooLarge(f"The upload exceeds the limit of {self._max_bytes} bytes.")
        self._size += len(data)
        self._batched += len(data)
        if len(data) >= _PIECE_BYTES:
            self._batch.append(data)
        elif self._batch and isinstance(self._batch[-1], bytearray):
            self._batch[-1] += data
        else:
            self._batch.append(bytearray(data))
        if self._batched >= CHUNK_BYTES:
            await self._send(last=False)

    async def finish(self) -> StagedFile:
        """Write what is left, fsync, close: the content is complete on disk."""
        await self._send(last=True)
        return StagedFile(
            self.path, self._hash.hexdigest(), self._size, self.filename, self.content_type
        )

    def abort(self) -> None:
        """Forget the upload: the temporary file goes at once (a thread still writing goes on
        into a file without a name, and closes it when done)."""
        with self._lock:
            self._aborted = True
            self._queue.clear()
            self._queued.notify()
            started = self._thread is not None
        self._batch = []
        self.path.unlink(missing_ok=True)
        if not started:  # else the descriptor is the thread's to close
            self._close()

    async def _send(self, *, last: bool) -> None:
        batch, self._batch, self._batched = self._batch, [], 0
        with self._lock:
            if self._error is not None:
                raise self._error
            if self._aborted:
                raise RuntimeError("the upload was aborted")
            self._queue.append((batch, last))
            self._pending += 1
            waiter = None
            if last or self._pending > BATCHES:
                waiter = self._waiter = asyncio.get_running_loop().create_future()
                self._waiting_for_last = last
            self._queued.notify()
        if self._thread is None:
            thread = threading.Thread(target=self._run, name="upload-writer", daemon=True)
            thread.start()
            self._thread = thread  # (not before: a thread that never started closes nothing)
        if waiter is not None:
            await waiter

    def _run(self) -> None:
        failed = False
        try:
            while True:
                with self._lock:
                    while not self._queue and not self._aborted:
                        self._queued.wait()
                    if self._aborted:
                        return
                    batch, last = self._queue.popleft()
                self._write(batch)
                del batch  # the pieces' memory goes back now
                if last:
                    os.fsync(self._fd)
                with self._lock:
                    self._pending -= 1
                    waiter = None
                    if self._waiter is not None and (
                        last
                        if self._waiting_for_last
                        else self._pending <= BATCHES // 2
                    ):
                        waiter, self._waiter = self._waiter, None
                if waiter is not None:
                    _settle(waiter, None)
                if last:
                    return
        except BaseException as exc:  # a failed write or fsync: the upload fails with it
            failed = True
            with self._lock:
                self._error = exc
                waiter, self._waiter = self._waiter, None
            if waiter is not None:
                _settle(waiter, exc)
        finally:
            with self._lock:
                self._queue.clear()
            self._close()
            if failed:
                self.path.unlink(missing_ok=True)

    def _write(self, pieces: list[Piece]) -> None:
        for piece in pieces:
            self._hash.update(piece)
        self._written += _write_all(self._fd, pieces)
        if self._written - self._writeback_from >= _WRITEBACK_BYTES:
            _start_writeback(self._fd, self._writeback_from, self._written - self._writeback_from)
            self._writeback_from = self._written

    def _close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)


def _settle(waiter: asyncio.Future[None], error: BaseException | None) -> None:
    """Wake the event loop waiting on ``waiter`` (called from the writer thread)."""

    def settle() -> None:
        if waiter.done():  # its request was cancelled
            return
        if error is None:
            waiter.set_result(None)
        else:
            waiter.set_exception(error)

    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
        waiter.get_loop().call_soon_threadsafe(settle)


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

    def sweep_abandoned(self, *, now: float | None = None) -> int:
        """Delete the temporary files of uploads abandoned by a process that died, those
        untouched for ``ABANDONED_AFTER_SECONDS``; uploads other workers have in flight stay.
        The number deleted."""
        cutoff = (time.time() if now is None else now) - ABANDONED_AFTER_SECONDS
        swept = 0
        for path in (self.root / "tmp").glob("*.part"):
            with contextlib.suppress(FileNotFoundError):  # kept or aborted meanwhile
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    swept += 1
        return swept

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


def _write_all(fd: int, pieces: list[Piece]) -> int:
    total = 0
    while pieces:
        written = os.writev(fd, pieces)
        total += written
        while pieces and written >= len(pieces[0]):
            written -= len(pieces.pop(0))
        if written:  # a short write: the rest of this piece goes next
            pieces[0] = memoryview(pieces[0])[written:]
    return total


def _start_writeback(fd: int, offset: int, length: int) -> None:
    """Have the kernel start writing this range of the file to disk now, not when the fsync
    at the end asks for all of it at once: the disk then works while the rest of the upload
    arrives, and the fsync finds little left to do (for 1 GiB, about 0.6 s less). Durability
    still rests on that fsync alone: this only starts the writes, and does nothing where
    ``sync_file_range`` (Linux) is missing."""
    sync_file_range = _sync_file_range()
    if sync_file_range is not None:
        sync_file_range(fd, offset, length, _SYNC_FILE_RANGE_WRITE)


_SYNC_FILE_RANGE_WRITE = 2  # <fcntl.h>: start writeback of dirty pages, don't wait


@functools.cache
def _sync_file_range() -> Callable[[int, int, int, int], int] | None:
    # Not in the os module. posix_fadvise(POSIX_FADV_DONTNEED) would also start writeback, but
    # on pages still dirty it then has the kernel drain the page lists of every CPU, each call.
    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (AttributeError, OSError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function  # type: ignore[no-any-return]


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
