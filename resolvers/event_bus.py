"""Announces changes of events to live subscribers (eventChanged), in this process and,
through Redis pub/sub, in every other one. Called after the change is committed.

A message names a change, never the event's data:
    {"event_id": 42, "action": "accept", "region_path": "/…/001/", "version": 3, "origin": "<bus>"}
The event is then loaded through each subscriber's current scope, in SQL, and a subscriber
is sent nothing unless that finds it: a subscriber outside the event's region, or without
the facet (`event:assigned`, a category) that lets it read the event, hears nothing.

At a county's scale (a thousand open sockets) the check is made once per distinct scope,
not once per socket: the bus groups its subscribers by `Scope.hash` (a hundred grid workers
of one grid share one) and loads the changes heard since its last round with one query per
scope. One task per process does this, round after round, so every subscriber still hears
changes in the order the process heard of them.

Without Redis (CACHE_URL=memory://) only this process's subscribers hear of changes: right
for the single-process default, not for several processes behind a load balancer.
Pub/sub is at most once: a subscriber that reconnects catches up with
`events(filter: {updatedSince: …})`, not from the bus."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from dataclasses import asdict, dataclass
from typing import Any, AsyncIterator, Callable, Iterator

from gridhub import models
from gridhub.policies.predicate import In, and_
from gridhub.policies.scope import Scope

from .context import RequestContext
from .loaders import Loaders
from .query import rows

log = logging.getLogger("gridhub.events")
CHANNEL = "gridhub:event-changes:{db}"  # pub/sub ignores database numbers: keep deployments apart
# changes that change nothing of the event: they wake `noticeReceived`, not `eventChanged`
NOTICE_ONLY = frozenset({"due_soon"})
QUEUE_SIZE = 256  # changes a subscriber may fall behind before the oldest are dropped


@dataclass(frozen=True)
class Change:
    event_id: int
    action: str  # the workflow step (report, accept, dispatch, …), or create / update / delete
    region_path: str  # where the event lies after the change
    version: int  # the event's version right after the change


@dataclass(frozen=True)
class SeenChange:
    """A change as one subscriber may see it; `event` is None for a deletion. `scope` is the
    scope it was seen under, which its fields resolve under too."""

    action: str
    event_id: int
    version: int
    event: models.Event | None
    scope: Scope | None = None


class Subscriber:
    """One live subscription of `user`, to changes made under `region_path` (None: all), and its
    inbox: bounded, so a slow client costs memory it is owed, no more."""

    def __init__(self, size: int, user: Any = None, region_path: str | None = None):
        self.inbox: asyncio.Queue[SeenChange] = asyncio.Queue(size)
        self.user = user
        self.region_path = region_path
        self.dropping = False  # warned once per run of drops, not once per change

    def wants(self, change: Change) -> bool:
        return not self.region_path or change.region_path.startswith(self.region_path)

    def offer(self, change: SeenChange) -> None:
        if self.inbox.full():
            dropped = self.inbox.get_nowait()
            if not self.dropping:
                log.warning("a subscriber fell %d changes behind: dropping its oldest, from %s of event %s",
                            self.inbox.maxsize, dropped.action, dropped.event_id)
            self.dropping = True
        else:
            self.dropping = False
        self.inbox.put_nowait(change)


class EventBus:
    """One per process. `scope_of(user)` gives a user's scope under the policy now in force,
    so a policy edit applies to subscriptions already open."""

    def __init__(self, redis_url: str | None, scope_of: Callable[[Any], Scope], *,
                 queue_size: int = QUEUE_SIZE):
        self.redis_url = redis_url
        self.channel = ""  # named once the Redis database is known
        self.scope_of = scope_of
        self.queue_size = queue_size
        self.origin = uuid.uuid4().hex  # tells this bus's own messages when Redis echoes them
        self.subscribers: set[Subscriber] = set()
        self.listening = asyncio.Event()
        self._redis = None
        self._listener: asyncio.Task | None = None
        self._heard: asyncio.Queue[Change] = asyncio.Queue()  # changes not yet checked for anyone
        self._dispatcher: asyncio.Task | None = None

    async def start(self) -> None:
        global _running
        if self.redis_url:
            import redis.asyncio as redis

            self._redis = redis.from_url(self.redis_url)
            self.channel = CHANNEL.format(db=self._redis.connection_pool.connection_kwargs.get("db", 0))
            self._listener = asyncio.create_task(self._listen())
            # serve only once the other processes' changes are heard (a down Redis only delays)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.listening.wait(), 5)
        _running = self

    async def stop(self) -> None:
        global _running
        if _running is self:
            _running = None
        for task in (self._listener, self._dispatcher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._redis is not None:
            await self._redis.aclose()

    async def announce(self, change: Change) -> None:
        """Deliver here at once, then tell the other processes. Never raises: the change is
        committed already, and a lost notification must not fail the mutation."""
        self._deliver(change)
        if self._redis is None:
            return
        try:
            await self._redis.publish(self.channel, json.dumps({**asdict(change), "origin": self.origin}))
        except Exception:
            log.warning("could not announce %s of event %s on Redis", change.action, change.event_id,
                        exc_info=True)

    @contextlib.contextmanager
    def subscription(self, user: Any = None, region_path: str | None = None) -> Iterator[Subscriber]:
        subscriber = Subscriber(self.queue_size, user, region_path)
        self.subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            self.subscribers.discard(subscriber)

    def _deliver(self, change: Change) -> None:
        if not self.subscribers:
            return
        self._heard.put_nowait(change)
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch())

    async def _dispatch(self) -> None:
        """Round after round: every change heard since the last round, checked once per
        distinct scope among the subscribers, offered to those of that scope who want it."""
        while True:
            heard = [await self._heard.get()]
            while not self._heard.empty():
                heard.append(self._heard.get_nowait())
            try:
                await self._check_round(heard)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database away, say: these changes are lost, as on a lost message
                log.warning("could not check %d event changes for subscribers", len(heard), exc_info=True)

    async def _check_round(self, heard: list[Change]) -> None:
        groups: dict[str, tuple[Scope, list[Subscriber]]] = {}
        for subscriber in list(self.subscribers):
            if any(subscriber.wants(change) for change in heard):
                scope = self.scope_of(subscriber.user)
                groups.setdefault(scope.hash, (scope, []))[1].append(subscriber)

        async def check(scope: Scope, subscribers: list[Subscriber]) -> None:
            wanted = [c for c in heard if any(s.wants(c) for s in subscribers)]
            for change, seen in zip(wanted, await _seen_all(scope, wanted)):
                if seen is not None:
                    for subscriber in subscribers:
                        if subscriber.wants(change):
                            subscriber.offer(seen)

        await asyncio.gather(*(check(scope, subscribers) for scope, subscribers in groups.values()))

    async def _listen(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self.listening.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._receive(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                self.listening.clear()
                log.warning("event changes from other processes lost; retrying", exc_info=True)
                await asyncio.sleep(1)

    def _receive(self, data: bytes) -> None:
        try:
            message = json.loads(data)
            if message.pop("origin") == self.origin:
                return  # delivered here when it was announced
            change = Change(**message)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed event change message: %r", data[:200])
            return
        self._deliver(change)


_running: EventBus | None = None


def running_bus() -> EventBus:
    if _running is None:
        raise RuntimeError("the event bus is not running (it starts with the app's lifespan)")
    return _running


async def announce_event_change(event: models.Event, action: str) -> None:
    """Tell subscribers that `event` changed by `action` (report, accept, …, update, delete).
    Outside a served app (the CLI, the demo builder) nobody listens, so nothing is sent."""
    if _running is not None:
        await _running.announce(Change(event.id, action, event.region_path, event.version))


async def _seen_all(scope: Scope, changes: list[Change]) -> list[SeenChange | None]:
    """Each change as `scope` may see it, decided in SQL (two queries at most), or None. A
    live event is loaded through the scope. A deleted one only yields a tombstone (its id),
    and only to whom the scope would have shown it just before: a soft delete leaves the
    row's region and facet columns as they were, so the read predicate is asked of the
    deleted row itself."""
    deleted = tuple({c.event_id for c in changes if c.action == "delete"})
    live = tuple({c.event_id for c in changes if c.action != "delete"})
    could_see = set(await models.Event.filter(and_(scope.where("event"), In("id", deleted)).to_q())
                    .values_list("id", flat=True)) if deleted else set()
    events = {e.id: e for e in await rows(scope, "event", In("id", live))} if live else {}
    seen: list[SeenChange | None] = []
    for c in changes:
        if c.action == "delete":
            seen.append(SeenChange(c.action, c.event_id, c.version, None, scope) if c.event_id in could_see else None)
        else:
            event = events.get(c.event_id)
            seen.append(SeenChange(c.action, c.event_id, c.version, event, scope) if event else None)
    return seen


async def changes_seen_by(context: RequestContext, region_path: str | None = None) -> AsyncIterator[SeenChange]:
    """Every change of an event `context`'s caller may read, in the order this process
    heard of them, until the consumer stops iterating. `region_path` narrows to changes
    made in that subtree (where the change left the event); the scope alone decides what
    may be seen.

    A change that takes an event out of the caller's scope is not sent: the event is gone
    from their view, as it is from their queries. `SeenChange.event` is the event as it
    stands when delivered, which may be a later version than the change's own."""
    bus = running_bus()
    with bus.subscription(context.user, region_path) as subscriber:
        while True:
            seen = await subscriber.inbox.get()
            # the connection's context outlives many changes: fields of this one resolve
            # under the scope it was seen under, with loaders that cache nothing from before
            context.scope, context.loaders = seen.scope, Loaders(seen.scope)
            try:
                yield seen
            finally:  # the sensitive fields this delivery revealed, audited once it is sent
                await context.flush_audit()
