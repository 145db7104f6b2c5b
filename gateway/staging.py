"""One upload on its way to disk: received on the event loop, hashed by one thread and written
by another, fsynced, and then a :class:`StagedFile` in the storage directory's ``tmp/``.

The bytes are written with ``O_DIRECT`` where the file system allows it: the disk reads them
from the writer's own buffers, so they are never copied into the page cache, and there is no
writeback left for the final fsync. Through the page cache, the kernel's copy and writeback of a
1 GiB upload cost more CPU than receiving it over HTTP (see ``bench/uploads.py``). ``O_DIRECT``
needs buffers, offsets and lengths aligned to the disk's blocks: the received pieces (any size,
anywhere in memory) are copied once into page-aligned buffers, while they are still in the
CPU's cache, and only the end of the last buffer is written through the page cache. A file
system that refuses ``O_DIRECT`` gets the same buffers through the page cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import fcntl
import functools
import hashlib
import logging
import mmap
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gateway.errors import InsufficientStorage, PayloadTooLarge

log = logging.getLogger("neurogate.storage")

# One buffer: what is handed to the threads, hashed with one update and written with one write.
# Large enough that the hand-offs cost little next to the work, small enough to stay in the
# CPU's cache. Three of 4 MiB rather than four of 2 MiB: half the thread wake-ups and disk
# requests per GiB: 0.02-0.11 s less CPU per GiB uploaded (median 0.08; five alternating
# pairs of bench/uploads.py's uploads; perf: fewer context switches and disk submissions), for
# 4 MB more peak memory (144.5 MB).
CHUNK_BYTES = 4 << 20
# Buffers per upload: one filling, one hashing, one writing. When all are full and waiting for
# the threads, the receiving side waits (and so stops reading the socket) until one is written:
# memory stays flat, and short stalls on either side (a slow write, a burst from the network)
# don't stop the other. At most: the process's BufferBudget may leave an upload fewer.
BATCHES = 3
# O_DIRECT offsets and lengths are multiples of the logical block size, 4096 at most on Linux;
# buffers from mmap are page-aligned.
_DIRECT_ALIGNMENT = 4096
# Through the page cache: bytes written between two requests to the kernel to start writing
# them to disk.
_WRITEBACK_BYTES = 8 << 20

Piece = bytes | bytearray | memoryview
# Told of every change to a BufferBudget: the bytes its buffers hold, the uploads waiting.
BudgetWatch = Callable[[int, int], None]
# A full disk or quota, or a file past the size the file system (or the process) allows.
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def _no_room(error: OSError) -> InsufficientStorage | None:
    """The client's answer (507) where ``error`` says the storage has no room for an upload,
    logged once for the operator, without a traceback; None for any other error."""
    if error.errno not in _NO_ROOM:
        return None
    log.error("The storage has no room for an upload: %s", error)
    answer = InsufficientStorage("The server has no room to store this upload; try again later.")
    answer.__cause__ = error
    return answer


@contextlib.contextmanager
def room_checked() -> Iterator[None]:
    """Within the block, an error saying the storage has no room is the client's 507
    (:func:`_no_room`)."""
    try:
        yield
    except OSError as exc:
        answer = _no_room(exc)
        if answer is None:
            raise
        raise answer from exc


@dataclass(frozen=True, slots=True)
class StagedFile:
    """Content fully received, hashed and fsynced, waiting in ``tmp/`` to be kept."""

    path: Path
    sha256: str
    size: int
    filename: str  # as the client named it: shown to people, never used as a path
    content_type: str


def open_direct(fd: int) -> bool:
    """Switch ``fd`` to ``O_DIRECT``; False where the platform or file system refuses."""
    direct = getattr(os, "O_DIRECT", 0)
    if not direct:
        return False
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | direct)
    except OSError:
        return False
    return True


@dataclass(slots=True)
class _Batch:
    buffer: mmap.mmap | None  # None: nothing more, only the end of the upload
    length: int
    last: bool


class BufferBudget:
    """How many upload buffers (``CHUNK_BYTES`` each) the process holds at most, all uploads
    together, so that many uploads at once cannot exhaust its memory. An upload waits only
    for its first buffer, in turn; past it, it takes more while nobody waits and the budget
    has them, and otherwise goes on with those it has (slower, never stuck). Used on the
    event loop only."""

    def __init__(self, limit: int, watch: BudgetWatch | None = None):
        self.limit = max(1, limit)
        self.in_use = 0
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._watch = watch

    @classmethod
    def of_bytes(cls, total: int, watch: BudgetWatch | None = None) -> BufferBudget:
        return cls(total // CHUNK_BYTES, watch)

    @property
    def limit_bytes(self) -> int:
        return self.limit * CHUNK_BYTES

    def try_take(self) -> bool:
        """One more buffer for an upload that has one already, if nobody waits for a first."""
        if self.in_use >= self.limit or self._waiting:
            return False
        self.in_use += 1
        self._changed()
        return True

    async def take(self) -> None:
        """An upload's first buffer, once its turn comes."""
        if self.try_take():
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        self._changed()
        try:
            await waiter  # give_back hands the buffer over: it is counted already
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.give_back(1)  # handed over as the request was cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self._waiting.remove(waiter)
                self._changed()
            raise

    def give_back(self, count: int) -> None:
        self.in_use -= count
        while self._waiting and self.in_use < self.limit:
            waiter = self._waiting.popleft()
            if not waiter.done():  # else its request was cancelled
                self.in_use += 1
                waiter.set_result(None)
        self._changed()

    def _changed(self) -> None:
        if self._watch is not None:
            self._watch(self.in_use * CHUNK_BYTES, len(self._waiting))


