"""Token mechanics: opaque secrets, their hashes, and pinned-algorithm JWTs.

Only hashes are stored. Opaque secrets carry 256 bits of randomness, so a fast hash (SHA-256)
is enough to look them up safely; passwords, which are guessable, use Argon2id instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import jwt

from gateway.errors import Unauthenticated

JWT_ALGORITHM = "HS256"  # pinned: a token naming any other algorithm (or "none") is refused
INVALID_TOKEN = "Invalid token."


class TokenKind(StrEnum):
    PERSONAL = "personal"  # BrainSTEM personal access token: sliding, one year
    ACCESS = "access"  # JWT, one hour
    REFRESH = "refresh"  # JWT, thirty days, rotated on use
    SESSION = "session"  # BrainMaps login token
    ALYX = "alyx"  # Alyx /auth-token, 24 hours


_PREFIXES = {TokenKind.PERSONAL: "ngp_", TokenKind.SESSION: "ngs_"}


def new_secret(kind: TokenKind) -> str:
    """A fresh opaque secret; personal and session tokens carry a recognisable prefix."""
    if kind is TokenKind.ALYX:
        return secrets.token_hex(20)  # the shape of a Django REST framework token
    return _PREFIXES[kind] + secrets.token_urlsafe(32)


def derived_secret(key: str, token_id: uuid.UUID) -> str:
    """The secret of a token whose secret is derived rather than random (Alyx's, which Alyx
    hands out again on every login while it lives): an HMAC of the token's id under the
    server's secret key, in the shape of a Django REST framework token. Only its hash is
    stored, as for every token; the key (which signs JWTs already) is what recovers it.
    After the key changes, a live token still works but cannot be recovered: the next login
    gets a new one."""
    digest = hmac.new(key.encode(), f"alyx-token:{token_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:40]


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def display_prefix(secret: str) -> str:
    """A few characters of a secret, safe to show again so a user can tell their tokens
    apart: the start of an opaque token, the end of a JWT (every JWT starts alike)."""
    return secret[-8:] if looks_like_jwt(secret) else secret[:8]


def looks_like_jwt(token: str) -> bool:
    return token.startswith("eyJ") and token.count(".") == 2


@dataclass(frozen=True, slots=True)
class Claims:
    user_id: int
    jti: uuid.UUID
    kind: TokenKind
    family: uuid.UUID


def encode_jwt(
    key: str,
    *,
    user_id: int,
    kind: TokenKind,
    jti: uuid.UUID,
    family: uuid.UUID,
    issued: datetime,
    expires: datetime,
) -> str:
    payload = {
        "sub": str(user_id),
        "typ": kind.value,
        "jti": str(jti),
        "fam": str(family),
        "iat": int(issued.replace(tzinfo=UTC).timestamp()),
        "exp": int(expires.replace(tzinfo=UTC).timestamp()),
    }
    return jwt.encode(payload, key, algorithm=JWT_ALGORITHM)


def decode_jwt(key: str, token: str, *, now: datetime) -> Claims:
    """Verify signature, algorithm and expiry (against ``now``, so tests can move the clock)."""
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[JWT_ALGORITHM],
            # Time claims are checked against the injectable ``now`` below, not the wall clock.
            options={
                "require": ["exp", "iat", "jti", "sub", "typ"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
        if payload["exp"] <= now.replace(tzinfo=UTC).timestamp():
            raise Unauthenticated(INVALID_TOKEN)
        return Claims(
            user_id=int(payload["sub"]),
            jti=uuid.UUID(payload["jti"]),
            kind=TokenKind(payload["typ"]),
            family=uuid.UUID(payload.get("fam") or payload["jti"]),
        )
    except (jwt.PyJWTError, ValueError, KeyError) as exc:
        raise Unauthenticated(INVALID_TOKEN) from exc
