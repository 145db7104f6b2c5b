"""What one request did, gathered while it runs, for its log line and the metrics.

The request log (:class:`gateway.middleware.Front`) opens :func:`observing` around
a request (or a websocket, for as long as it is open); the database engine counts each SQL
statement into it and the GraphQL schema each operation it executes. Context variables carry
it into the loaders' tasks and SQLAlchemy's greenlets, which copy the request's context.
Outside a request (start-up, a command) nothing is gathered.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from gateway.metrics import Metrics


@dataclass
class RequestFacts:
    metrics: Metrics
    statements: int = 0
    # GraphQL operations executed: (type, name), name None for an anonymous operation.
    operations: list[tuple[str, str | None]] = field(default_factory=list)


_current: ContextVar[RequestFacts | None] = ContextVar("request_facts", default=None)


@contextmanager
def observing(metrics: Metrics) -> Iterator[RequestFacts]:
    facts = RequestFacts(metrics)
    token = _current.set(facts)
    try:
        yield facts
    finally:
        _current.reset(token)


def count_statement(*_: Any) -> None:
    """A ``before_cursor_execute`` listener: one more SQL statement for the current request."""
    facts = _current.get()
    if facts is not None:
        facts.statements += 1


def record_operation(kind: str, name: str | None) -> None:
    """A GraphQL operation is executed: counted at once (a subscription runs for long)."""
    facts = _current.get()
    if facts is not None:
        facts.operations.append((kind, name))
        facts.metrics.count_operation(kind, name)
