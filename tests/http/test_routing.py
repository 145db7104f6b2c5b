"""A family route answers its errors in its family's format, on a tiny app of its own."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from gateway.errors import Conflict
from gateway.http.errors import ErrorFormat
from gateway.http.routing import FamilyRoute, destination


async def conflict(_: Request) -> Response:
    raise Conflict("Already reviewed.")


async def broken(_: Request) -> Response:
    raise RuntimeError("secret internals")


async def broken_midway(_: Request) -> Response:
    async def chunks() -> object:
        yield b"partial"
        raise RuntimeError("the disk went away")

    return StreamingResponse(chunks())  # type: ignore[arg-type]


def client(*routes: FamilyRoute, raise_app_exceptions: bool = True) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(
        app=Starlette(routes=list(routes)), raise_app_exceptions=raise_app_exceptions
    )
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        (ErrorFormat.DRF, {"detail": "Already reviewed."}),
        (ErrorFormat.ALYX, {"detail": "Already reviewed.", "status_code": 409}),
        (ErrorFormat.BRAINMAPS, {"error": "Conflict", "detail": "Already reviewed."}),
        (ErrorFormat.BRAINCIRCUITS, {"detail": "Already reviewed."}),
        (
            ErrorFormat.GRAPHQL,
            {"errors": [{"message": "Already reviewed.", "extensions": {"code": "CONFLICT"}}]},
        ),
    ],
)
async def test_a_domain_error_answers_in_the_routes_format(
    errors: ErrorFormat, expected: dict[str, object]
) -> None:
    async with client(FamilyRoute("/x", conflict, errors=errors)) as http:
        response = await http.get("/x")
    assert (response.status_code, response.json()) == (409, expected)


def test_a_route_without_an_error_format_is_refused_at_start_up() -> None:
    with pytest.raises(TypeError, match="no error format"):
        FamilyRoute("/x", conflict)


async def test_a_failure_is_answered_by_the_route_unless_it_leaves_failures_to_starlette() -> None:
    answered = FamilyRoute("/answered", broken, errors=ErrorFormat.BRAINMAPS)
    left = FamilyRoute("/left", broken, errors=ErrorFormat.BRAINMAPS, answers_failures=False)
    async with client(answered, left, raise_app_exceptions=False) as http:
        response = await http.get("/answered")
        assert (response.status_code, response.json()) == (
            500,
            {"error": "Error", "detail": "Internal server error."},
        )
        assert "secret" not in response.text
    async with client(answered, left) as http:
        # Left to what is around the route: here Starlette, which answers 500 and re-raises
        # (in the gateway, the request log middleware answers it).
        with pytest.raises(RuntimeError, match="secret"):
            await http.get("/left")


async def test_a_failure_after_the_answer_started_is_left_to_the_server() -> None:
    route = FamilyRoute("/x", broken_midway, errors=ErrorFormat.DRF)
    async with client(route) as http:
        with pytest.raises(RuntimeError, match="response already started"):
            await http.get("/x")


def test_the_destination_is_the_route_the_router_will_choose() -> None:
    get = FamilyRoute("/items/", conflict, methods=["GET"], errors=ErrorFormat.ALYX)
    post = FamilyRoute("/items/", conflict, methods=["POST"], errors=ErrorFormat.DRF)
    app = Starlette(routes=[get, post])

    def scope(method: str, path: str) -> dict[str, object]:
        return {"type": "http", "method": method, "path": path, "root_path": "", "app": app}

    assert destination(scope("POST", "/items/")) is post  # the full match, not the first
    assert destination(scope("PUT", "/items/")) is get  # the first partial: its 405
    assert destination(scope("GET", "/items")) is get  # where the slash redirect leads
    assert destination(scope("GET", "/other")) is None
