"""A read on PostgreSQL sends its statements and nothing else: no ping before each checkout,
no BEGIN and ROLLBACK around them; and a statement sent again runs from the connection's
prepared statements, whether it went through SQLAlchemy's pool or (a compiled read) on a
connection lent for it (:mod:`gateway.db.lent`). What the server is sent is read from
asyncpg's own query log, on a PostgreSQL cluster of the test's own (whatever
NEUROGATE_TEST_POSTGRES_URL says)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event

from gateway.db.lent import lender as lender_of
from gateway.settings import Settings
from tests.conftest import start_gateway
from tests.db.conftest import three_public_sessions
from tests.db.private_postgres import PrivateCluster

QUERY = "{ sessions(limit: 10) { name project { name } } }"


def _prepared(connections: list[Any], lent: list[Any]) -> int:
    """How many statements SQLAlchemy keeps prepared on these (DBAPI) connections, and
    asyncpg on the lent ones."""
    return sum(len(c._prepared_statement_cache) for c in connections) + sum(
        len(c._stmt_cache) for c in lent
    )


async def test_a_postgresql_read_sends_only_its_statements_prepared_once(
    cluster: PrivateCluster, tmp_path: Path
) -> None:
    url = await three_public_sessions(cluster, "lean")
    lifespan, gateway = await start_gateway(Settings(database_url=url, storage_dir=tmp_path))
    sent: list[str] = []
    connections: list[Any] = []

    def watch(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(lambda r: sent.append(r.query))
        connections.append(dbapi_connection)

    event.listen(gateway.app.state.engine.sync_engine.pool, "connect", watch)
    lent: list[Any] = []
    sent_lent: list[str] = []
    lender = lender_of(gateway.app.state.engine)
    assert lender is not None
    connect = lender.connect

    async def watched() -> Any:
        connection = await connect()
        connection.add_query_logger(lambda r: sent_lent.append(r.query))
        lent.append(connection)
        return connection

    lender.connect = watched
    try:
        first = await gateway.data(QUERY)
        assert [s["project"]["name"] for s in first["sessions"]] == ["open"] * 3
        statements = gateway.statements.count
        # asyncpg logs what is sent as text (BEGIN, ROLLBACK, a ping's ";"), not the prepared
        # statements SQLAlchemy runs: a read logs nothing at all.
        assert statements >= 1 and sent == []
        assert lent  # the query compiles: its statement ran on a lent connection
        prepared = _prepared(connections, lent)
        assert prepared >= statements
        assert await gateway.data(QUERY) == first  # the same statements again ...
        assert _prepared(connections, lent) == prepared  # ... and none prepared anew
        assert sent == []
        # A lent connection's log holds its statements, and nothing around them.
        assert sent_lent and all(q.lstrip().upper().startswith("SELECT") for q in sent_lent)
        # The log does see a transaction, as a write has one.
        async with gateway.app.state.engine.begin() as conn:
            await conn.exec_driver_sql("SELECT 1")
        assert [q.split()[0].upper().rstrip(";") for q in sent] == ["BEGIN", "COMMIT"]
    finally:
        await gateway.client.aclose()
        await lifespan.__aexit__(None, None, None)
