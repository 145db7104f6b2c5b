"""Paging for every REST family: the window a request asks for, and its ``next``/``previous``
links.

Two dialects: ``limit``/``offset`` (BrainSTEM, Alyx) and ``page``/``page_size`` (BrainMaps).
Both become one :class:`~resolvers.query.Window`, checked against the family's default and
maximum page size: asking for more than the maximum is a 400, never a silent cut (clients that
page by ``count`` would loop forever). A page may start no further than
:data:`~resolvers.query.MAX_OFFSET`: past it, a number is a 400 here, before it reaches SQL.
Links are the request's own URL with only the paging parameters changed, so they keep the
caller's host, path, filters and ordering.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import URL

from gateway.errors import QueryError
from resolvers.query import MAX_OFFSET, Window

Links = tuple[str | None, str | None]  # (next, previous)


def _whole_number(
    params: Mapping[str, str], name: str, default: int, *, minimum: int, maximum: int = MAX_OFFSET
) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise QueryError(f"'{name}' must be a whole number, not {raw[:40]!r}.") from exc
    if value < minimum:
        raise QueryError(f"'{name}' must be at least {minimum}.")
    if value > maximum:
        raise QueryError(f"'{name}' must be at most {maximum}.")
    return value


def _at_most(name: str, value: int, maximum: int) -> int:
    if value > maximum:
        raise QueryError(
            f"'{name}' is {value}, over the maximum of {maximum}; ask for fewer rows and page."
        )
    return value


def offset_window(
    params: Mapping[str, str],
    *,
    default_limit: int,
    max_limit: int,
    limit_param: str = "limit",
    offset_param: str = "offset",
) -> Window:
    """The window of ``?limit=&offset=``: ``limit`` defaults to ``default_limit``."""
    limit = _whole_number(params, limit_param, default_limit, minimum=0)
    offset = _whole_number(params, offset_param, 0, minimum=0)
    return Window(limit=_at_most(limit_param, limit, max_limit), offset=offset)


def page_window(
    params: Mapping[str, str],
    *,
    default_size: int,
    max_size: int,
    page_param: str = "page",
    size_param: str = "page_size",
) -> Window:
    """The window of ``?page=&page_size=`` (pages count from 1)."""
    size = _at_most(
        size_param, _whole_number(params, size_param, default_size, minimum=1), max_size
    )
    page = _whole_number(params, page_param, 1, minimum=1, maximum=MAX_OFFSET // size + 1)
    return Window(limit=size, offset=(page - 1) * size)


def offset_links(
    url: URL,
    window: Window,
    count: int,
    *,
    limit_param: str = "limit",
    offset_param: str = "offset",
) -> Links:
    """``next`` while rows remain after this window; ``previous`` unless it starts at 0
    (without an ``offset`` when the previous window is the first, as Django REST does)."""
    limit, offset = window.limit, window.offset
    following = None
    if limit > 0 and offset + limit < count:
        following = str(
            url.include_query_params(**{limit_param: limit, offset_param: offset + limit})
        )
    previous = None
    if offset > 0:
        back = offset - limit
        at_start = url.remove_query_params(offset_param)
        previous = str(
            at_start.include_query_params(**{limit_param: limit})
            if back <= 0
            else url.include_query_params(**{limit_param: limit, offset_param: back})
        )
    return following, previous


def page_links(
    url: URL,
    window: Window,
    count: int,
    *,
    page_param: str = "page",
    size_param: str = "page_size",
) -> Links:
    """``next`` while pages remain; ``previous`` from page 2 on (page 1 without ``page``)."""
    size = window.limit
    page = window.offset // size + 1 if size else 1
    following = None
    if size and window.offset + size < count:
        following = str(url.include_query_params(**{page_param: page + 1}))
    previous = None
    if page > 1:
        previous = str(
            url.remove_query_params(page_param)
            if page == 2
            else url.include_query_params(**{page_param: page - 1})
        )
    return following, previous
