"""The console command on a real database file: migrate, seed-demo, createuser."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from gateway.auth.passwords import verify_password
from gateway.cli import main
from gateway.db.engine import create_engine
from gateway.db.models import Project, Session, Species, User, table


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("NEUROGATE_DATABASE_URL", url)
    monkeypatch.setenv("NEUROGATE_STORAGE_DIR", str(tmp_path / "storage"))
    return url


def _scalar(url: str, stmt: object) -> object:
    async def run() -> object:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return (await conn.execute(stmt)).scalar_one()  # type: ignore[call-overload]
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _count(url: str, model: type) -> object:
    return _scalar(url, select(func.count()).select_from(table(model)))


def test_migrate_then_seed_demo_loads_real_data_once(database: str) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"]).exit_code == 0
    first = runner.invoke(main, ["seed-demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "demo data loaded" in first.output
    assert _count(database, Project) == 4
    assert _count(database, Session) == 48
    assert (
        _scalar(
            database,
            select(table(Species).c.name).where(table(Species).c.scientific_name == "Mus musculus"),
        )
        == "Mouse"
    )
    again = runner.invoke(main, ["seed-demo", "--if-empty"])
    assert "not seeding" in again.output
    assert _count(database, Project) == 4


def test_createuser_stores_only_a_hash_and_refuses_duplicates(database: str) -> None:
    runner = CliRunner()
    runner.invoke(main, ["migrate"])
    args = ["createuser", "--email", "a@lab.org", "--username", "ada", "--reviewer"]
    created = runner.invoke(main, args, env={"NEUROGATE_PASSWORD": "s3cret-pass"})
    assert created.exit_code == 0, created.output
    users = table(User)
    stored = _scalar(database, select(users.c.password_hash).where(users.c.username == "ada"))
    assert isinstance(stored, str) and "s3cret-pass" not in stored
    assert verify_password(stored, "s3cret-pass")
    assert _scalar(database, select(users.c.is_reviewer).where(users.c.username == "ada"))
    duplicate = runner.invoke(main, args, env={"NEUROGATE_PASSWORD": "other"})
    assert duplicate.exit_code != 0
    assert "exists" in duplicate.output


def test_createuser_prompts_for_the_password_when_not_given(database: str) -> None:
    runner = CliRunner()
    runner.invoke(main, ["migrate"])
    result = runner.invoke(
        main, ["createuser", "--email", "b@lab.org", "--username", "bo"], input="pw1\npw1\n"
    )
    assert result.exit_code == 0, result.output
    users = table(User)
    stored = _scalar(database, select(users.c.password_hash).where(users.c.username == "bo"))
    assert verify_password(stored, "pw1")  # type: ignore[arg-type]
