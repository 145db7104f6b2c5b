"""A websocket lives no longer than the credential it was opened with.

A request checks its credential once, but a subscription can stay open for days: every few
seconds (``NEUROGATE_SUBSCRIPTION_RECHECK_SECONDS``) the connection's principal is checked
again, and the socket is closed with 4403 (graphql-transport-ws's "Forbidden") once its token
is revoked or expired or its user deactivated. A revocation through any process is published
(:data:`resolvers.auth.CREDENTIALS_TOPIC`), and the sockets of that user check at once. Between
two checks, each subscription checks again before it delivers an event (see
``schema/approvals.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from starlette.websockets import WebSocket, WebSocketState

from gateway.errors import Unauthenticated
from gateway.events import Event
from resolvers.auth import CREDENTIALS_TOPIC, recheck
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
    revoked = asyncio.Event()
    async with context.events.subscribe(CREDENTIALS_TOPIC) as revocations:
        hearing = asyncio.create_task(_hear(revocations, context, revoked))
        try:
            while websocket.application_state is not WebSocketState.DISCONNECTED:
                with suppress(TimeoutError):
                    await asyncio.wait_for(revoked.wait(), every)
                revoked.clear()
                if not await _still_valid(websocket, context):
                    return
        finally:
            hearing.cancel()
            with suppress(asyncio.CancelledError):
                await hearing


async def _hear(
    revocations: AsyncIterator[Event], context: Context, revoked: asyncio.Event
) -> None:
    """Set ``revoked`` whenever credentials of the connection's user are revoked."""
    async for event in revocations:
        user_id = context.principal.user_id
        if user_id is not None and event.payload.get("user_id") == user_id:
            revoked.set()


async def _still_valid(websocket: WebSocket, context: Context) -> bool:
    """Check the connection's credential now; close the socket and say False if it lapsed."""
    try:
        await recheck(context, context.principal)
    except Unauthenticated:
        reason = "The credential of this connection is no longer valid."
        await _close(websocket, CREDENTIAL_LAPSED, reason)
        return False
    except Exception:
        # Fail closed: a connection whose credential cannot be checked is not kept.
        log.exception("re-checking a websocket's credential failed")
        await _close(websocket, 1011, "Internal error.")
        return False
    return True


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state is WebSocketState.CONNECTED:
        await websocket.close(code=code, reason=reason)
