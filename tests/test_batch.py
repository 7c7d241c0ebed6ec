"""The batch loader under the loaders (resolvers/read/batch.py): one call per turn of the event
loop, each key once, failures to every caller of the batch and none after."""

import asyncio

import pytest

from gridhub.resolvers.read.batch import BatchLoader


class Recorder:
    def __init__(self, fail_on: set | None = None):
        self.calls: list[list] = []
        self.fail_on = fail_on or set()

    async def __call__(self, keys):
        self.calls.append(list(keys))
        if self.fail_on & set(keys):
            raise LookupError("database gone")
        return [ValueError(k) if k == "bad" else k * 2 for k in keys]


async def test_siblings_resolved_concurrently_share_one_call():
    load = Recorder()
    loader = BatchLoader(load)

    async def sibling(key):
        await asyncio.sleep(0)  # as graphql-core's field tasks, which await before loading
        return await loader.load(key)

    assert await asyncio.gather(*(sibling(k) for k in (1, 2, 3, 2))) == [2, 4, 6, 4]
    assert load.calls == [[1, 2, 3]]
    assert await loader.load(3) == 6 and load.calls == [[1, 2, 3]]  # each key once per loader
    assert await loader.load_many([4, 1]) == [8, 2] and load.calls == [[1, 2, 3], [4]]


async def test_a_failed_batch_reaches_each_caller_and_is_tried_again():
    load = Recorder(fail_on={7})
    loader = BatchLoader(load)
    results = await asyncio.gather(loader.load(6), loader.load(7), return_exceptions=True)
    assert all(isinstance(r, LookupError) for r in results)
    load.fail_on = set()
    assert await loader.load(7) == 14 and load.calls[-1] == [7]


async def test_a_value_that_is_an_exception_fails_its_key_alone():
    loader = BatchLoader(Recorder())
    good, bad = await asyncio.gather(loader.load("a"), loader.load("bad"), return_exceptions=True)
    assert good == "aa" and isinstance(bad, ValueError)


async def test_a_wrong_number_of_values_is_an_error():
    async def short(keys):
        return keys[:-1]

    loader = BatchLoader(short)
    with pytest.raises(RuntimeError, match="2 keys loaded 1"):
        await asyncio.gather(loader.load(1), loader.load(2))
