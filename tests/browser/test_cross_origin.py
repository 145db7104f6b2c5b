"""A web app on another origin (a second port) uploads a file and subscribes to approval
events in headless Chromium: CORS lets it send every header the gateway reads and read the
ones it exposes; the browser build of graphql-ws works."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from starlette.applications import Starlette
from starlette.responses import FileResponse
from starlette.routing import Route

from tests import node
from tests.browser.conftest import LiveGateway
from tests.live import serve

PAGES = Path(__file__).parent / "pages"


def web_app() -> Starlette:
    """Another origin: the two pages and the browser build of graphql-ws."""
    script = node.node_modules() / "graphql-ws" / "umd" / "graphql-ws.min.js"
    return Starlette(
        routes=[
            Route("/upload", lambda _: FileResponse(PAGES / "upload.html")),
            Route("/subscribe", lambda _: FileResponse(PAGES / "subscribe.html")),
            Route("/graphql-ws.min.js", lambda _: FileResponse(script)),
        ]
    )


@pytest.fixture(scope="module")
def other_origin() -> Iterator[str]:
    with serve(web_app()) as base:
        yield base


def text_of(driver: webdriver.Chrome, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text  # type: ignore[no-any-return]


def test_a_page_on_another_origin_uploads_a_file_and_reads_the_exposed_headers(
    live_demo: LiveGateway, other_origin: str, chromium: webdriver.Chrome
) -> None:
    assert other_origin != live_demo.base
    query = urlencode({"gateway": live_demo.base, "token": live_demo.token})
    chromium.get(f"{other_origin}/upload?{query}")
    WebDriverWait(chromium, 30).until(lambda d: text_of(d, "result") != "running")
    outcome = json.loads(text_of(chromium, "result"))
    assert outcome["status"] == 200, outcome
    upload = outcome["body"]["data"]["uploadFile"]
    assert upload["size"] == str(len(b"cross-origin volume bytes"))  # a BigInt, as text
    assert outcome["requestId"] == "upload-from-another-origin"
    assert outcome["remaining"] is not None
    download = httpx.get(
        f"{live_demo.base}/files/{upload['id']}",
        headers={"Authorization": f"Bearer {live_demo.token}"},
    )
    assert download.content == b"cross-origin volume bytes"


PROPOSE = """mutation ($name: String!) { proposeSpecies(input: {name: $name}) {
  ... on Approval { id } } }"""


def test_a_page_on_another_origin_hears_approval_events_with_the_stock_graphql_ws_client(
    live_demo: LiveGateway, other_origin: str, chromium: webdriver.Chrome
) -> None:
    # The demo's reviewer listens; the test's user proposes.
    query = urlencode({"gateway": live_demo.base, "token": live_demo.reviewer_token})
    chromium.get(f"{other_origin}/subscribe?{query}")
    WebDriverWait(chromium, 30).until(lambda d: text_of(d, "state") != "connecting")
    assert text_of(chromium, "state") == "connected"
    deadline = time.monotonic() + 20
    attempt = 0
    while not text_of(chromium, "result") and time.monotonic() < deadline:
        # The subscription starts listening a moment after its subscribe message.
        answer = httpx.post(
            f"{live_demo.base}/graphql",
            json={"query": PROPOSE, "variables": {"name": f"Tuatara {attempt}"}},
            headers={"Authorization": f"Bearer {live_demo.token}"},
        )
        assert "errors" not in answer.json(), answer.text
        attempt += 1
        time.sleep(0.3)
    event = json.loads(text_of(chromium, "result"))["data"]["approvalEvents"]
    assert event["kind"] == "PROPOSED"
    assert event["approval"]["submitter"] == {"username": "browser"}
    assert event["approval"]["proposed"]["name"].startswith("Tuatara")
