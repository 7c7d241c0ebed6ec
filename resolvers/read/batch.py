"""A batch loader: the keys asked for while the event loop finishes its current turn are
loaded together by one call, so the parents of a page cost one statement per relation, not
one each. A loader lives for one request and loads each key once.

graphql-core resolves a list's fields as concurrent tasks; the batch is dispatched from a
task scheduled after them (`call_soon`, then `create_task`), so every sibling has asked for
its key by then."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Generic, Hashable, Iterable, Sequence, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BatchLoader(Generic[K, V]):
    def __init__(self, load_fn: Callable[[list[K]], Awaitable[Sequence[V | BaseException]]]):
        self._load_fn = load_fn
        self._futures: dict[K, asyncio.Future] = {}
        self._pending: list[tuple[K, asyncio.Future]] | None = None

    def load(self, key: K) -> Awaitable[V]:
        future = self._futures.get(key)
        if future is None:
            loop = asyncio.get_running_loop()
            future = self._futures[key] = loop.create_future()
            if self._pending is None:
                self._pending = []
                loop.call_soon(lambda: loop.create_task(self._dispatch()))
            self._pending.append((key, future))
        return future

    def load_many(self, keys: Iterable[K]) -> Awaitable[list[V]]:
        return asyncio.gather(*map(self.load, keys))

    async def _dispatch(self) -> None:
        batch, self._pending = self._pending or [], None
        waiting = [(k, f) for k, f in batch if not f.cancelled()]
        if not waiting:
            return
        try:
            values = list(await self._load_fn([k for k, _ in waiting]))
            if len(values) != len(waiting):
                raise RuntimeError(f"a batch of {len(waiting)} keys loaded {len(values)} values")
        except Exception as error:  # every caller of the batch hears of it
            for key, future in waiting:
                self._futures.pop(key, None)  # a later request for the key tries again
                if not future.cancelled():
                    future.set_exception(error)
            return
        for (_, future), value in zip(waiting, values):
            if future.cancelled():
                continue
            if isinstance(value, BaseException):
                future.set_exception(value)
            else:
                future.set_result(value)
