"""The streaming multipart reader at its edges: boundaries and near-boundaries falling across the
network chunks, part headers over their bound, bodies cut off anywhere, too many files or too
much form data. Each answer is the surface's own 4xx (never a 500), and a refused or cut-off
upload leaves nothing behind."""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import AsyncIterator, Sequence

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.http.multipart import MAX_FIELD_BYTES, MAX_FILES
from gateway.settings import Settings
from tests.auth.support import bearer
from tests.brains.support import PREFLIGHT, UPLOAD_FILE, people, stored_files, temporaries
from tests.conftest import Gateway
from tests.rest.brainmaps.support import arrange

BOUNDARY = b"neurogate-edge-7MA4YWxkTrZu0gW"
DELIMITER = b"\r\n--" + BOUNDARY
OPERATIONS = orjson.dumps({"query": UPLOAD_FILE, "variables": {"file": None}})
MAP = orjson.dumps({"0": ["variables.file"]})
HEADERS = {**PREFLIGHT, "content-type": f"multipart/form-data; boundary={BOUNDARY.decode()}"}


def _part(name: str, content: bytes, *, filename: str | None = None, extra: bytes = b"") -> bytes:
    disposition = f'form-data; name="{name}"' + (
        "" if filename is None else f'; filename="{filename}"'
    )
    return (
        b"--" + BOUNDARY + b"\r\nContent-Disposition: " + disposition.encode() + b"\r\n"
        + extra + b"\r\n" + content + b"\r\n"
    )


def _upload_body(content: bytes, *, extra_file_header: bytes = b"") -> bytes:
    return (
        _part("operations", OPERATIONS)
        + _part("map", MAP)
        + _part("0", content, filename="edge.bin", extra=extra_file_header)
        + b"--" + BOUNDARY + b"--\r\n"
    )


async def _in_chunks(body: bytes, cuts: Sequence[int]) -> AsyncIterator[bytes]:
    for start, end in itertools.pairwise([0, *cuts, len(body)]):
        if end > start:
            yield body[start:end]


# File bytes that look like the start of a delimiter without being one: a client's file may
# hold anything but the whole delimiter.
NEAR_MISSES = (
    os.urandom(3000)
    + DELIMITER[:-1] + b"X"  # all but the last byte of a delimiter
    + os.urandom(500)
    + b"\r\n-" + b"\r\n--" + BOUNDARY[:5]  # a delimiter restarting inside a false start
    + os.urandom(700)
    + DELIMITER[:12]  # the file ends in a prefix of the delimiter that follows it
)


def _spots(body: bytes) -> list[int]:
    """Chunk edges at every byte of each near-miss and of the closing delimiters."""
    spots: set[int] = set()
    for needle in (DELIMITER[:-1] + b"X", b"\r\n-\r\n--", DELIMITER + b"\r\n", DELIMITER + b"--"):
        at = body.find(needle, len(body) - len(NEAR_MISSES) - 200)
        assert at >= 0, needle
        spots.update(range(at - 1, at + len(needle) + 2))
    return sorted(spots)


