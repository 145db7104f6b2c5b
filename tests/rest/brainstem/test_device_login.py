"""BrainSTEM's device login: the JSON endpoints its client polls, the HTML page a person signs
in on (over ASGI, on every backend), and the whole flow in headless Chromium against a live
uvicorn."""

from __future__ import annotations

import asyncio
import hashlib
import re
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.app import create_app
from gateway.auth.passwords import hash_password
from gateway.db.engine import create_engine, session_factory
from gateway.db.models import DeviceLogin, Token, User, table
from gateway.settings import Settings
from tests.chromium import start_chromium
from tests.conftest import Gateway
from tests.live import serve

EMAIL = "ada@example.org"
PASSWORD = "correct horse battery staple"
PASSWORD_HASH = hash_password(PASSWORD)  # once: Argon2 is deliberately slow
CLIENT = "brainstem-python"
T0 = datetime(2031, 3, 1, 12, 0, 0)
USER_CODE = re.compile(r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")
VERIFY = "/api/auth/device/verify/"


async def add_user(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        user = User(email=EMAIL, username="ada", password_hash=PASSWORD_HASH)
        session.add(user)
        await session.commit()
        assert user.id is not None
        return user.id


@pytest.fixture
async def user_id(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    return await add_user(sessionmaker)


@pytest.fixture
def at_t0(gateway: Gateway) -> Gateway:
    gateway.app.state.clock = lambda: T0
    return gateway


async def start(gateway: Gateway, client_name: str = CLIENT) -> dict[str, Any]:
    response = await gateway.client.post("/api/auth/device/", json={"client_name": client_name})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def poll(gateway: Gateway, device_code: str) -> httpx.Response:
    return await gateway.client.post("/api/auth/device/token/", json={"device_code": device_code})


async def review(
    gateway: Gateway, user_code: str, *, password: str = PASSWORD, action: str = "approve"
) -> httpx.Response:
    form = {"user_code": user_code, "email": EMAIL, "password": password, "action": action}
    return await gateway.client.post(VERIFY, data=form)


async def is_pending(gateway: Gateway, device_code: str) -> bool:
    response = await poll(gateway, device_code)
    return response.status_code == 200 and response.json() == {"status": "authorization_pending"}


async def test_start_answers_the_codes_and_where_to_enter_them(
    at_t0: Gateway, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    started = await start(at_t0)
    assert set(started) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert len(started["device_code"]) >= 40
    assert USER_CODE.match(started["user_code"])
    assert started["verification_uri"] == "http://testserver/api/auth/device/verify/"
    assert started["verification_uri_complete"] == (
        f"http://testserver/api/auth/device/verify/?user_code={started['user_code']}"
    )
    assert (started["expires_in"], started["interval"]) == (600, 5)
    async with sessionmaker() as session:
        row = (await session.execute(select(table(DeviceLogin)))).one()
    # Only a hash of the device code is kept.
    assert row.device_code_hash == hashlib.sha256(started["device_code"].encode()).hexdigest()
    assert started["device_code"] not in [str(value) for value in row]
    assert (row.status, row.client_name, row.expires_at) == (
        "pending",
        CLIENT,
        T0 + timedelta(seconds=600),
    )


async def test_approving_in_the_form_yields_one_personal_token_that_authenticates(
    at_t0: Gateway, user_id: int, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    started = await start(at_t0)
    assert await is_pending(at_t0, started["device_code"])

    approved = await review(at_t0, started["user_code"])
    assert approved.status_code == 200
    assert f"Device approved. You can return to {CLIENT}." in approved.text

    success = await poll(at_t0, started["device_code"])
    assert success.status_code == 200
    body = success.json()
    assert body["status"] == "success"
    assert set(body) == {"status", "token"}
    me = await at_t0.client.get(
        "/api/auth/me/", headers={"Authorization": f"Bearer {body['token']}"}
    )
    assert me.status_code == 200
    assert me.json()["email"] == EMAIL
    async with sessionmaker() as session:
        tokens = (await session.execute(select(table(Token)))).all()
    assert [(t.kind, t.name, t.user_id) for t in tokens] == [("personal", CLIENT, user_id)]

    again = await poll(at_t0, started["device_code"])
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert again.json()["error_description"]


async def test_racing_polls_after_approval_get_exactly_one_token(
    at_t0: Gateway, user_id: int, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    started = await start(at_t0)
    assert (await review(at_t0, started["user_code"])).status_code == 200
    answers = await asyncio.gather(*(poll(at_t0, started["device_code"]) for _ in range(4)))
    statuses = sorted(a.json().get("status") or a.json()["error"] for a in answers)
    assert statuses == ["invalid_grant", "invalid_grant", "invalid_grant", "success"]
    async with sessionmaker() as session:
        assert len((await session.execute(select(table(Token).c.id))).all()) == 1


async def test_denying_in_the_form_answers_access_denied(at_t0: Gateway, user_id: int) -> None:
    started = await start(at_t0)
    denied = await review(at_t0, started["user_code"], action="deny")
    assert denied.status_code == 200
    assert "Request denied" in denied.text
    answer = await poll(at_t0, started["device_code"])
    assert answer.status_code == 400
    assert answer.json()["error"] == "access_denied"


async def test_a_reviewed_request_cannot_be_reviewed_again(at_t0: Gateway, user_id: int) -> None:
    started = await start(at_t0)
    assert (await review(at_t0, started["user_code"])).status_code == 200
    second = await review(at_t0, started["user_code"], action="deny")
    assert second.status_code == 400
    assert "already been used" in second.text
    assert (await poll(at_t0, started["device_code"])).json()["status"] == "success"


async def test_polling_past_expiry_answers_expired_token_and_the_form_refuses_the_code(
    at_t0: Gateway, user_id: int
) -> None:
    started = await start(at_t0)
    at_t0.app.state.clock = lambda: T0 + timedelta(seconds=started["expires_in"] - 1)
    assert await is_pending(at_t0, started["device_code"])

    at_t0.app.state.clock = lambda: T0 + timedelta(seconds=started["expires_in"] + 1)
    answer = await poll(at_t0, started["device_code"])
    assert answer.status_code == 400
    assert answer.json()["error"] == "expired_token"
    late = await review(at_t0, started["user_code"])
    assert late.status_code == 400
    assert "expired" in late.text
    assert (await poll(at_t0, started["device_code"])).json()["error"] == "expired_token"


async def test_unknown_device_code_is_invalid_grant_and_a_missing_one_is_a_400(
    gateway: Gateway,
) -> None:
    unknown = await poll(gateway, "ngd_nobody-ever-issued-this")
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "invalid_grant"
    missing = await gateway.client.post("/api/auth/device/token/", json={})
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        ("[null, null]", "application/json"),  # JSON, but not an object
        ("{not json", "application/json"),
        ("--x\r\nbroken", "multipart/form-data; boundary=x"),
    ],
)
async def test_a_malformed_poll_is_an_rfc_8628_invalid_request_never_a_detail(
    gateway: Gateway, content: str, content_type: str
) -> None:
    answer = await gateway.client.post(
        "/api/auth/device/token/", content=content, headers={"Content-Type": content_type}
    )
    assert answer.status_code == 400
    assert set(answer.json()) == {"error", "error_description"}
    assert answer.json()["error"] == "invalid_request"
    assert answer.headers["cache-control"] == "no-store"


async def test_wrong_password_shows_the_form_again_and_leaves_the_request_pending(
    at_t0: Gateway, user_id: int
) -> None:
    started = await start(at_t0)
    wrong = await review(at_t0, started["user_code"], password="not my password")
    assert wrong.status_code == 400
    assert wrong.headers["content-type"].startswith("text/html")
    assert "Wrong email or password." in wrong.text
    assert f'value="{started["user_code"]}"' in wrong.text  # nothing to type again but the password
    assert "not my password" not in wrong.text
    assert await is_pending(at_t0, started["device_code"])


async def test_unknown_user_code_shows_the_form_again_with_a_404(
    gateway: Gateway, user_id: int
) -> None:
    for code in ("BCDF-GHJK", "not-a-code"):
        response = await review(gateway, code)
        assert response.status_code == 404
        assert "That code is not valid." in response.text
        assert 'name="password"' in response.text


async def test_user_code_is_accepted_in_lower_case_and_without_the_dash(
    at_t0: Gateway, user_id: int
) -> None:
    started = await start(at_t0)
    typed = started["user_code"].replace("-", "").lower()
    assert (await review(at_t0, typed)).status_code == 200
    assert (await poll(at_t0, started["device_code"])).json()["status"] == "success"


async def test_verify_page_is_a_sign_in_form_naming_the_client(at_t0: Gateway) -> None:
    started = await start(at_t0, client_name="<b>lab</b> scripts")
    for path in (VERIFY, VERIFY.rstrip("/")):
        page = await at_t0.client.get(path, params={"user_code": started["user_code"]})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["x-frame-options"] == "DENY"
        for name in ("email", "password", "user_code"):
            assert f'name="{name}"' in page.text
        assert f'value="{started["user_code"]}"' in page.text
        assert "&lt;b&gt;lab&lt;/b&gt; scripts" in page.text
        assert "<b>lab</b>" not in page.text
        assert re.search(r'<button[^>]*value="approve"', page.text)
        assert re.search(r'<button[^>]*value="deny"', page.text)


async def test_verify_page_escapes_what_it_prefills(gateway: Gateway) -> None:
    page = await gateway.client.get(VERIFY, params={"user_code": '"><script>alert(1)</script>'})
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page.text


# A real browser against a live server: the page must work where people use it.


async def _prepare_database(url: str) -> None:
    engine = create_engine(url)
    try:
        await add_user(session_factory(engine))
    finally:
        await engine.dispose()


@pytest.fixture
def live_gateway(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """The app served by uvicorn on a free port of 127.0.0.1, on a migrated SQLite copy."""
    path = tmp_path / "live.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    asyncio.run(_prepare_database(url))
    with serve(create_app(Settings(database_url=url, storage_dir=tmp_path / "storage"))) as base:
        yield base


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    driver = start_chromium(tmp_path / "chromium-profile", window="900,860")
    try:
        yield driver
    finally:
        driver.quit()


def test_a_person_approves_a_device_login_in_headless_chromium(
    live_gateway: str, chromium: webdriver.Chrome, tmp_path: Path
) -> None:
    with httpx.Client(base_url=live_gateway, timeout=10) as http:
        started = http.post("/api/auth/device/", json={"client_name": CLIENT}).json()
        assert started["verification_uri"] == f"{live_gateway}{VERIFY}"

        chromium.get(started["verification_uri_complete"])
        code = chromium.find_element(By.NAME, "user_code")
        assert code.get_attribute("value") == started["user_code"]
        intro = chromium.find_element(By.TAG_NAME, "main").text
        assert f"{CLIENT} is asking to access your account." in intro
        chromium.find_element(By.NAME, "email").send_keys(EMAIL)
        chromium.find_element(By.NAME, "password").send_keys(PASSWORD)
        chromium.save_screenshot(str(tmp_path / "verify.png"))
        pending = http.post("/api/auth/device/token/", json={"device_code": started["device_code"]})
        assert pending.json() == {"status": "authorization_pending"}

        chromium.find_element(By.CSS_SELECTOR, 'button[value="approve"]').click()
        WebDriverWait(chromium, 10).until(
            expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "approved")
        )
        main = chromium.find_element(By.TAG_NAME, "main").text
        assert f"Device approved. You can return to {CLIENT}." in main
        chromium.save_screenshot(str(tmp_path / "approved.png"))

        answer = http.post("/api/auth/device/token/", json={"device_code": started["device_code"]})
        assert answer.status_code == 200
        assert answer.json()["status"] == "success"
        bearer = {"Authorization": f"Bearer {answer.json()['token']}"}
        me = http.get("/api/auth/me/", headers=bearer)
        assert me.json()["email"] == EMAIL
