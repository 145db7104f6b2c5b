"""GraphiQL and the REST docs in headless Chromium: every request the pages make is answered
by the gateway itself (as on a lab network without internet), and they work."""

from __future__ import annotations

from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from gateway.pages.assets import FILES
from tests.browser.conftest import LiveGateway
from tests.chromium import other_hosts, requested_urls

QUERY = '{ speciesByName(name: "Mouse") { scientificName } }'


def test_graphiql_runs_a_typed_query_with_every_request_answered_by_the_gateway(
    live_demo: LiveGateway, chromium: webdriver.Chrome, tmp_path: Path
) -> None:
    wait = WebDriverWait(chromium, 30)
    chromium.get(live_demo.base + "/graphql")
    editor = wait.until(
        expected_conditions.visibility_of_element_located(
            (By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror")
        )
    )
    # The explorer plugin and the header editor are on the page.
    chromium.find_element(By.CSS_SELECTOR, 'button[aria-label="Show GraphiQL Explorer"]')
    headers_tab = chromium.find_element(By.XPATH, '//button[normalize-space()="Headers"]')
    assert headers_tab.is_displayed()
    editor.click()
    typing = editor.find_element(By.TAG_NAME, "textarea")
    typing.send_keys(Keys.CONTROL, "a")
    typing.send_keys(Keys.DELETE)
    typing.send_keys(QUERY)
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


def test_the_rest_docs_show_every_path_offline_and_offer_to_authorize(
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
    chromium.save_screenshot(str(tmp_path / "docs.png"))
    urls = requested_urls(chromium)
    assert other_hosts(urls, live_demo.base) == []
    assert f"{live_demo.base}/api/openapi.json" in urls
