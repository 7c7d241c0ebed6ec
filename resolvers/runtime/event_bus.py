"""Announces changes of events to live subscribers (eventChanged), in this process and,
through Redis pub/sub, in every other one. Called after the change is committed.

A message names a change, never the event's data:
    {"event_id": 42, "action": "accept", "region_path": "/…/001/", "version": 3, "origin": "<bus>"}
The event is then loaded through each subscriber's current scope, in SQL, and a subscriber
is sent nothing unless that finds it: a subscriber outside the event's region, or without
the facet (`event:assigned`, a category) that lets it read the event, hears nothing.

At a county's scale (a thousand open sockets) a change is checked, executed and encoded
once per group of subscribers, not once per socket. A group is the subscribers of one key
(`Subscriber.key`): scope (what is seen and what is masked), policy version, document and
variables, region — a hundred grid workers of one grid watching with the same client share
one. Each round the bus decides which groups see which of the changes heard since the
last one with one statement for all of them (change_visibility), each group runs the
subscription's selection once per change (`Group`), and every member's socket is sent the
same encoded text. One task per process does this, round after
round, and each group answers in order, so every subscriber still hears changes in the
order the process heard of them; one that a policy edit moves to another group first hears
what its old group still owes it.

Without Redis (CACHE_URL=memory://) only this process's subscribers hear of changes: right
for the single-process default, not for several processes behind a load balancer.
Pub/sub is at most once: a subscriber that reconnects catches up with
`events(filter: {updatedSince: …})`, not from the bus."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import logging
import uuid
from contextvars import ContextVar
from functools import cached_property
from dataclasses import asdict, dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator

from gridhub import models
from gridhub.policies.scope import Scope

from gridhub.resolvers.read.change_visibility import Change, SeenChange, seen_by_scopes
from gridhub.resolvers.identity.context import RequestContext
from gridhub.resolvers.read.loaders import Loaders

log = logging.getLogger("gridhub.events")
CHANNEL = "gridhub:event-changes:{db}"  # pub/sub ignores database numbers: keep deployments apart
# changes that change nothing of the event: they wake `noticeReceived`, not `eventChanged`
NOTICE_ONLY = frozenset({"due_soon"})
QUEUE_SIZE = 256  # changes a subscriber may fall behind before the oldest are dropped


@dataclass(frozen=True)
class Frame:
    """A change's answer as sent: the `payload` of a `next` message, encoded once per group."""

    action: str
    event_id: int
    payload: str


ENDED = Frame("end", 0, "")  # the group's execution ended (an error it sent): so does the subscription


