"""Headless Chromium against a live gateway serving the demo data."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver

from gateway.app import create_app
from gateway.db.engine import create_engine, session_factory
from gateway.db.models._base import utcnow
from gateway.demo import seed_demo
from gateway.settings import Settings
from gateway.storage import Storage
from tests.auth.support import make_user, personal_token
from tests.chromium import start_chromium
from tests.live import serve


@dataclass(frozen=True)
class LiveGateway:
    base: str
    token: str  # a signed-in user's personal access token
    reviewer_token: str  # a reviewer's, who hears of every proposal
    storage_dir: Path


async def _seed(url: str, storage: Storage) -> tuple[str, str]:
    engine = create_engine(url)
    try:
        sessionmaker = session_factory(engine)
        async with sessionmaker() as session:
            await seed_demo(session, storage=storage)
            await session.commit()
        user = await make_user(sessionmaker, "browser@lab.org")
        reviewer = await make_user(
            sessionmaker, "rita@lab.org", username="browser-reviewer", is_reviewer=True
        )
        return (
            await personal_token(sessionmaker, user, now=utcnow()),
            await personal_token(sessionmaker, reviewer, now=utcnow()),
        )
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def live_demo(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[LiveGateway]:
    """The app on uvicorn (a free port of 127.0.0.1) over a copy of the demo data."""
    folder = tmp_path_factory.mktemp("live-demo")
    shutil.copyfile(sqlite_template, folder / "demo.db")
    url = f"sqlite+aiosqlite:///{folder / 'demo.db'}"
    settings = Settings(
        database_url=url,
        storage_dir=folder / "storage",
        rate_limit_anonymous="100000/minute",
        rate_limit_authenticated="100000/minute",
    )
    token, reviewer_token = asyncio.run(_seed(url, Storage.from_settings(settings)))
    with serve(create_app(settings)) as base:
        yield LiveGateway(
            base=base, token=token, reviewer_token=reviewer_token, storage_dir=settings.storage_dir
        )


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    driver = start_chromium(tmp_path / "chromium-profile")
    try:
        yield driver
    finally:
        driver.quit()
