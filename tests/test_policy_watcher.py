"""The policy watcher (policies/watcher.py) as a unit, in one process: stores of the test's
own on the app's database, announcements over a real Redis (CACHE_URL; skipped without one),
its loss simulated by a TCP proxy cut between the watcher and Redis. test_multiprocess.py
shows the same between server processes. Poll intervals are set so that only the path under
test can bring a store up to date in the time allowed.

Edits touch a made-up role only, removed at the end by an edit (a new version, which every
store loads)."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from urllib.parse import urlsplit

import pytest

from gridhub import models
from gridhub.policies.store import PolicyStore
from gridhub.policies.watcher import PolicyWatcher

from .tcp_proxy import TcpProxy

REDIS_URL = os.environ.get("CACHE_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL.startswith("redis://"),
                                 reason="announcements need Redis: CACHE_URL=redis://…")
ROLE = "zz_watcher_role"
RULE = [ROLE, "*", "thing", "read", "allow"]
NEVER = 3600.0  # a poll interval no test waits for
PATIENCE = 8.0  # seconds a store may take to catch up on a loaded machine


async def until(predicate, limit: float = PATIENCE) -> bool:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > limit:
            return False
        await asyncio.sleep(0.02)
    return True


@pytest.fixture
async def stores(app):
    """The editing store and the one whose watcher is under test, both loaded."""
    editor, watched = PolicyStore(), PolicyStore()
    await editor.load()
    await watched.load()
    watchers: list[PolicyWatcher] = []
    yield editor, watched, watchers
    for watcher in watchers:
        await watcher.stop()
    await models.CasbinRule.filter(v0__startswith="zz_watcher").delete()
    await app.state.store.refresh()


async def edit(editor: PolicyStore, add: bool) -> None:
    assert await editor.edit("p", RULE, add=add, actor="zz_watcher_test", region_path="/")


async def started(watchers: list, store: PolicyStore, redis_url: str | None, **intervals) -> PolicyWatcher:
    watcher = PolicyWatcher(store, redis_url, **intervals)
    watchers.append(watcher)
    await watcher.start()
    return watcher


def lost_warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "gridhub.policy" and "announcements lost" in r.getMessage()]


@needs_redis
async def test_an_announced_edit_reaches_a_store_that_never_polls(stores):
    editor, watched, watchers = stores
    assert PolicyWatcher(PolicyStore(), REDIS_URL).store.check_each_request is True  # until subscribed
    await started(watchers, editor, REDIS_URL, poll_seconds=NEVER, safety_poll_seconds=NEVER)
    watcher = await started(watchers, watched, REDIS_URL, poll_seconds=NEVER, safety_poll_seconds=NEVER)
    assert await until(lambda: not watched.check_each_request), "subscribed: announcements are trusted"
    assert watcher.poll_seconds == NEVER
    await edit(editor, add=True)
    assert await until(lambda: watched.version == editor.version), "the announcement reloads the store"
    assert watched.rules_of(ROLE) == [RULE[1:]]
    await edit(editor, add=False)
    assert await until(lambda: watched.version == editor.version) and watched.rules_of(ROLE) == []


async def test_without_redis_the_database_is_polled_often(stores):
    editor, watched, watchers = stores
    watcher = await started(watchers, watched, None, poll_seconds=0.05, safety_poll_seconds=NEVER)
    assert watched.check_each_request is False, "no announcements to wait for: the fast poll is the transport"
    assert watcher.poll_seconds == 0.05
    await edit(editor, add=True)  # the editor announces nothing: no watcher of its own
    assert await until(lambda: watched.version == editor.version), "the poll reloads the store"
    await edit(editor, add=False)
    assert await until(lambda: watched.version == editor.version) and watched.rules_of(ROLE) == []
    await watcher.announce(editor.version)  # nowhere to announce: nothing happens, nothing fails
    await watcher.stop()
    assert all(task.done() for task in watcher._tasks)
    watchers.remove(watcher)


@needs_redis
async def test_announcements_lost_and_regained(stores, caplog):
    """Cut from Redis, the store checks the database on every request (and the poll runs
    fast); back, it resubscribes, catches up on what was announced meanwhile, and trusts
    announcements again. The loss is logged once, not on every retry."""
    caplog.set_level(logging.WARNING, logger="gridhub.policy")
    editor, watched, watchers = stores
    redis = urlsplit(REDIS_URL)
    with TcpProxy(redis.hostname or "127.0.0.1", redis.port or 6379) as proxy:
        through = f"redis://127.0.0.1:{proxy.port}{redis.path}"
        await started(watchers, editor, REDIS_URL, poll_seconds=NEVER, safety_poll_seconds=NEVER)
        watcher = await started(watchers, watched, through, poll_seconds=NEVER, safety_poll_seconds=NEVER)
        assert await until(lambda: not watched.check_each_request)
        assert lost_warnings(caplog) == []
        proxy.cut()
        assert await until(lambda: watched.check_each_request), "announcements lost: check every request"
        assert watcher.poll_seconds == NEVER  # the fast interval, which this test set to NEVER too
        await asyncio.sleep(2.5)  # some retries while Redis stays away
        warned = lost_warnings(caplog)
        assert len(warned) == 1 and warned[0].exc_info, "the loss is logged once, with its cause"
        await edit(editor, add=True)  # announced while the watched store is not subscribed
        assert watched.version < editor.version
        proxy.restore()
        assert await until(lambda: not watched.check_each_request), "resubscribed"
        assert watched.version == editor.version, "what was announced meanwhile is caught up on resubscribing"
        assert watched.rules_of(ROLE) == [RULE[1:]]
        await edit(editor, add=False)
        assert await until(lambda: watched.version == editor.version)
        proxy.cut()
        await watcher.announce(editor.version)  # Redis away: the announcement is lost, logged, not raised
        assert [bool(r.exc_info) for r in caplog.records if "could not announce" in r.getMessage()] == [True]


@needs_redis
async def test_the_poll_interval_follows_the_trust_in_announcements(stores):
    _, watched, watchers = stores
    watcher = await started(watchers, watched, REDIS_URL, poll_seconds=0.5, safety_poll_seconds=NEVER)
    assert await until(lambda: not watched.check_each_request)
    assert watcher.poll_seconds == NEVER, "subscribed: the safety net only"
    watched.check_each_request = True  # as after a lost connection
    assert watcher.poll_seconds == 0.5
    plain = PolicyWatcher(PolicyStore(), None, poll_seconds=0.5, safety_poll_seconds=NEVER)
    assert plain.poll_seconds == 0.5, "without Redis the poll is the transport: fast"


class UnreachableStore(PolicyStore):
    """A store whose database version cannot be read (the database away for a moment): the
    one failure a poll meets, injected at the store's edge since the suite's database must
    stay up for the other tests."""

    async def refresh(self, announced: int | None = None) -> bool:
        raise ConnectionError("database away")


async def test_a_failed_poll_is_logged_with_its_cause_and_polling_goes_on(app, caplog):
    caplog.set_level(logging.WARNING, logger="gridhub.policy")
    watcher = PolicyWatcher(UnreachableStore(), None, poll_seconds=0.05)
    await watcher.start()
    try:
        assert await until(lambda: len([r for r in caplog.records if "version check failed" in r.getMessage()]) >= 2)
    finally:
        await watcher.stop()
    failed = [r for r in caplog.records if "version check failed" in r.getMessage()]
    assert all(r.exc_info and isinstance(r.exc_info[1], ConnectionError) for r in failed)