@dataclass(frozen=True)
class Operation:
    """The socket side of one subscription, as its transport (schema/subscription.py) gives
    it: the document and variables as sent, how to send the socket a text frame, and how to
    execute the document for a group (`execute(context, operation)`: each result's payload,
    encoded)."""

    id: str
    query: str
    variables: dict | None
    operation_name: str | None
    send: Callable[[str], Awaitable[None]]
    execute: Callable[[RequestContext, "Operation"], AsyncIterator[str]]

    @cached_property
    def signature(self) -> str:
        """Equal for the same document, operation and variables."""
        text = json.dumps([self.query, self.operation_name, self.variables], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


# set by the transport for the task that runs one socket's operation
current_operation: ContextVar[Operation | None] = ContextVar("gridhub_subscription_operation", default=None)


class Subscriber:
    """One live subscription (one socket's operation) of `user`, to changes made under
    `region_path` (None: all), and its inbox of frames to send: bounded, so a slow client
    costs memory it is owed, no more, and never holds up the others."""

    def __init__(self, size: int, user: Any = None, region_path: str | None = None,
                 context: RequestContext | None = None, operation: Operation | None = None):
        self.inbox: asyncio.Queue[Frame] = asyncio.Queue(size)
        self.user = user
        self.region_path = region_path
        self.context = context  # the socket's, copied for a group it founds
        self.operation = operation
        self.group: Group | None = None
        self.dropping = False  # warned once per run of drops, not once per change

    def wants(self, change: Change) -> bool:
        return not self.region_path or change.region_path.startswith(self.region_path)

    def key(self, scope: Scope, policy_version: Any) -> tuple:
        """What decides the bytes this subscriber is sent: the scope (what is seen, and
        what is masked: sensitive fields are rules of the scope), the policy it was compiled
        under, the document with its variables, and the region. Equal keys, equal bytes."""
        return scope.hash, policy_version, self.operation.signature if self.operation else None, self.region_path

    def frame(self, payload: str) -> str:
        return f'{{"id":{json.dumps(self.operation.id)},"type":"next","payload":{payload}}}'

    def offer(self, change: Frame) -> None:
        if self.inbox.full():
            dropped = self.inbox.get_nowait()
            if not self.dropping:
                log.warning("a subscriber fell %d changes behind: dropping its oldest, from %s of event %s",
                            self.inbox.maxsize, dropped.action, dropped.event_id)
            self.dropping = True
        else:
            self.dropping = False
        self.inbox.put_nowait(change)


@dataclass
class Delivery:
    seen: SeenChange
    audience: tuple[Subscriber, ...]  # the group's members when the change was checked
    done: asyncio.Future


class Group:
    """Subscribers of one key (`Subscriber.key`). Their subscription is executed once, by
    the group, under the key's scope, through the schema like any other operation (limits,
    error codes, the audit of sensitive reads — written for each reader), and each result
    is encoded once and put in every member's inbox."""

    def __init__(self, key: tuple, scope: Scope, founder: Subscriber, retire: Callable[[], None] = lambda: None):
        """`retire`: the bus's sweep of idle groups, asked once a delivery left this one idle
        (its last member gone while it still had work)."""
        self.key, self.scope, self._retire = key, scope, retire
        self.members: set[Subscriber] = set()
        self.pending: asyncio.Queue[Delivery] = asyncio.Queue()
        self.current: Delivery | None = None
        self.last: asyncio.Future | None = None  # answered once every delivery so far is
        self.ended = False
        self.context = context = copy.copy(founder.context)  # its request, settings, caches…
        context.scope, context.loaders, context._sensitive_reads, context.broadcast = scope, Loaders(scope), {}, self
        self.task = asyncio.create_task(self._run(founder.operation))

    def deliver(self, seen: SeenChange, audience: tuple[Subscriber, ...]) -> asyncio.Future:
        done = self.last = asyncio.get_running_loop().create_future()
        if self.ended:
            done.set_result(None)
        else:
            self.pending.put_nowait(Delivery(seen, audience, done))
        return done

    async def delivered(self, last: asyncio.Future) -> None:
        """Until the group has answered its deliveries up to `last` (in order), or ended."""
        await asyncio.wait({last, self.task}, return_when=asyncio.FIRST_COMPLETED)

    def readers(self) -> list[str]:
        """Who the result being made goes to: each is audited for the sensitive reads in it."""
        audience = self.current.audience if self.current else ()
        return sorted({s.user.username for s in audience if s.user is not None})

    def idle(self) -> bool:
        return not self.members and self.pending.empty() and (self.current is None or self.current.done.done())

    async def next_delivery(self) -> Delivery:
        # asked again before the last one made a payload: the subscription passed it over
        # (eventChanged skips notice-only changes), so it is answered, with nothing sent
        if self.current is not None and not self.current.done.done():
            self.current.done.set_result(None)
            if self.idle():
                asyncio.get_running_loop().call_soon(self._retire)
        self.current = await self.pending.get()
        return self.current

    async def _run(self, operation: Operation) -> None:
        try:
            async for payload in operation.execute(self.context, operation):
                delivery = self.current
                if delivery is None or delivery.done.done():  # an error before any change
                    frame, audience = Frame("error", 0, payload), tuple(self.members)
                else:
                    frame, audience = Frame(delivery.seen.action, delivery.seen.event_id, payload), delivery.audience
                for subscriber in audience:
                    subscriber.offer(frame)
                if delivery is not None and not delivery.done.done():
                    delivery.done.set_result(None)
                if self.idle():
                    asyncio.get_running_loop().call_soon(self._retire)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("a subscription group's execution failed", exc_info=True)
        else:  # as a socket's own stream would, after the error it sent
            for subscriber in self.members:
                subscriber.offer(ENDED)
        finally:
            self.ended = True
            for delivery in [self.current, *_drain(self.pending)]:
                if delivery is not None and not delivery.done.done():
                    delivery.done.set_result(None)


def _drain(queue: asyncio.Queue) -> list:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


class EventBus:
    """One per process. `scope_of(user)` gives a user's scope under the policy now in force,
    so a policy edit applies to subscriptions already open; `policy_version()` the version
    in force."""

    def __init__(self, redis_url: str | None, scope_of: Callable[[Any], Scope], *,
                 policy_version: Callable[[], Any] = lambda: None, queue_size: int = QUEUE_SIZE):
        self.redis_url = redis_url
        self.channel = ""  # named once the Redis database is known
        self.scope_of = scope_of
        self.policy_version = policy_version
        self.queue_size = queue_size
        self.origin = uuid.uuid4().hex  # tells this bus's own messages when Redis echoes them
        self.subscribers: set[Subscriber] = set()
        self.groups: dict[tuple, Group] = {}
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
        tasks = [self._listener, self._dispatcher, *(g.task for g in self.groups.values())]
        self.groups.clear()
        for task in tasks:
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
    def subscription(self, user: Any = None, region_path: str | None = None, context: RequestContext | None = None,
                     operation: Operation | None = None) -> Iterator[Subscriber]:
        subscriber = Subscriber(self.queue_size, user, region_path, context, operation)
        self.subscribers.add(subscriber)
        if operation is not None:  # its group ready before the first change
            self._join(subscriber, self.policy_version())
        try:
            yield subscriber
        finally:
            self.subscribers.discard(subscriber)
            if subscriber.group is not None:
                subscriber.group.members.discard(subscriber)
            self._retire_idle_groups()

    def _retire_idle_groups(self) -> None:
        for key, group in list(self.groups.items()):
            if group.ended or group.idle():
                del self.groups[key]
                group.task.cancel()

    def _deliver(self, change: Change) -> None:
        if not self.subscribers:
            return
        self._heard.put_nowait(change)
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch())

    async def _dispatch(self) -> None:
        """Round after round: every change heard since the last round, checked once per
        group and handed to the group, which executes it once and offers it to its members."""
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

    def _join(self, subscriber: Subscriber, version: Any) -> Group | None:
        """Puts `subscriber` in the group of its key as of now, made (and its execution
        started) if new; the group it left, if it moved."""
        scope = self.scope_of(subscriber.user)
        key = subscriber.key(scope, version)
        group = self.groups.get(key)
        if group is None or group.ended:
            group = self.groups[key] = Group(key, scope, subscriber, retire=self._retire_idle_groups)
        left = subscriber.group
        if left is group:
            return None
        if left is not None:
            left.members.discard(subscriber)
        subscriber.group = group
        group.members.add(subscriber)
        return left

    async def _check_round(self, heard: list[Change]) -> None:
        version = self.policy_version()
        groups: dict[int, tuple[Group, list[Subscriber]]] = {}
        left: dict[int, Group] = {}
        for subscriber in list(self.subscribers):
            if subscriber.operation is not None and any(subscriber.wants(change) for change in heard):
                moved_from = self._join(subscriber, version)  # a policy edit may have moved it
                if moved_from is not None:
                    left[id(moved_from)] = moved_from
                groups.setdefault(id(subscriber.group), (subscriber.group, []))[1].append(subscriber)
        # a subscriber that moved hears what its old group still owes it first: in order
        await asyncio.gather(*(group.delivered(group.last) for group in left.values() if group.last))
        self._retire_idle_groups()

        if not groups:
            return
        # every group's scope asked of the round's changes at once (change_visibility)
        seen_by = await seen_by_scopes({g.scope.hash: g.scope for g, _ in groups.values()}, heard)
        for group, members in groups.values():
            audience = tuple(members)
            for change, seen in zip(heard, seen_by[group.scope.hash]):
                # one region per key: what one member wants, all do
                if seen is not None and members[0].wants(change):
                    group.deliver(seen, audience)

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


