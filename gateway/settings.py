"""Settings, read once from ``NEUROGATE_*`` environment variables (documented in README.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./neurogate.db"


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be a boolean (true/false), got {raw!r}")


@dataclass(frozen=True, kw_only=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    storage_dir: Path = Path("./storage")
    host: str = "127.0.0.1"
    port: int = 8000
    max_page_size: int = 100
    max_query_depth: int = 10
    max_query_tokens: int = 5000
    max_query_aliases: int = 30
    graphiql: bool = True
    sql_echo: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            database_url=env.get("NEUROGATE_DATABASE_URL") or DEFAULT_DATABASE_URL,
            storage_dir=Path(env.get("NEUROGATE_STORAGE_DIR") or "./storage"),
            host=env.get("NEUROGATE_HOST") or "127.0.0.1",
            port=_int(env, "NEUROGATE_PORT", 8000),
            max_page_size=_int(env, "NEUROGATE_MAX_PAGE_SIZE", 100),
            max_query_depth=_int(env, "NEUROGATE_MAX_QUERY_DEPTH", 10),
            max_query_tokens=_int(env, "NEUROGATE_MAX_QUERY_TOKENS", 5000),
            max_query_aliases=_int(env, "NEUROGATE_MAX_QUERY_ALIASES", 30),
            graphiql=_bool(env, "NEUROGATE_GRAPHIQL", True),
            sql_echo=_bool(env, "NEUROGATE_SQL_ECHO", False),
        )
