"""Cached answers (in memory, bounded in bytes, by default; Redis, through aiocache, with
CACHE_URL).

A cached answer's key names the question, the caller's scope (its hash), the policy
version and the data version of the tables the answer reads. So an answer never reaches a
caller whose scope differs, a policy edit changes every key, and a write shows on the next
read: the data version is the newest `updated_at` (every write, soft deletes included, sets
it) and the highest id of each table, two index lookups, the same in every process."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from typing import Any, Awaitable, Callable
from urllib.parse import urlparse

from aiocache import Cache
from tortoise import connections

from gridhub.policies.scope import Scope

from gridhub.resolvers.runtime.lru import ByteLRU
from gridhub.resolvers.runtime.metrics import count_cache

TTL_SECONDS = 300
log = logging.getLogger("gridhub.cache")


class MemoryCache:
    """This process's answers, without Redis or while it fails: a cache bounded in bytes
    (aiocache's memory cache is bounded by nothing but the entries' ttl)."""

    def __init__(self, max_bytes: int):
        self.entries = ByteLRU(max_bytes)

    async def get(self, key):
        found = self.entries.get(key)
        if found is None:
            return None
        value, expires = found
        if expires is not None and time.monotonic() >= expires:
            self.entries.discard(key)
            return None
        return value

    async def set(self, key, value, ttl=None):
        self.entries.put(key, (value, time.monotonic() + ttl if ttl else None))

    async def close(self):
        self.entries.clear()


def make_backend(cache_url: str, max_bytes: int = 16 << 20):
    """One cache object per process; in memory, at most `max_bytes` of answers."""
    memory = MemoryCache(max_bytes)
    if cache_url.startswith("redis://"):
        url = urlparse(cache_url)
        redis = Cache(Cache.REDIS, endpoint=url.hostname or "127.0.0.1", port=url.port or 6379,
                      db=int((url.path or "/0").lstrip("/") or 0), namespace="gridhub", timeout=0.5)
        return FallbackCache(redis, memory)
    return memory


class FallbackCache:
    """Redis, or this process's memory while Redis fails. Keys carry the data and policy
    versions, so nothing cached on either side can be stale when the other takes over;
    after a failure Redis is left alone for a while rather than timing out every request."""

    RETRY_SECONDS = 5.0

    def __init__(self, primary, fallback):
        self.primary, self.fallback = primary, fallback
        self._down_until = 0.0

    async def _call(self, method: str, *args, **kwargs):
        if time.monotonic() >= self._down_until:
            try:
                return await getattr(self.primary, method)(*args, **kwargs)
            except Exception:
                if not self._down_until:
                    log.warning("Redis cache unavailable: answering from memory", exc_info=True)
                self._down_until = time.monotonic() + self.RETRY_SECONDS
                return await getattr(self.fallback, method)(*args, **kwargs)
        return await getattr(self.fallback, method)(*args, **kwargs)

    async def get(self, key):
        return await self._call("get", key)

    async def set(self, key, value, ttl=None):
        return await self._call("set", key, value, ttl=ttl)

    async def ping(self) -> None:
        """Redis itself, not the fallback: /healthz reports the cache's real state."""
        await self.primary.set("healthz", 1, ttl=5)

    async def close(self):
        for backend in (self.primary, self.fallback):
            with contextlib.suppress(Exception):
                await backend.close()


class AnswerCache:
    def __init__(self, backend):
        self.backend = backend

    async def data_version(self, tables: tuple[str, ...]) -> list:
        parts = " UNION ALL ".join(
            f"SELECT '{t}' AS t, CAST(MAX(updated_at) AS VARCHAR(40)) AS at, MAX(id) AS top FROM {t}"
            for t in tables)
        rows = await connections.get("default").execute_query_dict(parts)
        return sorted((r["t"], r["at"], r["top"]) for r in rows)

    async def answer(self, question: tuple, scope: Scope, policy_version: int, tables: tuple[str, ...],
                     compute: Callable[[], Awaitable[Any]]) -> Any:
        """The cached answer to `question`, or `compute()`'s (JSON-able) answer, cached."""
        version = await self.data_version(tables)
        text = json.dumps([question, scope.hash, policy_version, version], default=str, ensure_ascii=False)
        key = "answer:" + hashlib.sha256(text.encode()).hexdigest()
        found = await self.backend.get(key)
        count_cache(found is not None)
        if found is not None:
            return found
        value = await compute()
        await self.backend.set(key, value, ttl=TTL_SECONDS)
        return value

    async def ping(self) -> None:
        if isinstance(self.backend, FallbackCache):
            await self.backend.ping()
        else:
            await self.backend.set("healthz", 1, ttl=5)

    async def close(self) -> None:
        await self.backend.close()
