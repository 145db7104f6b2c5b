"""A filter value that names a row the caller may not see matches nothing: a filter cannot
confirm that a private project, session or subject exists, on any surface, through any field
computed from related rows (the walk below covers every entity's fields, so a new one is held
to it too)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import JSON, Column, ScalarSelect, Select, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql import visitors
from sqlmodel import SQLModel

from gateway.auth.principal import ANONYMOUS
from gateway.auth.visibility import readable_columns, visible
from gateway.db.models import (
    Brain,
    FileUpload,
    SessionProject,
    SessionUser,
    SubjectProject,
)
from gateway.db.models._base import utcnow
from resolvers.catalog import ENTITIES
from resolvers.catalog.fields import kind_of
from resolvers.query import AsSeen, Entity, Filter, Kind, QuerySpec
from tests.auth.support import make_user, personal_token
from tests.conftest import Gateway
from tests.factories import build

SECRET = "secret_project_q"
NAMES_OR_KEYS = (Kind.STRING, Kind.UUID, Kind.INT, Kind.BIGINT)


async def _arrange(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    """Public rows tied to private ones every way the entity graph relates them: a public
    session and subject linked to a private project, a private session linked to a public
    project, a public session (with a file on a verified brain) of a private subject."""

    async def recipe(world: Any) -> dict[str, str]:
        public = await world.project(name="open_project_p", is_public=True)
        private = await world.project(name=SECRET, is_public=False)
        shared = await world.subject(public, nickname="PUBLIC01")
        secret_subject = await world.subject(private, nickname="SECRETSUBJ")
        linked = await world.session_row(public, name="linked_session", subject_id=shared.id)
        hidden = await world.session_row(private, name="hidden_session", subject_id=shared.id)
        about_secret = await world.session_row(
            public, name="about_secret", subject_id=secret_subject.id
        )
        await world.add(SessionProject(session_id=linked.id, project_id=private.id))
        await world.add(SessionProject(session_id=hidden.id, project_id=public.id))
        await world.add(SubjectProject(subject_id=shared.id, project_id=private.id))
        await world.add(SubjectProject(subject_id=secret_subject.id, project_id=public.id))
        experimenter = await world.user(username="secret_experimenter")
        await world.add(SessionUser(session_id=hidden.id, user_id=experimenter.id))
        upload = await world.add(
            FileUpload(
                name="hidden_trials.npy",
                sha256="0" * 64,
                size=1,
                dataset_type="trials.secret",
                uploader_id=experimenter.id,
                session_id=hidden.id,
            )
        )
        shown = await world.add(
            FileUpload(
                name="shown_scan.nii",
                sha256="1" * 64,
                size=1,
                uploader_id=experimenter.id,
                session_id=about_secret.id,
            )
        )
        await world.add(
            Brain(
                readable_id="shown",
                name="shown",
                verified=True,
                uploader_id=experimenter.id,
                file_id=shown.id,
            )
        )
        return {
            "public": str(public.id),
            "private": str(private.id),
            "linked": str(linked.id),
            "hidden": str(hidden.id),
            "upload": str(upload.id),
        }

    return await build(sessionmaker, recipe)  # type: ignore[no-any-return]


# --- each surface ---------------------------------------------------------------------------


async def test_brainstem_project_filter_does_not_confirm_a_private_project(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    ids = await _arrange(sessionmaker)
    for model in ("session", "subject"):
        private = await gateway.client.get(
            f"/api/public/stem/{model}/?filter{{projects.id}}={ids['private']}"
        )
        assert private.status_code == 200, private.text
        assert private.json()["count"] == 0, private.json()
    public = await gateway.client.get(
        f"/api/public/stem/session/?filter{{projects.id}}={ids['public']}"
    )
    assert public.json()["count"] == 2  # its own sessions: a hidden one linked to it is not


async def test_brainstem_project_filter_by_a_hidden_session_matches_nothing(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    ids = await _arrange(sessionmaker)
    response = await gateway.client.get(
        f"/api/public/stem/project/?filter{{sessions.id}}={ids['hidden']}"
    )
    assert response.status_code == 200, response.text
    assert response.json()["count"] == 0


async def test_alyx_projects_filter_does_not_confirm_a_private_project(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _arrange(sessionmaker)
    # Anonymous callers may list subjects only (seed 003); sessions need a signed-in caller.
    response = await gateway.client.get(f"/subjects?projects={SECRET}")
    assert response.status_code == 200, response.text
    assert response.json()["count"] == 0
    shown = await gateway.client.get("/subjects?projects=open_project_p")
    assert shown.json()["count"] == 1  # PUBLIC01; SECRETSUBJ's owning project is private


async def test_graphql_project_filters_do_not_confirm_a_private_project(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    ids = await _arrange(sessionmaker)
    data = await gateway.data(
        "query ($q: UUID!, $name: String!) {"
        "  inProject: sessions(where: {inProject: {eq: $q}}) { name }"
        "  inProjects: subjects(where: {inProject: {in: [$q]}}) { nickname }"
        "  byName: sessions(where: {projectName: {eq: $name}}) { name }"
        "  byText: sessions(where: {projectName: {icontains: $name}}) { name }"
        '  bySubject: sessions(where: {subjectNickname: {eq: "SECRETSUBJ"}}) { name }'
        "}",
        {"q": ids["private"], "name": SECRET},
    )
    assert data == {"inProject": [], "inProjects": [], "byName": [], "byText": [], "bySubject": []}


async def test_a_member_still_finds_what_is_linked_to_their_private_project(
    gateway: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The rule hides nothing a caller may see: the super view finds the linked session."""
    ids = await _arrange(sessionmaker)
    admin = await make_user(sessionmaker, "root@lab.org", is_admin=True)
    token = await personal_token(sessionmaker, admin, now=utcnow())
    response = await gateway.client.get(
        f"/api/super/stem/session/?filter{{projects.id}}={ids['private']}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    names = {record["name"] for record in response.json()["sessions"]}
    assert names == {"linked_session", "hidden_session"}


# --- every computed field of every entity -----------------------------------------------------


def _reads_only_its_own_columns(entity: Entity, expr: Any) -> bool:
    for element in visitors.iterate(expr):
        if isinstance(element, Select | ScalarSelect):
            return False
        if isinstance(element, Column) and element.table is not entity.table:
            return False
    return True


@pytest.mark.parametrize("entity", list(ENTITIES.values()), ids=lambda entity: entity.name)
def test_every_field_read_from_other_rows_is_computed_as_the_viewer_sees_it(
    entity: Entity,
) -> None:
    """A field is either of its entity's own columns or built to read only visible rows."""
    for name, spec in entity.fields.items():
        assert isinstance(spec.expr, AsSeen) or _reads_only_its_own_columns(entity, spec.expr), (
            f"{entity.name}.{name} reads other rows: declare it with the builders of "
            "resolvers.catalog.fields, which apply their visibility"
        )


def _names_or_keys(col: Column[Any]) -> bool:
    """Text, integer and UUID columns (not JSON ones, whose values are lists and objects)."""
    stored = getattr(col.type, "impl", col.type)
    return kind_of(col) in NAMES_OR_KEYS and not isinstance(stored, JSON)


async def _values_only_hidden_rows_hold(engine: AsyncEngine) -> dict[Kind, list[Any]]:
    """Per kind, the keys of the rows an anonymous caller may not see and the texts only
    such rows hold (less any that a visible row has as its key or holds as text)."""
    hidden: dict[Kind, set[Any]] = {}
    shown: dict[Kind, set[Any]] = {}
    async with engine.connect() as conn:
        for tbl in SQLModel.metadata.tables.values():
            cols = [col for col in readable_columns(tbl) if _names_or_keys(col)]
            rule = visible(tbl, ANONYMOUS)
            own_key = len(tbl.primary_key.columns) == 1  # not a link row's pair of keys
            everything = (await conn.execute(select(*cols))).all()
            seen = set(
                everything
                if rule is None
                else (await conn.execute(select(*cols).where(rule))).all()
            )
            for row in everything:
                into = shown if row in seen else hidden
                for col, value in zip(cols, row, strict=True):
                    kind = kind_of(col)
                    if value is None or value == "":
                        continue
                    if kind is Kind.STRING or (col.primary_key and own_key):
                        into.setdefault(kind, set()).add(value)
    return {
        kind: sorted(values - shown.get(kind, set()), key=str) for kind, values in hidden.items()
    }


async def test_no_filter_field_matches_a_visible_row_through_a_hidden_one(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _arrange(sessionmaker)
    candidates = await _values_only_hidden_rows_hold(engine)
    assert SECRET in candidates[Kind.STRING]
    leaks = []
    checked = 0
    async with engine.connect() as conn:
        for entity in ENTITIES.values():
            rule = visible(entity.table, ANONYMOUS)
            rows = select(entity.table.c[entity.key])
            rows = rows if rule is None else rows.where(rule)
            for name, spec in entity.fields.items():
                values = candidates.get(spec.kind)
                if not values or "in" not in spec.ops:
                    continue
                where = Filter(name, "in", [spec.coerce(name, v) for v in values])
                stmt = entity.apply(rows, QuerySpec(where=where), ANONYMOUS)
                matched = (await conn.execute(stmt)).all()
                checked += 1
                if matched:
                    leaks.append(f"{entity.name}.{name} matched {len(matched)} row(s)")
    assert checked > 20
    assert leaks == []
