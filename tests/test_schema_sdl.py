"""schema.graphql, committed at the repository's root, is the schema the gateway serves: a
change to the schema must come with the regenerated file (CI runs this test)."""

from __future__ import annotations

import difflib
from pathlib import Path

from click.testing import CliRunner

from gateway.cli import main, schema_sdl
from gateway.settings import Settings
from schema import build_schema

COMMITTED = Path(__file__).parent.parent / "schema.graphql"
REGENERATE = ".venv/bin/neurogate export-schema > schema.graphql"


def test_the_committed_schema_is_the_running_schema() -> None:
    running = schema_sdl(build_schema(Settings()))
    committed = COMMITTED.read_text()
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            running.splitlines(keepends=True),
            "schema.graphql (committed)",
            "the running schema",
            n=1,
        )
    )
    assert running == committed, (
        f"schema.graphql is not the schema the gateway serves; regenerate it with "
        f"`{REGENERATE}` and commit it.\n{diff[:4000]}"
    )


def test_export_schema_prints_the_sdl(tmp_path: Path) -> None:
    env = {"NEUROGATE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'none.db'}"}
    result = CliRunner().invoke(main, ["export-schema"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output == schema_sdl(build_schema(Settings()))
    assert "type Query {" in result.output
    assert "scalar BigInt" in result.output
