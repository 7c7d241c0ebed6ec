"""Full-text-ish search across kinds: a case-insensitive match on each kind's text columns,
scoped like every other read. Results come kind by kind (in `SEARCHABLE` order), each kind
by id, as a cursor page: one statement per kind read, and `totalCount` one count per kind."""

from __future__ import annotations

import base64
import json

from gridhub.policies.predicate import Compare, and_
from gridhub.policies.scope import Scope

from gridhub.resolvers.errors import BadInput
from gridhub.resolvers.read.filters import text_predicate
from gridhub.resolvers.kinds import SEARCHABLE
from gridhub.resolvers.read.pagination import Page
from gridhub.resolvers.read.query import rows


def _cursor(kind: str, row_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([kind, row_id]).encode()).decode()


def _position(cursor: str, kinds: list[str]) -> tuple[int, int]:
    """(index of the kind among `kinds`, id) just after which the page starts."""
    try:
        kind, row_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if kind not in kinds or not isinstance(row_id, int) or isinstance(row_id, bool):
            raise ValueError
        return kinds.index(kind), row_id
    except (ValueError, TypeError, UnicodeDecodeError):
        raise BadInput("cursor is not valid for this search", field="after") from None


async def search(scope: Scope, text: str, kinds: list[str] | None, first: int, after: str | None = None) -> Page:
    text = (text or "").strip()
    if len(text) < 1:
        raise BadInput("search text must not be empty", field="text")
    kinds = [k for k in SEARCHABLE if kinds is None or k in kinds]
    start, after_id = _position(after, kinds) if after else (0, None)
    found: list = []
    cursors: list[str] = []
    has_next = False
    for index, name in enumerate(kinds[start:], start):
        match = text_predicate(name, text, scope)
        if index == start and after_id is not None:
            match = and_(match, Compare("id", "gt", after_id))
        wanted = first + 1 - len(found)  # one more than the page, to tell whether more follow
        batch = await rows(scope, name, match).order_by("id").limit(wanted) if wanted > 0 and first else []
        for row in batch:
            if len(found) < first:
                found.append(row)
                cursors.append(_cursor(name, row.id))
            else:
                has_next = True
        if has_next:
            break

    async def count() -> int:
        return sum([await rows(scope, name, text_predicate(name, text, scope)).count() for name in kinds])

    return Page(found, cursors, has_next, count)
