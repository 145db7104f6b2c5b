"""Headless Chromium against a live gateway serving the demo data."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver

from gateway.app import create_app
from gateway.db.models._base import utcnow
from gateway.storage import Storage
from tests.auth.support import make_user, personal_token
from tests.chromium import start_chromium
from tests.conftest import settings_on_a_copy
from tests.factories import demo_database
from tests.live import serve


@dataclass(frozen=True)
class LiveGateway:
    base: str
    token: str  # a signed-in user's personal access token
    reviewer_token: str  # a reviewer's, who hears of every proposal
    storage_dir: Path


async def _seed(url: str, storage: Storage) -> tuple[str, str]:
    async with demo_database(url, storage) as sessionmaker:
        user = await make_user(sessionmaker, "browser@lab.org")
        reviewer = await make_user(
            sessionmaker, "rita@lab.org", username="browser-reviewer", is_reviewer=True
        )
        return (
            await personal_token(sessionmaker, user, now=utcnow()),
            await personal_token(sessionmaker, reviewer, now=utcnow()),
        )


@pytest.fixture(scope="module")
def live_demo(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[LiveGateway]:
    """The app on uvicorn (a free port of 127.0.0.1) over a copy of the demo data."""
    settings = settings_on_a_copy(sqlite_template, tmp_path_factory.mktemp("live-demo"))
    storage = Storage.from_settings(settings)
    token, reviewer_token = asyncio.run(_seed(settings.database_url, storage))
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
