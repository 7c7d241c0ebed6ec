"""The one in-process cache of the hub: an LRU bounded by the bytes of what it holds, not by
its number of entries, so that large documents (or plans, scopes, answers) cannot hold more
memory than its budget however they are sent. Parsed and validated documents, operation
costs, compiled plans, scopes and answers (without Redis) each keep one (schema/caches.py).

Sizes are measured once, when an entry is stored (a miss, which already cost a parse or a
compilation): `approximate_size` walks the object graph as `sys.getsizeof` sees it. An
entry larger than the whole budget is not kept."""

from __future__ import annotations

import sys
from collections import OrderedDict
from enum import Enum
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType

from typing import Any, Hashable

_ATOMS = (str, bytes, bytearray, int, float, bool, complex, type(None))


# held by their modules, or by the schema (a plan names the schema's fields, it does not hold
# them: the schema layer adds its types with `held_elsewhere`)
_SHARED: tuple[type, ...] = (type, ModuleType, FunctionType, BuiltinFunctionType, MethodType, Enum)


def held_elsewhere(*types: type) -> None:
    """Objects of these types are not counted in an entry's size: something longer-lived holds them."""
    global _SHARED
    _SHARED = tuple(dict.fromkeys(_SHARED + types))
_SLOTS: dict[type, tuple[str, ...]] = {}


def _slots(cls: type) -> tuple[str, ...]:
    names = _SLOTS.get(cls)
    if names is None:
        names = _SLOTS[cls] = tuple(slot for c in cls.__mro__ for slot in getattr(c, "__slots__", ())
                                    if isinstance(slot, str) and slot not in ("__dict__", "__weakref__"))
    return names


def approximate_size(value: Any, limit: int = 1 << 30) -> int:
    """Bytes held by `value` and what it references (containers, instance dicts and slots),
    each object counted once; stops counting past `limit`. Classes, functions and modules
    are shared, not held, and count nothing."""
    seen: set[int] = set()
    stack = [value]
    total = 0
    getsizeof = sys.getsizeof
    while stack and total <= limit:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        cls = type(item)
        if cls in _ATOMS:
            total += getsizeof(item)
        elif cls is dict:
            total += getsizeof(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif cls in (list, tuple, set, frozenset):
            total += getsizeof(item)
            stack.extend(item)
        elif isinstance(item, _SHARED):
            continue
        else:
            total += getsizeof(item)
            attributes = getattr(item, "__dict__", None)
            if attributes is not None:
                stack.append(attributes)
            for slot in _slots(cls):
                stack.append(getattr(item, slot, None))
    return total


class ByteLRU:
    """Least recently used entries go first once the sizes held pass `max_bytes`."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def get(self, key: Hashable, default: Any = None) -> Any:
        found = self._items.get(key)
        if found is None:
            return default
        self._items.move_to_end(key)
        return found[0]

    def put(self, key: Hashable, value: Any, size: int | None = None) -> None:
        """Keep `value` (its size measured unless given)."""
        self.discard(key)
        size = approximate_size((key, value), self.max_bytes) if size is None else size
        if size > self.max_bytes:
            return
        self._items[key] = (value, size)
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, (_, dropped) = self._items.popitem(last=False)
            self.bytes -= dropped

    def discard(self, key: Hashable) -> None:
        found = self._items.pop(key, None)
        if found is not None:
            self.bytes -= found[1]

    def resize(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        while self.bytes > self.max_bytes and self._items:
            _, (_, dropped) = self._items.popitem(last=False)
            self.bytes -= dropped

    def clear(self) -> None:
        self._items.clear()
        self.bytes = 0
