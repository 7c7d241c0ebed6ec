"""Assertions over lists that must not pass on nothing."""

from __future__ import annotations

from typing import Any, Callable, Iterable


def every(items: Iterable[Any], holds: Callable[[Any], bool]) -> bool:
    """True when there is at least one item and `holds` for each: `all()` over an empty
    answer is true, which is how a filter that matches nothing passes its test."""
    items = list(items)
    return bool(items) and all(holds(i) for i in items)
