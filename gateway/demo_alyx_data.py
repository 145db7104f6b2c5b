"""The demo's Alyx data app: dataset types and data formats ONE's RegistrationClient reads,
the gateway's own storage as a data repository, and the first demo session's spike and trial
files registered there, so ``ONE.load_dataset`` downloads and loads them from
``<base>/data/<lab>/Subjects/...`` (HTTP_DATA_SERVER ``<base>/data``)."""

from __future__ import annotations

import hashlib
import struct
import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.models import (
    DataFormat,
    DataRepository,
    DatasetTag,
    DatasetType,
    FileRecord,
    FileUpload,
    Laboratory,
    Session,
    Subject,
    Tag,
    table,
)
from gateway.db.models.alyx_data import STORAGE_REPOSITORY
from gateway.storage import Storage

DATASET_TYPES = (
    ("spikes.times", "Times of spikes (s), one per spike."),
    ("spikes.clusters", "The cluster of each spike."),
    ("trials.intervals", "Start and end of each trial (s)."),
    ("trials.choice", "The choice of each trial: -1, 0 or 1."),
    ("wheel.position", "Wheel position (rad)."),
)
DATA_FORMATS = (
    ("npy", ".npy", "NumPy array", "readNPY", "numpy.load"),
    ("parquet", ".pqt", "Apache Parquet table", "parquetread", "pandas.read_parquet"),
    ("json", ".json", "JSON document", "jsondecode", "json.load"),
)


def npy(values: list[float] | list[int], dtype: str = "<f8") -> bytes:
    """A one-dimensional .npy file (format 1.0), written without NumPy."""
    header = f"{{'descr': '{dtype}', 'fortran_order': False, 'shape': ({len(values)},), }}"
    padding = 64 - (10 + len(header) + 1) % 64
    header_bytes = (header + " " * padding + "\n").encode("latin1")
    code = {"<f8": "d", "<i8": "q"}[dtype]
    body = struct.pack(f"<{len(values)}{code}", *values)
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header_bytes)) + header_bytes + body


async def _chunks(content: bytes) -> AsyncIterator[bytes]:
    yield content


def _files(rng: Any) -> list[tuple[str, str, str, bytes]]:
    """(collection, name, dataset type, content) of the demo session's registered files."""
    spikes = sorted(round(rng.uniform(0, 300), 4) for _ in range(400))
    trials = [float(t) for start in range(0, 300, 10) for t in (start, start + 6.5)]
    return [
        ("alf/probe00", "spikes.times.npy", "spikes.times", npy(spikes)),
        (
            "alf/probe00",
            "spikes.clusters.npy",
            "spikes.clusters",
            npy([rng.randrange(12) for _ in spikes], "<i8"),
        ),
        ("alf", "_ibl_trials.intervals.npy", "trials.intervals", npy(trials)),
    ]


async def seed_alyx_data(
    session: AsyncSession, *, storage: Storage, uploader_id: int, rng: Any
) -> None:
    session.add_all(
        DatasetType(id=uuid.uuid4(), name=name, description=text) for name, text in DATASET_TYPES
    )
    session.add_all(
        DataFormat(
            id=uuid.uuid4(),
            name=name,
            file_extension=extension,
            description=text,
            matlab_loader_function=matlab,
            python_loader_function=python,
        )
        for name, extension, text, matlab, python in DATA_FORMATS
    )
    repository = DataRepository(id=uuid.uuid4(), name=STORAGE_REPOSITORY, timezone="UTC")
    frozen = Tag(id=uuid.uuid4(), name="demo_release", description="Data of the demo paper.")
    session.add_all([repository, frozen])
    sessions, subjects, labs = table(Session), table(Subject), table(Laboratory)
    first = (
        await session.execute(
            select(
                sessions.c.id,
                sessions.c.number,
                sessions.c.start_time,
                subjects.c.nickname,
                labs.c.name,
            )
            .join(subjects, subjects.c.id == sessions.c.subject_id)
            .join(labs, labs.c.id == sessions.c.lab_id)
            .order_by(sessions.c.start_time, sessions.c.id)
            .limit(1)
        )
    ).one()
    session_path = f"{first.nickname}/{first.start_time:%Y-%m-%d}/{first.number:03d}"
    for collection, name, dataset_type, content in _files(rng):
        staged = await storage.stage(_chunks(content), filename=name)

        async def nothing_to_save() -> None:
            return None

        async def keep_it() -> bool:
            return True

        await storage.keep(staged, nothing_to_save, keep_it)
        dataset = FileUpload(
            name=name,
            sha256=staged.sha256,
            size=staged.size,
            md5=hashlib.md5(content, usedforsecurity=False).hexdigest(),
            dataset_type=dataset_type,
            collection=collection,
            uploader_id=uploader_id,
            session_id=first.id,
        )
        session.add(dataset)
        await session.flush()
        assert dataset.id is not None
        session.add(
            FileRecord(
                dataset_id=dataset.id,
                data_repository_id=repository.id,
                relative_path=f"{session_path}/{collection}/{name}",
                exists=True,
            )
        )
        if collection == "alf":
            session.add(DatasetTag(dataset_id=dataset.id, tag_id=frozen.id))
    await session.flush()
