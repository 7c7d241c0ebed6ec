"""Full-text-ish search across kinds: a case-insensitive match on each kind's text columns,
scoped like every other read. One statement per kind asked for."""

from __future__ import annotations

from policies.predicate import Contains, or_
from policies.scope import Scope

from .errors import BadInput
from .kinds import SEARCHABLE, kind_of
from .query import rows


async def search(scope: Scope, text: str, kinds: list[str] | None, first: int) -> list:
    text = (text or "").strip()
    if len(text) < 1:
        raise BadInput("search text must not be empty", field="text")
    found: list = []
    for name in kinds or SEARCHABLE:
        if len(found) >= first:
            break
        kind = kind_of(name)
        match = or_(*(Contains(c, text) for c in kind.text_columns))
        found.extend(await rows(scope, name, match).order_by("id").limit(first - len(found)))
    return found
