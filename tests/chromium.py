"""Debian's headless Chromium, driven through its own chromedriver, with a log of every
request its pages make."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def start_chromium(profile: Path, *, window: str = "1280,900") -> webdriver.Chrome:
    options = Options()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size={window}",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    # Every request the pages make, read back by requested_urls().
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    # An explicit driver path: Selenium Manager must not try to download one.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.get("about:blank")
    requested_urls(driver)  # what the browser loaded for itself at start (its new-tab page)
    return driver


def requested_urls(driver: webdriver.Chrome) -> list[str]:
    """The URLs of the requests and websockets the pages have opened since the last call
    (inline ``data:`` URLs are not requests)."""
    urls = []
    for entry in driver.get_log("performance"):  # type: ignore[no-untyped-call]
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if not url.startswith("data:"):
                urls.append(url)
        elif message["method"] == "Network.webSocketCreated":
            urls.append(message["params"]["url"])
    return urls


def other_hosts(urls: list[str], base: str) -> list[str]:
    own = urlsplit(base).netloc
    return [url for url in urls if urlsplit(url).netloc != own]
