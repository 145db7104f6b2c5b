"""Settings, read once from ``NEUROGATE_*`` environment variables (documented in README.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from limits import parse as parse_limit

from gateway.db.checks import url_problem

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./neurogate.db"
# Signs JWTs in development only: Settings refuses it when NEUROGATE_ENV=production.
DEVELOPMENT_SECRET_KEY = "neurogate-development-secret-key-change-me-in-production"

N = TypeVar("N", int, float)


def _number(env: Mapping[str, str], name: str, default: N, kind: type[N]) -> N:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return kind(raw)
    except ValueError as exc:
        what = "an integer" if kind is int else "a number"
        raise ValueError(f"{name} must be {what}, got {raw!r}") from exc


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    return _number(env, name, default, int)


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    return _number(env, name, default, float)


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
    max_upload_bytes: int = 5 * 1024**3
    host: str = "127.0.0.1"
    port: int = 8000
    max_page_size: int = 100
    max_query_depth: int = 10
    max_query_tokens: int = 5000
    max_query_aliases: int = 30
    graphiql: bool = True
    sql_echo: bool = False
    environment: str = "development"
    secret_key: str = DEVELOPMENT_SECRET_KEY
    access_token_seconds: int = 3600
    refresh_token_seconds: int = 30 * 24 * 3600
    personal_token_seconds: int = 365 * 24 * 3600
    alyx_token_seconds: int = 24 * 3600
    session_token_seconds: int = 14 * 24 * 3600
    device_code_seconds: int = 600
    device_poll_interval: int = 5
    rate_limit_anonymous: str = "100/minute"
    rate_limit_authenticated: str = "1000/minute"
    # How often an open websocket re-checks the credential it was opened with (seconds).
    subscription_recheck_seconds: float = 2.0

    def __post_init__(self) -> None:
        problem = url_problem(self.database_url)
        if problem:
            raise ValueError(problem)
        if self.environment not in {"development", "production"}:
            raise ValueError("NEUROGATE_ENV must be development or production")
        if self.environment == "production" and self.secret_key == DEVELOPMENT_SECRET_KEY:
            raise ValueError(
                "set NEUROGATE_SECRET_KEY: the development key is refused in production"
            )
        if len(self.secret_key) < 32:
            raise ValueError("NEUROGATE_SECRET_KEY must be at least 32 characters")
        if not 0 < self.subscription_recheck_seconds <= 3600:
            raise ValueError(
                "NEUROGATE_SUBSCRIPTION_RECHECK_SECONDS must be more than 0 and at most 3600"
            )
        if self.max_upload_bytes < 1:
            raise ValueError("NEUROGATE_MAX_UPLOAD_BYTES must be a positive number of bytes")
        for name, value in (
            ("NEUROGATE_RATE_LIMIT_ANONYMOUS", self.rate_limit_anonymous),
            ("NEUROGATE_RATE_LIMIT_AUTHENTICATED", self.rate_limit_authenticated),
        ):
            try:
                parse_limit(value)
            except ValueError as exc:
                raise ValueError(f"{name} must look like '100/minute', got {value!r}") from exc

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            database_url=env.get("NEUROGATE_DATABASE_URL") or DEFAULT_DATABASE_URL,
            storage_dir=Path(env.get("NEUROGATE_STORAGE_DIR") or "./storage"),
            max_upload_bytes=_int(env, "NEUROGATE_MAX_UPLOAD_BYTES", 5 * 1024**3),
            host=env.get("NEUROGATE_HOST") or "127.0.0.1",
            port=_int(env, "NEUROGATE_PORT", 8000),
            max_page_size=_int(env, "NEUROGATE_MAX_PAGE_SIZE", 100),
            max_query_depth=_int(env, "NEUROGATE_MAX_QUERY_DEPTH", 10),
            max_query_tokens=_int(env, "NEUROGATE_MAX_QUERY_TOKENS", 5000),
            max_query_aliases=_int(env, "NEUROGATE_MAX_QUERY_ALIASES", 30),
            graphiql=_bool(env, "NEUROGATE_GRAPHIQL", True),
            sql_echo=_bool(env, "NEUROGATE_SQL_ECHO", False),
            environment=env.get("NEUROGATE_ENV") or "development",
            secret_key=env.get("NEUROGATE_SECRET_KEY") or DEVELOPMENT_SECRET_KEY,
            access_token_seconds=_int(env, "NEUROGATE_ACCESS_TOKEN_SECONDS", 3600),
            refresh_token_seconds=_int(env, "NEUROGATE_REFRESH_TOKEN_SECONDS", 30 * 24 * 3600),
            personal_token_seconds=_int(env, "NEUROGATE_PERSONAL_TOKEN_SECONDS", 365 * 24 * 3600),
            alyx_token_seconds=_int(env, "NEUROGATE_ALYX_TOKEN_SECONDS", 24 * 3600),
            session_token_seconds=_int(env, "NEUROGATE_SESSION_TOKEN_SECONDS", 14 * 24 * 3600),
            device_code_seconds=_int(env, "NEUROGATE_DEVICE_CODE_SECONDS", 600),
            device_poll_interval=_int(env, "NEUROGATE_DEVICE_POLL_INTERVAL", 5),
            rate_limit_anonymous=env.get("NEUROGATE_RATE_LIMIT_ANONYMOUS") or "100/minute",
            rate_limit_authenticated=(
                env.get("NEUROGATE_RATE_LIMIT_AUTHENTICATED") or "1000/minute"
            ),
            subscription_recheck_seconds=_float(
                env, "NEUROGATE_SUBSCRIPTION_RECHECK_SECONDS", 2.0
            ),
        )
