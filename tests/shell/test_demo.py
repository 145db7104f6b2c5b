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
