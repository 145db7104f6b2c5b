"""The ``neurogate`` command: serve, migrate, seed-demo, createuser."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.db.engine import create_engine, session_factory
from gateway.db.migrate import upgrade
from gateway.settings import Settings

T = TypeVar("T")


def _with_engine(settings: Settings, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(settings.database_url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


@click.group()
def main() -> None:
    """neurogate: one GraphQL gateway for neuroscience lab data."""


@main.command()
@click.option("--host", default=None, help="Address to bind (default NEUROGATE_HOST).")
@click.option("--port", default=None, type=int, help="Port (default NEUROGATE_PORT).")
@click.option("--workers", default=1, show_default=True, help="uvicorn worker processes.")
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the gateway with uvicorn (GraphiQL at /graphql)."""
    import uvicorn

    settings = Settings.from_env()
    uvicorn.run(
        "gateway.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        ws="websockets-sansio",  # subscriptions; uvicorn's default websockets backend is deprecated
        log_level="info",
    )


@main.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    settings = Settings.from_env()
    _with_engine(settings, upgrade)
    click.echo("database is up to date")


@main.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only seed a database that has no projects yet.")
def seed_demo_command(if_empty: bool) -> None:
    """Load the demo data set (labs, species, projects, subjects, sessions, brains, ...)."""
    from gateway.demo import is_empty, seed_demo

    async def work(engine: AsyncEngine) -> bool:
        async with session_factory(engine)() as session:
            if if_empty and not await is_empty(session):
                return False
            await seed_demo(session)
            await session.commit()
            return True

    seeded = _with_engine(Settings.from_env(), work)
    click.echo("demo data loaded" if seeded else "database already has data; not seeding")


@main.command()
@click.option("--email", required=True, help="Login email (BrainMaps, BrainSTEM).")
@click.option("--username", required=True, help="Login name (Alyx).")
@click.option(
    "--password",
    envvar="NEUROGATE_PASSWORD",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for when omitted; also read from NEUROGATE_PASSWORD.",
)
@click.option("--admin", is_flag=True, help="May see and change everything.")
@click.option("--reviewer", is_flag=True, help="May review taxonomy approvals.")
def createuser(email: str, username: str, password: str, admin: bool, reviewer: bool) -> None:
    """Create a user account (the password is stored hashed)."""
    from sqlalchemy import or_, select

    from gateway.auth.passwords import hash_password
    from gateway.db.models import User, table

    async def work(engine: AsyncEngine) -> int | None:
        async with session_factory(engine)() as session:
            users = table(User)
            clash = await session.execute(
                select(users.c.id).where(or_(users.c.email == email, users.c.username == username))
            )
            if clash.first() is not None:
                return None
            user = User(
                email=email,
                username=username,
                password_hash=hash_password(password),
                is_admin=admin,
                is_reviewer=reviewer or admin,
            )
            session.add(user)
            await session.commit()
            return user.id

    user_id = _with_engine(Settings.from_env(), work)
    if user_id is None:
        raise click.ClickException(f"a user with email {email} or username {username} exists")
    click.echo(f"created user {username} (id {user_id})")
