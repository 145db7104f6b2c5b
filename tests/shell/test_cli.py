"""The console command on a real database file: migrate, seed-demo, createuser."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from gateway.auth.passwords import verify_password
from gateway.cli import main
from gateway.db.engine import create_engine
from gateway.db.models import Project, Session, Species, User, table
from tests.conftest import POSTGRES_URL


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
    created = runner.invoke(main, args, env={"NEUROGATE_PASSWORD": "s3cret-passphrase"})
    assert created.exit_code == 0, created.output
    users = table(User)
    stored = _scalar(database, select(users.c.password_hash).where(users.c.username == "ada"))
    assert isinstance(stored, str) and "s3cret-passphrase" not in stored
    assert verify_password(stored, "s3cret-passphrase")
    assert _scalar(database, select(users.c.is_reviewer).where(users.c.username == "ada"))
    duplicate = runner.invoke(main, args, env={"NEUROGATE_PASSWORD": "another-passphrase"})
    assert duplicate.exit_code != 0
    assert "exists" in duplicate.output


def test_createuser_prompts_for_the_password_when_not_given(database: str) -> None:
    runner = CliRunner()
    runner.invoke(main, ["migrate"])
    args = ["createuser", "--email", "b@lab.org", "--username", "bo"]
    result = runner.invoke(main, args, input="twelve-chars\ntwelve-chars\n")
    assert result.exit_code == 0, result.output
    users = table(User)
    stored = _scalar(database, select(users.c.password_hash).where(users.c.username == "bo"))
    assert verify_password(stored, "twelve-chars")  # type: ignore[arg-type]


# Mistakes: one clear line naming what is wrong and what to do, and a non-zero exit code.


def _one_line_error(result: Result) -> str:
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (
            "postgresql+asyncpg://postgres@127.0.0.1:9/neurogate",
            "cannot reach the database at postgresql+asyncpg://postgres@127.0.0.1:9/neurogate",
        ),
        (
            "sqlite+aiosqlite:////no/such/folder/neurogate.db",
            "the folder /no/such/folder does not exist",
        ),
        ("not a url at all", "NEUROGATE_DATABASE_URL is not a database URL"),
        (
            "postgresql://postgres:hunter2@127.0.0.1:5432/neurogate",
            "write postgresql+asyncpg://postgres:***@127.0.0.1:5432/neurogate",
        ),
        ("mysql://root@127.0.0.1/neurogate", "uses mysql, which neurogate does not support"),
    ],
    ids=["unreachable", "unopenable", "not-a-url", "postgresql-without-asyncpg", "unsupported"],
)
@pytest.mark.parametrize("command", ["migrate", "seed-demo", "serve"])
def test_a_database_mistake_is_one_line_and_a_failure(
    monkeypatch: pytest.MonkeyPatch, url: str, says: str, command: str
) -> None:
    monkeypatch.setenv("NEUROGATE_DATABASE_URL", url)
    line = _one_line_error(CliRunner().invoke(main, [command]))
    assert says in line
    assert "hunter2" not in line


if POSTGRES_URL:  # a server that answers no (here: it has no such database)

    def test_a_database_the_server_does_not_have_is_one_line(
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        assert POSTGRES_URL
        url = make_url(POSTGRES_URL).set(database="ng_no_such_database")
        monkeypatch.setenv("NEUROGATE_DATABASE_URL", url.render_as_string(False))
        line = _one_line_error(CliRunner().invoke(main, ["migrate"]))
        assert 'database "ng_no_such_database" does not exist' in line
        assert "Check NEUROGATE_DATABASE_URL" in line


@pytest.mark.parametrize(
    "args",
    [
        ["seed-demo"],
        ["serve"],
        ["createuser", "--email", "a@lab.org", "--username", "ada", "--password", "long-enough-pw"],
        ["import-connectome", "fly", "--neurons", __file__, "--connections", __file__],
    ],
    ids=["seed-demo", "serve", "createuser", "import-connectome"],
)
def test_an_unmigrated_database_is_refused_with_what_to_do(database: str, args: list[str]) -> None:
    line = _one_line_error(CliRunner().invoke(main, args))
    assert "is not migrated" in line and "run `neurogate migrate`" in line


def test_seed_demo_twice_says_the_database_has_data(database: str) -> None:
    runner = CliRunner()
    runner.invoke(main, ["migrate"])
    assert runner.invoke(main, ["seed-demo"]).exit_code == 0
    line = _one_line_error(runner.invoke(main, ["seed-demo"]))
    assert "already has data" in line and "--if-empty" in line
    assert _count(database, Project) == 4


@pytest.mark.parametrize(
    ("email", "password", "says"),
    [
        ("not-an-email", "long-enough-pw", "'not-an-email' is not an email address"),
        ("ada@localhost", "long-enough-pw", "is not an email address"),
        ("a@lab.org", "short-pw", "must be at least 12 characters"),
    ],
)
def test_createuser_refuses_a_bad_email_or_a_short_password(
    database: str, email: str, password: str, says: str
) -> None:
    runner = CliRunner()
    runner.invoke(main, ["migrate"])
    result = runner.invoke(
        main, ["createuser", "--email", email, "--username", "ada", "--password", password]
    )
    assert result.exit_code != 0
    assert says in result.output
    assert _count(database, User) == 0
