"""Which of a round of event changes each scope of the live subscribers may see, decided
for every scope at once: one statement per round, not two per group of subscribers.

A county's subscribers fall into a few dozen groups (resolvers.runtime.event_bus.Group), each with
a scope; asking each group's scope of the round's events through the ORM cost two
statements per group, each built anew (a thousand sockets across the 24 demo roles: 48
statements for every round, a quarter of the server's time for a burst of five changes).
Here the round's events are read once, with one column per distinct scope holding that
scope's read predicate (`scope.where("event")`, rendered to SQL as every read renders it),
and the live ones are loaded once; a group gets its own copy of each event it may see.

The meaning is that of reading each scope's events through the ORM, as any read does
(tests/test_subscriptions.py holds the two to the same answers): a live event is seen by a
scope whose predicate holds for it (`query.visible`: not deleted, and the scope's read
rule); a deletion is a tombstone only for a scope whose predicate holds for the deleted
row (a soft delete leaves its region and facet columns as they were), never its data."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from tortoise import connections

from gridhub import models
from gridhub.policies.predicate import FALSE, In, SqlParams
from gridhub.policies.scope import Scope

from gridhub.resolvers.read.query import rows, sql_dialect, visible


@dataclass(frozen=True)
class Change:
    event_id: int
    action: str  # the workflow step (report, accept, dispatch, …), or create / update / delete
    region_path: str  # where the event lies after the change
    version: int  # the event's version right after the change


@dataclass(frozen=True)
class SeenChange:
    """A change as one group of subscribers may see it; `event` is None for a deletion.
    `scope` is the scope it was seen under, which its fields resolve under too."""

    action: str
    event_id: int
    version: int
    event: models.Event | None
    scope: Scope | None = None


async def seen_by_scopes(scopes: dict[str, Scope], changes: list[Change]) -> dict[str, list[SeenChange | None]]:
    """For each scope (by its hash), each change as that scope may see it, or None; at most
    two statements whatever the number of scopes: the decision, and the live events' rows."""
    unseen = {h: [None] * len(changes) for h in scopes}
    asking = {h: s.where("event") for h, s in scopes.items()}
    asking = {h: where for h, where in asking.items() if where != FALSE}  # reads no event: nothing to ask
    ids = tuple(dict.fromkeys(c.event_id for c in changes))
    if not ids or not asking:
        return unseen
    params = SqlParams(sql_dialect())
    names = {h: f"s{i}" for i, h in enumerate(asking)}
    live = visible(Scope.everything(), "event").to_sql(params, "x")  # not deleted
    columns = ", ".join(f"({where.to_sql(params, 'x')}) AS {names[h]}" for h, where in asking.items())
    id_list = ", ".join(params.add(i) for i in ids)
    sql = (f"SELECT x.id AS id, ({live}) AS live, {columns} "
           f"FROM {models.Event._meta.db_table} x WHERE x.id IN ({id_list})")
    decided = {r["id"]: r for r in await connections.get("default").execute_query_dict(sql, params.values)}
    wanted = tuple(i for i, r in decided.items() if r["live"] and any(r[n] for n in names.values()))
    events = {e.id: e for e in await rows(Scope.everything(), "event", In("id", wanted))} if wanted else {}

    seen: dict[str, list[SeenChange | None]] = {}
    for h, scope in scopes.items():
        name = names.get(h)
        if name is None:
            seen[h] = unseen[h]
            continue
        own: dict[int, models.Event] = {}  # this scope's copies: fields resolve on them per group
        found: list[SeenChange | None] = []
        for c in changes:
            row = decided.get(c.event_id)
            if row is None or not row[name]:
                found.append(None)
            elif c.action == "delete":
                found.append(SeenChange(c.action, c.event_id, c.version, None, scope))
            elif c.event_id in events:  # live when decided and still when loaded
                if c.event_id not in own:
                    own[c.event_id] = copy.copy(events[c.event_id])
                found.append(SeenChange(c.action, c.event_id, c.version, own[c.event_id], scope))
            else:
                found.append(None)
        seen[h] = found
    return seen
