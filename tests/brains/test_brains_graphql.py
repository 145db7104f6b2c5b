"""Brains over GraphQL: upload (multipart), update, verify, delete, with their permissions and
validation, and what each does to the stored files."""

from __future__ import annotations

import hashlib

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.settings import Settings
from tests.auth.support import bearer
from tests.brains.support import (
    BRAIN_BY_ID,
    DELETE_BRAIN,
    SCIENTIFIC_NAME,
    UPDATE_BRAIN,
    UPLOAD_FILE,
    VERIFY_BRAIN,
    count_rows,
    mouse,
    mutate,
    people,
    post_multipart,
    stored_files,
    temporaries,
    upload_brain,
    upload_file,
)
from tests.conftest import Gateway


async def _brain_seen_by(gateway: Gateway, token: str | None, brain_id: int) -> object:
    response = await gateway.client.post(
        "/graphql",
        json={"query": BRAIN_BY_ID, "variables": {"id": brain_id}},
        headers=bearer(token) if token else {},
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["brain"]


async def test_an_uploaded_brain_is_private_and_unverified_until_a_reviewer_verifies_it(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    who = await people(gateway, sessionmaker)
    await mouse(sessionmaker)
    content = b"\x49\x49\x2a\x00 a tiff, more or less" * 100

    brain = await upload_brain(
        gateway,
        who.alice,
        content,
        filename="../../etc/passwd",
        name="Sample Brain",
        description="Nissl stain",
        website="https://brains.example.org/1",
    )

    assert brain["__typename"] == "Brain", brain
    assert brain["readableId"] == "sample-brain"
    assert brain["verified"] is False
    assert brain["uploader"] == {"id": who.alice_id}
    assert brain["species"] == {"scientificName": SCIENTIFIC_NAME}
    assert brain["description"] == "Nissl stain"
    assert brain["file"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert brain["file"]["size"] == str(len(content))  # BigInt: 64-bit safe, as text
    assert brain["file"]["name"] == "passwd"  # the client's name is a label, never a path
    assert brain["file"]["contentType"] == "image/tiff"
    [stored] = stored_files(settings.storage_dir)
    assert stored.name == brain["file"]["sha256"] and stored.read_bytes() == content
    assert temporaries(settings.storage_dir) == []

    assert await _brain_seen_by(gateway, None, brain["id"]) is None
    assert await _brain_seen_by(gateway, who.bob, brain["id"]) is None
    assert await _brain_seen_by(gateway, who.alice, brain["id"]) is not None
    file_id = brain["file"]["id"]
    assert (await gateway.client.get(f"/files/{file_id}")).status_code == 404
    assert (
        await gateway.client.get(f"/files/{file_id}", headers=bearer(who.bob))
    ).status_code == 404

    verified = await mutate(gateway, who.reviewer, VERIFY_BRAIN, {"id": brain["id"]})

    assert verified["__typename"] == "Brain" and verified["verified"] is True
    assert await _brain_seen_by(gateway, None, brain["id"]) == {
        "id": brain["id"],
        "readableId": "sample-brain",
        "verified": True,
    }
    public = await gateway.client.get(f"/files/{file_id}")
    assert public.status_code == 200 and public.content == content


async def test_species_is_given_by_scientific_name_in_any_case_or_by_id(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    who = await people(gateway, sessionmaker)
    species_id = await mouse(sessionmaker)

    by_name = await upload_brain(gateway, who.alice, species="mus MUSCULUS")
    by_id = await upload_brain(gateway, who.alice, species=species_id)

    assert by_name["species"] == by_id["species"] == {"scientificName": SCIENTIFIC_NAME}


async def test_readable_ids_are_slugs_of_the_name_made_unique(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    who = await people(gateway, sessionmaker)
    await mouse(sessionmaker)

    first = await upload_brain(gateway, who.alice, b"one", name="Mouse Brain #1 (Nissl)")
    second = await upload_brain(gateway, who.bob, b"two", name="Mouse Brain #1 (Nissl)")
    third = await upload_brain(gateway, who.alice, b"three", name="mouse brain 1 nissl")
    symbols = await upload_brain(gateway, who.alice, b"four", name="★ ✓")
    accents = await upload_brain(gateway, who.alice, b"five", name="Cerveau de souris élevée")

    assert first["readableId"] == "mouse-brain-1-nissl"
    assert second["readableId"] == "mouse-brain-1-nissl-2"
    assert third["readableId"] == "mouse-brain-1-nissl-3"
    assert second["name"] == "Mouse Brain #1 (Nissl)"
    assert symbols["readableId"] == "brain"
    assert accents["readableId"] == "cerveau-de-souris-elevee"


async def test_invalid_uploads_are_typed_validation_errors_and_store_nothing(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    who = await people(gateway, sessionmaker)
    await mouse(sessionmaker)
    cases = [
        ({"name": "   "}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"species": "Homo imaginarius"}, "species"),
        ({"species": ""}, "species"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"description": "d" * 10_001}, "description"),
    ]
    for fields, field in cases:
        result = await upload_brain(gateway, who.alice, **fields)
        assert result["__typename"] == "ValidationError", (fields, result)
        assert result["field"] == field, (fields, result)

    empty = await upload_brain(gateway, who.alice, b"")
    assert (empty["__typename"], empty["field"]) == ("ValidationError", "file")

    # A file sent as a plain JSON value instead of a multipart file part.
    not_a_file = await mutate(
        gateway,
        who.alice,
        UPLOAD_FILE,
        {"file": "not really a file"},
    )
    assert (not_a_file["__typename"], not_a_file["field"]) == ("ValidationError", "file")

    anonymous = await mutate(gateway, None, UPLOAD_FILE, {"file": "not a file either"})
    assert anonymous["__typename"] == "AuthenticationError"

    assert await count_rows(sessionmaker) == (0, 0)
    assert stored_files(settings.storage_dir) == []
    assert temporaries(settings.storage_dir) == []


async def test_only_the_uploader_or_an_admin_may_update_a_brain(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    who = await people(gateway, sessionmaker)
    await mouse(sessionmaker)
    brain = await upload_brain(gateway, who.alice, name="Original")
    change = {"id": brain["id"], "input": {"name": "Renamed"}}

    # Hidden from others while unverified: the same answer as a brain that does not exist.
    hidden = await mutate(gateway, who.bob, UPDATE_BRAIN, change)
    missing = await mutate(gateway, who.bob, UPDATE_BRAIN, {**change, "id": 999_999})
    assert hidden == missing == {"__typename": "NotFoundError", "message": "Brain not found."}
    assert (await mutate(gateway, None, UPDATE_BRAIN, change))["__typename"] == (
        "AuthenticationError"
    )

    await mutate(gateway, who.reviewer, VERIFY_BRAIN, {"id": brain["id"]})
    # Visible once verified, but still not theirs: not even a reviewer's.
    for token in (who.bob, who.reviewer):
        refused = await mutate(gateway, token, UPDATE_BRAIN, change)
        assert refused["__typename"] == "PermissionDeniedError", refused

    own = await mutate(
        gateway,
        who.alice,
        UPDATE_BRAIN,
        {"id": brain["id"], "input": {"name": "Renamed", "description": "now described"}},
    )
    assert own["__typename"] == "Brain"
    assert (own["name"], own["description"]) == ("Renamed", "now described")
    assert own["readableId"] == brain["readableId"]  # a readable id, once given, stays
    assert own["verified"] is True

    by_admin = await mutate(
        gateway, who.admin, UPDATE_BRAIN, {"id": brain["id"], "input": {"isReference": True}}
    )
    assert by_admin["__typename"] == "Brain"
    assert (by_admin["isReference"], by_admin["name"]) == (True, "Renamed")

    invalid = await mutate(
        gateway, who.alice, UPDATE_BRAIN, {"id": brain["id"], "input": {"name": ""}}
    )
    assert (invalid["__typename"], invalid["field"]) == ("ValidationError", "name")
    unknown_species = await mutate(
        gateway, who.alice, UPDATE_BRAIN, {"id": brain["id"], "input": {"species": "Nope"}}
    )
    assert (unknown_species["__typename"], unknown_species["field"]) == (
        "ValidationError",
        "species",
    )


async def test_an_admin_may_update_an_unverified_brain_of_someone_else(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    who = await people(gateway, sessionmaker)
    await mouse(sessionmaker)
    brain = await upload_brain(gateway, who.alice)

    changed = await mutate(
        gateway, who.admin, UPDATE_BRAIN, {"id": brain["id"], "input": {"website": ""}}
    )

    assert changed["__typename"] == "Brain" and changed["verified"] is False


async def test_only_reviewers_and_admins_verify_brains(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    who = await people(gateway, sessionmaker)
    await mouse(sessionmaker)
    brain = await upload_brain(gateway, who.alice)

    own = await mutate(gateway, who.alice, VERIFY_BRAIN, {"id": brain["id"]})
    anonymous = await mutate(gateway, None, VERIFY_BRAIN, {"id": brain["id"]})
    missing = await mutate(gateway, who.reviewer, VERIFY_BRAIN, {"id": 999_999})
    by_admin = await mutate(gateway, who.admin, VERIFY_BRAIN, {"id": brain["id"]})
    withdrawn = await mutate(
        gateway, who.reviewer, VERIFY_BRAIN, {"id": brain["id"], "verified": False}
    )

    assert own["__typename"] == "PermissionDeniedError"
    assert anonymous["__typename"] == "AuthenticationError"
    assert missing["__typename"] == "NotFoundError"
    assert by_admin["verified"] is True
    assert withdrawn["verified"] is False
    assert await _brain_seen_by(gateway, None, brain["id"]) is None


async def test_deleting_a_brain_removes_its_upload_and_stored_file(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    who = await people(gateway, sessionmaker)
    await mouse(sessionmaker)
    brain = await upload_brain(gateway, who.alice, b"only copy")
    await mutate(gateway, who.reviewer, VERIFY_BRAIN, {"id": brain["id"]})

    refused = await mutate(gateway, who.bob, DELETE_BRAIN, {"id": brain["id"]})
    assert refused["__typename"] == "PermissionDeniedError"
    assert await count_rows(sessionmaker) == (1, 1)

    deleted = await mutate(gateway, who.alice, DELETE_BRAIN, {"id": brain["id"]})

    assert deleted == {"__typename": "Done", "ok": True}
    assert await count_rows(sessionmaker) == (0, 0)
    assert stored_files(settings.storage_dir) == []
    assert (await gateway.client.get(f"/files/{brain['file']['id']}")).status_code == 404
    again = await mutate(gateway, who.alice, DELETE_BRAIN, {"id": brain["id"]})
    assert again["__typename"] == "NotFoundError"


async def test_an_admin_may_delete_someone_elses_brain(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    who = await people(gateway, sessionmaker)
    await mouse(sessionmaker)
    brain = await upload_brain(gateway, who.alice)
    hidden = await mutate(gateway, who.bob, DELETE_BRAIN, {"id": brain["id"]})
    assert hidden["__typename"] == "NotFoundError"

    deleted = await mutate(gateway, who.admin, DELETE_BRAIN, {"id": brain["id"]})

    assert deleted["__typename"] == "Done"
    assert await count_rows(sessionmaker) == (0, 0)
    assert stored_files(settings.storage_dir) == []


async def test_identical_content_is_stored_once_and_kept_while_any_upload_uses_it(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    who = await people(gateway, sessionmaker)
    await mouse(sessionmaker)
    content = b"the same bytes, twice" * 1000

    brain = await upload_brain(gateway, who.alice, content)
    other = await upload_file(gateway, who.bob, content, filename="copy.bin")

    assert other["__typename"] == "FileUpload"
    assert other["sha256"] == brain["file"]["sha256"]
    assert other["id"] != brain["file"]["id"]
    assert await count_rows(sessionmaker) == (2, 1)
    assert len(stored_files(settings.storage_dir)) == 1
    assert temporaries(settings.storage_dir) == []

    assert (await mutate(gateway, who.alice, DELETE_BRAIN, {"id": brain["id"]}))[
        "__typename"
    ] == "Done"

    assert await count_rows(sessionmaker) == (1, 0)
    [stored] = stored_files(settings.storage_dir)
    assert stored.read_bytes() == content
    kept = await gateway.client.get(f"/files/{other['id']}", headers=bearer(who.bob))
    assert kept.status_code == 200 and kept.content == content


async def test_one_request_may_upload_several_files(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    who = await people(gateway, sessionmaker)
    query = """
    mutation($a: Upload!, $b: Upload!) {
      first: uploadFile(file: $a) { ... on FileUpload { name size } }
      second: uploadFile(file: $b, name: "renamed") { ... on FileUpload { name size } }
    }"""

    response = await post_multipart(
        gateway,
        who.alice,
        query,
        {},
        {"a": ("a.txt", b"a" * 10, "text/plain"), "b": ("b.txt", b"b" * 20, "text/plain")},
    )

    assert response.status_code == 200, response.text
    assert response.json()["data"] == {
        "first": {"name": "a.txt", "size": "10"},
        "second": {"name": "renamed", "size": "20"},
    }
    assert len(stored_files(settings.storage_dir)) == 2
    assert temporaries(settings.storage_dir) == []


async def test_my_file_uploads_lists_only_the_callers_own(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    who = await people(gateway, sessionmaker)
    await mouse(sessionmaker)
    brain = await upload_brain(gateway, who.alice, b"alice's brain")
    await upload_file(gateway, who.alice, b"alice's file", filename="notes.txt")
    await upload_file(gateway, who.bob, b"bob's file", filename="bob.txt")
    # Bob's brain is verified, so everyone may see its upload: still not Alice's upload.
    bobs_brain = await upload_brain(gateway, who.bob, b"bob's brain", filename="bob.tif")
    await mutate(gateway, who.reviewer, VERIFY_BRAIN, {"id": bobs_brain["id"]})
    query = "{ myFileUploads { name uploader { id } } }"

    alices = await mutate(gateway, who.alice, query, {})
    bobs = await mutate(gateway, who.bob, query, {})
    paged = await mutate(gateway, who.alice, "{ myFileUploads(limit: 1, offset: 1) { name } }", {})

    assert sorted(u["name"] for u in alices) == ["notes.txt", "scan.tif"]
    assert {u["uploader"]["id"] for u in alices} == {who.alice_id}
    assert sorted(u["name"] for u in bobs) == ["bob.tif", "bob.txt"]
    assert len(paged) == 1
    assert brain["file"]["name"] == "scan.tif"
    anonymous = await gateway.client.post("/graphql", json={"query": query})
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