class Writer:
    """The event loop copies the received pieces into the upload's buffers; each full buffer
    goes to the upload's hashing thread, then to its writing thread, which gives it back. Both
    run beside the event loop and beside each other (hashlib and ``os.write`` release the GIL
    on large buffers), so an upload takes as long as the slowest of receiving, hashing and
    writing rather than their sum, with one hand-off per buffer and none per network chunk.

    Every writer ends in :meth:`finish` or :meth:`abort`."""

    def __init__(
        self,
        fd: int,
        path: Path,
        *,
        max_bytes: int,
        filename: str,
        content_type: str,
        direct: bool,
        budget: BufferBudget | None = None,
    ):
        self.path = path
        self.filename = filename
        self.content_type = content_type
        self._fd = fd
        self._max_bytes = max_bytes
        self._size = 0
        self._filling: mmap.mmap | None = None  # the event loop's
        self._filled = 0
        self._buffers = 0  # made so far, at most BATCHES
        self._budget = budget  # where they come from (None: no limit); None once given back
        self._started = False
        # Shared with the threads, under _lock (held for a few instructions, never during I/O):
        self._lock = threading.Lock()
        self._to_hash: deque[_Batch] = deque()
        self._to_write: deque[_Batch] = deque()
        self._hash_ready = threading.Condition(self._lock)
        self._write_ready = threading.Condition(self._lock)
        self._free: list[mmap.mmap] = []  # written, ready to be filled again
        # The event loop waiting for the threads: for a buffer to come back, or for the end.
        self._waiter: asyncio.Future[None] | None = None
        self._finished: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self._aborted = False
        # The hashing thread's own (read by finish once the writing thread is done):
        self._hash = hashlib.sha256()
        # The writing thread's own:
        self._direct = direct
        self._written = 0
        self._writeback_from = 0

    @property
    def size(self) -> int:
        return self._size

    async def write(self, data: Piece) -> None:
        """Add ``data`` (copied before this returns: the caller may reuse it)."""
        self._grow(len(data))
        view = memoryview(data)
        while view:
            if self._filling is None:
                self._filling = await self._empty_buffer()
            taken = min(len(view), CHUNK_BYTES - self._filled)
            self._filling[self._filled : self._filled + taken] = view[:taken]
            self._filled += taken
            view = view[taken:]
            if self._filled == CHUNK_BYTES:
                self._send(last=False)

    async def space(self) -> memoryview:
        """The free end of the buffer being filled, for the next bytes to be received into
        where they stay (no copy); :meth:`commit` then says how many of them are the file's.
        Release the view before the next call."""
        if self._filling is None:
            self._filling = await self._empty_buffer()
        return memoryview(self._filling)[self._filled :]

    def commit(self, count: int) -> None:
        """The first ``count`` bytes of the last :meth:`space` are the file's next bytes."""
        self._grow(count)
        self._filled += count
        if self._filled == CHUNK_BYTES:
            self._send(last=False)

    def _grow(self, count: int) -> None:
        if self._size + count > self._max_bytes:
            raise PayloadTooLarge(f"The upload exceeds the limit of {self._max_bytes} bytes.")
        self._size += count

    async def finish(self) -> StagedFile:
        """Write what is left, fsync, close: the content is complete on disk."""
        finished = self._send(last=True)
        assert finished is not None
        await finished
        self._give_back_buffers()
        return StagedFile(
            self.path, self._hash.hexdigest(), self._size, self.filename, self.content_type
        )

    def abort(self) -> None:
        """Forget the upload: the temporary file goes at once (a thread still writing goes on
        into a file without a name, and closes it when done)."""
        with self._lock:
            self._aborted = True
            self._to_hash.clear()
            self._to_write.clear()
            self._free.clear()
            self._hash_ready.notify()
            self._write_ready.notify()
        self._filling = None
        self.path.unlink(missing_ok=True)
        if not self._started:  # else the descriptor is the writing thread's to close
            self._close()
        self._give_back_buffers()

    def _give_back_buffers(self) -> None:
        """The upload's buffers, back to the budget (once), as it ends. (A thread of an
        aborted upload may still be writing one for a few milliseconds.)"""
        if self._budget is not None:
            self._budget.give_back(self._buffers)
            self._budget = None

    async def _empty_buffer(self) -> mmap.mmap:
        if self._buffers == 0:  # the first: worth waiting for its turn
            with self._lock:
                self._raise_if_stopped()
            if self._budget is not None:
                await self._budget.take()
            self._buffers = 1  # given back with the others, however the upload ends
            return mmap.mmap(-1, CHUNK_BYTES)
        while True:
            with self._lock:
                self._raise_if_stopped()
                if self._free:
                    return self._free.pop()
                if self._buffers < BATCHES and self._more_allowed():
                    self._buffers += 1
                    return mmap.mmap(-1, CHUNK_BYTES)
                waiter = self._waiter = asyncio.get_running_loop().create_future()
            await waiter

    def _more_allowed(self) -> bool:
        return self._budget is None or self._budget.try_take()

    def _send(self, *, last: bool) -> asyncio.Future[None] | None:
        """Queue the buffer being filled; when ``last``, the future the writing thread settles
        once the file is complete."""
        batch = _Batch(self._filling, self._filled, last)
        self._filling, self._filled = None, 0
        finished = None
        with self._lock:
            self._raise_if_stopped()
            self._to_hash.append(batch)
            if last:
                finished = self._finished = asyncio.get_running_loop().create_future()
            self._hash_ready.notify()
        if not self._started:
            # The writing thread first: once it runs, it owns the descriptor (and closes it
            # however the upload ends).
            threads = ((self._write_all, "upload-writer"), (self._hash_all, "upload-hash"))
            for target, name in threads:
                threading.Thread(target=target, name=name, daemon=True).start()
                self._started = True
        return finished

    def _raise_if_stopped(self) -> None:
        if self._error is not None:
            raise self._error
        if self._aborted:
            raise RuntimeError("the upload was aborted")

    def _next(self, queue: deque[_Batch], ready: threading.Condition) -> _Batch | None:
        """The next batch for a thread, or None once the upload was aborted or failed."""
        with self._lock:
            while not queue and not self._aborted and self._error is None:
                ready.wait()
            if self._aborted or self._error is not None:
                return None
            return queue.popleft()

    def _hash_all(self) -> None:
        try:
            while (batch := self._next(self._to_hash, self._hash_ready)) is not None:
                if batch.buffer is not None:
                    with memoryview(batch.buffer) as view:
                        self._hash.update(view[: batch.length])
                with self._lock:
                    self._to_write.append(batch)
                    self._write_ready.notify()
                if batch.last:
                    return
        except BaseException as exc:
            self._fail(exc)

    def _write_all(self) -> None:
        try:
            while (batch := self._next(self._to_write, self._write_ready)) is not None:
                if batch.buffer is not None:
                    with memoryview(batch.buffer) as view:
                        self._write(view[: batch.length])
                if batch.last:
                    os.fsync(self._fd)
                with self._lock:
                    if batch.buffer is not None and not self._aborted:
                        self._free.append(batch.buffer)
                    waiters = [self._waiter, self._finished if batch.last else None]
                    self._waiter = None
                    if batch.last:
                        self._finished = None
                for future in waiters:
                    if future is not None:
                        _settle(future, None)
                if batch.last:
                    return
        except OSError as exc:  # a failed write or fsync: the upload fails with it
            self._fail(_no_room(exc) or exc)
        except BaseException as exc:
            self._fail(exc)
        finally:
            with self._lock:
                self._to_write.clear()
                self._free.clear()
                failed = self._error is not None
            self._close()
            if failed:
                self.path.unlink(missing_ok=True)

    def _fail(self, error: BaseException) -> None:
        """Stop both threads and fail the event loop's waits with ``error``."""
        with self._lock:
            if self._error is None:
                self._error = error
            waiters = [self._waiter, self._finished]
            self._waiter = self._finished = None
            self._hash_ready.notify()
            self._write_ready.notify()
        for future in waiters:
            if future is not None:
                _settle(future, error)

    def _write(self, data: memoryview) -> None:
        done = 0
        while done < len(data):
            left = len(data) - done
            if self._direct and (left < _DIRECT_ALIGNMENT or self._written % _DIRECT_ALIGNMENT):
                self._stop_direct()  # the end of the file, or after a short write
            end = len(data)
            if self._direct:
                end = done + left // _DIRECT_ALIGNMENT * _DIRECT_ALIGNMENT
            try:
                written = os.write(self._fd, data[done:end])
            except OSError as exc:
                if exc.errno != errno.EINVAL or not self._direct:
                    raise
                self._stop_direct()  # a file system that takes the flag but not the writes
                continue
            done += written
            self._written += written
        if not self._direct and self._written - self._writeback_from >= _WRITEBACK_BYTES:
            _start_writeback(self._fd, self._writeback_from, self._written - self._writeback_from)
            self._writeback_from = self._written

    def _stop_direct(self) -> None:
        fcntl.fcntl(self._fd, fcntl.F_SETFL, fcntl.fcntl(self._fd, fcntl.F_GETFL) & ~os.O_DIRECT)
        self._direct = False

    def _close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)


def _settle(waiter: asyncio.Future[None], error: BaseException | None) -> None:
    """Wake the event loop waiting on ``waiter`` (called from the writing thread)."""

    def settle() -> None:
        if waiter.done():  # its request was cancelled
            return
        if error is None:
            waiter.set_result(None)
        else:
            waiter.set_exception(error)

    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
        waiter.get_loop().call_soon_threadsafe(settle)


def _start_writeback(fd: int, offset: int, length: int) -> None:
    """Have the kernel start writing this range of the file to disk now, not when the fsync
    at the end asks for all of it at once: the disk then works while the rest of the upload
    arrives, and the fsync finds little left to do. Durability still rests on that fsync
    alone: this only starts the writes, and does nothing where ``sync_file_range`` (Linux) is
    missing."""
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
