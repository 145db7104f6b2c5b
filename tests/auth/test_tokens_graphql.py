"""Identity over GraphQL, end to end: `me`, `myTokens`, and the login, refreshToken, logout,
createPersonalAccessToken and revokeToken mutations with their typed results; sliding
personal-token expiry; and that token checks follow the injected clock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.auth.support import (
    BAD_CREDENTIALS,
    PASSWORD,
    T0,
    alyx_login,
    bearer,
    brainmaps_login,
    brainstem_pair,
    freeze,
    gql,
    gql_data,
    graphql_status,
    legacy_token,
    make_user,
    me_email,
)
from tests.conftest import Gateway

Sessionmaker = async_sessionmaker[AsyncSession]

LOGIN = """
mutation ($login: String!, $password: String!) {
  login(login: $login, password: $password) {
    __typename
    ... on TokenPair { access refresh tokenType expiresIn }
    ... on AuthenticationError { message }
  }
}"""
REFRESH = """
mutation ($refresh: String!) {
  refreshToken(refresh: $refresh) {
    __typename
    ... on TokenPair { access refresh tokenType expiresIn }
    ... on AuthenticationError { message }
  }
}"""
LOGOUT = """
mutation { logout { __typename ... on Done { ok } ... on AuthenticationError { message } } }"""
CREATE = """
mutation ($name: String!) {
  createPersonalAccessToken(name: $name) {
    __typename
    ... on CreatedToken { token info { id kind name prefix expiresAt lastUsedAt revoked } }
    ... on AuthenticationError { message }
  }
}"""
REVOKE = """
mutation ($id: ID!) {
  revokeToken(id: $id) {
    __typename
    ... on TokenInfo { id kind revoked }
    ... on AuthenticationError { message }
    ... on NotFoundError { message }
  }
}"""
MY_TOKENS = "{ myTokens { id kind name prefix createdAt expiresAt lastUsedAt revoked } }"


def _jti(token: str) -> str:
    """A JWT's id, which is also the id of its token record."""
    return jwt.decode(token, options={"verify_signature": False})["jti"]  # type: ignore[no-any-return]


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)


async def _my_tokens(gateway: Gateway, token: str) -> list[dict[str, Any]]:
    return (await gql_data(gateway, MY_TOKENS, headers=bearer(token)))[  # type: ignore[no-any-return]
        "myTokens"
    ]


async def _login(gateway: Gateway, login: str, password: str = PASSWORD) -> dict[str, Any]:
    data = await gql_data(gateway, LOGIN, {"login": login, "password": password})
    return data["login"]  # type: ignore[no-any-return]


# --- me ---------------------------------------------------------------------------------------


async def test_me_is_null_for_anonymous_callers(gateway: Gateway) -> None:
    assert await gql_data(gateway, "{ me { id email } }") == {"me": None}


