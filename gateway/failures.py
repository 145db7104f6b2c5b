"""Exceptions nobody expected, handed by whatever answered them to the one place that logs them.

A route answering a 500 in its family's format, or the GraphQL schema answering a field's
``INTERNAL_SERVER_ERROR``, :func:`report` the exception instead of logging it. The request log
(:class:`gateway.middleware.Front`) collects what a request reported and logs it
once, with the request's id, on the request's own line. A failure outside any HTTP request (a
subscription's event) has no such line: it is logged at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

log = logging.getLogger("neurogate")

_reported: ContextVar[list[BaseException] | None] = ContextVar("reported", default=None)


@contextmanager
def collecting() -> Iterator[list[BaseException]]:
    """Collect what is reported inside this block (one HTTP request)."""
    reported: list[BaseException] = []
    token = _reported.set(reported)
    try:
        yield reported
    finally:
        _reported.reset(token)


def report(exc: BaseException) -> None:
    """``exc`` was answered as an internal error: have it logged, with its traceback, once."""
    reported = _reported.get()
    if reported is None:
        log.error("unexpected error outside a request", exc_info=exc)
    else:
        reported.append(exc)
