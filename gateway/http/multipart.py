"""Multipart request bodies read as they arrive: small form fields into memory, files
straight into the storage directory's temporary files, hashed on the way.

Starlette's own form parser would first spool every file into an anonymous temporary file,
which the storage would then read and write once more; here each byte is written once.
Memory stays flat whatever the file size: the storage writer keeps a few buffers of its own
(4 MiB each) and stops taking more until its thread has written one. Served by the gateway's
own protocol (:mod:`gateway.http.protocol`), a file's bytes are read from the socket straight
into those buffers; otherwise the writer copies the network chunks into them.

The part boundaries are found by python-multipart, which looks for them with ``bytes.find``
over each whole network chunk, not byte by byte. Inside a file, though, the bytes before a
delimiter (or the start of one) go straight to the storage writer, the parser skipped: glibc's
``memmem`` finds it, about twice as fast as ``bytes.find`` on binary data (``perf`` on
``bench/uploads.py``'s 1 GiB upload counts 0.09-0.10 s of CPU in ``memmem`` where the parser's
``bytes.find`` took 0.16-0.18 s).

:func:`read_graphql_multipart` reads a request of the GraphQL multipart request spec
(https://github.com/jaydenseric/graphql-multipart-request-spec): ``operations`` (JSON), then
``map`` (JSON: file part name -> the variable paths it fills), then the file parts.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import Scope

from gateway.auth.principal import ANONYMOUS
from gateway.errors import BadRequest, PayloadTooLarge, Unauthenticated
from gateway.http.protocol import EXTENSION as BODY_INTO
from gateway.staging import StagedFile, Writer
from gateway.storage import Storage

# Room in a body, besides its files, for fields, part headers and boundaries.
FORM_OVERHEAD_BYTES = 1 << 20
MAX_FIELD_BYTES = 1 << 20  # all non-file fields together
MAX_FILES = 32
MAX_PART_HEADER_BYTES = 8 * 1024

# A cross-site <form> can POST these content types without a CORS preflight, but it cannot set
# a custom header: such requests to /graphql must carry one of these (any value), so a form on
# another site cannot drive the endpoint (CSRF). JSON requests need no header.
SIMPLE_CONTENT_TYPES = frozenset(
    {"", "multipart/form-data", "application/x-www-form-urlencoded", "text/plain"}
)
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name", "x-neurogate-preflight")

FileCheck = Callable[[str, Mapping[str, str]], None]


def refuse_unwanted_post(scope: Scope) -> None:
    """Before a GraphQL POST's body is read: refuse cross-site simple requests (CSRF), and
    uploads nobody could keep (every upload mutation needs a signed-in user, so an anonymous
    file is refused before a byte of it is stored)."""
    if scope["method"] != "POST":
        return
    headers = Headers(scope=scope)
    content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type in SIMPLE_CONTENT_TYPES and not any(h in headers for h in PREFLIGHT_HEADERS):
        raise BadRequest(
            "This request needs a non-simple Content-Type or one of the headers "
            "Apollo-Require-Preflight, X-Apollo-Operation-Name, X-Neurogate-Preflight "
            "(CSRF protection)."
        )
    principal = scope.get("state", {}).get("principal", ANONYMOUS)
    if content_type == "multipart/form-data" and not principal.is_authenticated:
        raise Unauthenticated("Authentication required to upload files.")


@dataclass
class UploadForm:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, StagedFile] = field(default_factory=dict)


class _Events:
    """The parser's callbacks, recorded in order: they are synchronous, while writing a file
    part is not, so each chunk's events are handled after the parser has seen the chunk."""

    def __init__(self) -> None:
        self.queue: list[tuple[str, Any]] = []
        self.ended = False
        self._headers: dict[str, str] = {}
        self._field = bytearray()
        self._value = bytearray()

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._field.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": lambda: self.queue.append(("headers", self._headers)),
            "on_part_data": self._part_data,
            "on_part_end": lambda: self.queue.append(("end", None)),
            "on_end": self._end,
        }

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        # A view, not a copy: the chunk is immutable bytes, and the storage writer copies it
        # into its own buffer once, when this event is handled.
        piece = memoryview(data)[start:end] if isinstance(data, bytes) else bytes(data[start:end])
        self.queue.append(("data", piece))

    def _part_begin(self) -> None:
        self._headers = {}

    def _header_end(self) -> None:
        name = self._field.decode("latin-1").strip().lower()
        # Latin-1 keeps the raw bytes (clients send UTF-8 file names unescaped), which is
        # what parse_options_header expects; names are decoded as UTF-8 after parsing.
        self._headers[name] = self._value.decode("latin-1").strip()
        self._field.clear()
        self._value.clear()

    def _end(self) -> None:
        self.ended = True


