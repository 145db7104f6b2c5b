"""Uploaded content, stored once per sha256 in the storage directory.

Layout under ``NEUROGATE_STORAGE_DIR``::

    tmp/<random>.part    uploads in flight (never a client's file name); those a killed
                         process left are swept at start-up (:meth:`Storage.sweep_abandoned`)
    <sha[:2]>/<sha>      content, written once, named by its sha256
    locks/<sha[:2]>      lock files that order placing content against deleting it

An upload is streamed through a :class:`~gateway.staging.Writer` into a temporary file while
its sha256 is computed, fsynced, and becomes a :class:`~gateway.staging.StagedFile`.
:meth:`Storage.keep` moves it into place (or drops it when identical content is already stored)
and runs the caller's database write while holding the content's lock; :meth:`Storage.release`
deletes content that no record refers to any more, under the same lock. So a delete cannot
remove content that an upload of the same bytes has placed but not yet committed, and a failed
commit leaves no orphan behind.

The locks are ``flock`` locks on files, so they hold across worker processes on one host.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import re
import tempfile
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

from gateway.errors import BadRequest
from gateway.settings import Settings
from gateway.staging import BufferBudget, StagedFile, Writer, open_direct, room_checked

T = TypeVar("T")
log = logging.getLogger("neurogate.storage")

_SHA256 = re.compile(r"[0-9a-f]{64}")
_LOCK_POLL_MAX = 0.05
# An upload in flight writes to its temporary file every few seconds at most; one untouched
# for this long was left by a process that died mid-upload (a kill -9 runs no clean-up).
ABANDONED_AFTER_SECONDS = 24 * 3600
# Clean-ups that must finish even when the request that started them is cancelled; asyncio
# keeps only weak references to tasks.
_cleanups: set[asyncio.Task[bool]] = set()

Referenced = Callable[[], Awaitable[bool]]


@dataclass(frozen=True)
class Storage:
    root: Path
    max_bytes: int
    # Uploads written around the page cache where the file system allows (gateway.staging);
    # False writes them through it, as on a file system without O_DIRECT.
    direct_io: bool = True
    # The process's upload buffers, shared by every upload in flight (None: no limit).
    buffers: BufferBudget | None = None

    @classmethod
    def from_settings(cls, settings: Settings, buffers: BufferBudget | None = None) -> Storage:
        return cls(settings.storage_dir, settings.max_upload_bytes, buffers=buffers)

    def content_path(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a sha256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def open(self, sha256: str) -> BinaryIO:
        """The stored content for reading (an open file survives a concurrent delete)."""
        return self.content_path(sha256).open("rb")

    def writer(self, *, filename: str = "", content_type: str = "") -> Writer:
        tmp = self.root / "tmp"
        with room_checked():
            tmp.mkdir(parents=True, exist_ok=True)
            fd, path = tempfile.mkstemp(dir=tmp, suffix=".part")
        return Writer(
            fd,
            Path(path),
            max_bytes=self.max_bytes,
            filename=filename,
            content_type=content_type,
            direct=self.direct_io and open_direct(fd),
            budget=self.buffers,
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
        with room_checked():
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


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