async def test_me_shows_the_signed_in_users_private_fields(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    freeze(gateway)
    user_id = await make_user(
        sessionmaker, "ada@lab.org", username="ada", first_name="Ada", is_reviewer=True
    )
    pat = (await legacy_token(gateway, "ada"))["token"]
    data = await gql_data(
        gateway,
        "{ me { id username email firstName lastName isAdmin isReviewer } }",
        headers=bearer(pat),
    )
    assert data["me"] == {
        "id": user_id,
        "username": "ada",
        "email": "ada@lab.org",
        "firstName": "Ada",
        "lastName": "",
        "isAdmin": False,
        "isReviewer": True,
    }


# --- login / refreshToken / logout ------------------------------------------------------------


@pytest.mark.parametrize("login", ["ada@lab.org", "ada"])
async def test_login_mutation_returns_a_token_pair_that_authenticates(
    gateway: Gateway, sessionmaker: Sessionmaker, login: str
) -> None:
    freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org", username="ada")
    result = await _login(gateway, login)
    assert result["__typename"] == "TokenPair"
    assert (result["tokenType"], result["expiresIn"]) == ("bearer", 3600)
    assert await me_email(gateway, result["access"]) == "ada@lab.org"
    assert await graphql_status(gateway, result["refresh"]) == 401


@pytest.mark.parametrize(
    ("login", "password"),
    [("ada@lab.org", "wrong"), ("nobody@lab.org", PASSWORD), ("nobody", "wrong")],
)
async def test_login_mutation_answers_bad_credentials_with_a_typed_error(
    gateway: Gateway, sessionmaker: Sessionmaker, login: str, password: str
) -> None:
    await make_user(sessionmaker, "ada@lab.org", username="ada")
    response = await gql(gateway, LOGIN, {"login": login, "password": password})
    assert response.status_code == 200
    # The same answer for an unknown user and a wrong password: no account enumeration.
    assert response.json() == {
        "data": {"login": {"__typename": "AuthenticationError", "message": BAD_CREDENTIALS}}
    }


async def test_login_mutation_with_a_missing_argument_is_a_validation_error_not_a_crash(
    gateway: Gateway,
) -> None:
    response = await gql(gateway, 'mutation { login(login: "ada") { __typename } }')
    assert response.status_code in (200, 400)
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_refresh_token_mutation_rotates_the_pair_and_detects_reuse(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    first = await _login(gateway, "ada@lab.org")
    rotated = (await gql_data(gateway, REFRESH, {"refresh": first["refresh"]}))["refreshToken"]
    assert rotated["__typename"] == "TokenPair"
    assert rotated["refresh"] != first["refresh"]
    assert await me_email(gateway, rotated["access"]) == "ada@lab.org"

    reused = (await gql_data(gateway, REFRESH, {"refresh": first["refresh"]}))["refreshToken"]
    assert reused["__typename"] == "AuthenticationError"
    assert "revoked" in reused["message"]
    assert await graphql_status(gateway, rotated["access"]) == 401
    spent = (await gql_data(gateway, REFRESH, {"refresh": rotated["refresh"]}))["refreshToken"]
    assert spent["__typename"] == "AuthenticationError"


@pytest.mark.parametrize("which", ["access", "garbage", "expired"])
async def test_refresh_token_mutation_refuses_anything_but_a_live_refresh_token(
    gateway: Gateway, sessionmaker: Sessionmaker, which: str
) -> None:
    clock = freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    pair = await _login(gateway, "ada@lab.org")
    presented = {"access": pair["access"], "garbage": "nonsense", "expired": pair["refresh"]}
    if which == "expired":
        clock.advance(days=31)
    result = (await gql_data(gateway, REFRESH, {"refresh": presented[which]}))["refreshToken"]
    assert result == {"__typename": "AuthenticationError", "message": "Invalid token."}


async def test_logout_mutation_revokes_the_presented_personal_token_only(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    leaving = (await legacy_token(gateway, "ada@lab.org"))["token"]
    staying = (await legacy_token(gateway, "ada@lab.org"))["token"]
    result = await gql_data(gateway, LOGOUT, headers=bearer(leaving))
    assert result == {"logout": {"__typename": "Done", "ok": True}}
    assert await graphql_status(gateway, leaving) == 401
    assert await me_email(gateway, staying) == "ada@lab.org"


async def test_logout_mutation_with_an_access_token_ends_the_whole_login(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    pair = await _login(gateway, "ada@lab.org")
    result = await gql_data(gateway, LOGOUT, headers=bearer(pair["access"]))
    assert result["logout"]["__typename"] == "Done"
    assert await graphql_status(gateway, pair["access"]) == 401
    refreshed = (await gql_data(gateway, REFRESH, {"refresh": pair["refresh"]}))["refreshToken"]
    assert refreshed["__typename"] == "AuthenticationError"


async def test_logout_mutation_without_credentials_is_a_typed_error(gateway: Gateway) -> None:
    result = await gql_data(gateway, LOGOUT)
    assert result["logout"]["__typename"] == "AuthenticationError"


# --- myTokens ---------------------------------------------------------------------------------


async def test_my_tokens_lists_every_live_token_with_its_prefix_and_no_secret(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org", username="ada")
    pair = await brainstem_pair(gateway, "ada@lab.org")
    pat = (await legacy_token(gateway, "ada"))["token"]
    session = (await brainmaps_login(gateway, "ada@lab.org"))["token"]
    alyx = await alyx_login(gateway, "ada")
    secrets = {pair["access"], pair["refresh"], pat, session, alyx}

    response = await gql(gateway, MY_TOKENS, headers=bearer(pat))
    assert response.status_code == 200
    tokens = response.json()["data"]["myTokens"]
    assert sorted(t["kind"] for t in tokens) == ["access", "alyx", "personal", "refresh", "session"]
    by_kind = {t["kind"]: t for t in tokens}
    assert by_kind["personal"]["prefix"] == pat[:8]
    assert by_kind["session"]["prefix"] == session[:8]
    assert by_kind["alyx"]["prefix"] == alyx[:8]
    assert by_kind["access"]["id"] == _jti(pair["access"])
    assert by_kind["refresh"]["id"] == _jti(pair["refresh"])
    assert all(not t["revoked"] for t in tokens)
    for secret in secrets:
        assert secret not in response.text
        assert secret[:20] not in response.text


async def test_token_info_has_no_field_that_could_hold_a_secret(gateway: Gateway) -> None:
    data = await gql_data(gateway, '{ __type(name: "TokenInfo") { fields { name } } }')
    names = {f["name"] for f in data["__type"]["fields"]}
    assert names == {
        "id",
        "kind",
        "name",
        "prefix",
        "createdAt",
        "expiresAt",
        "lastUsedAt",
        "revoked",
    }


async def test_my_tokens_omits_revoked_spent_and_expired_tokens_and_other_users_tokens(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    clock = freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    await make_user(sessionmaker, "bob@lab.org")
    await legacy_token(gateway, "bob@lab.org")
    alyx = await alyx_login(gateway, "ada@lab.org")  # expires after 24 h
    first = await brainstem_pair(gateway, "ada@lab.org")
    revoked = (await legacy_token(gateway, "ada@lab.org"))["token"]
    await gql_data(gateway, LOGOUT, headers=bearer(revoked))
    clock.advance(hours=25)
    rotated = await gateway.client.post(
        "/api/auth/token/refresh/", json={"refresh": first["refresh"]}
    )
    assert rotated.status_code == 200
    pat = (await legacy_token(gateway, "ada@lab.org"))["token"]

    tokens = await _my_tokens(gateway, pat)
    # The expired first access token, the spent refresh token, the revoked PAT, the expired
    # Alyx token and Bob's token are all absent; the new pair and the live PAT remain.
    new_pair = rotated.json()
    assert sorted((t["kind"], t["prefix"]) for t in tokens) == [
        ("access", new_pair["access"][-8:]),  # every JWT starts alike: its end is shown
        ("personal", pat[:8]),
        ("refresh", new_pair["refresh"][-8:]),
    ]
    ids = {t["id"] for t in tokens}
    assert {_jti(new_pair["access"]), _jti(new_pair["refresh"])} <= ids
    assert not {_jti(first["access"]), _jti(first["refresh"])} & ids
    assert alyx[:8] not in {t["prefix"] for t in tokens}
    assert revoked[:8] not in {t["prefix"] for t in tokens}


async def test_my_tokens_requires_authentication(gateway: Gateway) -> None:
    response = await gql(gateway, MY_TOKENS)
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


# --- createPersonalAccessToken ----------------------------------------------------------------


async def test_create_personal_access_token_shows_the_secret_once_and_it_works(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    login = (await brainmaps_login(gateway, "ada@lab.org"))["token"]
    data = await gql_data(gateway, CREATE, {"name": "  Data export  "}, bearer(login))
    created = data["createPersonalAccessToken"]
    assert created["__typename"] == "CreatedToken"
    secret, info = created["token"], created["info"]
    assert secret.startswith("ngp_")
    assert info["kind"] == "personal"
    assert info["name"] == "Data export"
    assert info["prefix"] == secret[:8]
    assert info["revoked"] is False
    assert _time(info["expiresAt"]) == T0 + timedelta(days=365)

    assert await me_email(gateway, secret) == "ada@lab.org"
    listed = await _my_tokens(gateway, login)
    assert info["id"] in {t["id"] for t in listed}
    assert all(secret not in str(t) for t in listed)


async def test_create_personal_access_token_needs_a_signed_in_user(gateway: Gateway) -> None:
    data = await gql_data(gateway, CREATE, {"name": "x"})
    assert data["createPersonalAccessToken"]["__typename"] == "AuthenticationError"


# --- revokeToken ------------------------------------------------------------------------------


async def test_revoking_your_own_token_stops_it_working(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    keeper = (await legacy_token(gateway, "ada@lab.org"))["token"]
    doomed = await legacy_token(gateway, "ada@lab.org")
    assert await me_email(gateway, doomed["token"]) == "ada@lab.org"

    data = await gql_data(gateway, REVOKE, {"id": doomed["token_id"]}, bearer(keeper))
    assert data["revokeToken"] == {
        "__typename": "TokenInfo",
        "id": doomed["token_id"],
        "kind": "personal",
        "revoked": True,
    }
    assert await graphql_status(gateway, doomed["token"]) == 401
    assert await me_email(gateway, keeper) == "ada@lab.org"
    assert doomed["token_id"] not in {t["id"] for t in await _my_tokens(gateway, keeper)}


async def test_revoking_someone_elses_token_is_not_found_exactly_like_an_unknown_id(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    await make_user(sessionmaker, "eve@lab.org")
    victim = await legacy_token(gateway, "ada@lab.org")
    attacker = (await legacy_token(gateway, "eve@lab.org"))["token"]

    answers = [
        (await gql_data(gateway, REVOKE, {"id": token_id}, bearer(attacker)))["revokeToken"]
        for token_id in (victim["token_id"], str(uuid.uuid4()), "not-a-uuid")
    ]
    assert answers[0]["__typename"] == "NotFoundError"
    assert answers[0] == answers[1] == answers[2]
    assert await me_email(gateway, victim["token"]) == "ada@lab.org"


async def test_revoking_an_access_token_revokes_its_whole_login(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    pat = (await legacy_token(gateway, "ada@lab.org"))["token"]
    pair = await brainstem_pair(gateway, "ada@lab.org")
    other = await brainstem_pair(gateway, "ada@lab.org")
    jti = _jti(pair["access"])
    [access] = [t for t in await _my_tokens(gateway, pat) if t["id"] == jti]
    assert access["kind"] == "access"

    data = await gql_data(gateway, REVOKE, {"id": access["id"]}, bearer(pat))
    assert data["revokeToken"]["revoked"] is True
    assert await graphql_status(gateway, pair["access"]) == 401
    refreshed = await gateway.client.post(
        "/api/auth/token/refresh/", json={"refresh": pair["refresh"]}
    )
    assert refreshed.status_code == 401
    assert await me_email(gateway, other["access"]) == "ada@lab.org"


async def test_an_admin_may_revoke_any_users_token(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    await make_user(sessionmaker, "root@lab.org", is_admin=True)
    victim = await legacy_token(gateway, "ada@lab.org")
    admin = (await legacy_token(gateway, "root@lab.org"))["token"]
    data = await gql_data(gateway, REVOKE, {"id": victim["token_id"]}, bearer(admin))
    assert data["revokeToken"]["__typename"] == "TokenInfo"
    assert await graphql_status(gateway, victim["token"]) == 401


async def test_revoke_token_without_credentials_is_a_typed_error(gateway: Gateway) -> None:
    data = await gql_data(gateway, REVOKE, {"id": str(uuid.uuid4())})
    assert data["revokeToken"]["__typename"] == "AuthenticationError"


# --- Personal access tokens slide -------------------------------------------------------------


async def test_a_used_personal_token_is_renewed_so_it_outlives_its_first_year(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    clock = freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    pat = (await legacy_token(gateway, "ada@lab.org"))["token"]

    clock.advance(days=300)
    assert await me_email(gateway, pat) == "ada@lab.org"
    [info] = await _my_tokens(gateway, pat)
    assert _time(info["lastUsedAt"]) == T0 + timedelta(days=300)
    assert _time(info["expiresAt"]) == T0 + timedelta(days=300 + 365)

    clock.advance(days=300)  # t0 + 600 days: past the first year, inside the renewed one
    assert await me_email(gateway, pat) == "ada@lab.org"


async def test_a_personal_token_unused_for_more_than_a_year_is_refused(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    clock = freeze(gateway)
    await make_user(sessionmaker, "ada@lab.org")
    pat = (await legacy_token(gateway, "ada@lab.org"))["token"]
    used = (await legacy_token(gateway, "ada@lab.org"))["token"]
    clock.advance(days=365, seconds=-1)
    assert await me_email(gateway, used) == "ada@lab.org"
    clock.advance(seconds=2)
    assert await graphql_status(gateway, pat) == 401
    assert await me_email(gateway, used) == "ada@lab.org"


# --- The clock ---------------------------------------------------------------------------------


async def test_jwts_follow_the_injected_clock_even_when_it_is_ahead_of_the_wall_clock(
    gateway: Gateway, sessionmaker: Sessionmaker
) -> None:
    """Token lifetimes are judged against the app's clock, never the wall clock, so a JWT
    issued 'now' by that clock is valid 'now' even when the clock runs ahead of real time
    (as on a server whose clock leads the one that checks the token)."""
    ahead = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=2)
    clock = freeze(gateway, ahead)
    await make_user(sessionmaker, "ada@lab.org")
    result = await _login(gateway, "ada@lab.org")
    assert result["__typename"] == "TokenPair"
    assert await me_email(gateway, result["access"]) == "ada@lab.org"
    clock.advance(minutes=1)
    refreshed = (await gql_data(gateway, REFRESH, {"refresh": result["refresh"]}))["refreshToken"]
    assert refreshed["__typename"] == "TokenPair"
