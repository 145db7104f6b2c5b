"""The demo's groups: a lab's group with its members and its laboratory's BrainSTEM fields,
and pending invitations (one to join the group, one to join a private project), so the users
app and the accept flow have something to show."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gateway.db.models import (
    GroupMember,
    GroupMembershipInvitation,
    Laboratory,
    LabPrincipalInvestigator,
    Project,
    ProjectMembershipInvitation,
    User,
    UserGroup,
)


def _key(row: User | UserGroup) -> int:
    assert row.id is not None, "flushed rows have their ids"
    return row.id


async def seed_groups(session: AsyncSession) -> None:
    """Add the demo's groups and invitations to the rows ``gateway.demo`` made."""
    users = {u.username: _key(u) for u in (await session.execute(select(User))).scalars()}
    labs = {lab.name: lab for lab in (await session.execute(select(Laboratory))).scalars()}
    project = (
        await session.execute(
            select(Project).where(col(Project.name) == "posterior_parietal_decisions")
        )
    ).scalar_one()
    made = UserGroup(name="Buzsaki lab")
    session.add(made)
    await session.flush()
    group = _key(made)
    members: list[tuple[str, dict[str, Any]]] = [
        ("nick", {"is_manager": True, "is_owner": True}),
        ("anne", {"is_manager": False, "is_owner": False}),
    ]
    for username, rights in members:
        session.add(GroupMember(group_id=group, user_id=users[username], **rights))
    buzsaki = labs["buzsakilab"]
    buzsaki.group_id = group
    buzsaki.department = "Neuroscience Institute"
    buzsaki.website = "https://buzsakilab.com/wp/"
    buzsaki.city, buzsaki.country = "New York", "United States"
    session.add(LabPrincipalInvestigator(lab_id=buzsaki.id, user_id=users["nick"]))
    session.add(
        GroupMembershipInvitation(group_id=group, user_id=users["sonja"], inviter_id=users["nick"])
    )
    # Anne manages this private project; Sonja sees it once she accepts.
    session.add(
        ProjectMembershipInvitation(
            project_id=project.id,
            user_id=users["sonja"],
            inviter_id=users["anne"],
            can_change=True,
        )
    )
    await session.flush()
