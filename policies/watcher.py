"""Keeps every process on the newest policy: an edit announces its version on Redis
pub/sub, and each process also polls the database version (often when there is no Redis,
seldom as a safety net when there is), reloading whenever it is behind.

While announcements cannot be trusted — Redis configured but not subscribed, at start or
after a lost connection — the store is told to check the database version before every
request (`store.check_each_request`): one indexed read, so that a policy edit made in
another process is never answered with the old scope, even for half a second."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from .store import PolicyStore

log = logging.getLogger("gridhub.policy")
CHANNEL = "gridhub:policy-version:{db}"  # pub/sub ignores database numbers: keep deployments apart


class PolicyWatcher:
    def __init__(self, store: PolicyStore, redis_url: str | None, *, poll_seconds: float = 0.5,
                 safety_poll_seconds: float = 5.0):
        self.store = store
        self.redis_url = redis_url
        self.fast_poll_seconds = poll_seconds
        self.safety_poll_seconds = safety_poll_seconds
        store.check_each_request = bool(redis_url)  # until subscribed
        self._redis = None
        self.channel = ""
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        if self.redis_url:
            import redis.asyncio as redis

            self._redis = redis.from_url(self.redis_url)
            self.channel = CHANNEL.format(db=self._redis.connection_pool.connection_kwargs.get("db", 0))
            self._tasks.append(asyncio.create_task(self._listen()))
        self._tasks.append(asyncio.create_task(self._poll()))
        self.store.listeners.append(self.announce)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._redis is not None:
            await self._redis.aclose()

    async def announce(self, version: int) -> None:
        if self._redis is None:
            return
        try:
            await self._redis.publish(self.channel, str(version))
        except Exception:  # Redis down: the pollers of other processes still catch up
            log.warning("could not announce policy version %s on Redis", version, exc_info=True)

    async def _listen(self) -> None:
        while True:
            try:
                pubsub = self._redis.pubsub()
                await pubsub.subscribe(self.channel)
                await self.store.refresh()  # what was announced while not subscribed
                self.store.check_each_request = False
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        await self.store.refresh(int(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:
                if not self.store.check_each_request:
                    log.warning("policy announcements lost: checking the database on every request "
                                "until Redis is back", exc_info=True)
                self.store.check_each_request = True
                await asyncio.sleep(1)

    @property
    def poll_seconds(self) -> float:
        trusted = self._redis is not None and not self.store.check_each_request
        return self.safety_poll_seconds if trusted else self.fast_poll_seconds

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                await self.store.refresh()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("policy version check failed", exc_info=True)
