"""Settings, read once from ``NEUROGATE_*`` environment variables (documented in README.md)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from limits import parse as parse_limit

from gateway.db.checks import url_problem

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./neurogate.db"
# Signs JWTs in development only: Settings refuses it when NEUROGATE_ENV=production.
DEVELOPMENT_SECRET_KEY = "neurogate-development-secret-key-change-me-in-production"
# NEUROGATE_MAX_QUERY_COST's default: this many lists each nested in a list, both at the
# default page (NEUROGATE_MAX_PAGE_SIZE rows each, so page² rows): 50,000 rows with the
# default page of 100. It grows with the page size squared, as nested lists do.
QUERY_COST_NESTED_PAGES = 5
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
REDIS_PREFIX = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
# A metrics token is a shared secret in Prometheus' configuration: long enough not to guess.
MIN_METRICS_TOKEN = 16

N = TypeVar("N", int, float)


def _optional_number(env: Mapping[str, str], name: str, kind: type[N]) -> N | None:
    raw = env.get(name)
    if raw is None or raw == "":
        return None
    try:
        return kind(raw)
    except ValueError as exc:
        what = "an integer" if kind is int else "a number"
        raise ValueError(f"{name} must be {what}, got {raw!r}") from exc


def _optional_int(env: Mapping[str, str], name: str) -> int | None:
    return _optional_number(env, name, int)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = _optional_number(env, name, int)
    return default if value is None else value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    value = _optional_number(env, name, float)
    return default if value is None else value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = _optional_bool(env, name)
    return default if value is None else value


def _optional_bool(env: Mapping[str, str], name: str) -> bool | None:
    raw = env.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be a boolean (true/false), got {raw!r}")


def _directories(env: Mapping[str, str], name: str) -> tuple[tuple[str, Path], ...]:
    """``repository=/path,other=/path`` as (name, directory) pairs."""
    found: dict[str, Path] = {}
    for item in (env.get(name) or "").split(","):
        if not item.strip():
            continue
        repository, equals, directory = item.partition("=")
        if not equals or not repository.strip() or not directory.strip():
            raise ValueError(f"{name} takes name=/directory pairs, got {item!r}")
        found[repository.strip()] = Path(directory.strip())
    return tuple(found.items())


@dataclass(frozen=True, kw_only=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    storage_dir: Path = Path("./storage")
    max_upload_bytes: int = 5 * 1024**3
    # The buffers of every upload in flight together, per process (see gateway.staging).
    upload_buffer_bytes: int = 96 * 1024**2
    host: str = "127.0.0.1"
    port: int = 8000
    max_page_size: int = 100
    max_query_depth: int = 10
    max_query_tokens: int = 5000
    max_query_aliases: int = 30
    # The selection once every fragment spread is expanded: fields counted as spread.
    max_query_fields: int = 2000
    # Rows a GraphQL operation may ask for: page sizes multiplied through nesting. None:
    # follows the page size (QUERY_COST_NESTED_PAGES), so that raising the page size does
    # not refuse the questions it was raised for.
    max_query_cost: int | None = None
    # Request bodies other than uploads (multipart/form-data keeps max_upload_bytes).
    max_body_bytes: int = 2 * 1024**2
    max_json_depth: int = 64
    # Input objects in a GraphQL operation's variables (each condition of a where: is one).
    max_input_objects: int = 1000
    # One filter (GraphQL where:, a REST family's filter parameters): its conditions, how
    # deeply and/or/not nest, and how many values one `in` lists.
    max_filter_conditions: int = 300
    max_filter_depth: int = 10
    max_filter_values: int = 1000
    # None: on in development, off in production. GraphiQL needs introspection, so it
    # follows it unless set.
    introspection: bool | None = None
    graphiql: bool | None = None
    sql_echo: bool = False
    # Compilable GraphQL root fields read as one statement building their JSON (schema.compiled).
    compiled_reads: bool = True
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
    # Where what several processes must share lives (rate-limit counters, subscription events,
    # persisted queries; /readyz checks it). None: this one process keeps it in memory, so it
    # must be the only one.
    redis_url: str | None = None
    # Every key and channel the gateway uses starts with it: deployments (or tests) can share
    # one Redis, whose pub/sub channels no db index separates.
    redis_prefix: str = "neurogate"
    # Who may read /metrics: with a token, whoever presents it (Authorization: Bearer); without
    # one, clients on this host (loopback) only.
    metrics_token: str | None = field(default=None, repr=False)
    # Automatic persisted queries (Apollo's protocol), kept in Redis when redis_url is set
    # (each entry expiring after persisted_query_ttl_seconds without use), else in this
    # process's LRU holding at most persisted_query_cache_bytes of query text.
    persisted_queries: bool = True
    persisted_query_cache_bytes: int = 16 * 1024**2
    persisted_query_ttl_seconds: int = 7 * 24 * 3600
    # A manifest (JSON) or a directory of .graphql files: when set, only the operations it
    # registers run, and GraphiQL is off unless asked for.
    safelist: Path | None = None
    # How long shared caches may keep an anonymous GET query's answer (0: revalidate).
    graphql_get_max_age: int = 60
    # Existing directories served as Alyx data repositories, by repository name: a file
    # registered to one is read from <directory>/<lab>/Subjects/<relative path>. A
    # repository not named here keeps its files in the gateway's storage.
    data_directories: tuple[tuple[str, Path], ...] = ()

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
        if self.alyx_token_seconds < 0:
            raise ValueError("NEUROGATE_ALYX_TOKEN_SECONDS must be 0 (no expiry) or more")
        if not 0 < self.subscription_recheck_seconds <= 3600:
            raise ValueError(
                "NEUROGATE_SUBSCRIPTION_RECHECK_SECONDS must be more than 0 and at most 3600"
            )
        if self.metrics_token is not None and len(self.metrics_token) < MIN_METRICS_TOKEN:
            raise ValueError(
                f"NEUROGATE_METRICS_TOKEN must be at least {MIN_METRICS_TOKEN} characters"
            )
        if self.redis_url is not None and not self.redis_url.startswith(REDIS_SCHEMES):
            raise ValueError(
                "NEUROGATE_REDIS_URL must look like redis://host:6379/0 (or rediss://, unix://)"
            )
        if not REDIS_PREFIX.fullmatch(self.redis_prefix):
            # Also a pub/sub pattern's start: no glob characters.
            raise ValueError(
                "NEUROGATE_REDIS_PREFIX must be letters, digits and - _ . : (at most 64)"
            )
        bounds = (
            ("NEUROGATE_MAX_UPLOAD_BYTES", self.max_upload_bytes),
            ("NEUROGATE_UPLOAD_BUFFER_BYTES", self.upload_buffer_bytes),
            ("NEUROGATE_MAX_QUERY_FIELDS", self.max_query_fields),
            ("NEUROGATE_MAX_QUERY_COST", self.query_cost_limit),
            ("NEUROGATE_MAX_BODY_BYTES", self.max_body_bytes),
            ("NEUROGATE_MAX_JSON_DEPTH", self.max_json_depth),
            ("NEUROGATE_MAX_INPUT_OBJECTS", self.max_input_objects),
            ("NEUROGATE_MAX_FILTER_CONDITIONS", self.max_filter_conditions),
            ("NEUROGATE_MAX_FILTER_DEPTH", self.max_filter_depth),
            ("NEUROGATE_MAX_FILTER_VALUES", self.max_filter_values),
            ("NEUROGATE_PERSISTED_QUERY_CACHE_BYTES", self.persisted_query_cache_bytes),
            ("NEUROGATE_PERSISTED_QUERY_TTL_SECONDS", self.persisted_query_ttl_seconds),
        )
        for name, bound in bounds:
            if bound < 1:
                raise ValueError(f"{name} must be a positive number")
        if self.graphql_get_max_age < 0:
            raise ValueError("NEUROGATE_GRAPHQL_GET_MAX_AGE must be 0 or more seconds")
        for name, value in (
            ("NEUROGATE_RATE_LIMIT_ANONYMOUS", self.rate_limit_anonymous),
            ("NEUROGATE_RATE_LIMIT_AUTHENTICATED", self.rate_limit_authenticated),
        ):
            try:
                parse_limit(value)
            except ValueError as exc:
                raise ValueError(f"{name} must look like '100/minute', got {value!r}") from exc

    # The settings whose default follows others (unset: None), as they are in effect.
    @property
    def introspection_enabled(self) -> bool:
        if self.introspection is None:
            return self.environment == "development"
        return self.introspection

    @property
    def graphiql_enabled(self) -> bool:
        # A safelist lets GraphiQL run nothing it was not built with: off unless asked for.
        if self.graphiql is None:
            return self.introspection_enabled and self.safelist is None
        return self.graphiql

    def data_directory(self, repository: str) -> Path | None:
        """The directory served as ``repository``, if the settings name one."""
        return dict(self.data_directories).get(repository)

    @property
    def query_cost_limit(self) -> int:
        if self.max_query_cost is None:
            return QUERY_COST_NESTED_PAGES * self.max_page_size**2
        return self.max_query_cost

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            database_url=env.get("NEUROGATE_DATABASE_URL") or DEFAULT_DATABASE_URL,
            storage_dir=Path(env.get("NEUROGATE_STORAGE_DIR") or "./storage"),
            max_upload_bytes=_int(env, "NEUROGATE_MAX_UPLOAD_BYTES", 5 * 1024**3),
            upload_buffer_bytes=_int(env, "NEUROGATE_UPLOAD_BUFFER_BYTES", 96 * 1024**2),
            host=env.get("NEUROGATE_HOST") or "127.0.0.1",
            port=_int(env, "NEUROGATE_PORT", 8000),
            max_page_size=_int(env, "NEUROGATE_MAX_PAGE_SIZE", 100),
            max_query_depth=_int(env, "NEUROGATE_MAX_QUERY_DEPTH", 10),
            max_query_tokens=_int(env, "NEUROGATE_MAX_QUERY_TOKENS", 5000),
            max_query_aliases=_int(env, "NEUROGATE_MAX_QUERY_ALIASES", 30),
            max_query_fields=_int(env, "NEUROGATE_MAX_QUERY_FIELDS", 2000),
            max_query_cost=_optional_int(env, "NEUROGATE_MAX_QUERY_COST"),
            max_body_bytes=_int(env, "NEUROGATE_MAX_BODY_BYTES", 2 * 1024**2),
            max_json_depth=_int(env, "NEUROGATE_MAX_JSON_DEPTH", 64),
            max_input_objects=_int(env, "NEUROGATE_MAX_INPUT_OBJECTS", 1000),
            max_filter_conditions=_int(env, "NEUROGATE_MAX_FILTER_CONDITIONS", 300),
            max_filter_depth=_int(env, "NEUROGATE_MAX_FILTER_DEPTH", 10),
            max_filter_values=_int(env, "NEUROGATE_MAX_FILTER_VALUES", 1000),
            introspection=_optional_bool(env, "NEUROGATE_INTROSPECTION"),
            graphiql=_optional_bool(env, "NEUROGATE_GRAPHIQL"),
            sql_echo=_bool(env, "NEUROGATE_SQL_ECHO", False),
            compiled_reads=_bool(env, "NEUROGATE_COMPILED_READS", True),
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
            subscription_recheck_seconds=_float(env, "NEUROGATE_SUBSCRIPTION_RECHECK_SECONDS", 2.0),
            redis_url=env.get("NEUROGATE_REDIS_URL") or None,
            redis_prefix=env.get("NEUROGATE_REDIS_PREFIX") or "neurogate",
            metrics_token=env.get("NEUROGATE_METRICS_TOKEN") or None,
            data_directories=_directories(env, "NEUROGATE_DATA_DIRECTORIES"),
            persisted_queries=_bool(env, "NEUROGATE_PERSISTED_QUERIES", True),
            persisted_query_cache_bytes=_int(
                env, "NEUROGATE_PERSISTED_QUERY_CACHE_BYTES", 16 * 1024**2
            ),
            persisted_query_ttl_seconds=_int(
                env, "NEUROGATE_PERSISTED_QUERY_TTL_SECONDS", 7 * 24 * 3600
            ),
            safelist=Path(env["NEUROGATE_SAFELIST"]) if env.get("NEUROGATE_SAFELIST") else None,
            graphql_get_max_age=_int(env, "NEUROGATE_GRAPHQL_GET_MAX_AGE", 60),
        )
