"""A column among a batch of ids, as one bound parameter whatever their number."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import BigInteger, ColumnElement, String, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


def among(
    sessionmaker: async_sessionmaker[AsyncSession], column: Any, ids: Sequence[int]
) -> ColumnElement[bool]:
    """``column`` is one of ``ids``: a JSON array on SQLite (``json_each``), an array on
    PostgreSQL (``= ANY``). The statement text is then the same for every batch size
    (prepared once), and needs no chunking below the databases' parameter limits."""
    if sessionmaker.kw["bind"].dialect.name == "sqlite":
        document = bindparam(None, orjson.dumps(list(ids)).decode(), type_=String)
        each = func.json_each(document).table_valued("value")
        return column.in_(select(each.c.value))  # type: ignore[no-any-return]
    return column == any_(bindparam(None, list(ids), type_=ARRAY(BigInteger)))  # type: ignore[no-any-return]
