"""Pulls: what a department may take out of the hub, all at once or as the changes since
its last pull. `/export`, `gridhub pull` and the GraphQL `changes` feed share it.

What a caller pulls of a kind is what it may both read and export (`pull_scope`). A pull
covers a window (since, until]: `until` is fixed when the pull starts, a little before now
(the settle window), so that a transaction which stamped its rows earlier but commits
later is not skipped, and so that a row changed during the pull waits for the next pull
instead of moving within this one. In the window there are
- upserts: the rows the caller may pull now, changed in the window, in (updated_at, id)
  order;
- tombstones: rows changed in the window that the caller may no longer pull (deleted,
  moved out of its regions, out of its facet) and that lie in its region reach, now or
  before a recorded move. The reach is its pull predicate with every condition but the
  region relaxed away (`policies.predicate.relax`), so no tombstone is missed for a row
  the caller could have received, and none names a row outside the regions it ever
  covered: a tombstone may name an id the caller never received (harmless: an id only).
A pull without `since` is a full one: every row it may pull, by id, and no tombstones.

A position in a pull is a `PullCursor`: opaque text that resumes the pull exactly after
the row or tombstone it was issued with, neither repeating nor skipping one.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from tortoise import connections

from gridhub import models
from gridhub.policies.predicate import (
    FALSE, TRUE, Compare, InSubquery, NotTrue, Pred, SqlParams, and_, on_column, or_, relax,
)
from gridhub.policies.scope import Scope

from gridhub.resolvers.domain import boundary
from gridhub.resolvers.errors import BadInput, Conflict, Forbidden, NotFound
from gridhub.resolvers.read.filters import as_utc
from gridhub.resolvers.kinds import LISTED, kind_of
from gridhub.resolvers.read.pagination import after_predicate, encode_cursor
from gridhub.resolvers.read.query import sql_dialect, visible

# The kinds that can be pulled (those listed by a root connection), in the order a multi-kind
# pull visits them, with their Node types (tombstones carry global ids as GraphQL does).
PULL_KINDS = {k.name: k.node_type for k in LISTED.values()}

BY_ID = (("id", False),)
BY_CHANGE = (("updated_at", False), ("id", False))
AFTER_EVERY_ID = 2**63 - 1  # a position after every row stamped at `since` (the window is open there)
ROWS, TOMBSTONES, DONE = "rows", "tombstones", "done"


def check_kind(kind: str) -> str:
    if kind not in PULL_KINDS:
        raise NotFound(f"no kind {kind!r} to pull; one of: {', '.join(PULL_KINDS)}")
    return kind


def pull_scope(scope: Scope, kinds: tuple[str, ...]) -> Scope:
    """The caller's scope in which reading each of `kinds` also needs the export grant;
    refused when one of the kinds cannot be exported at all."""
    for kind in kinds:
        if scope.where(check_kind(kind), "export") == FALSE:
            raise Forbidden(f"you may not export {kind}")
    return scope.requiring("export", kinds)


def global_id(kind: str, row_id: int) -> str:
    return relay_id(PULL_KINDS[kind], row_id)


def relay_id(type_name: str, row_id: int) -> str:
    """relay's global id of a row of a GraphQL type, as strawberry writes it."""
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def pull_until(settle_seconds: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(seconds=settle_seconds)


def window_start(since: datetime) -> str:
    """The keyset position just after every row stamped exactly at `since`."""
    return encode_cursor(_Key(since, AFTER_EVERY_ID), BY_CHANGE)


@dataclass(frozen=True)
class _Key:
    updated_at: datetime
    id: int


def fingerprint(value: Any) -> str:
    """A short digest of what must stay the same over a pull (kinds, filter, format)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class PullCursor:
    """Where a pull stands. `kinds` are visited in order, each through the phases rows
    then tombstones (full pulls: rows only); `position` is the keyset cursor of the last
    item sent in the current phase ("" before the first). `rows` and `tombstones` count
    what was sent up to that item, so a resumed pull can report the pull's totals."""

    kinds: tuple[str, ...]
    since: datetime | None
    until: datetime
    scope: str  # the scope's hash: a pull resumed under other grants would have gaps
    pull: str  # fingerprint of what else fixes the pull (filter, format)
    kind_index: int = 0
    phase: str = ROWS
    position: str = ""
    rows: int = 0
    tombstones: int = 0

    @classmethod
    def start(cls, kinds: tuple[str, ...], since: datetime | None, until: datetime, scope: Scope,
              pull: str) -> PullCursor:
        cursor = cls(tuple(kinds), as_utc(since) if since else None, until, scope.hash, pull)
        return cursor._entered()

    @property
    def kind(self) -> str:
        return self.kinds[self.kind_index]

    @property
    def incremental(self) -> bool:
        return self.since is not None

    @property
    def order(self) -> tuple:
        return BY_CHANGE if self.incremental else BY_ID

    def _entered(self) -> PullCursor:
        """At the start of a phase: incremental phases begin just after `since`."""
        if self.phase == DONE or not self.incremental:
            return self
        return replace(self, position=window_start(self.since))

    def next_phase(self) -> PullCursor:
        if self.phase == ROWS and self.incremental:
            return replace(self, phase=TOMBSTONES, position="")._entered()
        if self.kind_index + 1 < len(self.kinds):
            return replace(self, kind_index=self.kind_index + 1, phase=ROWS, position="")._entered()
        return replace(self, phase=DONE, position="")

    def head(self) -> str:
        """The part that stays the same within a phase; see `text`."""
        since = self.since.isoformat() if self.since else None
        fixed = [1, list(self.kinds), since, self.until.isoformat(), self.scope, self.pull, self.kind_index,
                 self.phase]
        return base64.urlsafe_b64encode(json.dumps(fixed, separators=(",", ":")).encode()).decode()

    def text(self, head: str | None = None) -> str:
        """`head.rows.tombstones.position`: built per line by joining strings, with the head
        computed once per phase (a pull of 300,000 rows issues 300,000 cursors)."""
        return f"{head or self.head()}.{self.rows}.{self.tombstones}.{self.position}"

    @classmethod
    def parse(cls, text: str) -> PullCursor:
        try:
            head, rows, tombstones, position = text.split(".", 3)
            version, kinds, since, until, scope, pull, kind_index, phase = json.loads(
                base64.urlsafe_b64decode(head.encode()))
            if version != 1 or phase not in (ROWS, TOMBSTONES, DONE) or not 0 <= kind_index < len(kinds):
                raise ValueError
            for k in kinds:
                check_kind(k)
            cursor = cls(tuple(kinds), datetime.fromisoformat(since) if since else None,
                         datetime.fromisoformat(until), str(scope), str(pull), int(kind_index), phase,
                         position, int(rows), int(tombstones))
            if any(boundary.value_problem(v) for v in (cursor.since, cursor.until, cursor.rows, cursor.tombstones)):
                raise ValueError  # forged: past what the code computes with
            return cursor
        except (ValueError, TypeError, UnicodeDecodeError, NotFound, OverflowError):
            raise BadInput("not a cursor of a pull", field="cursor") from None

    def check(self, kinds: tuple[str, ...], scope: Scope, pull: str) -> None:
        """A cursor resumes only the pull it was issued for, under the same grants."""
        if tuple(kinds) != self.kinds or pull != self.pull:
            raise BadInput("this cursor belongs to another pull (kind, filter or format)", field="cursor")
        if scope.hash != self.scope:
            raise Conflict("your access changed since this pull began; start it again without the cursor")


def window(cursor: PullCursor) -> Pred:
    """Rows changed in (since, until]; the lower end is the phase's start position."""
    return and_(Compare("updated_at", "gte", cursor.since), Compare("updated_at", "lte", cursor.until))


def region_reach(scope: Scope, kind: str) -> Pred:
    """The regions where `scope` could ever let the caller pull a row of `kind`."""
    return relax(scope.where(kind, "read"), keep=lambda leaf: leaf.column == "region_path")


def tombstone_predicate(scope: Scope, kind: str, cursor: PullCursor) -> Pred:
    """Rows of `kind` changed in the window that the caller may not pull now but may have
    pulled before: in its region reach now, or before a move the hub recorded. `scope` is
    the pull scope. The move may be older than `since`: a row that moved out and changed
    again during an earlier pull was left for this one, whose `since` is past the move."""
    model = kind_of(kind).model
    reach = region_reach(scope, kind)
    # not NOT(visible): a facet on a NULL column (an event dispatched to no department)
    # makes it unknown, and the row would be left out
    gone = NotTrue(visible(scope, kind), model)
    moved_from_reach = InSubquery("id", models.RegionMove, "row_id",
                                  and_(Compare("kind", "eq", kind), on_column(reach, "region_path", "from_path")))
    return and_(window(cursor), gone, or_(reach, moved_from_reach))


@dataclass(frozen=True)
class Tombstone:
    """A row the caller had and may no longer pull: only its kind, id and the change time."""

    kind: str
    row_id: int
    at: datetime

    @property
    def id(self) -> str:
        return global_id(self.kind, self.row_id)

    def as_json(self) -> dict:
        return {"kind": self.kind, "id": self.id, "at": self.at.isoformat()}


async def _select(kind_name: str, columns: str, where: Pred, tail: str = "") -> list[dict]:
    """Tombstones are read with the predicate's SQL: `NotTrue` says in SQL what the ORM
    can only say as NOT IN, which PostgreSQL runs row by row over a large table."""
    params = SqlParams(sql_dialect())
    table = kind_of(kind_name).model._meta.db_table
    sql = f"SELECT {columns} FROM {table} t WHERE {where.to_sql(params, 't')}{tail}"
    return await connections.get("default").execute_query_dict(sql, params.values)


async def tombstones(scope: Scope, cursor: PullCursor, limit: int) -> list[Tombstone]:
    """The next tombstones of the cursor's kind after its position, in (updated_at, id) order."""
    where = tombstone_predicate(scope, cursor.kind, cursor)
    if cursor.position:
        where = and_(where, after_predicate(kind_of(cursor.kind), BY_CHANGE, cursor.position))
    found = await _select(cursor.kind, "t.id AS id, t.updated_at AS at", where,
                          f" ORDER BY t.updated_at, t.id LIMIT {int(limit)}")
    return [Tombstone(cursor.kind, r["id"], _moment(r["at"])) for r in found]


def _moment(value: Any) -> datetime:
    """A stored time as read by hand-built SQL: SQLite hands back its text."""
    return as_utc(datetime.fromisoformat(value) if isinstance(value, str) else value)


async def count_tombstones(scope: Scope, cursor: PullCursor) -> int:
    where = tombstone_predicate(scope, cursor.kind, replace(cursor, position=""))
    return (await _select(cursor.kind, "COUNT(*) AS n", where))[0]["n"]


def tombstone_position(tombstone: Tombstone) -> str:
    return encode_cursor(_Key(tombstone.at, tombstone.row_id), BY_CHANGE)


async def upserts(scope: Scope, cursor: PullCursor, limit: int) -> list:
    """The next rows of the cursor's kind the caller may pull, after its position (the
    GraphQL `changes` feed; `/export` reads them through the GraphQL connection)."""
    kind = kind_of(cursor.kind)
    where = window(cursor) if cursor.incremental else TRUE
    if cursor.position:
        where = and_(where, after_predicate(kind, cursor.order, cursor.position))
    ordering = [c for c, _ in cursor.order]
    return await kind.model.filter(and_(visible(scope, cursor.kind), where).to_q()).order_by(*ordering).limit(limit)


@dataclass
class Change:
    kind: str
    item: Any  # a model row (upsert) or a Tombstone
    cursor: str


async def change_page(scope: Scope, cursor: PullCursor, first: int) -> tuple[list[Change], bool]:
    """Up to `first` changes after `cursor` over its kinds (for `changes`), each with the
    cursor that resumes after it, and whether more follow."""
    found: list[Change] = []
    while cursor.phase != DONE and len(found) <= first:
        need = first + 1 - len(found)
        if cursor.phase == ROWS:
            batch = await upserts(scope, cursor, need)
            for row in batch:
                cursor = replace(cursor, position=encode_cursor(row, cursor.order), rows=cursor.rows + 1)
                found.append(Change(cursor.kind, row, cursor.text()))
        else:
            batch = await tombstones(scope, cursor, need)
            for t in batch:
                cursor = replace(cursor, position=tombstone_position(t), tombstones=cursor.tombstones + 1)
                found.append(Change(cursor.kind, t, cursor.text()))
        if len(batch) < need:
            cursor = cursor.next_phase()
    return found[:first], len(found) > first
