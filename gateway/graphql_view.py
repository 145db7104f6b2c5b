"""The GraphQL endpoint: Strawberry's ASGI view with our context and orjson responses."""

from __future__ import annotations

from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, StarletteRequestAdapter
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from gateway.auth.principal import ANONYMOUS, Portal
from gateway.auth.visibility import in_portal
from gateway.errors import BadRequest, NeurogateError, Unauthenticated
from gateway.http.errors import ErrorFormat, error_response
from gateway.http.multipart import read_graphql_multipart, refuse_unwanted_post
from gateway.storage import StagedFile
from resolvers.auth import authenticate
from resolvers.context import Context

# Which view of the data a GraphQL caller asks for: anonymous callers get the public view,
# authenticated ones the private view unless they ask otherwise; admins may ask for "super".
PORTAL_HEADER = "x-neurogate-portal"
_STAGED = "staged_uploads"  # request state: files received, discarded when the request ends


class _UploadRequestAdapter(StarletteRequestAdapter):
    """Keeps the Starlette request at hand for :meth:`GraphQLView.parse_multipart`."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.request = request


class GraphQLView(GraphQL[Context, None]):
    request_adapter_class = _UploadRequestAdapter

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # File uploads (the GraphQL multipart request spec), read by parse_multipart below.
        kwargs.setdefault("multipart_uploads_enabled", True)
        super().__init__(*args, **kwargs)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state = scope.setdefault("state", {})
            principal = state.get("principal", ANONYMOUS)
            requested = Headers(scope=scope).get(PORTAL_HEADER)
            try:
                if requested is not None:
                    try:
                        portal = Portal(requested.strip().lower())
                    except ValueError:
                        raise BadRequest(
                            f"{PORTAL_HEADER} must be public, private or super."
                        ) from None
                    state["principal"] = in_portal(principal, portal)
                refuse_unwanted_post(scope)
            except NeurogateError as error:
                await error_response(ErrorFormat.GRAPHQL, error)(scope, receive, send)
                return
            staged: list[StagedFile] = []
            state[_STAGED] = staged
            try:
                await super().__call__(scope, receive, send)
            except NeurogateError as error:  # reading an upload failed: nothing was sent yet
                await error_response(ErrorFormat.GRAPHQL, error)(scope, receive, send)
            except ClientDisconnect:
                pass  # the client is gone mid-upload: nobody is left to answer
            finally:
                for file in staged:  # received but not kept by a mutation
                    file.path.unlink(missing_ok=True)
            return
        await super().__call__(scope, receive, send)

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        """Stream the files of a multipart request straight into the storage directory
        (Strawberry's default would spool them to memory and temporary files first)."""
        assert isinstance(request, _UploadRequestAdapter)
        staged = request.request.scope["state"][_STAGED]
        return await read_graphql_multipart(request.request, staged)  # type: ignore[no-any-return]

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        state = request.app.state
        principal = getattr(request.state, "principal", ANONYMOUS)
        return Context.build(
            state.settings, state.sessionmaker, principal, state.clock, state.events
        )

    async def on_ws_connect(self, context: Context) -> Any:
        """Browsers cannot set headers on a websocket: a subscriber may also authenticate
        with ``{"Authorization": "Bearer <token>"}`` in its connection_init payload."""
        params = context.connection_params or {}
        credential = params.get("Authorization") or params.get("authorization")
        if isinstance(credential, str) and credential.strip():
            scheme, _, token = credential.strip().partition(" ")
            token = token.strip() if scheme.lower() in {"bearer", "token"} else credential
            try:
                context.act_as(await authenticate(context, token))
            except Unauthenticated as error:
                raise ConnectionRejectionError({"message": error.message}) from error
        return await super().on_ws_connect(context)