def _part_names(headers: Mapping[str, str]) -> tuple[str, str | None]:
    disposition, params = parse_options_header(headers.get("content-disposition", ""))
    if disposition != b"form-data" or b"name" not in params:
        raise BadRequest("Each multipart part needs a form-data Content-Disposition with a name.")
    name = params[b"name"].decode("utf-8", "replace")
    filename = params.get(b"filename")
    return name, None if filename is None else filename.decode("utf-8", "replace")


class _Reader:
    def __init__(self, storage: Storage, staged: list[StagedFile], check_file: FileCheck):
        self.storage = storage
        self.staged = staged
        self.check_file = check_file
        self.form = UploadForm()
        self.field_bytes = 0
        self.name: str | None = None
        self.value: bytearray | None = None
        self.writer: Writer | None = None

    async def handle(self, kind: str, payload: Any) -> None:
        if kind == "headers":
            self.name, filename = _part_names(payload)
            if self.name in self.form.fields or self.name in self.form.files:
                raise BadRequest(f"The multipart part '{self.name}' appears twice.")
            if filename is None:
                self.value = bytearray()
                return
            self.check_file(self.name, self.form.fields)
            if len(self.form.files) >= MAX_FILES:
                raise BadRequest(f"At most {MAX_FILES} files per request.")
            content_type = payload.get("content-type", "")
            self.writer = self.storage.writer(filename=filename, content_type=content_type)
        elif kind == "data":
            if self.writer is not None:
                await self.writer.write(payload)
            elif self.value is not None:
                self.field_bytes += len(payload)
                if self.field_bytes > MAX_FIELD_BYTES:
                    raise PayloadTooLarge(f"Form fields exceed {MAX_FIELD_BYTES} bytes.")
                self.value += payload
        elif kind == "end":
            assert self.name is not None
            if self.writer is not None:
                writer, self.writer = self.writer, None
                try:
                    staged = await writer.finish()
                except BaseException:
                    writer.abort()
                    raise
                self.staged.append(staged)
                self.form.files[self.name] = staged
            elif self.value is not None:
                self.form.fields[self.name] = self.value.decode("utf-8", "replace")
                self.value = None

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()
            self.writer = None


def _boundary(content_type: str) -> bytes:
    kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise BadRequest("Expected multipart/form-data with a boundary.")
    return boundary


def check_declared_length(request: Request, storage: Storage) -> None:
    """Refuse a body whose declared length is too large before reading any of it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > storage.max_bytes + FORM_OVERHEAD_BYTES:
        raise PayloadTooLarge(f"The upload exceeds the limit of {storage.max_bytes} bytes.")


async def read_multipart(
    request: Request,
    storage: Storage,
    staged: list[StagedFile],
    *,
    check_file: FileCheck = lambda name, fields: None,
) -> UploadForm:
    """The fields and files of a multipart body. Files are appended to ``staged`` as they
    complete, so the caller can discard whatever is left unused when the request ends; a file
    still arriving when reading fails is removed here. ``check_file(name, fields_so_far)``
    may refuse a file part before any of its bytes are stored."""
    check_declared_length(request, storage)
    events = _Events()
    try:
        parser = MultipartParser(
            _boundary(request.headers.get("content-type", "")),
            events.callbacks(),  # type: ignore[arg-type]
            max_header_size=MAX_PART_HEADER_BYTES,
        )
    except ValueError as exc:  # an over-long boundary
        raise BadRequest("Malformed multipart boundary.") from exc
    reader = _Reader(storage, staged, check_file)
    read_into = request.scope.get("extensions", {}).get(BODY_INTO, {}).get("read_into")
    chunks = request.stream()
    limit = storage.max_bytes + FORM_OVERHEAD_BYTES
    received = 0
    try:
        while True:
            writer = reader.writer if _in_part_data(parser) else None
            if writer is not None and read_into is not None:
                # Inside a file: its next bytes straight into the storage writer's buffer.
                with await writer.space() as space:
                    count = await read_into(space)
                    file_bytes = _part_data_end(parser, space[:count])
                    chunk = bytes(space[file_bytes:count])  # a delimiter, or perhaps one
                    writer.commit(file_bytes)  # where they are
                if not count:
                    break  # the body ended inside the file
            else:
                chunk = await anext(chunks, b"")
                count = len(chunk)
                if not count:
                    break
                if writer is not None:  # what the parser would only search and hand over
                    file_bytes = _part_data_end(parser, chunk)
                    if file_bytes:
                        await writer.write(memoryview(chunk)[:file_bytes])
                        chunk = chunk[file_bytes:]
            received += count
            if received > limit:
                raise PayloadTooLarge(f"The upload exceeds the limit of {storage.max_bytes} bytes.")
            if chunk:
                parser.write(chunk)
                for kind, payload in events.queue:
                    await reader.handle(kind, payload)
                events.queue.clear()
        parser.finalize()
    except MultipartParseError as exc:
        raise BadRequest("Malformed multipart body.") from exc
    finally:
        reader.abort()
    if not events.ended:
        raise BadRequest("The multipart body ended before its closing boundary.")
    return reader.form


def _in_part_data(parser: MultipartParser) -> bool:
    """Whether the parser is inside a part's data with no partial delimiter carried over."""
    return parser.state == MultipartState.PART_DATA and parser.index == 0


