"""A websocket lives no longer than the credential it was opened with.

A request checks its credential once, but a subscription can stay open for days: every few
seconds (``NEUROGATE_SUBSCRIPTION_RECHECK_SECONDS``) the connection's principal is checked
again, and the socket is closed with 4403 (graphql-transport-ws's "Forbidden") once its token
is revoked or expired or its user deactivated. Between two checks, each subscription checks
again before it delivers an event (see ``schema/approvals.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from starlette.websockets import WebSocket, WebSocketState

from gateway.errors import Unauthenticated
from resolvers.auth import recheck
from resolvers.context import Context

CREDENTIAL_LAPSED = 4403
log = logging.getLogger(__name__)


@asynccontextmanager
async def closing_when_credential_lapses(
    websocket: WebSocket, context: Context
) -> AsyncIterator[None]:
    """Watch ``context``'s principal (it may authenticate after connecting) while the block
    serves ``websocket``."""
    watch = asyncio.create_task(_watch(websocket, context))
    try:
        yield
    finally:
        watch.cancel()
        with suppress(asyncio.CancelledError):
            await watch


async def _watch(websocket: WebSocket, context: Context) -> None:
    every = context.settings.subscription_recheck_seconds
    while websocket.application_state is not WebSocketState.DISCONNECTED:
        await asyncio.sleep(every)
        try:
            await recheck(context, context.principal)
        except Unauthenticated:
            reason = "The credential of this connection is no longer valid."
            await _close(websocket, CREDENTIAL_LAPSED, reason)
            return
        except Exception:
            # Fail closed: a connection whose credential cannot be checked is not kept.
            log.exception("re-checking a websocket's credential failed")
            await _close(websocket, 1011, "Internal error.")
            return


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state is WebSocketState.CONNECTED:
        await websocket.close(code=code, reason=reason)
