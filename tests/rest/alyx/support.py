"""A small lab for the Alyx shim tests: people with Alyx tokens and project roles, two labs,
public and private projects, subjects and sessions (some linked to a second project, some with
experimenters), and files registered to a session (its datasets), stored for download."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import (
    FileUpload,
    Project,
    ProjectMember,
    SessionProject,
    SessionUser,
    Strain,
    SubjectProject,
)
from gateway.db.models._base import utcnow
from gateway.settings import Settings
from gateway.storage import Storage
from tests.auth.support import make_user, personal_token
from tests.factories import build
from tests.rest import support
from tests.rest.support import Lab

PEOPLE = {
    "alice": {},  # manages open_project and secret_project
    "eve": {},  # editor of secret_project
    "vic": {},  # viewer of secret_project
    "mallory": {},  # manages foreign_project only
    "ada": {"is_admin": True},
}
TRIALS = b"trial intervals, as numbers"


def store(settings: Settings, content: bytes) -> str:
    """Put ``content`` in the storage directory as an upload's stored file; its sha256."""
    sha256 = hashlib.sha256(content).hexdigest()
    path: Path = Storage.from_settings(settings).content_path(sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return sha256


async def arrange(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> Lab:
    users, tokens = {}, {}
    for name, flags in PEOPLE.items():
        users[name] = await make_user(sessionmaker, f"{name}@lab.org", **flags)
        tokens[name] = await personal_token(sessionmaker, users[name], now=utcnow())
    trials_sha = store(settings, TRIALS)

    async def recipe(world: Any) -> dict[str, str]:
        ids: dict[str, Any] = {}
        cortex = await world.lab(name="cortexlab", institution="UCL")
        church = await world.lab(name="churchlandlab", institution="UCLA")
        mouse = await world.species(name="Mouse", scientific_name="Mus musculus")
        c57 = await world.add(Strain(name="C57BL/6J", species_id=mouse.id))
        ids.update(cortexlab=cortex.id, churchlandlab=church.id, mouse=mouse.id, c57=c57.id)
        roles = {
            "open_project": (True, {"alice": "manager"}),
            "secret_project": (False, {"alice": "manager", "eve": "editor", "vic": "viewer"}),
            "foreign_project": (False, {"mallory": "manager"}),
        }
        for name, (public, members) in roles.items():
            project = await world.project(name=name, is_public=public)
            ids[name] = project.id
            for who, role in members.items():
                await world.add(
                    ProjectMember(
                        project_id=project.id,
                        user_id=users[who],
                        role=role,
                        is_owner=role == "manager",
                    )
                )

        async def subject(nickname: str, owner: str, *links: str, **kw: Any) -> None:
            project = await world.session.get(Project, ids[owner])
            row = await world.subject(project, nickname=nickname, **kw)
            ids[nickname] = row.id
            for project_name in (owner, *links):
                await world.add(SubjectProject(subject_id=row.id, project_id=ids[project_name]))

        async def session(
            name: str, owner: str, *links: str, experimenters: tuple[str, ...] = (), **kw: Any
        ) -> None:
            project = await world.session.get(Project, ids[owner])
            row = await world.session_row(project, name=name, **kw)
            ids[name] = row.id
            for project_name in (owner, *links):
                await world.add(SessionProject(session_id=row.id, project_id=ids[project_name]))
            for who in experimenters:
                await world.add(SessionUser(session_id=row.id, user_id=users[who]))

        await subject(
            "EJ001",
            "open_project",
            lab_id=cortex.id,
            species_id=mouse.id,
            strain_id=c57.id,
            sex="F",
            birth_date=date(2023, 11, 1),
            responsible_user_id=users["alice"],
            genotype="Ai95",
            genetic_line="C57",
        )
        await subject("EJ002", "secret_project", "open_project", lab_id=church.id, sex="M")
        await subject("EJ010", "open_project", lab_id=cortex.id, death_date=date(2024, 5, 1))
        await subject("R001", "foreign_project")
        await session(
            "ej1_morning",
            "open_project",
            subject_id=ids["EJ001"],
            lab_id=cortex.id,
            number=1,
            task_protocol="_iblrig_tasks_ephysChoiceWorld6.4.2",
            narrative="hippocampus recording",
            start_time=datetime(2024, 3, 1, 9, 0),
            experimenters=("alice",),
        )
        await session(
            "ej1_evening",
            "open_project",
            subject_id=ids["EJ001"],
            lab_id=cortex.id,
            number=2,
            task_protocol="_iblrig_tasks_trainingChoiceWorld6.4.2",
            start_time=datetime(2024, 3, 1, 18, 30),
        )
        await session(
            "ej2_secret",
            "secret_project",
            "open_project",
            subject_id=ids["EJ002"],
            lab_id=church.id,
            number=1,
            task_protocol="_iblrig_tasks_trainingChoiceWorld6.4.2",
            start_time=datetime(2024, 3, 2, 10, 0),
            experimenters=("alice", "eve"),
        )
        await session(
            "r1_foreign",
            "foreign_project",
            subject_id=ids["R001"],
            number=1,
            start_time=datetime(2024, 3, 3, 8, 0),
        )
        trials = await world.add(
            FileUpload(
                name="_ibl_trials.intervals.npy",
                sha256=trials_sha,
                size=len(TRIALS),
                dataset_type="trials.intervals",
                collection="alf",
                uploader_id=users["alice"],
                session_id=ids["ej1_morning"],
                created_at=datetime(2024, 3, 1, 12, 0),
            )
        )
        wheel = await world.add(
            FileUpload(
                name="_ibl_wheel.position.npy",
                sha256=trials_sha,
                size=len(TRIALS),
                dataset_type="wheel.position",
                collection="alf",
                uploader_id=users["alice"],
                session_id=ids["ej1_morning"],
                created_at=datetime(2024, 3, 1, 12, 5),
            )
        )
        loose = await world.add(
            FileUpload(
                name="notes.txt", sha256=trials_sha, size=len(TRIALS), uploader_id=users["alice"]
            )
        )
        secret = await world.add(
            FileUpload(
                name="_ibl_trials.table.pqt",
                sha256=trials_sha,
                size=len(TRIALS),
                dataset_type="trials.table",
                collection="alf",
                uploader_id=users["eve"],
                session_id=ids["ej2_secret"],
            )
        )
        ids.update(
            trials=trials.uuid, wheel=wheel.uuid, loose=loose.uuid, secret_trials=secret.uuid
        )
        ids.update(trials_upload=trials.id)
        return {name: str(value) for name, value in ids.items()}

    return Lab(tokens, users, await build(sessionmaker, recipe), scheme="Token")


class Caller(support.Caller):
    """Requests to the Alyx URLs as one of the lab's people (or anonymously)."""

    async def results(self, url: str, who: str | None = "alice", **kw: Any) -> list[Any]:
        """The records of a list page that must answer 200."""
        page = await self.ok("GET", url, who, **kw)
        assert set(page) == {"count", "next", "previous", "results"}
        return page["results"]  # type: ignore[no-any-return]
