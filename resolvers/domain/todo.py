"""`myQueue` (issue 21): the events the caller holds (resolvers.read.holders), the most urgent
first, and within an urgency the soonest due.

Urgency is stored as its name, which does not sort by urgency; the list is therefore the
four urgencies one after the other, each a keyset page by due time over the same scope
and filter (resolvers.read.pagination), so a page deep in the list costs what the first does,
at most four statements, and a cursor is the urgency reached plus that list's cursor."""

from __future__ import annotations

import base64
import json
from typing import Any

from gridhub.models.enums import Urgency
from gridhub.policies.predicate import Compare, In, Pred, and_

from gridhub.resolvers.errors import BadInput
from gridhub.resolvers.read.holders import held_by, holdings_of
from gridhub.resolvers.read.pagination import Page, fetch_page
from gridhub.resolvers.read.query import rows

MOST_URGENT_FIRST = (Urgency.CRITICAL, Urgency.HIGH, Urgency.NORMAL, Urgency.LOW)
BY_DUE_TIME = (("open_due_at", False),)


def _cursor(rank: int, inner: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([rank, inner]).encode()).decode()


def _uncursor(cursor: str) -> tuple[int, str]:
    try:
        rank, inner = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not (isinstance(rank, int) and 0 <= rank < len(MOST_URGENT_FIRST) and isinstance(inner, str)):
            raise ValueError
    except (ValueError, TypeError):
        raise BadInput("not a cursor of this list", field="after") from None
    return rank, inner


async def my_queue(scope: Any, store: Any, user: Any, where: Pred, first: int, after: str | None) -> Page:
    regions, departments = await holdings_of(store, user)
    mine = and_(held_by(regions, departments), where)
    start, inner = _uncursor(after) if after else (0, None)
    found, cursors, has_next = [], [], False
    for rank in range(start, len(MOST_URGENT_FIRST)):
        wanted = first - len(found)
        if wanted == 0:  # full: more follow if any later urgency has rows
            later = tuple(u.value for u in MOST_URGENT_FIRST[rank:])
            has_next = await rows(scope, "event", and_(mine, In("urgency", later))).exists()
            break
        page = await fetch_page(scope, "event", and_(mine, Compare("urgency", "eq", MOST_URGENT_FIRST[rank].value)),
                                BY_DUE_TIME, wanted, inner if rank == start else None)
        found += page.rows
        cursors += [_cursor(rank, c) for c in page.cursors]
        if page.has_next:
            has_next = True
            break

    async def count() -> int:
        return await rows(scope, "event", mine).count()

    return Page(found, cursors, has_next, count)