def _part_data_end(parser: MultipartParser, data: bytes | memoryview) -> int:
    """How many of the first bytes of ``data`` are data of the part being read
    (:func:`_in_part_data`): those before a delimiter, or before the start of one at its end.
    The parser would only search them and hand them to ``on_part_data``, its state unchanged;
    so it need not see them."""
    delimiter = parser.boundary  # CRLF "--" boundary
    found = _find(data, delimiter)
    if found >= 0:
        return found
    # A delimiter has a CR at its start and nowhere else: only one of the last few bytes can
    # start one that the next bytes complete.
    tail = bytes(data[max(0, len(data) - len(delimiter) + 1) :])
    last_cr = tail.rfind(b"\r")
    if last_cr >= 0 and delimiter.startswith(tail[last_cr:]):
        return len(data) - len(tail) + last_cr
    return len(data)


def _find(data: bytes | memoryview, needle: bytes) -> int:
    """Where ``needle`` first is in ``data`` (bytes, or a writable view), or -1."""
    memmem = _memmem()
    if memmem is None:
        return bytes(data).find(needle)
    start: int | None
    if isinstance(data, bytes):
        start = ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value
    elif len(data):
        start = ctypes.addressof(ctypes.c_char.from_buffer(data))
    else:
        return -1
    found = memmem(start, len(data), needle, len(needle))
    return -1 if found is None or start is None else found - start


@functools.cache
def _memmem() -> Callable[[int | None, int, bytes, int], int | None] | None:
    """glibc's ``memmem``, or None where the C library has none. On binary data it skips ahead
    by most of the needle's length at each step (a table of the needle's byte pairs), where
    CPython's ``bytes.find`` with the same needle ends up in its two-way search."""
    try:
        function = ctypes.CDLL(None).memmem
    except (AttributeError, OSError):
        return None
    function.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
    function.restype = ctypes.c_void_p
    return function  # type: ignore[no-any-return]


def _json_field(form: UploadForm, name: str) -> Any:
    raw = form.fields.get(name)
    if raw is None:
        raise BadRequest(f"The multipart request has no '{name}' field.")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"The '{name}' field is not valid JSON.") from exc


def _file_map(fields: Mapping[str, str]) -> dict[str, list[str]]:
    raw = fields.get("map")
    if raw is None:
        raise BadRequest("The 'operations' and 'map' fields must come before the files.")
    try:
        mapping = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest("The 'map' field is not valid JSON.") from exc
    if not isinstance(mapping, dict) or not all(
        isinstance(paths, list) and all(isinstance(p, str) for p in paths)
        for paths in mapping.values()
    ):
        raise BadRequest("The 'map' field must map file names to lists of variable paths.")
    return mapping


def _place(operations: Any, path: str, file: StagedFile) -> None:
    """Put ``file`` where ``path`` (e.g. ``variables.input.file`` or ``0.variables.files.1``)
    points, where the client left a null."""
    *parents, last = path.split(".")
    target = operations
    try:
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = file
        elif isinstance(target, dict) and last in target:
            target[last] = file
        else:
            raise KeyError(last)
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise BadRequest(f"The map path '{path}' does not point into the operations.") from exc


def request_storage(request: Request) -> Storage:
    """The app's storage directory, its uploads sharing the process's buffers."""
    return Storage.from_settings(request.app.state.settings, request.app.state.upload_buffers)


async def read_graphql_multipart(request: Request, staged: list[StagedFile]) -> Any:
    """The operations of a GraphQL multipart request, with every mapped variable holding
    its :class:`StagedFile` (files go to the app's storage directory)."""
    storage = request_storage(request)

    def check_file(name: str, fields: Mapping[str, str]) -> None:
        if name not in _file_map(fields):
            raise BadRequest(f"The file part '{name}' is not in the 'map' field.")

    form = await read_multipart(request, storage, staged, check_file=check_file)
    operations = _json_field(form, "operations")
    for name, paths in _file_map(form.fields).items():
        file = form.files.get(name)
        if file is None:
            raise BadRequest(f"The file '{name}' named in 'map' was not sent.")
        for path in paths:
            _place(operations, path, file)
    return operations
