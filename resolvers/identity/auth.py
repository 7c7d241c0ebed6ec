"""Sign-in: scrypt password hashes, short-lived JWTs, and long-lived service tokens for
department systems (stored as SHA-256, shown once)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt
from tortoise import connections

from gridhub.models import ServiceToken, User

from gridhub.resolvers.errors import Unauthenticated
from gridhub.resolvers.runtime.lru import ByteLRU
from gridhub.resolvers.identity.login_throttle import LoginThrottle

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
SERVICE_TOKEN_PREFIX = "ghs_"
DEMO_PASSWORD = "demo"  # the demo county's users', accepted in demo mode only
LAST_USED_RESOLUTION = timedelta(minutes=1)  # how exactly a service token's last use is kept


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt${n}${r}${p}$".format(**_SCRYPT) + "$".join(
        base64.b64encode(x).decode() for x in (salt, digest))


def verify_password(password: str, stored: str | None) -> bool:
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                  p=int(p), dklen=32)
        return hmac.compare_digest(computed, base64.b64decode(digest))
    except ValueError:
        return False


_DUMMY_HASH = hash_password(secrets.token_hex(8))


async def login(username: str, password: str, secret: str, ttl: timedelta, *,
                throttle: LoginThrottle | None = None, client_ip: str | None = None,
                demo_mode: bool = False) -> tuple[str, datetime]:
    """A sign-in token for `username`; with a `throttle`, refused (RATE_LIMITED) before any
    password check once this username or `client_ip` failed too often. The demo password
    opens nothing outside demo mode, whichever account carries it."""
    if throttle is not None:
        await throttle.check(username, client_ip)
    user = await User.get_or_none(username=username, deleted_at=None)
    # verify against a dummy hash for unknown users so timing does not tell who exists
    valid = verify_password(password, user.password_hash if user else _DUMMY_HASH)
    valid = valid and (demo_mode or password != DEMO_PASSWORD)
    if not (user and valid and user.is_active):
        if throttle is not None:
            await throttle.failed(username, client_ip)
        raise Unauthenticated("wrong username or password")
    if throttle is not None:
        await throttle.succeeded(username)
    expires = datetime.now(timezone.utc) + ttl
    token = jwt.encode({"sub": user.username, "exp": expires, "iat": datetime.now(timezone.utc)},
                       secret, algorithm="HS256")
    return token, expires


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_service_token(user: User, name: str, created_by: str) -> tuple[str, ServiceToken]:
    token = SERVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = await ServiceToken.create(user=user, name=name, token_hash=_token_digest(token),
                                    prefix=token[:12], created_by=created_by)
    return token, row


@dataclass
class Verified:
    """A token this process verified, its user as then, and until when that holds."""

    user: User
    version: int  # the principal version it was verified at
    expires: float  # time.time() of the JWT's expiry; inf for a service token
    service_token: ServiceToken | None = None


class VerifiedTokens:
    """Verified tokens by (secret, SHA-256 of the token), the least recently used dropped
    past `max_entries`. An entry holds only while the principal version is the one it was
    verified at: the database bumps it whenever a user is disabled or a token revoked
    (migration 0016), and every request reads it, so that such a change takes effect on the
    very next request in every process without verifying and loading the user each time."""

    def __init__(self, max_entries: int = 10_000):
        self._entries = ByteLRU(max_entries)  # each entry counted as one: bounded by entries

    def get(self, key: tuple[str, str], version: int) -> Verified | None:
        found = self._entries.get(key)
        if found is None:
            return None
        if found.version != version or found.expires <= time.time():
            self._entries.discard(key)
            return None
        return found

    def put(self, key: tuple[str, str], verified: Verified) -> None:
        self._entries.put(key, verified, size=1)

    def clear(self) -> None:
        self._entries.clear()


VERIFIED = VerifiedTokens()  # per process


async def principal_version() -> int:
    rows = await connections.get("default").execute_query_dict("SELECT version FROM principal_version WHERE id = 1")
    return rows[0]["version"] if rows else 0


async def authenticate(authorization: str | None, secret: str) -> User | None:
    """The user a request's `Authorization: Bearer …` names; None without one.
    A token that is present but not valid is refused, never taken as anonymous."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("use `Authorization: Bearer <token>`")
    version = await principal_version()
    key = (secret, _token_digest(token))
    verified = VERIFIED.get(key, version)
    if verified is None:
        verified = await _verify(token, secret, version)
        VERIFIED.put(key, verified)
    if verified.service_token is not None:
        await _note_use(verified.service_token)
    return verified.user


async def _note_use(row: ServiceToken) -> None:
    used = datetime.now(timezone.utc)
    if row.last_used_at is None or used - row.last_used_at > LAST_USED_RESOLUTION:
        # a write per request would cost a department's pull more than its reads
        row.last_used_at = used
        await ServiceToken.filter(id=row.id).update(last_used_at=used)


async def _verify(token: str, secret: str, version: int) -> Verified:
    row, expires = None, math.inf
    if token.startswith(SERVICE_TOKEN_PREFIX):
        row = await ServiceToken.get_or_none(token_hash=_token_digest(token), revoked_at=None,
                                             deleted_at=None)
        if row is None:
            raise Unauthenticated("this service token is not valid (revoked or unknown)")
        user = await User.get_or_none(id=row.user_id, deleted_at=None, is_active=True)
    else:
        try:
            claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired; sign in again") from None
        except jwt.InvalidTokenError:
            raise Unauthenticated("the token is not valid") from None
        user = await User.get_or_none(username=claims["sub"], deleted_at=None, is_active=True)
        expires = float(claims["exp"])
    if user is None:
        raise Unauthenticated("the token's user no longer exists or is disabled")
    return Verified(user, version, expires, row)
