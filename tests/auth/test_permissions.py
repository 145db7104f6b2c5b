"""Who sees what and who may change what: the visibility rule through every GraphQL path
(lists, relations, lookups, filters, counts) for members, non-members, admins and anonymous
callers in each portal; approvals and unverified brains; and ``editable`` against real rows."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.auth.permissions import (
    editable,
    managed_project_ids,
    require_admin,
    require_authenticated,
    require_reviewer,
)
from gateway.auth.principal import ANONYMOUS, Portal, Principal
from gateway.db.models import (
    Approval,
    Brain,
    FileUpload,
    Project,
    ProjectMember,
    Session,
    Species,
    Subject,
    table,
)
from gateway.errors import Forbidden, Unauthenticated
from tests.auth.support import bearer, freeze, gql, gql_data, make_user, personal_token
from tests.conftest import Gateway
from tests.factories import build

Sessionmaker = async_sessionmaker[AsyncSession]
PORTAL = "X-Neurogate-Portal"

# --- Sessions of a private project ----------------------------------------------------------

SESSIONS = """
query ($p: ID!, $pid: UUID!, $ps: ID!, $pubs: ID!, $sess: ID!) {
  sessions { name }
  sessionsConnection { totalCount nodes { name } }
  byProject: sessionsConnection(where: {projectId: {eq: $pid}}) { totalCount nodes { name } }
  byName: sessions(where: {name: {startswith: "p_"}}) { name }
  session(id: $sess) { name }
  project(id: $p) { name sessions { name } }
  privateSubject: subject(id: $ps) { nickname sessions { name } }
  publicSubject: subject(id: $pubs) { sessions { name } }
  projects { name }
}"""


@dataclass
class Lab:
    variables: dict[str, Any]
    member: str  # M: viewer of the private project P
    outsider: str  # N: member of nothing
    admin: str  # A: admin, member of the private project Q only


async def _lab(gateway: Gateway, sessionmaker: Sessionmaker) -> Lab:
    freeze(gateway)
    member = await make_user(sessionmaker, "m@lab.org", with_password=False)
    outsider = await make_user(sessionmaker, "n@lab.org", with_password=False)
    admin = await make_user(sessionmaker, "a@lab.org", with_password=False, is_admin=True)

    async def recipe(world: Any) -> dict[str, Any]:
        pub = await world.project(name="pub", is_public=True)
        p = await world.project(name="P", is_public=False)
        q = await world.project(name="Q", is_public=False)
        pubs = await world.subject(pub, nickname="PUBS")
        ps = await world.subject(p, nickname="PS")
        qs = await world.subject(q, nickname="QS")
        await world.session_row(pub, name="pub_session", subject_id=pubs.id)
        secret = await world.session_row(p, name="p_session", subject_id=ps.id)
        # A private project's session about a public subject.
        await world.session_row(p, name="p_on_public_subject", subject_id=pubs.id)
        await world.session_row(q, name="q_session", subject_id=qs.id)
        await world.add(ProjectMember(project_id=p.id, user_id=member, role="viewer"))
        await world.add(ProjectMember(project_id=q.id, user_id=admin, role="viewer"))
        return {
            "p": str(p.id),
            "pid": str(p.id),
            "ps": str(ps.id),
            "pubs": str(pubs.id),
            "sess": str(secret.id),
        }

    variables = await build(sessionmaker, recipe)
    return Lab(
        variables=variables,
        member=await personal_token(sessionmaker, member),
        outsider=await personal_token(sessionmaker, outsider),
        admin=await personal_token(sessionmaker, admin),
    )


async def _sessions_view(
    gateway: Gateway, lab: Lab, token: str | None, portal: str | None = None
) -> dict[str, Any]:
    headers = bearer(token) if token else {}
    if portal:
        headers[PORTAL] = portal
    data = await gql_data(gateway, SESSIONS, lab.variables, headers)
    return {
        "sessions": sorted(s["name"] for s in data["sessions"]),
        "total": data["sessionsConnection"]["totalCount"],
        "nodes": sorted(s["name"] for s in data["sessionsConnection"]["nodes"]),
        "by_project": (
            data["byProject"]["totalCount"],
            sorted(s["name"] for s in data["byProject"]["nodes"]),
        ),
        "by_name": sorted(s["name"] for s in data["byName"]),
        "by_id": data["session"],
        "project": data["project"]
        and {**data["project"], "sessions": sorted(s["name"] for s in data["project"]["sessions"])},
        "private_subject": data["privateSubject"],
        "public_subject": sorted(s["name"] for s in data["publicSubject"]["sessions"]),
        "projects": sorted(p["name"] for p in data["projects"]),
    }


PUBLIC_VIEW = {
    "sessions": ["pub_session"],
    "total": 1,
    "nodes": ["pub_session"],
    "by_project": (0, []),
    "by_name": [],
    "by_id": None,
    "project": None,
    "private_subject": None,
    "public_subject": ["pub_session"],
    "projects": ["pub"],
}


async def test_a_member_sees_the_private_projects_session_through_every_path(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    lab = await _lab(gateway, sessionmaker)
    for portal in (None, "private"):  # an authenticated caller's default is the private view
        view = await _sessions_view(gateway, lab, lab.member, portal)
        assert view == {
            "sessions": ["p_on_public_subject", "p_session", "pub_session"],
            "total": 3,
            "nodes": ["p_on_public_subject", "p_session", "pub_session"],
            "by_project": (2, ["p_on_public_subject", "p_session"]),
            "by_name": ["p_on_public_subject", "p_session"],
            "by_id": {"name": "p_session"},
            "project": {"name": "P", "sessions": ["p_on_public_subject", "p_session"]},
            "private_subject": {"nickname": "PS", "sessions": [{"name": "p_session"}]},
            "public_subject": ["p_on_public_subject", "pub_session"],
            "projects": ["P", "pub"],
        }


async def test_a_non_member_sees_the_private_projects_session_through_no_path(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    lab = await _lab(gateway, sessionmaker)
    assert await _sessions_view(gateway, lab, lab.outsider) == PUBLIC_VIEW


@pytest.mark.parametrize("portal", [None, "public", "PUBLIC"])
async def test_an_anonymous_caller_sees_the_private_projects_session_through_no_path(
    gateway: Gateway, sessionmaker: Sessionmaker, portal: str | None
) -> None:
    lab = await _lab(gateway, sessionmaker)
    assert await _sessions_view(gateway, lab, None, portal) == PUBLIC_VIEW


async def test_a_member_asking_for_the_public_portal_sees_only_public_rows(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    lab = await _lab(gateway, sessionmaker)
    assert await _sessions_view(gateway, lab, lab.member, "public") == PUBLIC_VIEW


async def test_an_admin_sees_everything_in_the_super_portal(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    lab = await _lab(gateway, sessionmaker)
    view = await _sessions_view(gateway, lab, lab.admin, "super")
    everything = ["p_on_public_subject", "p_session", "pub_session", "q_session"]
    assert view["sessions"] == view["nodes"] == everything
    assert view["total"] == 4
    assert view["by_project"] == (2, ["p_on_public_subject", "p_session"])
    assert view["by_name"] == ["p_on_public_subject", "p_session"]
    assert view["by_id"] == {"name": "p_session"}
    assert view["project"] == {"name": "P", "sessions": ["p_on_public_subject", "p_session"]}
    assert view["private_subject"] == {"nickname": "PS", "sessions": [{"name": "p_session"}]}
    assert view["projects"] == ["P", "Q", "pub"]


async def test_in_the_private_portal_an_admin_sees_public_and_member_projects_only(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    lab = await _lab(gateway, sessionmaker)
    for portal in (None, "private"):
        view = await _sessions_view(gateway, lab, lab.admin, portal)
        assert view["sessions"] == ["pub_session", "q_session"]
        assert view["total"] == 2
        assert view["projects"] == ["Q", "pub"]
        # P, of which the admin is not a member, is hidden like from anyone else.
        assert view["by_id"] is None
        assert view["project"] is None
        assert view["private_subject"] is None
        assert view["by_project"] == (0, [])


async def test_a_non_admin_asking_for_the_super_portal_is_403(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    lab = await _lab(gateway, sessionmaker)
    response = await gql(
        gateway, "{ sessions { name } }", headers={**bearer(lab.member), PORTAL: "super"}
    )
    assert response.status_code == 403
    body = response.json()
    assert list(body) == ["errors"]
    [error] = body["errors"]
    assert error["extensions"] == {"code": "FORBIDDEN"}
    assert error["message"]


@pytest.mark.parametrize("portal", ["private", "super"])
async def test_an_anonymous_caller_asking_for_a_non_public_portal_is_401(
    gateway: Gateway, portal: str
) -> None:
    response = await gql(gateway, "{ sessions { name } }", headers={PORTAL: portal})
    assert response.status_code == 401
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_an_unknown_portal_is_400(gateway: Gateway) -> None:
    response = await gql(gateway, "{ sessions { name } }", headers={PORTAL: "everything"})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}


# --- Approvals --------------------------------------------------------------------------------

APPROVALS = """
query ($mine: ID!, $theirs: ID!) {
  approvals { comments }
  approvalsConnection { totalCount }
  mine: approval(id: $mine) { comments }
  theirs: approval(id: $theirs) { comments }
}"""


async def _approvals(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> tuple[dict[str, str], dict[str, str]]:
    freeze(gateway)
    reviewer = await make_user(sessionmaker, "r@lab.org", with_password=False, is_reviewer=True)
    alice = await make_user(sessionmaker, "alice@lab.org", with_password=False)
    bob = await make_user(sessionmaker, "bob@lab.org", with_password=False)
    admin = await make_user(sessionmaker, "a@lab.org", with_password=False, is_admin=True)

    async def recipe(world: Any) -> dict[str, str]:
        mine = await world.add(
            Approval(
                model="species",
                action="Add",
                proposed={"name": "Mus alicei"},
                comments="alice's",
                submitter_id=alice,
            )
        )
        theirs = await world.add(
            Approval(
                model="species",
                action="Add",
                proposed={"name": "Mus bobi"},
                comments="bob's",
                submitter_id=bob,
            )
        )
        return {"mine": str(mine.id), "theirs": str(theirs.id)}

    ids = await build(sessionmaker, recipe)
    tokens = {
        "reviewer": await personal_token(sessionmaker, reviewer),
        "alice": await personal_token(sessionmaker, alice),
        "admin": await personal_token(sessionmaker, admin),
    }
    return ids, tokens


async def _approvals_view(
    gateway: Gateway, ids: dict[str, str], headers: dict[str, str]
) -> dict[str, Any]:
    data = await gql_data(gateway, APPROVALS, ids, headers)
    return {
        "list": sorted(a["comments"] for a in data["approvals"]),
        "total": data["approvalsConnection"]["totalCount"],
        "mine": data["mine"],
        "theirs": data["theirs"],
    }


async def test_a_reviewer_sees_every_approval(gateway: Gateway, sessionmaker: Sessionmaker) -> None:
    ids, tokens = await _approvals(gateway, sessionmaker)
    for who in ("reviewer", "admin"):
        assert await _approvals_view(gateway, ids, bearer(tokens[who])) == {
            "list": ["alice's", "bob's"],
            "total": 2,
            "mine": {"comments": "alice's"},
            "theirs": {"comments": "bob's"},
        }


async def test_an_ordinary_user_sees_only_their_own_submissions(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    ids, tokens = await _approvals(gateway, sessionmaker)
    assert await _approvals_view(gateway, ids, bearer(tokens["alice"])) == {
        "list": ["alice's"],
        "total": 1,
        "mine": {"comments": "alice's"},
        "theirs": None,
    }


async def test_anonymous_callers_and_the_public_portal_see_no_approvals(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    ids, tokens = await _approvals(gateway, sessionmaker)
    nothing = {"list": [], "total": 0, "mine": None, "theirs": None}
    assert await _approvals_view(gateway, ids, {}) == nothing
    public = {**bearer(tokens["reviewer"]), PORTAL: "public"}
    assert await _approvals_view(gateway, ids, public) == nothing


# --- Unverified brains ------------------------------------------------------------------------

BRAINS = """{
  brains { readableId }
  brainsConnection { totalCount }
  draft: brainByReadableId(readableId: "draft") { name }
}"""


async def _brains(gateway: Gateway, sessionmaker: Sessionmaker) -> dict[str, str]:
    freeze(gateway)
    uploader = await make_user(sessionmaker, "up@lab.org", with_password=False)
    other = await make_user(sessionmaker, "other@lab.org", with_password=False)
    reviewer = await make_user(sessionmaker, "r@lab.org", with_password=False, is_reviewer=True)
    admin = await make_user(sessionmaker, "a@lab.org", with_password=False, is_admin=True)

    async def recipe(world: Any) -> None:
        await world.add(
            Brain(readable_id="draft", name="Draft", verified=False, uploader_id=uploader)
        )
        await world.add(
            Brain(readable_id="published", name="Published", verified=True, uploader_id=uploader)
        )

    await build(sessionmaker, recipe)
    return {
        "uploader": await personal_token(sessionmaker, uploader),
        "other": await personal_token(sessionmaker, other),
        "reviewer": await personal_token(sessionmaker, reviewer),
        "admin": await personal_token(sessionmaker, admin),
    }


async def _brains_view(gateway: Gateway, headers: dict[str, str]) -> dict[str, Any]:
    data = await gql_data(gateway, BRAINS, headers=headers)
    return {
        "list": sorted(b["readableId"] for b in data["brains"]),
        "total": data["brainsConnection"]["totalCount"],
        "draft": data["draft"],
    }


async def test_an_unverified_brain_is_visible_to_its_uploader(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    tokens = await _brains(gateway, sessionmaker)
    for portal in ({}, {PORTAL: "private"}):
        assert await _brains_view(gateway, {**bearer(tokens["uploader"]), **portal}) == {
            "list": ["draft", "published"],
            "total": 2,
            "draft": {"name": "Draft"},
        }
    super_view = await _brains_view(gateway, {**bearer(tokens["admin"]), PORTAL: "super"})
    assert super_view["list"] == ["draft", "published"]


async def test_an_unverified_brain_is_hidden_from_everyone_else(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    tokens = await _brains(gateway, sessionmaker)
    only_published = {"list": ["published"], "total": 1, "draft": None}
    assert await _brains_view(gateway, bearer(tokens["other"])) == only_published
    assert await _brains_view(gateway, {}) == only_published
    # The uploader too, when asking for the public view; so do reviewers and admins.
    for who in ("uploader", "reviewer", "admin"):
        public_view = {**bearer(tokens[who]), PORTAL: "public"}
        assert await _brains_view(gateway, public_view) == only_published


async def test_reviewers_and_admins_see_brains_awaiting_review_in_the_private_view(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    tokens = await _brains(gateway, sessionmaker)
    for who in ("reviewer", "admin"):
        assert await _brains_view(gateway, bearer(tokens[who])) == {
            "list": ["draft", "published"],
            "total": 2,
            "draft": {"name": "Draft"},
        }


# --- editable(): who may change which rows ----------------------------------------------------


@dataclass
class Rows:
    users: dict[str, int]
    projects: dict[str, Any]
    subjects: dict[str, Any]
    sessions: dict[str, Any]
    brains: dict[str, Any]
    uploads: dict[str, Any]


async def _rows(sessionmaker: Sessionmaker) -> Rows:
    async def recipe(world: Any) -> Rows:
        users = {
            name: (await world.user(**kw)).id
            for name, kw in (
                ("viewer", {}),
                ("editor", {}),
                ("manager", {}),
                ("uploader", {}),
                ("stranger", {}),
                ("admin", {"is_admin": True}),
            )
        }
        p = await world.project(name="P", is_public=False)
        q = await world.project(name="Q", is_public=True)
        for role in ("viewer", "editor", "manager"):
            await world.add(ProjectMember(project_id=p.id, user_id=users[role], role=role))
        subjects = {"P": (await world.subject(p)).id, "Q": (await world.subject(q)).id}
        sessions = {"P": (await world.session_row(p)).id, "Q": (await world.session_row(q)).id}
        uploads = {
            who: (
                await world.add(
                    FileUpload(name=f"{who}.bin", sha256="0" * 64, size=1, uploader_id=users[who])
                )
            ).id
            for who in ("uploader", "stranger")
        }
        brains = {
            who: (
                await world.add(
                    Brain(
                        readable_id=f"{who}_brain",
                        name=who,
                        uploader_id=users[who],
                        file_id=uploads[who],
                    )
                )
            ).id
            for who in ("uploader", "stranger")
        }
        await world.species(name="Mouse")
        return Rows(users, {"P": p.id, "Q": q.id}, subjects, sessions, brains, uploads)

    return await build(sessionmaker, recipe)  # type: ignore[no-any-return]


def _principal(rows: Rows, who: str) -> Principal:
    if who == "anonymous":
        return ANONYMOUS
    return Principal(user_id=rows.users[who], is_admin=who == "admin", portal=Portal.PRIVATE)


async def _editable_ids(sessionmaker: Sessionmaker, tbl: Table, principal: Principal) -> set[Any]:
    predicate = editable(tbl, principal)
    query = select(tbl.c.id)
    if predicate is not None:
        query = query.where(predicate)
    async with sessionmaker() as session:
        return set((await session.execute(query)).scalars())


async def _all_ids(sessionmaker: Sessionmaker, tbl: Table) -> set[Any]:
    async with sessionmaker() as session:
        return set((await session.execute(select(tbl.c.id))).scalars())


@pytest.mark.parametrize("role", ["editor", "manager"])
async def test_editors_and_managers_may_edit_their_projects_rows_only(
    sessionmaker: Sessionmaker, role: str
) -> None:
    rows = await _rows(sessionmaker)
    who = _principal(rows, role)
    assert await _editable_ids(sessionmaker, table(Session), who) == {rows.sessions["P"]}
    assert await _editable_ids(sessionmaker, table(Subject), who) == {rows.subjects["P"]}
    assert await _editable_ids(sessionmaker, table(Project), who) == {rows.projects["P"]}
    assert await _editable_ids(sessionmaker, table(Brain), who) == set()
    assert await _editable_ids(sessionmaker, table(Species), who) == set()


async def test_a_viewer_may_edit_nothing_of_the_project(sessionmaker: Sessionmaker) -> None:
    rows = await _rows(sessionmaker)
    viewer = _principal(rows, "viewer")
    for model in (Session, Subject, Project):
        assert await _editable_ids(sessionmaker, table(model), viewer) == set()


async def test_an_uploader_may_edit_their_own_brain_and_upload_only(
    sessionmaker: Sessionmaker,
) -> None:
    rows = await _rows(sessionmaker)
    uploader = _principal(rows, "uploader")
    assert await _editable_ids(sessionmaker, table(Brain), uploader) == {rows.brains["uploader"]}
    assert await _editable_ids(sessionmaker, table(FileUpload), uploader) == {
        rows.uploads["uploader"]
    }
    assert await _editable_ids(sessionmaker, table(Session), uploader) == set()


async def test_an_admin_may_edit_every_row(sessionmaker: Sessionmaker) -> None:
    rows = await _rows(sessionmaker)
    admin = _principal(rows, "admin")
    for model in (Session, Subject, Project, Brain, FileUpload, Species):
        tbl = table(model)
        assert editable(tbl, admin) is None
        assert await _editable_ids(sessionmaker, tbl, admin) == await _all_ids(sessionmaker, tbl)
        assert await _all_ids(sessionmaker, tbl)  # there is something to edit


@pytest.mark.parametrize("who", ["anonymous", "stranger"])
async def test_anonymous_callers_and_strangers_may_edit_nothing_of_others(
    sessionmaker: Sessionmaker, who: str
) -> None:
    rows = await _rows(sessionmaker)
    principal = _principal(rows, who)
    for model in (Session, Subject, Project, Species):
        assert await _editable_ids(sessionmaker, table(model), principal) == set()
    own = {"anonymous": set(), "stranger": {rows.brains["stranger"]}}[who]
    assert await _editable_ids(sessionmaker, table(Brain), principal) == own


async def test_only_managers_may_change_membership(sessionmaker: Sessionmaker) -> None:
    rows = await _rows(sessionmaker)
    async with sessionmaker() as session:
        for role, expected in (("manager", {rows.projects["P"]}), ("editor", set())):
            query = managed_project_ids(_principal(rows, role))
            assert set((await session.execute(query)).scalars()) == expected


def test_plain_role_checks() -> None:
    user = Principal(user_id=1)
    reviewer = Principal(user_id=2, is_reviewer=True)
    admin = Principal(user_id=3, is_admin=True)
    with pytest.raises(Unauthenticated):
        require_authenticated(ANONYMOUS)
    assert require_authenticated(user) == 1
    with pytest.raises(Forbidden):
        require_reviewer(user)
    assert require_reviewer(reviewer) == 2
    assert require_reviewer(admin) == 3
    with pytest.raises(Forbidden):
        require_admin(reviewer)
    with pytest.raises(Unauthenticated):
        require_admin(ANONYMOUS)
    assert require_admin(admin) == 3


# --- To-one relations folded into a list's statement --------------------------------------------

FOLDED = """{
  sessions { name project { name } subject { nickname project { name } } }
  sessionsConnection { nodes { subject { nickname } } }
}"""


async def test_a_folded_to_one_relation_shows_only_what_the_caller_may_see(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    """A public session about a private project's subject: the list reads the subject in its
    own statement, and the join applies the visibility rule, so only members see it."""
    freeze(gateway)
    member = await make_user(sessionmaker, "m@lab.org", with_password=False)
    outsider = await make_user(sessionmaker, "n@lab.org", with_password=False)
    admin = await make_user(sessionmaker, "a@lab.org", with_password=False, is_admin=True)

    async def recipe(world: Any) -> None:
        pub = await world.project(name="pub", is_public=True)
        private = await world.project(name="P", is_public=False)
        subject = await world.subject(private, nickname="PS")
        await world.session_row(pub, name="pub_on_private_subject", subject_id=subject.id)
        await world.add(ProjectMember(project_id=private.id, user_id=member, role="viewer"))

    await build(sessionmaker, recipe)
    shown = {"nickname": "PS", "project": {"name": "P"}}
    for headers, subject in (
        ({}, None),
        (bearer(await personal_token(sessionmaker, outsider)), None),
        (bearer(await personal_token(sessionmaker, member)), shown),
        ({**bearer(await personal_token(sessionmaker, admin)), PORTAL: "super"}, shown),
    ):
        data = await gql_data(gateway, FOLDED, headers=headers)
        assert data["sessions"] == [
            {"name": "pub_on_private_subject", "project": {"name": "pub"}, "subject": subject}
        ]
        nodes = data["sessionsConnection"]["nodes"]
        assert nodes == [{"subject": subject and {"nickname": "PS"}}]


async def test_a_brains_folded_file_follows_the_file_rule(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    """Brains list their file in the same statement; the file rule (a verified brain's file,
    or the caller's own upload) holds inside that join too."""
    freeze(gateway)
    uploader = await make_user(sessionmaker, "up@lab.org", with_password=False)

    async def recipe(world: Any) -> None:
        for name, verified in (("draft", False), ("published", True)):
            upload = FileUpload(
                name=f"{name}.nii",
                sha256=hashlib.sha256(name.encode()).hexdigest(),
                size=1,
                content_type="application/octet-stream",
                uploader_id=uploader,
            )
            await world.add(upload)
            await world.add(
                Brain(
                    readable_id=name,
                    name=name,
                    verified=verified,
                    uploader_id=uploader,
                    file_id=upload.id,
                )
            )

    await build(sessionmaker, recipe)
    query = "{ brains { readableId file { name } } }"
    anonymous = await gql_data(gateway, query)
    assert anonymous["brains"] == [{"readableId": "published", "file": {"name": "published.nii"}}]
    own = await gql_data(
        gateway, query, headers=bearer(await personal_token(sessionmaker, uploader))
    )
    assert sorted(own["brains"], key=lambda b: b["readableId"]) == [
        {"readableId": "draft", "file": {"name": "draft.nii"}},
        {"readableId": "published", "file": {"name": "published.nii"}},
    ]