async def test_delimiters_and_near_misses_split_across_chunks_at_every_byte_are_read_exactly(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    who = await people(gateway, sessionmaker)
    body = _upload_body(NEAR_MISSES)
    expected = {"size": str(len(NEAR_MISSES)), "sha256": hashlib.sha256(NEAR_MISSES).hexdigest()}

    for cut in _spots(body):
        response = await gateway.client.post(
            "/graphql", content=_in_chunks(body, [cut]), headers={**HEADERS, **bearer(who.alice)}
        )
        assert response.status_code == 200, (cut, response.text)
        result = response.json()["data"]["uploadFile"]
        assert {"size": result["size"], "sha256": result["sha256"]} == expected, cut


async def test_a_body_sent_one_byte_per_chunk_is_read_exactly(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    who = await people(gateway, sessionmaker)
    content = NEAR_MISSES[-1500:]
    body = _upload_body(content)

    response = await gateway.client.post(
        "/graphql",
        content=_in_chunks(body, range(1, len(body))),
        headers={**HEADERS, **bearer(who.alice)},
    )

    assert response.status_code == 200, response.text
    assert response.json()["data"]["uploadFile"]["sha256"] == hashlib.sha256(content).hexdigest()


# Each a chunk's end: the chunk may go to the file unparsed only if it holds no delimiter and
# ends in no start of one.
CHUNK_ENDINGS = (
    DELIMITER[:1],
    DELIMITER[:2],
    DELIMITER[:-1],
    DELIMITER + b"X",  # a whole delimiter, but neither CRLF nor "--" after it: file data
    b"\r\n-",
    b"",
)


async def test_a_file_in_many_chunks_ending_in_delimiter_starts_is_read_exactly(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    who = await people(gateway, sessionmaker)
    pieces = [os.urandom(size) + end for size in (1, 100, 5000) for end in CHUNK_ENDINGS] * 3
    pieces += [b"x" * 100, b"y" * 100]  # clean ends: the last chunk starts outside any delimiter
    content = b"".join(pieces)
    body = _upload_body(content)
    start = body.index(content)
    cuts = list(itertools.accumulate((len(piece) for piece in pieces), initial=start))
    expected = {"size": str(len(content)), "sha256": hashlib.sha256(content).hexdigest()}

    # The chunk with the file's last bytes ends anywhere in the closing delimiter, or after it.
    for last in (0, 1, 2, 5, len(DELIMITER) - 1, len(DELIMITER), len(DELIMITER) + 2):
        response = await gateway.client.post(
            "/graphql",
            content=_in_chunks(body, [*cuts[:-1], cuts[-1] + last]),
            headers={**HEADERS, **bearer(who.alice)},
        )
        assert response.status_code == 200, (last, response.text)
        result = response.json()["data"]["uploadFile"]
        assert {"size": result["size"], "sha256": result["sha256"]} == expected, last


async def _refused(
    gateway: Gateway, token: str, body: bytes, cuts: Sequence[int] = ()
) -> tuple[int, dict[str, object]]:
    response = await gateway.client.post(
        "/graphql", content=_in_chunks(body, cuts), headers={**HEADERS, **bearer(token)}
    )
    return response.status_code, response.json()


async def test_a_part_header_over_its_bound_is_a_400_that_stores_nothing(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    who = await people(gateway, sessionmaker)
    padding = b"X-Padding: " + b"p" * (9 * 1024) + b"\r\n"  # past the 8 KiB for one part's headers
    body = _upload_body(os.urandom(10_000), extra_file_header=padding)

    status, answer = await _refused(gateway, who.alice, body, cuts=range(0, len(body), 1000))

    assert status == 400
    assert answer["errors"] == [
        {"message": "Malformed multipart body.", "extensions": {"code": "BAD_USER_INPUT"}}
    ]
    assert temporaries(settings.storage_dir) == []
    assert stored_files(settings.storage_dir) == []


def _cut_points(body: bytes) -> dict[str, int]:
    file_headers = body.index(b'name="0"')
    return {
        "in the first delimiter": 5,
        "in a field's headers": body.index(b'name="map"') + 3,
        "in a field's value": body.index(MAP) + 4,
        "in the file's headers": file_headers + 3,
        "between the file's headers and its bytes": body.index(b"\r\n\r\n", file_headers) + 2,
        "in the file's bytes": len(body) - 2000,
        "in the closing delimiter": len(body) - len(BOUNDARY),
        "before the closing delimiter's last dashes": len(body) - 4,
    }


BODY = _upload_body(os.urandom(300_000))


@pytest.mark.parametrize(("where", "cut"), _cut_points(BODY).items())
async def test_a_body_cut_off_anywhere_is_a_400_that_stores_nothing(
    gateway: Gateway,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    where: str,
    cut: int,
) -> None:
    who = await people(gateway, sessionmaker)

    status, answer = await _refused(gateway, who.alice, BODY[:cut], cuts=[cut // 2])

    assert status == 400, (where, answer)
    assert answer == {
        "errors": [
            {
                "message": "The multipart body ended before its closing boundary.",
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ]
    }
    assert temporaries(settings.storage_dir) == []
    assert stored_files(settings.storage_dir) == []


async def test_more_files_than_allowed_are_a_400_that_stores_nothing(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    who = await people(gateway, sessionmaker)
    names = [str(i) for i in range(MAX_FILES + 1)]
    operations = orjson.dumps(
        {"query": "{ __typename }", "variables": {f"f{n}": None for n in names}}
    )
    file_map = orjson.dumps({n: [f"variables.f{n}"] for n in names})
    body = (
        _part("operations", operations)
        + _part("map", file_map)
        + b"".join(_part(n, os.urandom(100), filename=f"{n}.bin") for n in names)
        + b"--" + BOUNDARY + b"--\r\n"
    )

    status, answer = await _refused(gateway, who.alice, body)

    assert status == 400
    assert answer["errors"] == [
        {
            "message": f"At most {MAX_FILES} files per request.",
            "extensions": {"code": "BAD_USER_INPUT"},
        }
    ]
    assert temporaries(settings.storage_dir) == []
    assert stored_files(settings.storage_dir) == []


async def test_form_fields_over_their_bound_are_a_413(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    who = await people(gateway, sessionmaker)
    body = _part("operations", b" " * (MAX_FIELD_BYTES + 1)) + b"--" + BOUNDARY + b"--\r\n"

    status, answer = await _refused(gateway, who.alice, body, cuts=range(0, len(body), 65536))

    assert status == 413
    assert answer["errors"] == [
        {
            "message": f"Form fields exceed {MAX_FIELD_BYTES} bytes.",
            "extensions": {"code": "PAYLOAD_TOO_LARGE"},
        }
    ]


async def test_a_cut_off_brainmaps_file_upload_is_a_400_in_its_own_format(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    atlas = await arrange(sessionmaker)
    body = _part("file", os.urandom(100_000), filename="scan.nii.gz")  # no closing delimiter

    response = await gateway.client.post(
        "/api/file-uploads/",
        content=_in_chunks(body, [50_000]),
        headers={**atlas.headers("alice"), "content-type": HEADERS["content-type"]},
    )

    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["detail"] == "The multipart body ended before its closing boundary."
    assert answer["error"]  # BrainMaps' {"error", "detail"}, not GraphQL's shape
    assert temporaries(settings.storage_dir) == []
    assert stored_files(settings.storage_dir) == []
