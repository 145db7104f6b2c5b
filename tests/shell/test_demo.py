"""The demo data set's brains come with real files: small gzipped NIfTI volumes that
``/files/{id}`` downloads."""

from __future__ import annotations

import gzip
import hashlib
import struct

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import Brain, FileUpload, table
from gateway.demo import seed_demo
from gateway.settings import Settings
from gateway.storage import Storage
from tests.conftest import Gateway


async def test_every_visible_demo_brain_downloads_a_nifti_volume(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with sessionmaker() as session:
        await seed_demo(session, storage=Storage.from_settings(settings))
        await session.commit()
        brains, files = table(Brain), table(FileUpload)
        rows = (
            await session.execute(
                select(files.c.id, files.c.sha256, files.c.size)
                .join(brains, brains.c.file_id == files.c.id)
                .where(brains.c.verified.is_(True))
            )
        ).all()
    assert len(rows) == 2
    for file_id, sha256, size in rows:
        response = await gateway.client.get(f"/files/{file_id}")
        assert response.status_code == 200, response.text
        assert len(response.content) == size
        assert hashlib.sha256(response.content).hexdigest() == sha256
        nifti = gzip.decompress(response.content)
        assert struct.unpack_from("<i", nifti)[0] == 348 and nifti[344:348] == b"n+1\0"
        dims = struct.unpack_from("<4h", nifti, 40)
        assert dims[0] == 3 and len(nifti) == 352 + dims[1] * dims[2] * dims[3]


async def test_the_demo_session_with_registered_files_downloads_them(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """Dataset types, formats, the storage repository and a session whose registered files
    download from their data URLs with the md5 and size their records give."""
    from gateway.db.models import FileRecord
    from gateway.db.models._base import utcnow
    from tests.auth.support import make_user, personal_token

    async with sessionmaker() as session:
        await seed_demo(session, storage=Storage.from_settings(settings))
        await session.commit()
        (session_id,) = (
            await session.execute(
                select(FileUpload.session_id).join(
                    FileRecord, FileRecord.dataset_id == FileUpload.id
                )
            )
        ).first() or (None,)
    assert session_id is not None
    admin = await make_user(sessionmaker, "root@lab.org", is_admin=True)
    headers = {"Authorization": f"Token {await personal_token(sessionmaker, admin, now=utcnow())}"}
    answer = await gateway.client.get("/dataset-types", headers=headers)
    assert answer.status_code == 200, answer.text
    types = answer.json()["results"]
    assert {"spikes.times", "trials.intervals"} <= {t["name"] for t in types}
    formats = (await gateway.client.get("/data-formats", headers=headers)).json()["results"]
    assert ".npy" in {f["file_extension"] for f in formats}
    page = (await gateway.client.get(f"/datasets?session={session_id}", headers=headers)).json()
    registered = page["results"]
    assert sorted(d["name"] for d in registered) == [
        "_ibl_trials.intervals.npy",
        "spikes.clusters.npy",
        "spikes.times.npy",
    ]
    for dataset in registered:
        url = dataset["file_records"][0]["data_url"]
        assert "/data/" in url and dataset["url"][-36:] in url
        response = await gateway.client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        assert hashlib.md5(response.content).hexdigest() == dataset["hash"]
        assert len(response.content) == dataset["file_size"]
        assert response.content.startswith(b"\x93NUMPY")
