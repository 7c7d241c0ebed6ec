"""Assertions over lists that must not pass on nothing."""

from __future__ import annotations

from typing import Any, Callable, Iterable


def every(items: Iterable[Any], holds: Callable[[Any], bool]) -> bool:
    """True when there is at least one item and `holds` for each: `all()` over an empty
    answer is true, which is how a filter that matches nothing passes its test."""
    items = list(items)
    return bool(items) and all(holds(i) for i in items)


def is_sign_in(statement: str) -> bool:
    """A statement of the caller's sign-in (resolvers.identity.auth): the principal version read on
    every request, and the user's look-up when the token is not yet trusted."""
    return '"app_user"' in statement or "FROM principal_version" in statement
