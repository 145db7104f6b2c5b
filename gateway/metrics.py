"""What the gateway counts for Prometheus, and how ``/metrics`` reads it across workers.

One :class:`Metrics` per app, made by ``create_app`` (nothing is registered on import). In one
process the metrics live in the app's own registry. Under ``neurogate serve`` every worker
writes its values to files in ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess
mode, chosen when prometheus-client is first imported, so the command sets it before that) and
a scrape, answered by whichever worker, adds up the files of all of them: counters of a worker
that died are kept (they happened), its share of the gauges of what is open or held now
(connections, upload buffers) is dropped.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess, values
from prometheus_client.exposition import choose_encoder

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Clients name their GraphQL operations: past this many names in one process, further ones
# are counted as "other", so a client inventing names cannot grow the series without bound.
MAX_OPERATION_NAMES = 200
OTHER_OPERATION = "other"
ANONYMOUS_OPERATION = "anonymous"

# SQL statements per request: the read path promises a few per level of nesting.
STATEMENT_BUCKETS = (0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64, 128)
# A live gauge file is named after the kind of gauge and the process that wrote it.
_LIVE_GAUGE_FILE = re.compile(r"gauge_live\w*_(\d+)\.db")


def _live_gauge(name: str, documentation: str, registry: CollectorRegistry | None) -> Gauge:
    """A gauge of what is open or held now: across workers, the live ones' values added up."""
    return Gauge(name, documentation, registry=registry, multiprocess_mode="livesum")


def multiprocess_dir() -> Path | None:
    """The directory every worker writes to, when prometheus-client is in multiprocess mode."""
    if values.ValueClass is values.MutexValue:
        return None
    return Path(os.environ[MULTIPROC_DIR_ENV])


class Metrics:
    def __init__(self) -> None:
        # In multiprocess mode values go to files, and a scrape reads every worker's files
        # into a registry of its own; the process's registry would only repeat its share.
        self.registry = CollectorRegistry()
        registry = None if multiprocess_dir() else self.registry
        self.requests = Counter(
            "neurogate_requests",
            "HTTP requests answered, by surface (API family), route template and status.",
            ["surface", "route", "method", "status"],
            registry=registry,
        )
        self.request_seconds = Histogram(
            "neurogate_request_duration_seconds",
            "Time from receiving a request to the end of its answer.",
            ["surface", "route"],
            registry=registry,
        )
        self.statements = Histogram(
            "neurogate_sql_statements_per_request",
            "SQL statements one HTTP request ran.",
            ["surface"],
            buckets=STATEMENT_BUCKETS,
            registry=registry,
        )
        self.graphql_operations = Counter(
            "neurogate_graphql_operations",
            "GraphQL operations executed, by type and operation name.",
            ["type", "name"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "neurogate_rate_limit_refusals",
            "Requests refused with 429, by surface and kind of caller.",
            ["surface", "caller"],
            registry=registry,
        )
        self.subscriptions = _live_gauge(
            "neurogate_subscription_connections",
            "GraphQL subscription (websocket) connections open now.",
            registry,
        )
        self.subscriptions_opened = Counter(
            "neurogate_subscription_connections_opened",
            "GraphQL subscription (websocket) connections accepted.",
            registry=registry,
        )
        self.upload_buffer_bytes = _live_gauge(
            "neurogate_upload_buffer_bytes",
            "Memory the uploads in flight hold for their buffers now.",
            registry,
        )
        self.upload_buffer_limit = _live_gauge(
            "neurogate_upload_buffer_limit_bytes",
            "Memory the uploads in flight may hold for their buffers at most "
            "(NEUROGATE_UPLOAD_BUFFER_BYTES, every worker's added up).",
            registry,
        )
        self.uploads_waiting = _live_gauge(
            "neurogate_uploads_waiting_for_buffer",
            "Uploads waiting for their first buffer, all buffers being in use.",
            registry,
        )
        self._operation_names: set[str] = set()
        # Labelled series looked up once each, as finding a child by its labels costs more
        # than counting into it: per (type, name) of operation, per (surface, route, method,
        # status) of request.
        self._operation_series: dict[tuple[str, str], Any] = {}
        self._request_series: dict[tuple[str, str, str, int], tuple[Any, Any, Any]] = {}

    def count_request(
        self, surface: str, route: str, method: str, status: int, seconds: float, statements: int
    ) -> None:
        """One answered request: its count, duration and SQL statements."""
        key = (surface, route, method, status)
        series = self._request_series.get(key)
        if series is None:
            series = self._request_series[key] = (
                self.requests.labels(surface, route, method, str(status)),
                self.request_seconds.labels(surface, route),
                self.statements.labels(surface),
            )
        counted, duration, ran = series
        counted.inc()
        duration.observe(seconds)
        ran.observe(statements)

    def count_operation(self, kind: str, name: str | None) -> None:
        name = name or ANONYMOUS_OPERATION
        series = self._operation_series.get((kind, name))
        if series is None:
            if name not in self._operation_names:
                if len(self._operation_names) >= MAX_OPERATION_NAMES:
                    name = OTHER_OPERATION
                else:
                    self._operation_names.add(name)
            series = self.graphql_operations.labels(kind, name)
            if name != OTHER_OPERATION:
                self._operation_series[(kind, name)] = series
        series.inc()

    def upload_buffers(self, held: int, waiting: int) -> None:
        """The uploads' buffers now (a ``BudgetWatch``): bytes held, uploads waiting."""
        self.upload_buffer_bytes.set(held)
        self.uploads_waiting.set(waiting)

    def exposition(self, accept: str) -> tuple[bytes, str]:
        """Every metric, added up over all workers, and its media type: the format the
        scraper's ``Accept`` asks for (OpenMetrics or Prometheus' text format)."""
        encode, media_type = choose_encoder(accept)
        directory = multiprocess_dir()
        if directory is None:
            return encode(self.registry), media_type
        forget_dead_workers(directory)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(directory))
        return encode(registry), media_type


def forget_dead_workers(directory: Path) -> None:
    """Drop the live gauges of workers that are gone (killed, or restarted by uvicorn)."""
    for path in directory.glob("gauge_live*.db"):
        match = _LIVE_GAUGE_FILE.fullmatch(path.name)
        if match and not _alive(int(match.group(1))):
            multiprocess.mark_process_dead(int(match.group(1)), str(directory))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True
