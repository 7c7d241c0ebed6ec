"""Full-text-ish search across kinds: a case-insensitive match on each kind's text columns,
scoped like every other read. One statement per kind asked for."""

from __future__ import annotations

from gridhub.policies.scope import Scope

from .errors import BadInput
from .filters import text_predicate
from .kinds import SEARCHABLE
from .query import rows


async def search(scope: Scope, text: str, kinds: list[str] | None, first: int) -> list:
    text = (text or "").strip()
    if len(text) < 1:
        raise BadInput("search text must not be empty", field="text")
    found: list = []
    for name in kinds or SEARCHABLE:
        if len(found) >= first:
            break
        match = text_predicate(name, text, scope)
        found.extend(await rows(scope, name, match).order_by("id").limit(first - len(found)))
    return found
