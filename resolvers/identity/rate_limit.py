"""Sliding-window rate limits: requests per caller, failed sign-ins per username and per IP.

A window is approximated the way Cloudflare and nginx-style limiters do it, with two fixed
slots: the estimate at a moment is `previous slot × the share of it still inside the window
+ current slot`. That needs two counters per caller instead of a log of timestamps, and
in Redis one round trip (INCR, EXPIRE, GET in a transaction) however busy the caller is.

Counters live in memory (one process) or in Redis when CACHE_URL is redis://, so that
every process behind a load balancer counts the same requests. A limit's key names its
size and window: processes with the same settings share counters, a test app with a
tight limit never counts what the suite's app did.

The per-request limits (`LeasedWindow`) do not ask Redis on every request: a process
reserves a share of the room a caller has left (one INCRBY) and admits that many requests
locally, reserving again when they are spent; near the limit the shares shrink to one, so
the last requests are judged one by one, as before. Every admission is backed by a count in
Redis made while the window had room for it, so all processes together never admit more
than the limit; what a process reserved and did not use counts until it gives it back on
its next reservation, so a caller spread over several processes may be refused up to the
other processes' unused shares early (each at most a quarter of the room left when it was
reserved). On one process the limit is exact, also for a caller's requests arriving
together: a lease is taken out while its round trip is under way, so its unused share is
given back once, and what concurrent reservations hold is kept in one lease."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Protocol

from redis.exceptions import RedisError

from gridhub.resolvers.runtime.lru import ByteLRU

log = logging.getLogger("gridhub.rate_limit")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # whole seconds until a request would be allowed again (when refused)


class Counters(Protocol):
    async def add(self, key: str, slot: int, ttl: int) -> tuple[int, int]:
        """Count one in `slot`; the counts of `slot` and of the slot before it."""

    async def peek(self, key: str, slot: int) -> tuple[int, int]: ...

    async def forget(self, key: str, slot: int) -> None: ...

    async def close(self) -> None: ...


class MemoryCounters:
    """One process's counters, the least recently used dropped past `max_keys` (an attacker
    cycling through client addresses must not grow them without bound)."""

    def __init__(self, max_keys: int = 100_000):
        self.max_keys = max_keys
        self._slots = ByteLRU(max_keys)  # key -> (slot, current, previous), each counted as one

    def _at(self, key: str, slot: int) -> tuple[int, int]:
        found = self._slots.get(key)
        if found is None:
            return 0, 0
        at, current, previous = found
        if at == slot:
            return current, previous
        if at == slot - 1:
            return 0, current
        return 0, 0

    async def add(self, key: str, slot: int, ttl: int, amount: int = 1) -> tuple[int, int]:
        current, previous = self._at(key, slot)
        self._slots.put(key, (slot, current + amount, previous), size=1)
        return current + amount, previous

    async def peek(self, key: str, slot: int) -> tuple[int, int]:
        return self._at(key, slot)

    async def forget(self, key: str, slot: int) -> None:
        self._slots.discard(key)

    async def close(self) -> None:
        self._slots.clear()


class RedisCounters:
    """Counters shared by every process on one Redis database. While Redis does not answer
    each process counts on its own (in memory) rather than refusing everyone or no one:
    the limits hold per process until Redis is back."""

    PREFIX = "gridhub:rate:"
    TIMEOUT = 0.5  # seconds: a request must not wait long on its rate limit

    def __init__(self, url: str):
        self.url = url
        self._redis = None
        self.fallback = MemoryCounters()
        self._warned_at = 0.0

    def _client(self):
        if self._redis is None:  # made on first use, inside the running event loop
            import redis.asyncio as redis

            self._redis = redis.from_url(self.url, socket_connect_timeout=self.TIMEOUT, socket_timeout=self.TIMEOUT)
        return self._redis

    def _key(self, key: str, slot: int) -> str:
        return f"{self.PREFIX}{key}:{slot}"

    def _unavailable(self, error: Exception) -> None:
        if time.monotonic() - self._warned_at > 60:
            self._warned_at = time.monotonic()
            log.warning("rate limits: Redis unavailable (%s); counting in this process", error)

    async def add(self, key: str, slot: int, ttl: int) -> tuple[int, int]:
        try:
            async with self._client().pipeline(transaction=True) as pipe:
                pipe.incr(self._key(key, slot))
                pipe.expire(self._key(key, slot), ttl)
                pipe.get(self._key(key, slot - 1))
                current, _, previous = await pipe.execute()
        except (RedisError, OSError) as e:
            self._unavailable(e)
            return await self.fallback.add(key, slot, ttl)
        return int(current), int(previous or 0)

    async def lease(self, key: str, slot: int, ttl: int, size: int,
                    give_back: tuple[tuple[int, int], ...] = ()) -> tuple[int, int]:
        """Reserve `size` in `slot` (after returning what earlier reservations left unused:
        (slot, count) pairs) in one round trip; the counts of `slot` and of the one before."""
        try:
            async with self._client().pipeline(transaction=True) as pipe:
                for at, unused in give_back:
                    pipe.decrby(self._key(key, at), unused)
                pipe.incrby(self._key(key, slot), size)
                pipe.expire(self._key(key, slot), ttl)
                pipe.get(self._key(key, slot - 1))
                *_, current, _, previous = await pipe.execute()
        except (RedisError, OSError) as e:
            self._unavailable(e)  # counted in this process until Redis is back
            return await self.fallback.add(key, slot, ttl, size)
        return int(current), int(previous or 0)

    async def peek(self, key: str, slot: int) -> tuple[int, int]:
        try:
            current, previous = await self._client().mget(self._key(key, slot), self._key(key, slot - 1))
        except (RedisError, OSError) as e:
            self._unavailable(e)
            return await self.fallback.peek(key, slot)
        return int(current or 0), int(previous or 0)

    async def forget(self, key: str, slot: int) -> None:
        await self.fallback.forget(key, slot)
        try:
            await self._client().delete(self._key(key, slot), self._key(key, slot - 1))
        except (RedisError, OSError) as e:
            self._unavailable(e)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None


def make_counters(cache_url: str) -> Counters:
    return RedisCounters(cache_url) if cache_url.startswith("redis://") else MemoryCounters()


class SlidingWindow:
    """At most `limit` events per `seconds` for each `who` (a user, a client IP, a username)."""

    def __init__(self, counters: Counters, name: str, limit: int, seconds: int, clock=time.time):
        self.counters, self.name, self.limit, self.seconds = counters, name, limit, seconds
        self.clock = clock

    def _key(self, who: str) -> str:
        return f"{self.name}:{self.limit}/{self.seconds}:{who}"

    def _slot(self) -> tuple[int, float]:
        now = self.clock() / self.seconds
        slot = math.floor(now)
        return slot, now - slot  # the slot, and how far into it we are (0..1)

    def _estimate(self, current: int, previous: int, into: float) -> float:
        return previous * (1 - into) + current

    def _retry_after(self, current: int, previous: int, into: float, room: int) -> int:
        """Seconds until the estimate falls to `room`: within this slot as the previous one
        slides out, or else in the next slot, as this one does."""
        if current <= room:
            wait = (1 - (room - current) / previous - into) if previous else 0.0
        else:
            wait = (1 - into) + (1 - room / current)
        return max(1, math.ceil(wait * self.seconds))

    async def hit(self, who: str) -> Verdict:
        """Count a request and judge it: allowed while the window holds at most `limit`.
        Refused requests count too, so a client that keeps hammering stays refused; one
        that waits `retry_after` gets through."""
        slot, into = self._slot()
        current, previous = await self.counters.add(self._key(who), slot, 2 * self.seconds)
        if self._estimate(current, previous, into) <= self.limit:
            return Verdict(True)
        return Verdict(False, self._retry_after(current, previous, into, self.limit - 1))

    async def check(self, who: str) -> Verdict:
        """Judge the next event without counting it (a sign-in is counted only if it fails)."""
        slot, into = self._slot()
        current, previous = await self.counters.peek(self._key(who), slot)
        if self._estimate(current, previous, into) <= self.limit - 1:
            return Verdict(True)
        return Verdict(False, self._retry_after(current, previous, into, self.limit - 1))

    async def add(self, who: str) -> None:
        slot, _ = self._slot()
        await self.counters.add(self._key(who), slot, 2 * self.seconds)

    async def forget(self, who: str) -> None:
        slot, _ = self._slot()
        await self.counters.forget(self._key(who), slot)


@dataclass
class _Lease:
    slot: int
    left: int = 0  # admissions reserved in `slot` and not yet used
    room: float = 0.0  # what the window had left after the last reservation: sizes the next
    owed: int = 0  # reserved beyond what the window had room for: given back on the next reservation


class LeasedWindow(SlidingWindow):
    """A SlidingWindow on shared counters that admits most requests without a round trip
    (the module's docstring): reservations, each at most 1/SHARE of the room left."""

    SHARE = 4

    def __init__(self, counters: RedisCounters, name: str, limit: int, seconds: int, clock=time.time,
                 max_keys: int = 100_000):
        super().__init__(counters, name, limit, seconds, clock)
        self.max_keys = max_keys
        self.leases = ByteLRU(max_keys)  # key -> _Lease, each counted as one
        self.reservations = 0  # round trips made, for tests and metrics

    async def hit(self, who: str) -> Verdict:
        slot, into = self._slot()
        key = self._key(who)
        lease = self.leases.get(key)
        if lease is not None and lease.slot == slot and lease.left > 0:
            lease.left -= 1
            return Verdict(True)
        give_back: tuple[tuple[int, int], ...] = ()
        if lease is not None:
            # taken out before the round trip: a request of the same caller arriving meanwhile
            # must not give the same share back again, nor size its reservation on this room
            self.leases.discard(key)
            if lease.slot >= slot - 1 and lease.left + lease.owed:
                give_back = ((lease.slot, lease.left + lease.owed),)
        size = max(1, int(lease.room // self.SHARE)) if lease is not None and lease.slot == slot else 1
        self.reservations += 1
        current, previous = await self.counters.lease(key, slot, 2 * self.seconds, size, give_back)
        before = self._estimate(current - size, previous, into)
        granted = max(0, min(size, math.floor(self.limit - before)))
        lease = _Lease(slot, max(0, granted - 1), self.limit - self._estimate(current, previous, into),
                       size - max(granted, 1))
        meanwhile = self.leases.get(key)  # another request's reservation, made during ours
        if meanwhile is not None and meanwhile.slot == slot:
            # one lease per caller: what it holds is kept (to admit or give back), not dropped
            lease.left += meanwhile.left
            lease.owed += meanwhile.owed
            lease.room = min(lease.room, meanwhile.room)
        self.leases.put(key, lease, size=1)
        if granted:
            return Verdict(True)
        # refused, and counted (once: the rest of a reservation is owed back)
        current -= lease.owed
        return Verdict(False, self._retry_after(current, previous, into, self.limit - 1))


def make_window(counters: Counters, name: str, limit: int, seconds: int) -> SlidingWindow:
    """The per-request limit: leased from Redis when counters are shared, else in memory
    (already without a round trip)."""
    if isinstance(counters, RedisCounters):
        return LeasedWindow(counters, name, limit, seconds)
    return SlidingWindow(counters, name, limit, seconds)
