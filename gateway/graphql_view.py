"""The GraphQL endpoint: Strawberry's ASGI view with our context and orjson responses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException, StarletteRequestAdapter
from graphql import GraphQLError, GraphQLSyntaxError, OperationType, get_operation_ast, parse
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import StartMessage
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from gateway.accept import quality
from gateway.auth.principal import ANONYMOUS, Portal, Principal
from gateway.auth.visibility import in_portal
from gateway.credential_watch import closing_when_credential_lapses
from gateway.errors import (
    BadRequest,
    MethodNotAllowed,
    NeurogateError,
    NotFound,
    Unauthenticated,
    Unavailable,
)
from gateway.http.errors import ErrorFormat, error_response
from gateway.http.multipart import read_graphql_multipart, refuse_unwanted_post
from gateway.http.requests import decode_json
from gateway.pages.routes import graphiql_page
from gateway.persisted import PersistedQueries, PersistedQueryRefused
from gateway.safelist import NOT_REGISTERED, NOT_REGISTERED_CODE, Safelist
from gateway.settings import Settings
from gateway.storage import StagedFile
from resolvers.auth import authenticate
from resolvers.context import Context
from schema.operation_cache import OperationCache

# Which view of the data a GraphQL caller asks for: anonymous callers get the public view,
# authenticated ones the private view unless they ask otherwise; admins may ask for "super".
PORTAL_HEADER = "x-neurogate-portal"
_STAGED = "staged_uploads"  # request state: files received, discarded when the request ends

# GraphQL over HTTP: the media type of its own, and the legacy one that clients without an
# Accept header (or asking for JSON) keep getting.
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


def response_media_type(accept: str) -> str:
    """``application/graphql-response+json`` when the client names it and likes it at least
    as much as ``application/json``; ``application/json`` otherwise."""
    preferred = quality(accept, GRAPHQL_RESPONSE_JSON)
    return GRAPHQL_RESPONSE_JSON if 0 < preferred >= quality(accept, JSON) else JSON


def is_request_error(result: ExecutionResult) -> bool:
    """The request could not be executed at all (a parse or validation failure, a variable
    that does not coerce): no data, and no error belongs to a field."""
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )


def _database_unavailable(result: ExecutionResult) -> bool:
    """A field failed because the database is gone: the whole answer is a 503, so a load
    balancer or client retries it rather than taking its nulls for data."""
    return any(
        (error.extensions or {}).get("code") == Unavailable.code for error in result.errors or ()
    )


def names_a_subscription(query: str | None, operation_name: str | None, max_tokens: int) -> bool:
    """Whether the operation to run is a subscription (parsed only when the document says
    ``subscription`` at all: the schema parses every document anyway, with its cache; and
    under the schema's token limit, as a long document is refused there)."""
    if not query or "subscription" not in query:
        return False
    try:
        operation = get_operation_ast(parse(query, max_tokens=max_tokens), operation_name)
    except GraphQLError:
        return False  # the schema answers the parse error
    return operation is not None and operation.operation == OperationType.SUBSCRIPTION


def cache_control(*, principal: Principal, failed: bool, max_age: int) -> str:
    """The Cache-Control of a query's answer to GET. Only an anonymous caller's answer may
    sit in a shared cache: it is the public view, the same for every anonymous caller. A
    signed-in caller's answer is theirs alone, and is not kept even by their browser (a
    revoked token or a lost membership must take effect at once). An error is never kept: a
    cached ``PersistedQueryNotFound`` would outlive the registration that answers it."""
    if failed:
        return "no-store"
    if principal.is_authenticated:
        return "private, no-store"
    return f"public, max-age={max_age}" if max_age else "no-cache"


# What a GET answer depends on besides its URL (a shared cache keys on these too).
GET_VARIES_ON = "Accept, Authorization, X-Neurogate-Portal"

SUBSCRIPTIONS_OVER_WEBSOCKET = (
    "Subscriptions are served over WebSocket at /graphql (the graphql-transport-ws protocol), "
    "not over plain HTTP."
)


def _replaying(received: list[Message], receive: Receive) -> Receive:
    """``receive``, giving the ``received`` messages first."""
    pending = list(received)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


def _mark_parse_errors(errors: list[GraphQLError]) -> None:
    for error in errors:
        if isinstance(error, GraphQLSyntaxError) and "code" not in (error.extensions or {}):
            error.extensions = {**(error.extensions or {}), "code": "GRAPHQL_PARSE_FAILED"}


class _UploadRequestAdapter(StarletteRequestAdapter):
    """Keeps the Starlette request at hand for :meth:`GraphQLView.parse_multipart`."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.request = request


class _TextFrameAdapter(ASGIWebSocketAdapter):
    """Sends every message as a text frame: graphql-transport-ws messages are JSON text, and
    the stock clients refuse binary frames (browsers hand them over as Blobs)."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        if self.ws.application_state is WebSocketState.DISCONNECTED:
            return  # closed from this side (a lapsed credential): nobody is left to tell
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


def not_in_safelist(view: object, query: object) -> GraphQLError | None:
    """The error refusing a websocket operation the view's safelist does not register."""
    assert isinstance(view, GraphQLView)
    if view.safelist is None or not isinstance(query, str):
        return None
    if view.safelist.allows(query, max_tokens=view.settings.max_query_tokens):
        return None
    return GraphQLError(NOT_REGISTERED, extensions={"code": NOT_REGISTERED_CODE})


class _SafelistedTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        error = not_in_safelist(self.view, message["payload"].get("query"))
        if error is None or not self.connection_acknowledged:
            await super().handle_subscribe(message)
            return
        await self.send_message(
            {"id": message["id"], "type": "error", "payload": [error.formatted]}
        )


class _SafelistedLegacyWS(BaseGraphQLWSHandler[Context, None]):
    async def handle_start(self, message: StartMessage) -> None:
        error = not_in_safelist(self.view, message["payload"].get("query"))
        if error is None or not self.connection_acknowledged:
            await super().handle_start(message)
            return
        await self.send_message(
            {"type": "error", "id": message["id"], "payload": {"message": error.message}}
        )


class GraphQLView(GraphQL[Context, None]):
    request_adapter_class = _UploadRequestAdapter
    websocket_adapter_class = _TextFrameAdapter  # type: ignore[assignment]
    # With a safelist, the websocket runs registered operations only, as HTTP does.
    graphql_transport_ws_handler_class = _SafelistedTransportWS
    graphql_ws_handler_class = _SafelistedLegacyWS

    def __init__(
        self, *args: Any, settings: Settings, safelist: Safelist | None = None, **kwargs: Any
    ) -> None:
        self.settings = settings
        self.safelist = safelist
        self.compiled_operations = OperationCache()
        # File uploads (the GraphQL multipart request spec), read by parse_multipart below.
        kwargs.setdefault("multipart_uploads_enabled", True)
        # Web apps on any origin may subscribe, as CORS lets them query: a subscriber signs in
        # with a token it holds (never a cookie), so a foreign page gains nothing by connecting.
        kwargs.setdefault("allowed_origins", ("*",))
        super().__init__(*args, **kwargs)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def parse_json(self, data: str | bytes) -> Any:
        """A POST body or GET's variables: malformed or too deeply nested JSON is a 400 in
        GraphQL's format (Strawberry would answer it in plain text)."""
        return decode_json(data, max_depth=self.settings.max_json_depth)

    def decode_json(self, data: str | bytes) -> object:
        """A websocket message: Strawberry closes the socket (4400) on a JSONDecodeError."""
        try:
            return decode_json(data, max_depth=self.settings.max_json_depth)
        except BadRequest as error:
            raise json.JSONDecodeError(error.message, "", 0) from None

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        """Not for a GET naming a persisted query (it has no ``query`` parameter)."""
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
        )

    @property
    def graphql_ide_html(self) -> str:
        """GraphiQL with every asset served by the gateway (Strawberry's page loads a CDN)."""
        return graphiql_page()

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
            except NeurogateError as error:  # reading the body failed: nothing was sent yet
                await error_response(ErrorFormat.GRAPHQL, error)(scope, receive, send)
            except ClientDisconnect:
                pass  # the client is gone mid-upload: nobody is left to answer
            finally:
                for file in staged:  # received but not kept by a mutation
                    file.path.unlink(missing_ok=True)
            return
        if scope["type"] == "websocket":
            # The context is made here, not by Strawberry, so the credential it carries can
            # be watched for as long as the socket is open.
            websocket = WebSocket(scope, receive=receive, send=send)
            context = await self.get_context(websocket, response=websocket)
            async with closing_when_credential_lapses(websocket, context):
                await self.run(websocket, context=context)
            return
        await super().__call__(scope, receive, send)

    async def express(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Answer a JSON POST of a query known compiled (:mod:`schema.operation_cache`) with
        its statements' answer, as the view would answer it, before the router and Strawberry
        see the request (the gateway's :class:`~gateway.middleware.Front` asks first); None
        once answered. Any other request, and any failure, goes the normal way: then the
        receive returned gives it the body already read again. (A request naming a portal
        goes the normal way too, where its operation is still answered compiled.)"""
        operations = self.compiled_operations
        if not len(operations) or scope["method"] != "POST" or self.safelist is not None:
            return receive
        headers = Headers(scope=scope)
        content_type = headers.get("content-type", "").partition(";")[0].strip().lower()
        if content_type != JSON or PORTAL_HEADER in headers:
            return receive
        if self._get_stream_transport_from_headers(headers):
            return receive
        received: list[Message] = []
        body = b""
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":
                return _replaying(received, receive)
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        replay = _replaying(received, receive)
        try:
            payload = self.parse_json(body)
        except NeurogateError:
            return replay
        if not isinstance(payload, dict) or payload.get("extensions") is not None:
            return replay
        name = payload.get("operationName")
        if not isinstance(name, (str, type(None))):
            return replay
        state = scope["app"].state
        principal = scope["state"].get("principal", ANONYMOUS)
        data = await operations.data(
            state.settings,
            state.sessionmaker,
            principal,
            payload.get("query"),
            name,
            payload.get("variables"),
        )
        if data is None:
            return replay
        body = self.encode_json({"data": data})
        media_type = response_media_type(headers.get("accept", ""))
        start = [(b"content-type", media_type.encode()), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": start})
        await send({"type": "http.response.body", "body": body})
        return None

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Strawberry's own refusals (a mutation over GET, a body that is not JSON) answered
        in GraphQL's format, as every other error here (Strawberry answers them in plain
        text)."""
        try:
            return await super().run(request, context, root_value)
        except HTTPException as refusal:
            error: NeurogateError
            if refusal.status_code == 405:
                error = MethodNotAllowed(refusal.reason)
            elif refusal.status_code == 404:
                error = NotFound(refusal.reason)
            else:
                error = BadRequest(refusal.reason)
            raise error from None

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        """Stream the files of a multipart request straight into the storage directory
        (Strawberry's default would spool them to memory and temporary files first)."""
        assert isinstance(request, _UploadRequestAdapter)
        staged = request.request.scope["state"][_STAGED]
        return await read_graphql_multipart(request.request, staged)  # type: ignore[no-any-return]

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        max_tokens = self.settings.max_query_tokens
        persisted = PersistedQueries(request.app.state.query_store, self.safelist, max_tokens)
        try:
            resolved = await persisted.resolve(request_data.query, request_data.extensions)
        except PersistedQueryRefused as refusal:
            sub_response.status_code = refusal.status
            error = GraphQLError(refusal.message, extensions={"code": refusal.code})
            return ExecutionResult(data=None, errors=[error])
        request_data = replace(request_data, query=resolved.query)
        # A subscription sent as a plain HTTP request would run as a query and fail inside.
        if names_a_subscription(request_data.query, request_data.operation_name, max_tokens):
            error = GraphQLError(SUBSCRIPTIONS_OVER_WEBSOCKET, extensions={"code": "BAD_REQUEST"})
            return ExecutionResult(data=None, errors=[error])
        # A query answered before with every root field compiled runs its statements alone.
        compiled = self.compiled_operations
        cacheable = request_adapter.method == "POST" or self.allow_queries_via_get
        query, name, variables = (
            request_data.query,
            request_data.operation_name,
            request_data.variables,
        )
        hit = await compiled.answer(context, query, name, variables) if cacheable else None
        if hit is not None:
            result = hit
        else:
            if cacheable:
                compiled.watch(context)
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
            compiled.learn(context, query, name, variables, result)
        # Stored only once it proved executable: every limit on documents applied first.
        if not is_request_error(result):
            await persisted.register(resolved)
        return result

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = response_media_type(request.headers.get("accept", ""))
        request.state.graphql_sub_response = sub_response  # process_result sets its status
        return sub_response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """GraphQL over HTTP's answer to a request error, for clients that accept
        ``application/graphql-response+json``: 400, and no ``data`` entry at all (those
        asking for ``application/json`` keep 200 and ``data: null``, as that spec says). An
        answer missing what the database could not give is a 503, whatever the media type."""
        _mark_parse_errors(result.errors or [])
        body = process_result(result)
        sub_response = getattr(request.state, "graphql_sub_response", None)
        if sub_response is None:
            return body
        if _database_unavailable(result):
            sub_response.status_code = Unavailable.status
        if sub_response.media_type == GRAPHQL_RESPONSE_JSON and is_request_error(result):
            body.pop("data", None)
            sub_response.status_code = sub_response.status_code or 400
        if request.method == "GET":
            sub_response.headers["Cache-Control"] = cache_control(
                principal=getattr(request.state, "principal", ANONYMOUS),
                failed=bool(result.errors),
                max_age=self.settings.graphql_get_max_age,
            )
            sub_response.headers["Vary"] = GET_VARIES_ON
        return body

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        response = Response(
            self.encode_json(response_data),
            status_code=sub_response.status_code or 200,
            media_type=sub_response.media_type or JSON,
        )
        response.headers.raw.extend(sub_response.headers.raw)
        response.background = sub_response.background
        return response

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        state = request.app.state
        principal = getattr(request.state, "principal", ANONYMOUS)
        context = Context.build(
            state.settings, state.sessionmaker, principal, state.clock, state.events
        )
        context.json_text_answers = isinstance(request, Request)  # encode_json: orjson
        return context

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
