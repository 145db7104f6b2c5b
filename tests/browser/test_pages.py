"""GraphiQL and the REST docs in headless Chromium: every request the pages make is answered
by the gateway itself (as on a lab network without internet), and they work."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from gateway.pages.assets import FILES
from tests.browser.conftest import LiveGateway
from tests.chromium import other_hosts, requested_urls

QUERY = '{ speciesByName(name: "Mouse") { scientificName } }'
PARSED_OPERATION = (
    "const ast = arguments[0].CodeMirror.documentAST;"
    "return ast && ast.definitions.length ? ast.definitions[0].operation : null;"
)
PROPOSE = """mutation ($name: String!) { proposeSpecies(input: {name: $name}) {
  ... on Approval { id } } }"""


def open_graphiql(chromium: webdriver.Chrome, base: str) -> WebElement:
    """GraphiQL's page, once its query editor shows."""
    chromium.get(base + "/graphql")
    return WebDriverWait(chromium, 30).until(  # type: ignore[no-any-return]
        expected_conditions.visibility_of_element_located(
            (By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror")
        )
    )


def test_graphiql_runs_a_typed_query_with_every_request_answered_by_the_gateway(
    live_demo: LiveGateway, chromium: webdriver.Chrome, tmp_path: Path
) -> None:
    editor = open_graphiql(chromium, live_demo.base)
    wait = WebDriverWait(chromium, 30)
    # The explorer plugin and the header editor are on the page.
    chromium.find_element(By.CSS_SELECTOR, 'button[aria-label="Show GraphiQL Explorer"]')
    headers_tab = chromium.find_element(By.XPATH, '//button[normalize-space()="Headers"]')
    assert headers_tab.is_displayed()
    _type_into(editor, QUERY)
    chromium.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    wait.until(
        lambda driver: "Mus musculus"
        in driver.find_element(By.CSS_SELECTOR, ".graphiql-response").text
    )
    chromium.save_screenshot(str(tmp_path / "graphiql.png"))
    urls = requested_urls(chromium)
    assert other_hosts(urls, live_demo.base) == []
    assert {f"{live_demo.base}/static/{name}" for name in FILES if "graphiql" in name} <= set(
        urls
    )
    assert f"{live_demo.base}/graphql" in urls  # the schema, then the query, sent to /graphql


def _type_into(editor: WebElement, text: str) -> None:
    """Type into a CodeMirror editor as a person would (brackets and quotes it closes itself
    are typed over)."""
    editor.click()
    typing = editor.find_element(By.TAG_NAME, "textarea")
    typing.send_keys(Keys.CONTROL, "a")
    typing.send_keys(Keys.DELETE)
    typing.send_keys(text)


def test_graphiql_subscribes_with_the_token_typed_in_its_header_editor(
    live_demo: LiveGateway, chromium: webdriver.Chrome, tmp_path: Path
) -> None:
    query = open_graphiql(chromium, live_demo.base)
    # The headers editor is the one shown (the variables editor is there, hidden).
    headers = chromium.find_element(
        By.CSS_SELECTOR, ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
    )
    _type_into(headers, f'{{"Authorization": "Bearer {live_demo.reviewer_token}"}}')
    _type_into(query, "subscription { approvalEvents { kind approval { proposed } } }")
    # GraphiQL picks the websocket for a subscription from the document it parses a moment
    # after typing stops (before that, it would post the previous document over HTTP).
    WebDriverWait(chromium, 10).until(
        lambda driver: driver.execute_script(PARSED_OPERATION, query) == "subscription"
    )
    chromium.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    response = chromium.find_element(By.CSS_SELECTOR, ".graphiql-response")
    for attempt in range(40):  # the subscription listens a moment after it is sent
        answer = httpx.post(
            f"{live_demo.base}/graphql",
            json={"query": PROPOSE, "variables": {"name": f"Kea {attempt}"}},
            headers={"Authorization": f"Bearer {live_demo.token}"},
        )
        assert "errors" not in answer.json(), answer.text
        if "PROPOSED" in response.text:
            break
        time.sleep(0.3)
    chromium.save_screenshot(str(tmp_path / "graphiql-subscription.png"))
    assert '"kind": "PROPOSED"' in response.text
    assert "Kea" in response.text
    urls = requested_urls(chromium)
    assert other_hosts(urls, live_demo.base) == []
    assert live_demo.base.replace("http://", "ws://") + "/graphql" in urls


def test_the_rest_docs_show_every_path_offline_and_call_one_authorized(
    live_demo: LiveGateway, chromium: webdriver.Chrome, tmp_path: Path
) -> None:
    wait = WebDriverWait(chromium, 30)
    chromium.get(live_demo.base + "/api/docs/")
    wait.until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, ".opblock-summary"))
    )
    paths = {
        element.get_attribute("data-path")
        for element in chromium.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    }
    assert {"/api/brains/", "/subjects", "/circuit/segment/property/{property}"} <= paths
    chromium.find_element(By.CSS_SELECTOR, "button.authorize").click()
    dialog = wait.until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, ".auth-container"))
    )
    assert "bearerAuth" in dialog.text
    dialog.find_element(By.CSS_SELECTOR, "input").send_keys(live_demo.token)  # bearerAuth's
    dialog.find_element(By.CSS_SELECTOR, "button.authorize").click()
    chromium.find_element(By.CSS_SELECTOR, "button.btn-done").click()
    # Try it out: who am I, with the token just given.
    me = chromium.find_element(
        By.XPATH, '//div[contains(@class, "opblock-get")][.//*[@data-path="/api/auth/me/"]]'
    )
    me.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    wait.until(lambda _: me.find_element(By.CSS_SELECTOR, ".try-out__btn")).click()
    wait.until(lambda _: me.find_element(By.CSS_SELECTOR, "button.execute")).click()
    wait.until(
        lambda _: "browser@lab.org" in me.find_element(By.CSS_SELECTOR, ".responses-wrapper").text
    )
    chromium.save_screenshot(str(tmp_path / "docs.png"))
    urls = requested_urls(chromium)
    assert other_hosts(urls, live_demo.base) == []
    assert f"{live_demo.base}/api/openapi.json" in urls
