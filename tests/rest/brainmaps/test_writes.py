"""BrainMaps' writes (seed 000): multipart brain and file uploads, PATCH and DELETE."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.settings import Settings
from tests.brains.support import count_rows, stored_files, temporaries
from tests.conftest import Gateway
from tests.rest.brainmaps.support import PREFIXES, SEED_401, SEED_403, SEED_404, arrange

Sessionmaker = async_sessionmaker[AsyncSession]
SCAN = b"\x49\x49\x2a\x00 tiff bytes"


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("part", ["file", "image"])
async def test_brain_upload_creates_an_unverified_brain_with_a_download(
    gateway: Gateway, sessionmaker: Sessionmaker, prefix: str, part: str
) -> None:
    atlas = await arrange(sessionmaker)
    response = await gateway.client.post(
        f"{prefix}/brains/",
        data={"name": "Sample Brain", "species": "Mus musculus", "description": "A scan"},
        files={part: ("scan.tif", SCAN, "image/tiff")},
        headers=atlas.headers("bob"),
    )
    assert response.status_code == 201, response.text
    brain = response.json()
    assert (brain["readable_id"], brain["species"]) == ("sample-brain", "Mus musculus")
    assert (brain["verified"], brain["uploader"]) == (False, atlas.users["bob"])
    download = await gateway.client.get(brain["file"], headers=atlas.headers("bob"))
    assert download.content == SCAN


async def test_brain_upload_checks_the_category_it_names(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    atlas = await arrange(sessionmaker)
    fields = {"name": "Scan", "species": "Mus musculus", "category": "Rodents"}
    ok = await gateway.client.post(
        "/api/brains/",
        data=fields,
        files={"image": ("a.tif", SCAN, "image/tiff")},
        headers=atlas.headers("bob"),
    )
    assert ok.status_code == 201, ok.text
    unknown = await gateway.client.post(
        "/api/brains/",
        data={**fields, "category": "Fish"},
        files={"image": ("a.tif", SCAN, "image/tiff")},
        headers=atlas.headers("bob"),
    )
    assert unknown.status_code == 400
    assert unknown.json()["detail"] == "Unknown category 'Fish'."


async def test_anonymous_brain_upload_is_refused_and_stores_nothing(
    gateway: Gateway, sessionmaker: Sessionmaker, settings: Settings
) -> None:
    await arrange(sessionmaker)
    before = await count_rows(sessionmaker)
    response = await gateway.client.post(
        "/api/brains/",
        data={"name": "x", "species": "Mus musculus"},
        files={"file": ("scan.tif", SCAN, "image/tiff")},
    )
    assert (response.status_code, response.json()) == (401, SEED_401)
    assert await count_rows(sessionmaker) == before
    assert stored_files(settings.storage_dir) == []


async def test_brain_upload_with_unknown_species_is_a_400_and_leaves_no_file(
    gateway: Gateway, sessionmaker: Sessionmaker, settings: Settings
) -> None:
    atlas = await arrange(sessionmaker)
    response = await gateway.client.post(
        "/api/brains/",
        data={"name": "x", "species": "Homo fictus"},
        files={"file": ("scan.tif", SCAN, "image/tiff")},
        headers=atlas.headers("bob"),
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "Invalid request parameters",
        "detail": "Unknown species 'Homo fictus'.",
    }
    assert stored_files(settings.storage_dir) == []
    assert temporaries(settings.storage_dir) == []


@pytest.mark.parametrize(
    ("fields", "files"),
    [
        ({"name": "x", "species": "Mus musculus"}, {}),  # no file
        ({"name": "x", "species": "Mus musculus"}, {"scan": ("a", SCAN, "image/tiff")}),
        ({"name": "x", "species": "Mus musculus", "owner": "me"}, {"file": ("a", SCAN, "x/y")}),
    ],
)
async def test_malformed_brain_upload_is_a_400(
    gateway: Gateway,
    sessionmaker: Sessionmaker,
    settings: Settings,
    fields: dict[str, str],
    files: dict[str, tuple[str, bytes, str]],
) -> None:
    atlas = await arrange(sessionmaker)
    response = await gateway.client.post(
        "/api/brains/", data=fields, files=files or None, headers=atlas.headers("bob")
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "Invalid request parameters"
    assert temporaries(settings.storage_dir) == []


async def test_brain_upload_as_json_is_a_400(gateway: Gateway, sessionmaker: Sessionmaker) -> None:
    atlas = await arrange(sessionmaker)
    response = await gateway.client.post(
        "/api/brains/", json={"name": "x"}, headers=atlas.headers("bob")
    )
    assert response.status_code == 400


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_uploader_patches_brain_metadata(
    gateway: Gateway, sessionmaker: Sessionmaker, prefix: str
) -> None:
    atlas = await arrange(sessionmaker)
    brain_id = atlas.brain_ids["mouse-cortex"]
    response = await gateway.client.patch(
        f"{prefix}/brains/{brain_id}/",
        json={"name": "Renamed", "species": "Rattus norvegicus"},
        headers=atlas.headers("alice"),
    )
    assert response.status_code == 200, response.text
    assert (response.json()["name"], response.json()["species"]) == ("Renamed", "Rattus norvegicus")


async def test_patching_someone_elses_brain_is_forbidden(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    atlas = await arrange(sessionmaker)
    url = f"/api/brains/{atlas.brain_ids['mouse-cortex']}/"
    forbidden = await gateway.client.patch(url, json={"name": "x"}, headers=atlas.headers("bob"))
    assert (forbidden.status_code, forbidden.json()) == (403, SEED_403)
    anonymous = await gateway.client.patch(url, json={"name": "x"})
    assert (anonymous.status_code, anonymous.json()) == (401, SEED_401)
    hidden = await gateway.client.patch(
        f"/api/brains/{atlas.brain_ids['octo-draft']}/",
        json={"name": "x"},
        headers=atlas.headers("bob"),
    )
    assert (hidden.status_code, hidden.json()) == (404, SEED_404)


@pytest.mark.parametrize(
    "body",
    [
        b"",  # no body: the body is required, a PATCH changing nothing is not a 200
        b"{not json",
        b"[1, 2]",
        b'{"verified": true}',
        b'{"name": 5}',
        b'{"is_reference": "yes"}',
    ],
)
async def test_bad_patch_body_is_a_400(
    gateway: Gateway, sessionmaker: Sessionmaker, body: bytes
) -> None:
    atlas = await arrange(sessionmaker)
    response = await gateway.client.patch(
        f"/api/brains/{atlas.brain_ids['mouse-cortex']}/",
        content=body,
        headers={**atlas.headers("alice"), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "Invalid request parameters"


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_uploader_deletes_brain(
    gateway: Gateway, sessionmaker: Sessionmaker, prefix: str
) -> None:
    atlas = await arrange(sessionmaker)
    brain_id = atlas.brain_ids["mouse-hippo"]
    forbidden = await gateway.client.delete(
        f"{prefix}/brains/{brain_id}/", headers=atlas.headers("alice")
    )
    assert (forbidden.status_code, forbidden.json()) == (403, SEED_403)
    response = await gateway.client.delete(
        f"{prefix}/brains/{brain_id}/", headers=atlas.headers("bob")
    )
    assert (response.status_code, response.content) == (204, b"")
    gone = await gateway.client.get(f"{prefix}/brains/{brain_id}/")
    assert (gone.status_code, gone.json()) == (404, SEED_404)


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_file_uploads_lists_only_the_callers_uploads(
    gateway: Gateway, sessionmaker: Sessionmaker, prefix: str
) -> None:
    atlas = await arrange(sessionmaker)
    for who, content in (("alice", b"a" * 2048), ("bob", b"b")):
        created = await gateway.client.post(
            f"{prefix}/file-uploads/",
            files={"file": (f"{who}.nii.gz", content, "application/gzip")},
            headers=atlas.headers(who),
        )
        assert created.status_code == 201, created.text
    record = created.json()
    assert (record["name"], record["uploader"], record["status"]) == (
        "bob.nii.gz",
        atlas.users["bob"],
        "uploaded",
    )
    assert record["file"] == f"http://testserver/files/{record['id']}"
    listed = await gateway.client.get(f"{prefix}/file-uploads/", headers=atlas.headers("alice"))
    body = listed.json()
    assert body["count"] == 1
    assert [u["name"] for u in body["results"]] == ["alice.nii.gz"]
    assert body["results"][0]["file_size_mb"] == round(2048 / 1024 / 1024, 3)
    anonymous = await gateway.client.get(f"{prefix}/file-uploads/")
    assert (anonymous.status_code, anonymous.json()) == (401, SEED_401)


async def test_file_upload_pages(gateway: Gateway, sessionmaker: Sessionmaker) -> None:
    atlas = await arrange(sessionmaker)
    for n in range(3):
        await gateway.client.post(
            "/api/file-uploads/",
            files={"file": (f"f{n}.tif", bytes([n]) * 10, "image/tiff")},
            headers=atlas.headers("alice"),
        )
    body = (
        await gateway.client.get("/api/file-uploads/?page_size=2", headers=atlas.headers("alice"))
    ).json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"] == "http://testserver/api/file-uploads/?page_size=2&page=2"
