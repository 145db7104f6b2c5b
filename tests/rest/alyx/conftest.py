"""The Alyx tests' lab (:func:`.support.arrange`) and a caller into it, for every module here."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.settings import Settings
from tests.conftest import Gateway
from tests.rest.alyx.support import Caller, Lab, arrange


@pytest.fixture
async def lab(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> Lab:
    return await arrange(sessionmaker, settings)


@pytest.fixture
def call(gateway: Gateway, lab: Lab) -> Caller:
    return Caller(gateway, lab)