async def changes_seen_by(context: RequestContext, region_path: str | None = None) -> AsyncIterator[SeenChange]:
    """Every change of an event `context`'s caller may read, in the order this process
    heard of them, until the consumer stops iterating. `region_path` narrows to changes
    made in that subtree (where the change left the event); the scope alone decides what
    may be seen.

    A change that takes an event out of the caller's scope is not sent: the event is gone
    from their view, as it is from their queries. `SeenChange.event` is the event as it
    stands when delivered, which may be a later version than the change's own.

    Called for a socket's operation (`current_operation`), this joins the bus and sends the
    socket each frame its group made, yielding nothing itself; called for a group's
    execution (`context.broadcast`), it yields the changes the bus gave the group."""
    group = context.broadcast
    if group is not None:
        while True:
            seen = (await group.next_delivery()).seen
            # the group's context outlives many changes: fields of this one resolve under
            # the scope it was seen under, with loaders that cache nothing from before
            context.scope, context.loaders = seen.scope, Loaders(seen.scope)
            try:
                yield seen
            finally:  # the sensitive fields this delivery revealed, audited for each reader
                await context.flush_audit()
    operation = current_operation.get()
    if operation is None:
        raise RuntimeError("eventChanged runs over graphql-transport-ws only")
    with running_bus().subscription(context.user, region_path, context, operation) as subscriber:
        while True:
            frame = await subscriber.inbox.get()
            if frame is ENDED:
                return
            try:
                await operation.send(subscriber.frame(frame.payload))
            except Exception:  # the socket is gone: its handler ends this operation
                await asyncio.Event().wait()
