"""Parse a file in a child process while this one writes to the database.

Parsing a 3-million-row connections file costs about as much CPU as inserting it; with the two
on separate cores an import takes the time of the slower one instead of their sum. The child is
``python -m gateway.connectome.parsing_process LAYOUT PATH BLOCK_BYTES [START STOP]``: it writes
each block to its stdout as a length-prefixed pickle; or, given the numbers ``START`` to
``STOP``, the file's numbered lines for the database's own CSV parser
(:meth:`~gateway.connectome.files.Reader.numbered_lines`), as they are. A thread here drains the
pipe into a bounded queue, so the child can run ahead by ``ahead`` blocks (the parent loads
another file meanwhile) and memory stays bounded whatever the file size. Every child runs at the
parent's priority: the connections' child feeds the ``COPY``, the import's critical path, and at
a lower one (``nice 5``) the other work of a shared machine starves it while the server waits
(ten alternating 3-million-row imports at load average 1 to 4: median 22.3 s instead of 25.0 s).
(A plain subprocess rather than ``multiprocessing``: spawning through ``multiprocessing``
re-imports the caller's main module, and forking would copy the parent's database connections
and event loop.)
"""

from __future__ import annotations

import contextlib
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from gateway.connectome.files import (
    CELL_STATS,
    CONNECTIONS,
    NEURONS,
    Block,
    FormatError,
    NotPlain,
    Reader,
)

LAYOUTS = {layout.name: layout for layout in (NEURONS, CONNECTIONS, CELL_STATS)}
_FRAME = struct.Struct("<BQ")  # kind, payload size
_COUNTERS = struct.Struct("<QQ")  # bytes read, rows read: before the lines of a _LINES frame
_BLOCK, _LINES, _DONE, _FORMAT_ERROR, _NOT_PLAIN, _FAILED, _DIED = range(7)
AHEAD_BLOCKS = 64  # about 1.3 million rows, some 60 MB unpickled


def _send(out: IO[bytes], kind: int, payload: Any) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_FRAME.pack(kind, len(data)))
    out.write(data)


def _produce(reader: Reader, numbers: range | None, out: IO[bytes]) -> None:
    try:
        if numbers is None:
            for block in reader.blocks():
                _send(out, _BLOCK, (block, reader.bytes_read, reader.rows_read))
        else:
            for lines in reader.numbered_lines(numbers):
                out.write(_FRAME.pack(_LINES, _COUNTERS.size + len(lines)))
                out.write(_COUNTERS.pack(reader.bytes_read, reader.rows_read))
                out.write(lines)
        _send(out, _DONE, None)
    except FormatError as error:
        _send(out, _FORMAT_ERROR, (error.line, error.message))
    except NotPlain as error:
        _send(out, _NOT_PLAIN, str(error))
    except Exception as error:  # reported to the parent, which raises it there
        _send(out, _FAILED, f"{type(error).__name__}: {error}")
    out.flush()


class ChildParser:
    """``reader.blocks()``, parsed by a child process started at once, or given ``numbers``,
    ``reader.numbered_lines(numbers)``; iterate :meth:`blocks` or :meth:`lines` later, and
    always :meth:`close`. ``reader``'s counters follow along."""

    def __init__(
        self, reader: Reader, *, numbers: range | None = None, ahead: int = AHEAD_BLOCKS
    ) -> None:
        self.reader = reader
        command = [
            sys.executable,
            "-m",
            __name__,
            reader.layout.name,
            str(reader.path),
            str(reader.block_bytes),
        ]
        if numbers is not None:
            command += [str(numbers.start), str(numbers.stop)]
        self.child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.frames: queue.Queue[tuple[int, bytes]] = queue.Queue(maxsize=ahead)
        self.drain = threading.Thread(target=self._drain, name=f"drain {reader.path.name}")
        self.drain.start()

    def _drain(self) -> None:
        # Blocking reads release the GIL: this costs the parent next to nothing.
        stream = self.child.stdout
        assert stream is not None
        while True:
            header = stream.read(_FRAME.size)
            if len(header) < _FRAME.size:
                self.frames.put((_DIED, b""))
                return
            kind, size = _FRAME.unpack(header)
            payload = stream.read(size)
            if len(payload) < size:
                self.frames.put((_DIED, b""))
                return
            self.frames.put((kind, payload))
            if kind not in (_BLOCK, _LINES):
                return

    def blocks(self) -> Iterator[Block]:
        reader = self.reader
        for payload in self._payloads():
            block, reader.bytes_read, reader.rows_read = pickle.loads(payload)
            yield block

    def lines(self) -> Iterator[bytes]:
        """Chunks of numbered lines; :class:`NotPlain` when the file's must be parsed here."""
        reader = self.reader
        for payload in self._payloads():
            reader.bytes_read, reader.rows_read = _COUNTERS.unpack_from(payload)
            yield payload[_COUNTERS.size :]

    def _payloads(self) -> Iterator[bytes]:
        reader = self.reader
        while True:
            kind, payload = self.frames.get()
            if kind in (_BLOCK, _LINES):
                yield payload
            elif kind == _DONE:
                return
            elif kind == _FORMAT_ERROR:
                raise FormatError(reader.path, *pickle.loads(payload))
            elif kind == _NOT_PLAIN:
                raise NotPlain(pickle.loads(payload))
            elif kind == _FAILED:
                raise RuntimeError(f"parsing {reader.path.name} failed: {pickle.loads(payload)}")
            else:
                self.child.wait()
                detail = self.child.stderr.read().decode(errors="replace")  # type: ignore[union-attr]
                raise RuntimeError(f"the parser of {reader.path.name} died: {detail}")

    def close(self) -> None:
        if self.child.poll() is None:
            self.child.kill()
        while self.drain.is_alive():  # the thread may wait on a full queue: make room
            with contextlib.suppress(queue.Empty):
                self.frames.get(timeout=0.05)
        self.drain.join()
        self.child.wait()
        for stream in (self.child.stdout, self.child.stderr):
            if stream is not None:
                stream.close()


if __name__ == "__main__":
    layout, path, block_bytes, *numbered = sys.argv[1:]
    numbers = range(*map(int, numbered)) if numbered else None
    _produce(
        Reader(Path(path), LAYOUTS[layout], block_bytes=int(block_bytes)),
        numbers,
        sys.stdout.buffer,
    )
