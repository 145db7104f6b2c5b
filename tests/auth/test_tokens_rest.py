"""Token flows over each REST surface (BrainSTEM, BrainMaps, Alyx), end to end over HTTP:
logins, refresh rotation and reuse detection, logout, expiry, forged tokens, and that every
token type works on every surface with either scheme."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
import warnings
from datetime import timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.db.models import Token, User, table
from gateway.settings import DEVELOPMENT_SECRET_KEY
from tests.auth.support import (
    BAD_CREDENTIALS,
    BRAINMAPS_401,
    ME,
    PASSWORD,
    T0,
    alyx_login,
    bearer,
    brainmaps_login,
    brainstem_pair,
    freeze,
    gql,
    graphql_status,
    legacy_token,
    make_user,
    me_email,
    token_of_kind,
)
from tests.conftest import Gateway

Sessionmaker = async_sessionmaker[AsyncSession]

# Paths of each family that exist only so the middleware's answer can be observed: it
# authenticates before routing, so an unusable credential is refused in the family's format.
BRAINSTEM_URL = "/api/private/stem/session/"
ALYX_URL = "/subjects/no-such-subject"
TOKEN_KINDS = ["personal", "access", "session", "alyx"]
SCHEMES = ["Bearer", "Token", "bearer", "token"]


def _payload(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def _assert_refused_everywhere(gateway: Gateway, headers: dict[str, str]) -> None:
    """An unusable credential gets each family's own refusal."""
    graphql = await gql(gateway, ME, headers=headers)
    assert graphql.status_code == 401
    body = graphql.json()
    assert list(body) == ["errors"]
    [error] = body["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    assert error["message"] in {"Invalid token.", "Invalid token header."}
    assert "data" not in body

    brainstem = await gateway.client.get(BRAINSTEM_URL, headers=headers)
    assert brainstem.status_code == 401
    assert brainstem.json() == {"detail": error["message"]}
    assert brainstem.headers["www-authenticate"] == "Bearer"

    brainmaps = await gateway.client.get("/api/auth/me/", headers=headers)
    assert brainmaps.status_code == 401
    assert brainmaps.json() == BRAINMAPS_401

    alyx = await gateway.client.get(ALYX_URL, headers=headers)
    assert alyx.status_code == 403
    assert alyx.json()["detail"] == error["message"]
    assert alyx.headers["www-authenticate"] == "Token"


# --- BrainSTEM: access/refresh pairs -------------------------------------------------------


async def test_brainstem_login_returns_a_bearer_pair_of_one_hour_and_thirty_days(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    body = await brainstem_pair(gateway, "ada@lab.org")
    assert set(body) == {"access", "refresh", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    access, refresh = _payload(body["access"]), _payload(body["refresh"])
    assert jwt.get_unverified_header(body["access"])["alg"] == "HS256"
    assert access["exp"] - access["iat"] == 3600
    assert refresh["exp"] - refresh["iat"] == 30 * 24 * 3600
    assert (access["typ"], refresh["typ"]) == ("access", "refresh")
    assert access["fam"] == refresh["fam"]
    assert await me_email(gateway, body["access"]) == "ada@lab.org"


async def test_brainstem_login_matches_email_case_insensitively(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await make_user(sessionmaker, "ada@lab.org")
    body = await brainstem_pair(gateway, "  ADA@Lab.org ")
    assert await me_email(gateway, body["access"]) == "ada@lab.org"


async def test_refresh_returns_a_new_working_pair_and_spends_the_old_refresh_token(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    clock = freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    first = await brainstem_pair(gateway, "ada@lab.org")
    clock.advance(minutes=5)
    response = await gateway.client.post(
        "/api/auth/token/refresh/", json={"refresh": first["refresh"]}
    )
    assert response.status_code == 200, response.text
    second = response.json()
    assert set(second) == {"access", "refresh", "token_type", "expires_in"}
    assert (second["token_type"], second["expires_in"]) == ("bearer", 3600)
    assert second["access"] != first["access"]
    assert second["refresh"] != first["refresh"]
    assert _payload(second["refresh"])["fam"] == _payload(first["refresh"])["fam"]
    assert await me_email(gateway, second["access"]) == "ada@lab.org"

    # The new refresh token works once more; the spent one does not.
    third = await gateway.client.post(
        "/api/auth/token/refresh/", json={"refresh": second["refresh"]}
    )
    assert third.status_code == 200


async def test_reusing_a_spent_refresh_token_revokes_every_token_of_that_login(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    first = await brainstem_pair(gateway, "ada@lab.org")
    other_login = await brainstem_pair(gateway, "ada@lab.org")
    rotated = await gateway.client.post(
        "/api/auth/token/refresh/", json={"refresh": first["refresh"]}
    )
    assert rotated.status_code == 200
    second = rotated.json()
    assert await me_email(gateway, second["access"]) == "ada@lab.org"

    reused = await gateway.client.post(
        "/api/auth/token/refresh/", json={"refresh": first["refresh"]}
    )
    assert reused.status_code == 401
    assert "revoked" in reused.json()["detail"]

    # The whole family is dead: old and new access tokens, and the new refresh token.
    assert await graphql_status(gateway, first["access"]) == 401
    assert await graphql_status(gateway, second["access"]) == 401
    again = await gateway.client.post(
        "/api/auth/token/refresh/", json={"refresh": second["refresh"]}
    )
    assert again.status_code == 401
    # Another login of the same user is a different family and keeps working.
    assert await me_email(gateway, other_login["access"]) == "ada@lab.org"
    ok = await gateway.client.post(
        "/api/auth/token/refresh/", json={"refresh": other_login["refresh"]}
    )
    assert ok.status_code == 200


async def test_an_access_token_is_not_accepted_as_a_refresh_token(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    pair = await brainstem_pair(gateway, "ada@lab.org")
    response = await gateway.client.post(
        "/api/auth/token/refresh/", json={"refresh": pair["access"]}
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    # Refusing it did not revoke anything.
    assert await me_email(gateway, pair["access"]) == "ada@lab.org"


@pytest.mark.parametrize("refresh", ["garbage", "eyJhbGciOiJIUzI1NiJ9.e30.xxx", "ngp_abc"])
async def test_refresh_with_a_garbage_token_is_401(gateway: Gateway, refresh: str) -> None:
    response = await gateway.client.post("/api/auth/token/refresh/", json={"refresh": refresh})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


async def test_a_refresh_token_is_not_a_credential(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    pair = await brainstem_pair(gateway, "ada@lab.org")
    for scheme in ("Bearer", "Token"):
        await _assert_refused_everywhere(gateway, bearer(pair["refresh"], scheme))
    # And being presented as a credential did not spend it.
    response = await gateway.client.post(
        "/api/auth/token/refresh/", json={"refresh": pair["refresh"]}
    )
    assert response.status_code == 200


async def test_access_token_expires_after_one_hour(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    clock = freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    pair = await brainstem_pair(gateway, "ada@lab.org")
    clock.advance(seconds=3599)
    assert await me_email(gateway, pair["access"]) == "ada@lab.org"
    clock.advance(seconds=1)
    await _assert_refused_everywhere(gateway, bearer(pair["access"]))
    # The refresh token still renews the login.
    response = await gateway.client.post(
        "/api/auth/token/refresh/", json={"refresh": pair["refresh"]}
    )
    assert response.status_code == 200
    assert await me_email(gateway, response.json()["access"]) == "ada@lab.org"


async def test_refresh_token_is_refused_after_thirty_days(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    clock = freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    expiring = await brainstem_pair(gateway, "ada@lab.org")
    almost = await brainstem_pair(gateway, "ada@lab.org")
    clock.advance(days=30, seconds=-1)
    ok = await gateway.client.post("/api/auth/token/refresh/", json={"refresh": almost["refresh"]})
    assert ok.status_code == 200
    clock.advance(seconds=1)
    response = await gateway.client.post(
        "/api/auth/token/refresh/", json={"refresh": expiring["refresh"]}
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


async def test_a_stale_authorization_header_does_not_block_logging_in(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await make_user(sessionmaker, "ada@lab.org")
    stale = bearer("ngp_revoked-long-ago")
    pair = await gateway.client.post(
        "/api/auth/token/", json={"email": "ada@lab.org", "password": PASSWORD}, headers=stale
    )
    legacy = await gateway.client.post(
        "/api/token/", json={"username": "ada@lab.org", "password": PASSWORD}, headers=stale
    )
    brainmaps = await gateway.client.post(
        "/api/auth/login/", json={"email": "ada@lab.org", "password": PASSWORD}, headers=stale
    )
    alyx = await gateway.client.post(
        "/auth-token", data={"username": "ada", "password": PASSWORD}, headers=stale
    )
    assert [r.status_code for r in (pair, legacy, brainmaps, alyx)] == [200, 200, 200, 200]


# --- BrainSTEM: the legacy /api/token/ ------------------------------------------------------


@pytest.mark.parametrize("username", ["ada@lab.org", "ada"])
async def test_legacy_token_endpoint_returns_a_personal_access_token(
    gateway: Gateway, sessionmaker: Sessionmaker, username: str
) -> None:
    freeze(gateway)
    user_id = await make_user(sessionmaker, "ada@lab.org", username="ada")
    body = await legacy_token(gateway, username)
    assert set(body) == {"access", "token", "token_id", "message"}
    assert body["access"] == body["token"]
    assert body["token"].startswith("ngp_")
    assert body["message"] == "Token created successfully"
    assert await me_email(gateway, body["token"]) == "ada@lab.org"
    async with sessionmaker() as session:
        row = (
            await session.execute(
                select(table(Token)).where(table(Token).c.id == uuid.UUID(body["token_id"]))
            )
        ).one()
    assert (row.user_id, row.kind) == (user_id, "personal")
    assert row.expires_at == T0 + timedelta(days=365)


# --- Wrong credentials and malformed requests, on every login endpoint ----------------------


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("ada@lab.org", "wrong password"),
        ("nobody@lab.org", PASSWORD),
        ("ada@lab.org", PASSWORD.upper()),
    ],
)
async def test_brainstem_logins_refuse_bad_credentials(
    gateway: Gateway, sessionmaker: Sessionmaker, email: str, password: str
) -> None:
    await make_user(sessionmaker, "ada@lab.org")
    pair = await gateway.client.post(
        "/api/auth/token/", json={"email": email, "password": password}
    )
    legacy = await gateway.client.post(
        "/api/token/", json={"username": email, "password": password}
    )
    for response in (pair, legacy):
        assert response.status_code == 401
        assert response.json() == {"detail": BAD_CREDENTIALS}


@pytest.mark.parametrize(
    ("email", "password"), [("ada@lab.org", "wrong password"), ("nobody@lab.org", PASSWORD)]
)
@pytest.mark.parametrize("prefix", ["", "/v1"])
async def test_brainmaps_login_refuses_bad_credentials(
    gateway: Gateway, sessionmaker: Sessionmaker, email: str, password: str, prefix: str
) -> None:
    await make_user(sessionmaker, "ada@lab.org")
    response = await gateway.client.post(
        f"{prefix}/api/auth/login/", json={"email": email, "password": password}
    )
    assert response.status_code == 401
    assert response.json() == BRAINMAPS_401


@pytest.mark.parametrize(
    ("username", "password"),
    [("ada", "wrong password"), ("ada@lab.org", "wrong password"), ("nobody", PASSWORD)],
)
async def test_alyx_login_refuses_bad_credentials_with_400(
    gateway: Gateway, sessionmaker: Sessionmaker, username: str, password: str
) -> None:
    await make_user(sessionmaker, "ada@lab.org", username="ada")
    response = await gateway.client.post(
        "/auth-token", data={"username": username, "password": password}
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [BAD_CREDENTIALS]}


async def test_inactive_users_cannot_log_in_anywhere(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await make_user(sessionmaker, "ada@lab.org", username="ada", is_active=False)
    pair = await gateway.client.post(
        "/api/auth/token/", json={"email": "ada@lab.org", "password": PASSWORD}
    )
    brainmaps = await gateway.client.post(
        "/api/auth/login/", json={"email": "ada@lab.org", "password": PASSWORD}
    )
    alyx = await gateway.client.post("/auth-token", data={"username": "ada", "password": PASSWORD})
    assert (pair.status_code, brainmaps.status_code, alyx.status_code) == (401, 401, 400)


async def test_a_user_without_a_password_cannot_log_in(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await make_user(sessionmaker, "ada@lab.org", with_password=False)
    response = await gateway.client.post(
        "/api/auth/token/", json={"email": "ada@lab.org", "password": PASSWORD}
    )
    assert response.status_code == 401
    assert response.json() == {"detail": BAD_CREDENTIALS}


async def test_deactivating_a_user_invalidates_their_tokens(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    freeze(gateway)
    user_id = await make_user(sessionmaker, "ada@lab.org")
    pat = (await legacy_token(gateway, "ada@lab.org"))["token"]
    assert await me_email(gateway, pat) == "ada@lab.org"
    async with sessionmaker() as session:
        user = await session.get(User, user_id)
        assert user is not None
        user.is_active = False
        await session.commit()
    assert await graphql_status(gateway, pat) == 401


async def test_a_deactivated_user_cannot_refresh_their_login(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    freeze(gateway)
    user_id = await make_user(sessionmaker, "ada@lab.org")
    pair = await brainstem_pair(gateway, "ada@lab.org")
    async with sessionmaker() as session:
        user = await session.get(User, user_id)
        assert user is not None
        user.is_active = False
        await session.commit()
    response = await gateway.client.post(
        "/api/auth/token/refresh/", json={"refresh": pair["refresh"]}
    )
    assert response.status_code == 401
    assert set(response.json()) == {"detail"}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/auth/token/", {"password": "x"}, "email"),
        ("/api/auth/token/", {"email": "ada@lab.org"}, "password"),
        ("/api/auth/token/", {"email": 5, "password": "x"}, "email"),
        ("/api/auth/token/refresh/", {}, "refresh"),
        ("/api/token/", {"password": "x"}, "username"),
        ("/api/token/", {"username": "ada", "password": ""}, "password"),
    ],
)
async def test_brainstem_auth_missing_fields_are_400_naming_the_field(
    gateway: Gateway, path: str, body: dict[str, Any], field: str
) -> None:
    response = await gateway.client.post(path, json=body)
    assert response.status_code == 400
    assert response.json() == {field: ["This field is required."]}


@pytest.mark.parametrize(
    "path", ["/api/auth/token/", "/api/auth/token/refresh/", "/api/token/", "/api/auth/login/"]
)
@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe"])
async def test_malformed_json_on_login_endpoints_is_400(
    gateway: Gateway, path: str, raw: bytes
) -> None:
    response = await gateway.client.post(
        path, content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    body = response.json()
    if path == "/api/auth/login/":
        assert body["error"] == "Invalid request parameters"
    else:
        assert isinstance(body["detail"], str)


@pytest.mark.parametrize("prefix", ["", "/v1"])
async def test_brainmaps_login_missing_field_is_400(gateway: Gateway, prefix: str) -> None:
    response = await gateway.client.post(f"{prefix}/api/auth/login/", json={"email": "a@b.org"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "Invalid request parameters",
        "detail": "This field is required.",
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [({"password": "x"}, "username"), ({"username": "ada"}, "password"), ({}, "username")],
)
async def test_alyx_login_missing_fields_are_400(
    gateway: Gateway, data: dict[str, str], field: str
) -> None:
    response = await gateway.client.post("/auth-token", data=data)
    assert response.status_code == 400
    assert response.json() == {field: ["This field is required."], "status_code": 400}


async def test_alyx_login_with_malformed_json_is_400(gateway: Gateway) -> None:
    response = await gateway.client.post(
        "/auth-token", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


# --- BrainMaps: login, me, logout -----------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/v1"])
async def test_brainmaps_login_me_and_logout(
    gateway: Gateway, sessionmaker: Sessionmaker, prefix: str
) -> None:
    freeze(gateway)
    user_id = await make_user(sessionmaker, "ada@lab.org", first_name="Ada", last_name="Lovelace")
    body = await brainmaps_login(gateway, "ada@lab.org", prefix)
    user = {"id": user_id, "email": "ada@lab.org", "first_name": "Ada", "last_name": "Lovelace"}
    assert body == {"token": body["token"], "user": user}
    assert body["token"].startswith("ngs_")

    for scheme in ("Bearer", "Token"):
        me = await gateway.client.get(
            f"{prefix}/api/auth/me/", headers=bearer(body["token"], scheme)
        )
        assert me.status_code == 200
        assert me.json() == user

    logout = await gateway.client.post(f"{prefix}/api/auth/logout/", headers=bearer(body["token"]))
    assert logout.status_code == 200

    after = await gateway.client.get(f"{prefix}/api/auth/me/", headers=bearer(body["token"]))
    assert after.status_code == 401
    assert after.json() == BRAINMAPS_401
    assert await graphql_status(gateway, body["token"]) == 401


async def test_brainmaps_logout_revokes_only_the_presented_token(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    first = (await brainmaps_login(gateway, "ada@lab.org"))["token"]
    second = (await brainmaps_login(gateway, "ada@lab.org"))["token"]
    logout = await gateway.client.post("/api/auth/logout/", headers=bearer(first))
    assert logout.status_code == 200
    assert await graphql_status(gateway, first) == 401
    assert await me_email(gateway, second) == "ada@lab.org"


async def test_logging_out_with_an_access_token_revokes_its_login(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    pair = await brainstem_pair(gateway, "ada@lab.org")
    logout = await gateway.client.post("/api/auth/logout/", headers=bearer(pair["access"]))
    assert logout.status_code == 200
    assert await graphql_status(gateway, pair["access"]) == 401
    refresh = await gateway.client.post(
        "/api/auth/token/refresh/", json={"refresh": pair["refresh"]}
    )
    assert refresh.status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/auth/me/"),
        ("POST", "/api/auth/logout/"),
        ("GET", "/v1/api/auth/me/"),
        ("POST", "/v1/api/auth/logout/"),
    ],
)
async def test_brainmaps_me_and_logout_need_a_token(
    gateway: Gateway, method: str, path: str
) -> None:
    response = await gateway.client.request(method, path)
    assert response.status_code == 401
    assert response.json() == BRAINMAPS_401


async def test_brainmaps_session_token_expires_after_fourteen_days(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    clock = freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    token = (await brainmaps_login(gateway, "ada@lab.org"))["token"]
    clock.advance(days=14, seconds=-1)
    assert (await gateway.client.get("/api/auth/me/", headers=bearer(token))).status_code == 200
    clock.advance(seconds=1)
    response = await gateway.client.get("/api/auth/me/", headers=bearer(token))
    assert response.status_code == 401
    assert response.json() == BRAINMAPS_401


# --- Alyx -------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["ada", "ada@lab.org"])
async def test_alyx_login_answers_exactly_one_token_key(
    gateway: Gateway, sessionmaker: Sessionmaker, username: str
) -> None:
    freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org", username="ada")
    response = await gateway.client.post(
        "/auth-token", data={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["token"]
    assert len(body["token"]) == 40
    int(body["token"], 16)  # the shape of a Django REST framework token
    assert await me_email(gateway, body["token"], "Token") == "ada@lab.org"


async def test_alyx_login_also_accepts_a_trailing_slash_and_json(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    await make_user(sessionmaker, "ada@lab.org", username="ada")
    slash = await gateway.client.post(
        "/auth-token/", data={"username": "ada", "password": PASSWORD}
    )
    as_json = await gateway.client.post(
        "/auth-token", json={"username": "ada", "password": PASSWORD}
    )
    assert [list(r.json()) for r in (slash, as_json)] == [["token"], ["token"]]


async def test_alyx_token_is_accepted_on_alyx_urls_until_24_hours_then_invalid_with_403(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    clock = freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org", username="ada")
    token = await alyx_login(gateway, "ada")

    clock.advance(hours=24, seconds=-1)
    accepted = await gateway.client.get(ALYX_URL, headers=bearer(token, "Token"))
    # Authenticated: the request reaches the Alyx subjects endpoint (no such subject).
    assert accepted.status_code == 404
    assert accepted.json()["detail"] == "No Subject matches the given query."

    clock.advance(seconds=1)
    expired = await gateway.client.get("/subjects", headers=bearer(token, "Token"))
    assert expired.status_code == 403
    assert expired.json()["detail"] == "Invalid token."
    assert expired.headers["www-authenticate"] == "Token"
    assert await graphql_status(gateway, token, "Token") == 401


async def test_an_unknown_token_on_an_alyx_url_is_403_invalid_token(gateway: Gateway) -> None:
    response = await gateway.client.get(
        "/sessions", headers=bearer("c719825a24d13ddc52969ba240f9ab6353783095", "Token")
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "Invalid token."


# --- Every token type on every surface, with either scheme ----------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("kind", TOKEN_KINDS)
async def test_every_token_type_works_on_every_surface_with_either_scheme(
    gateway: Gateway, sessionmaker: Sessionmaker, kind: str, scheme: str
) -> None:
    freeze(gateway)
    user_id = await make_user(sessionmaker, "ada@lab.org")
    token = await token_of_kind(gateway, kind, "ada@lab.org")
    headers = bearer(token, scheme)

    assert await me_email(gateway, token, scheme) == "ada@lab.org"

    brainmaps = await gateway.client.get("/api/auth/me/", headers=headers)
    assert brainmaps.status_code == 200
    assert brainmaps.json()["id"] == user_id

    alyx = await gateway.client.get(ALYX_URL, headers=headers)
    assert alyx.status_code == 404  # authenticated, then not found: not 403 "Invalid token."

    brainstem = await gateway.client.get(BRAINSTEM_URL, headers=headers)
    assert brainstem.status_code in (200, 404)  # authenticated: not 401


# --- Forged and malformed credentials -------------------------------------------------------


async def _real_access(gateway: Gateway, sessionmaker: Sessionmaker) -> str:
    freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    await make_user(sessionmaker, "root@lab.org", is_admin=True)
    return (await brainstem_pair(gateway, "ada@lab.org"))["access"]  # type: ignore[no-any-return]


async def test_a_jwt_signed_with_another_key_is_refused(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    access = await _real_access(gateway, sessionmaker)
    forged = jwt.encode(_payload(access), "an-attackers-own-key-that-is-long-enough!", "HS256")
    await _assert_refused_everywhere(gateway, bearer(forged))
    assert await me_email(gateway, access) == "ada@lab.org"


async def test_an_unsigned_alg_none_jwt_is_refused(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    access = await _real_access(gateway, sessionmaker)
    forged = jwt.encode(_payload(access), None, algorithm="none")
    assert jwt.get_unverified_header(forged)["alg"] == "none"
    await _assert_refused_everywhere(gateway, bearer(forged))
    # By hand too, with an empty signature and with the real token's signature kept.
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    body = access.split(".")[1]
    await _assert_refused_everywhere(gateway, bearer(f"{header}.{body}."))
    await _assert_refused_everywhere(gateway, bearer(f"{header}.{body}.{access.split('.')[2]}"))


async def test_a_jwt_with_another_algorithm_signed_with_the_real_key_is_refused(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    access = await _real_access(gateway, sessionmaker)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyJWT finds the key short for HS512
        forged = jwt.encode(_payload(access), DEVELOPMENT_SECRET_KEY, algorithm="HS512")
    assert jwt.get_unverified_header(forged)["alg"] == "HS512"
    await _assert_refused_everywhere(gateway, bearer(forged))


async def test_a_tampered_jwt_payload_is_refused(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    access = await _real_access(gateway, sessionmaker)
    header, _, signature = access.split(".")
    claims = _payload(access)
    admin_id = int(claims["sub"]) + 1
    for change in ({"sub": str(admin_id)}, {"exp": claims["exp"] + 10**6}):
        body = _b64(json.dumps({**claims, **change}, separators=(",", ":")).encode())
        tampered = f"{header}.{body}.{signature}"
        await _assert_refused_everywhere(gateway, bearer(tampered))


async def test_a_validly_signed_jwt_that_was_never_issued_is_refused(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    """Signature checks alone are not enough: the token must have been issued (and not
    revoked), so a leaked key cannot mint tokens for any jti."""
    access = await _real_access(gateway, sessionmaker)
    claims = _payload(access)
    minted = jwt.encode(
        {**claims, "jti": "00000000-0000-4000-8000-000000000000"}, DEVELOPMENT_SECRET_KEY, "HS256"
    )
    await _assert_refused_everywhere(gateway, bearer(minted))


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer",
        "Token",
        "Basic xyz",
        "Basic YWRhOnB3",
        "Bearer garbage",
        "Token 123456789abc",
        "Bearer eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln",
        "Bearer eyJ.eyJ.eyJ",
        "Bearer ngp_" + "A" * 43,
        "JWT " + "x" * 20,
    ],
)
async def test_garbage_and_malformed_authorization_headers_are_refused(
    gateway: Gateway, authorization: str
) -> None:
    await _assert_refused_everywhere(gateway, {"Authorization": authorization})


async def test_no_authorization_header_is_anonymous_not_refused(gateway: Gateway) -> None:
    response = await gql(gateway, ME)
    assert response.status_code == 200
    assert response.json() == {"data": {"me": None}}


# --- What the database keeps ----------------------------------------------------------------


async def test_the_database_stores_only_hashes_of_tokens_and_passwords(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org", username="ada")
    pair = await brainstem_pair(gateway, "ada@lab.org")
    secrets = [
        pair["access"],
        pair["refresh"],
        (await legacy_token(gateway, "ada"))["token"],
        (await brainmaps_login(gateway, "ada@lab.org"))["token"],
        await alyx_login(gateway, "ada"),
    ]
    async with sessionmaker() as session:
        rows = (await session.execute(select(table(Token)))).all()
        users = (await session.execute(select(table(User)))).all()
    assert len(rows) == len(secrets)
    stored = [str(value) for row in rows for value in row]
    for secret in secrets:
        assert not any(secret in value for value in stored), secret
        # Nor does any column hold a long piece of it (beyond the short display prefix).
        assert not any(secret[:20] in value for value in stored)
    hashes = {row.secret_hash for row in rows}
    assert hashes == {hashlib.sha256(s.encode()).hexdigest() for s in secrets}
    assert {row.prefix for row in rows} == {
        s[-8:] if s.startswith("eyJ") else s[:8] for s in secrets
    }
    [user] = users
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")
