"""Re-gridding (区划调整, as Toksun redrew its grids): create, rename, split, merge and move
regions, each one transaction that carries everything with it.

What moves, in one transaction:
- rows: every regional table (`models.RegionalRow`: persons, places, events, tags, stays,
  staffing, …) and the regions themselves, by set-based SQL. A subtree move rewrites the
  prefix of `region_path` (`new || substr(region_path, len(old) + 1)`), which PostgreSQL
  and SQLite both speak; a split or merge reassigns the rows of one region by a condition.
- rows of the kinds departments pull get a `RegionMove` each (from, to), written by an
  INSERT … SELECT with the same condition before the UPDATE, so incremental pulls send
  tombstones to those who no longer cover them (resolvers.bulk.sync).
- grants and rules: every Casbin line naming a path in the subtree is rewritten (a split
  sends a grant with its user and copies a rule to every part: a deny left on one part
  would open the others), and the policy version is bumped, so every cached scope, plan
  and answer is dropped.
- history: an event keeps the grid it was reported in (`Event.reported_region`); a region
  split or merged away is retired (soft-deleted), stays in the table with its path, and is
  still shown as an event's reporting grid.
- work in hand: events a retired region was handling (`Event.handling_region`, set by a
  dispatch or an escalation) are handled by its successor (a merge's `into`; for a split
  the part the event lies in, else the first part), or no one could take their next step.
- the audit trail gets one entry per operation, with the counts.

`dry_run` runs the very same statements and rolls them back: the counts it answers are
those the real run would have, and nothing changes (not even the audit trail). The regions
it would make are left out of its answer: their ids were only ever in the rolled-back
transaction, and the next region made may well get one of them.

Codes nest as statistical codes do: a region's code is its parent's code and digits of its
own (a town the county's plus 3, a community the town's plus 3, a grid the community's plus
3, a micro-grid the grid's plus 3), checked wherever a code is given and kept wherever a
subtree goes: a region moved (or a child of a merged region) takes its new parent's code
and its own digits, and the codes below it follow.

Who may: the `region` kind's actions, compiled like any other (`create` at the parent for
new regions, `update` on what is changed and where it goes, `delete` on what is retired).
The rows moved are counted and moved whatever the caller may read of them: re-gridding is
the tree's business, not a read of persons.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise import Tortoise
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.models.enums import Tier
from gridhub.policies.predicate import SqlParams, like_escape
from gridhub.policies.scope import Scope

import shapely
from shapely.geometry import Point, shape

from gridhub.models.geo import Area, GeometryError, located_sql, parse_area, to_geojson

from gridhub.resolvers.read import spatial
from gridhub.resolvers.write import validation as v
from gridhub.resolvers.write.audit import record_change
from gridhub.resolvers.runtime.civil_time import now
from gridhub.resolvers.errors import BadInput, Conflict, Forbidden, NotFound
from gridhub.resolvers.kinds import LISTED
from gridhub.resolvers.write.identity_documents import is_division_code
from gridhub.resolvers.read.query import sql_dialect
from gridhub.resolvers.write.region_locks import seize_regions

# The tier a region's parent has; a move or merge keeps regions at their tier.
PARENT_TIER = {Tier.TOWN: (Tier.COUNTY,), Tier.COMMUNITY: (Tier.TOWN,),
               Tier.TOTAL_GRID: (Tier.COMMUNITY,), Tier.GRID: (Tier.COMMUNITY, Tier.TOTAL_GRID),
               Tier.MICRO_GRID: (Tier.GRID,)}
COUNTED = ("region", "person", "household", "place", "event", "thing", "organisation")


@dataclass
class RegridResult:
    """What an operation moved (or, dry, would move): rows per kind, the grants and rules
    rewritten and the events handed to a retired region's successor (`handling`);
    `regions` are the regions it made or changed (dry: only those it changed)."""

    operation: str
    dry_run: bool
    counts: Counter = field(default_factory=Counter)
    regions: list[models.Region] = field(default_factory=list)
    made_ids: set[int] = field(default_factory=set)  # regions the operation created
    # region code -> rows per kind it received (a split's dry run: what each part would get)
    received: dict[str, Counter] = field(default_factory=dict)

    def made(self, regions: list[models.Region]) -> None:
        self.made_ids.update(r.id for r in regions)
        self.counts["created"] += len(regions)


class _DryRun(Exception):
    """Raised at the end of a dry run to roll its transaction back."""


def regional_models() -> list[type]:
    """Every table whose rows carry a region: found, not listed, so a new kind moves too."""
    found = [m for m in Tortoise.apps["gridhub"].values()
             if issubclass(m, models.RegionalRow) and not m._meta.abstract]
    return sorted(found, key=lambda m: m._meta.db_table)


def _kind_name(model: type) -> str | None:
    """The pull kind of a model (whose moves departments must hear of), else None."""
    return next((k.name for k in LISTED.values() if k.name != "region" and k.model is model), None)


class _Mover:
    """The statements of one operation on one connection, counting what they move."""

    def __init__(self, connection: Any, result: RegridResult, stamp: datetime, actor: str):
        self.connection = connection
        self.result = result
        self.stamp = stamp
        self.actor = actor
        self.dialect = sql_dialect()

    async def _run(self, sql: str, params: SqlParams) -> list[dict]:
        return await self.connection.execute_query_dict(sql, params.values)

    @property
    def stamp_value(self) -> Any:
        """The stamp as hand-built SQL binds it: SQLite stores datetimes as this text."""
        return self.stamp if self.dialect == "postgres" else self.stamp.isoformat(sep=" ")

    async def _moved(self, table: str, kind: str | None, params_of) -> int:
        """Count, record (`RegionMove`) and update the rows of `table` matching `where`.
        `params_of(p)` adds the statement's parameters in order of appearance (the same
        for each statement: `to_path_sql`, then `update`'s, then `where`'s)."""
        p = SqlParams(self.dialect)
        where_sql = params_of(p, "where")
        count = (await self._run(f"SELECT COUNT(*) AS n FROM {table} t WHERE {where_sql}", p))[0]["n"]
        if not count:
            return 0
        if kind is not None:
            p = SqlParams(self.dialect)
            kind_sql, path_sql, stamp_sql = p.add(kind), params_of(p, "to_path"), p.add(self.stamp_value)
            where_sql = params_of(p, "where")
            await self._run(f"INSERT INTO region_move (kind, row_id, from_path, to_path, moved_at) "
                            f"SELECT {kind_sql}, t.id, t.region_path, {path_sql}, {stamp_sql} FROM {table} t "
                            f"WHERE {where_sql}", p)
        await self.record_bumps(table, kind or table, lambda p: params_of(p, "to_path"),
                                lambda p: params_of(p, "where"))
        p = SqlParams(self.dialect)
        set_sql = params_of(p, "set")
        stamp_sql = p.add(self.stamp_value)
        where_sql = params_of(p, "where")
        # an UPDATE may not alias its table on SQLite: the conditions name it as `t` through
        # a subquery of ids, which both dialects run as a semi-join
        await self._run(f"UPDATE {table} SET {set_sql}, updated_at = {stamp_sql}, version = version + 1 "
                        f"WHERE id IN (SELECT t.id FROM {table} t WHERE {where_sql})", p)
        if kind is not None:
            self.result.counts[kind] += count
        return count

    async def record_bumps(self, table: str, kind: str, to_path_of, where_of) -> None:
        """The rows of `table` matching `where_of(p)`, about to get a new version, each get an
        audit entry (and an event a log entry) as any other change of a row does: the
        operation, by its actor, leaving the row at `to_path_of(p)`. Then an event's version
        still counts its log entries, and the row's history tells why it changed."""
        p = SqlParams(self.dialect)
        stamp, actor, action, kind_sql = (p.add(self.stamp_value), p.add(self.actor), p.add(self.result.operation),
                                          p.add(kind))
        path_sql, where_sql = to_path_of(p), where_of(p)
        await self._run(f"INSERT INTO audit_entry (at, actor, action, object_kind, object_id, field, region_path, "
                        f"detail) SELECT {stamp}, {actor}, {action}, {kind_sql}, CAST(t.id AS TEXT), '', {path_sql}, "
                        f"'{{}}' FROM {table} t WHERE {where_sql}", p)
        if table != models.Event._meta.db_table:
            return
        p = SqlParams(self.dialect)
        # logged when it happens, like every other step: a split recorded after the fact
        # (`at`, the demo's history) must not sort before the steps the event already took
        logged = now()
        logged = logged if self.dialect == "postgres" else logged.isoformat(sep=" ")
        created, updated = p.add(logged), p.add(logged)  # SQLite binds each once
        actor, action = p.add(self.actor), p.add(self.result.operation)
        path_sql, where_sql = to_path_of(p), where_of(p)
        await self._run(f"INSERT INTO event_log (created_at, updated_at, version, event_id, actor, action, "
                        f"from_status, to_status, note, attachments) SELECT {created}, {updated}, 1, t.id, {actor}, "
                        f"{action}, t.status, t.status, {path_sql}, '[]' FROM event t WHERE {where_sql}", p)

    async def rewrite_prefix(self, old: str, new: str) -> None:
        """Every row whose path starts with `old` gets `new` instead: a subtree moves."""
        start = len(old) + 1

        def params_of(p: SqlParams, part: str) -> str:
            if part == "to_path":
                return f"{p.add(new)} || substr(t.region_path, {start})"
            if part == "set":
                return f"region_path = {p.add(new)} || substr(region_path, {start})"
            return f"t.region_path LIKE {p.add(like_escape(old) + '%')} ESCAPE '\\'"

        # regions are recorded too: a department pulling regions hears of those it lost
        await self._moved("region", "region", params_of)
        for model in regional_models():
            await self._moved(model._meta.db_table, _kind_name(model), params_of)

    async def reassign(self, model: type, old_region_id: int, target: models.Region, condition: str = "",
                       values: tuple = ()) -> int:
        """Rows of `model` placed directly in the old region (and matching `condition`, SQL
        over alias t with `?`-free placeholders filled from `values`) go to `target`."""

        def params_of(p: SqlParams, part: str) -> str:
            if part == "to_path":
                return p.add(target.region_path)
            if part == "set":
                return f"region_id = {p.add(target.id)}, region_path = {p.add(target.region_path)}"
            sql = f"t.region_id = {p.add(old_region_id)}"
            if condition:
                sql += " AND " + condition.format(*(p.add(x) for x in values))
            return sql

        kind = _kind_name(model)
        count = await self._moved(model._meta.db_table, kind, params_of)
        if count and kind is not None:
            self.result.received.setdefault(target.code, Counter())[kind] += count
        return count


async def _region(region_id: int, what: str = "region") -> models.Region:
    region = await models.Region.get_or_none(id=region_id, deleted_at=None)
    if region is None:
        raise NotFound(f"no {what} with this id")
    return region


def _require(scope: Scope, action: str, region: models.Region, why: str) -> None:
    if not scope.where("region", action).matches(region):
        raise Forbidden(f"you may not {action} regions {why}")


async def _rewrite_rules(connection: Any, old: str, new_for: Any, result: RegridResult) -> None:
    """Casbin lines naming a path under `old` name it under each path of `new_for(line)`
    instead. A rewritten line that exists already is dropped (one grant at two merged grids)."""
    lines = await models.CasbinRule.filter(
        Q(v1__startswith=old) | Q(v2__startswith=old) | Q(v3__startswith=old)).using_db(connection)
    if not lines:
        return
    await models.CasbinRule.filter(id__in=[line.id for line in lines]).using_db(connection).delete()
    for line in lines:
        for new in new_for(line):
            values = {f"v{i}": getattr(line, f"v{i}") for i in range(6)}
            for column in ("v1", "v2", "v3"):
                if values[column].startswith(old):
                    values[column] = new + values[column][len(old):]
            await models.CasbinRule.get_or_create(ptype=line.ptype, **values, using_db=connection)
        result.counts["grants" if line.ptype == "g" else "rules"] += 1


async def _renumber(mover: _Mover, under_path: str, old_code: str, new_code: str) -> None:
    """Regions under `under_path` coded by `old_code` and digits of their own are coded by
    `new_code` and those digits: codes keep nesting as paths do (a grid moved to another
    community, the micro-grids of a grid merged into another)."""
    p = SqlParams(mover.dialect)
    await mover._run(
        f"UPDATE region SET code = {p.add(new_code)} || substr(code, {len(old_code) + 1}) "
        f"WHERE region_path LIKE {p.add(like_escape(under_path) + '%')} ESCAPE '\\' "
        f"AND code LIKE {p.add(like_escape(old_code) + '%')} ESCAPE '\\'", p)


async def _audit(mover: _Mover, actor: str, region_path: str, detail: dict) -> None:
    """One entry per operation, at the operation's stamp, with what it moved."""
    result = mover.result
    await record_change(actor, result.operation, "region", object_id=region_path, region_path=region_path,
                        detail={**detail, "counts": dict(result.counts)}, at=mover.stamp, using_db=mover.connection)


class _Operation:
    """One re-gridding operation: a transaction, rolled back when dry, that bumps the policy
    version and reloads the policy after its commit."""

    def __init__(self, store: Any, actor: str, name: str, dry_run: bool, at: datetime | None = None):
        self.store = store
        self.actor = actor
        self.result = RegridResult(name, dry_run)
        self.at = at

    async def run(self, body) -> RegridResult:
        try:
            async with in_transaction() as connection:
                mover = _Mover(connection, self.result, self.at or now(), self.actor)
                await body(connection, mover)
                await models.PolicyState.filter(id=1).using_db(connection).update(version=F("version") + 1)
                if self.result.dry_run:
                    raise _DryRun
        except _DryRun:
            # regions it made were rolled back: their ids name nothing (and SQLite hands the
            # same ids to the next regions made), so only the existing regions it changed stay
            self.result.regions = [r for r in self.result.regions if r.id not in self.result.made_ids]
            return self.result
        except IntegrityError as e:
            raise Conflict(f"the regions would collide with existing ones ({_which(e)})") from None
        if self.store is not None:
            await self.store.changed()
        return self.result


def _which(error: IntegrityError) -> str:
    text = str(error).lower()
    return "code" if "code" in text else "path" if "region_path" in text else "a unique value"


# what the `code` column holds (models.Region)
MAX_CODE_LENGTH = 32


def _check_code(code: str, parent: models.Region, field: str = "code", what: str = "a region code") -> str:
    """Codes nest: a region's code is its parent's and digits of its own. Anything else
    would give a path segment that is not its digits (models.Region.child_path): "006"
    under a community is stored as a code no statistical code matches, another
    community's grid code spells that whole code into this community's path."""
    code = code or ""
    # ASCII digits only: str.isdigit() also takes full-width and superscript digits
    if not re.fullmatch(r"[0-9]+", code):
        raise BadInput(f"{what} is digits", field=field)
    if not code.startswith(parent.code) or len(code) <= len(parent.code):
        raise BadInput(f"{what} is its parent's code ({parent.code}) and digits of its own", field=field)
    if len(code) > MAX_CODE_LENGTH:
        raise BadInput(f"{what} has at most {MAX_CODE_LENGTH} digits", field=field)
    # the county part is an official division code (GB/T 2260, python-stdnum's list); the
    # town, village and grid digits below it are the county's own to give
    if len(code) >= 6 and not is_division_code(code[:6]):
        raise BadInput(f"{what} starts with {code[:6]}, not a division code of GB/T 2260", field=field)
    return code


def _check_name(name: str) -> str:
    v.check_text(name, "name", required=True, max_length=128)
    return name.strip()


async def create_region(scope: Scope, store: Any, actor: str, parent_id: int, code: str, name: str,
                        tier: Tier, dry_run: bool = False) -> RegridResult:
    parent = await _region(parent_id, "parent region")
    _require(scope, "create", parent, "here")
    if parent.tier not in PARENT_TIER.get(tier, ()):
        raise BadInput(f"a {tier.value} does not belong under a {parent.tier.value}", field="tier")
    code, name = _check_code(code, parent), _check_name(name)

    async def body(connection, mover: _Mover) -> None:
        region = await models.Region.create(
            code=code, name=name, tier=tier, parent_id=parent.id, depth=parent.depth + 1,
            region_path=models.Region.child_path(parent.region_path, parent.code, code), using_db=connection)
        mover.result.regions.append(region)
        mover.result.made([region])
        await _audit(mover, actor, region.region_path, {"name": name, "code": code})

    return await _Operation(store, actor, "create_region", dry_run).run(body)


async def rename_region(scope: Scope, store: Any, actor: str, region_id: int, name: str,
                        dry_run: bool = False) -> RegridResult:
    region = await _region(region_id)
    _require(scope, "update", region, "here")
    name = _check_name(name)

    async def body(connection, mover: _Mover) -> None:
        await models.Region.filter(id=region.id).using_db(connection).update(
            name=name, version=F("version") + 1, updated_at=mover.stamp)
        mover.result.regions.append(await models.Region.get(id=region.id).using_db(connection))
        mover.result.counts["renamed"] += 1
        await _audit(mover, actor, region.region_path, {"from": region.name, "to": name})

    return await _Operation(store, actor, "rename_region", dry_run).run(body)


async def set_region_boundary(scope: Scope, store: Any, actor: str, region_id: int, boundary: dict | None,
                              dry_run: bool = False) -> RegridResult:
    """Draw (or with None, erase) a region's boundary, checked by resolvers.read.spatial: a valid
    polygon, inside its parent's, not overlapping a sibling's, and holding its children's."""
    region = await _region(region_id)
    _require(scope, "update", region, "here")
    geojson = None
    if boundary is not None:
        geom = await spatial.check_boundary(region, boundary)
        await _holds_children(region, geom)
        geojson = to_geojson(geom)

    async def body(connection, mover: _Mover) -> None:
        await models.Region.filter(id=region.id).using_db(connection).update(
            boundary=geojson, version=F("version") + 1, updated_at=mover.stamp)
        mover.result.regions.append(await models.Region.get(id=region.id).using_db(connection))
        mover.result.counts["bounded"] += 1
        await _audit(mover, actor, region.region_path, {"boundary": "erased" if geojson is None else "drawn"})

    return await _Operation(store, actor, "set_region_boundary", dry_run).run(body)


# moveRegion without `boundary`: the region keeps the one it has
KEEP = object()


async def move_region(scope: Scope, store: Any, actor: str, region_id: int, parent_id: int,
                      code: str | None = None, dry_run: bool = False, boundary: Any = KEEP) -> RegridResult:
    """A grid to another community, a community to another town: the whole subtree goes.
    `code` renumbers it there (a grid's digits taken by a grid of the new community).
    `boundary` redraws it there (None erases it); kept or redrawn, it is checked against the
    new parent and siblings as setRegionBoundary checks a drawing."""
    region = await _region(region_id)
    parent = await _region(parent_id, "parent region")
    old_parent = await _region(region.parent_id, "parent region") if region.parent_id else None
    _require(scope, "update", region, "here")
    _require(scope, "update", parent, "there")
    if parent.tier not in PARENT_TIER.get(region.tier, ()):
        raise BadInput(f"a {region.tier.value} does not belong under a {parent.tier.value}", field="parent")
    if parent.region_path.startswith(region.region_path):
        raise BadInput("a region cannot move into its own subtree", field="parent")
    if old_parent is not None and old_parent.id == parent.id:
        raise BadInput("the region is there already", field="parent")
    code = _check_code(code, parent) if code is not None else _code_under(region, old_parent, parent)
    redrawn = boundary is not KEEP
    geojson = await _boundary_there(region, parent, region.boundary if not redrawn else boundary)

    async def body(connection, mover: _Mover) -> None:
        await seize_regions([region], subtrees=True)
        await seize_regions([parent])
        old, new = region.region_path, await _move_subtree(mover, region, parent, code)
        if redrawn:
            await models.Region.filter(id=region.id).using_db(connection).update(
                boundary=geojson, version=F("version") + 1, updated_at=mover.stamp)
        mover.result.regions.append(await models.Region.get(id=region.id).using_db(connection))
        await _audit(mover, actor, new, {"from": old, "to": new, "parent": parent.region_path})

    return await _Operation(store, actor, "move_region", dry_run).run(body)


async def _boundary_there(region: models.Region, parent: models.Region, boundary: dict | None) -> dict | None:
    """The boundary `region` has under `parent` once moved, checked there: inside the new
    parent's, overlapping none of the new siblings', holding its own children's; or
    BAD_USER_INPUT naming the region. A region moved without a boundary has nothing to check."""
    if boundary is None:
        return None
    there = SimpleNamespace(code=region.code, name=region.name, parent_id=parent.id, id=region.id)
    geom = await spatial.check_boundary(there, boundary)
    await _holds_children(region, geom)
    return to_geojson(geom)


async def _holds_children(region: models.Region, geom, named: models.Region | None = None) -> None:
    """BAD_USER_INPUT naming `named` (by default `region`) where `geom` leaves out part of a
    drawn child of `region`."""
    named = named or region
    for child in await models.Region.filter(parent_id=region.id, deleted_at__isnull=True, boundary__isnull=False):
        outside = shape(child.boundary).difference(geom).area
        if outside > spatial.AREA_TOLERANCE:
            raise BadInput(f"{named.code} {named.name}: the boundary leaves out part of {child.code} "
                           f"{child.name} ({outside:.2e} square degrees)", field="boundary")


def _code_under(region: models.Region, old_parent: models.Region | None, parent: models.Region) -> str:
    """The code a region takes under another parent when none is given: the new parent's
    code and the digits it had of its own (a grid 006 of one community becomes grid 006 of
    the other); a code that did not nest under its parent is kept as it is."""
    if old_parent is not None and region.code.startswith(old_parent.code):
        return parent.code + region.code[len(old_parent.code):]
    return region.code


async def _move_subtree(mover: _Mover, region: models.Region, parent: models.Region, code: str) -> str:
    """`region` and everything under it go under `parent` with `code`: paths, codes and
    depths of the subtree, its rows, and the grants and rules naming it. Returns its new path."""
    old, new = region.region_path, models.Region.child_path(parent.region_path, parent.code, code)
    await mover.rewrite_prefix(old, new)
    if code != region.code:
        await _renumber(mover, new, region.code, code)
    # a grid moved from a total grid to a community rises one level, its micro-grids with it
    shift = parent.depth + 1 - region.depth
    if shift:
        p = SqlParams(mover.dialect)
        await mover._run(f"UPDATE region SET depth = depth + {p.add(shift)} "
                         f"WHERE region_path LIKE {p.add(like_escape(new) + '%')} ESCAPE '\\'", p)
    await models.Region.filter(id=region.id).using_db(mover.connection).update(parent_id=parent.id)
    await _rewrite_rules(mover.connection, old, lambda line: [new], mover.result)
    return new


@dataclass
class SplitPart:
    """One region a split makes: its name and code, the places it takes (by id) and the
    users whose grants at the split region go with it (usernames)."""

    name: str
    code: str
    place_ids: list[int] = field(default_factory=list)
    usernames: list[str] = field(default_factory=list)
    boundary: dict | None = None


async def split_region(scope: Scope, store: Any, actor: str, region_id: int, parts: list[SplitPart],
                       dry_run: bool = False, *, at: datetime | None = None) -> RegridResult:
    """A leaf region becomes `parts`, its siblings; it is retired. Places go to the part
    that lists them, the first part taking every place no part lists; households follow
    their house, persons their residence (or else their household), stays, things,
    organisations and events their place, tags and responsible staff their person, staff
    and grants their user. Whatever follows nothing stays with the first part. `at` dates a
    split recorded after the fact (the demo county's history); by default it is now."""
    region = await _region(region_id)
    parent = await _region(region.parent_id, "parent region") if region.parent_id else None
    if parent is None:
        raise BadInput("the root of the tree cannot be split", field="region")
    _require(scope, "update", region, "here")
    _require(scope, "delete", region, "here")
    _require(scope, "create", parent, "in its parent")
    if len(parts) < 2:
        raise BadInput("a split makes at least two regions", field="parts")
    if await models.Region.exists(parent_id=region.id, deleted_at=None):
        raise BadInput("split a region without live child regions (move or merge them first)", field="region")
    listed = [i for part in parts for i in part.place_ids]
    if len(listed) != len(set(listed)):
        raise BadInput("a place is listed in two parts", field="parts")
    users = [u for part in parts for u in part.usernames]
    if len(users) != len(set(users)):
        raise BadInput("a user is listed in two parts", field="parts")
    await _split_boundaries(region, parent, parts)
    for number, part in enumerate(parts, 1):
        _check_code(part.code, parent, "parts", f"the code of part {number}")
        _check_name(part.name)
    if listed and await models.Place.filter(id__in=listed, region_id=region.id, deleted_at=None).count() != len(listed):
        raise BadInput("a listed place is not in the region being split", field="parts")
    known = set(await models.User.filter(username__in=users, deleted_at=None).values_list("username", flat=True)
                ) if users else set()
    unknown = [u for u in users if u not in known]
    if unknown:
        # a misspelt name would otherwise leave that user's grant with the first part, unseen
        raise BadInput(f"no user named {', '.join(unknown)}", field="parts")

    async def body(connection, mover: _Mover) -> None:
        await seize_regions([region])
        if await models.Region.exists(parent_id=region.id, deleted_at=None):  # made meanwhile
            raise Conflict("a region was made under this one meanwhile: read it again", field="region")
        made = []
        for part in parts:
            made.append(await models.Region.create(
                code=part.code, name=part.name.strip(), tier=region.tier, parent_id=parent.id, depth=region.depth,
                boundary=part.boundary,
                region_path=models.Region.child_path(parent.region_path, parent.code, part.code),
                using_db=connection))
        mover.result.made(made)
        # the history keeps the grid events were reported in
        await models.Event.filter(region_id=region.id, reported_region_id=None).using_db(connection).update(
            reported_region_id=region.id)
        for part, target in list(zip(parts, made))[1:]:
            await _split_part(mover, region, target, part)
        for model in regional_models():  # the rest: the first part
            await mover.reassign(model, region.id, made[0])
        await _hand_over(mover, region, made)
        grants_to = {u: target for part, target in zip(parts, made) for u in part.usernames}

        def new_for(line: models.CasbinRule) -> list[str]:
            # a grant goes with its user; a rule about the grid is about each of its parts
            # (a deny kept on one part only would open the others)
            if line.ptype == "g":
                return [(grants_to.get(line.v0) or made[0]).region_path]
            return [r.region_path for r in made]

        await _rewrite_rules(connection, region.region_path, new_for, mover.result)
        await _retire(connection, mover, region)
        mover.result.regions = made
        await _audit(mover, actor, region.region_path, {
            "into": [{"path": r.region_path, "name": r.name, "places": len(p.place_ids), "users": p.usernames}
                     for p, r in zip(parts, made)]})

    return await _Operation(store, actor, "split_region", dry_run, at).run(body)


async def _split_boundaries(region: models.Region, parent: models.Region, parts: list[SplitPart]) -> None:
    """Parts drawn (all or none): each a valid polygon inside the parent's boundary (the split
    region's place among its siblings), overlapping no other sibling and no other part. Where
    no part lists places, each takes the located places its polygon holds (the first part the
    rest), so a dry run tells what each part would receive by location."""
    drawn = [p.boundary is not None for p in parts]
    if not any(drawn):
        return
    if not all(drawn):
        raise BadInput("draw every part's boundary, or none", field="parts")
    geoms = []
    for part in parts:
        stand_in = SimpleNamespace(code=part.code, name=part.name, parent_id=parent.id, id=None)
        geom = await spatial.check_boundary(stand_in, part.boundary, siblings_replaced={region.id})
        for other_part, other in zip(parts, geoms):
            overlap = geom.intersection(other).area
            if overlap > spatial.AREA_TOLERANCE:
                raise BadInput(f"{part.code} {part.name}: the boundary overlaps the part {other_part.code} "
                               f"{other_part.name} ({overlap:.2e} square degrees)", field="parts")
        geoms.append(geom)
        part.boundary = to_geojson(geom)
    if any(p.place_ids for p in parts):
        return
    places = await models.Place.filter(region_id=region.id, deleted_at=None, longitude__isnull=False,
                                       latitude__isnull=False).values_list("id", "longitude", "latitude")
    for row_id, lon, lat in places:
        # the part holding the point; on an edge two parts share, the lower code (as regionAt)
        holders = [p for p, g in zip(parts, geoms) if g.intersects(Point(lon, lat))]
        if holders:
            min(holders, key=lambda p: p.code).place_ids.append(row_id)


async def _split_part(mover: _Mover, region: models.Region, target: models.Region, part: SplitPart) -> None:
    """Move to `target` its places, then what follows them; each condition reads the rows
    already moved (`t` is the row, `{}` a parameter)."""
    ids = tuple(part.place_ids)
    if ids:
        await mover.reassign(models.Place, region.id, target, f"t.id IN ({', '.join('{}' for _ in ids)})", ids)
    places = "SELECT id FROM place WHERE region_id = {}"
    persons = "SELECT id FROM person WHERE region_id = {}"
    tid = (target.id,)
    await mover.reassign(models.Household, region.id, target, f"t.place_id IN ({places})", tid)
    await mover.reassign(models.Person, region.id, target,
                         f"(t.residence_id IN ({places}) OR (t.residence_id IS NULL AND t.household_id IN "
                         f"(SELECT id FROM household WHERE region_id = {{}})))", (target.id, target.id))
    await mover.reassign(models.PersonTag, region.id, target, f"t.person_id IN ({persons})", tid)
    await mover.reassign(models.KeyPersonResponsibility, region.id, target, f"t.key_person_id IN ({persons})", tid)
    for model in (models.Residence, models.Thing, models.Organisation, models.Event):
        await mover.reassign(model, region.id, target, f"t.place_id IN ({places})", tid)
    # seed programmes go with what they belong to: a unit with its head household, a service
    # post and a volunteer activity with their organisation
    await mover.reassign(models.JointHouseholdUnit, region.id, target,
                         "t.head_household_id IN (SELECT id FROM household WHERE region_id = {})", tid)
    for model in (models.ServicePost, models.VolunteerActivity):
        await mover.reassign(model, region.id, target,
                             "t.organisation_id IN (SELECT id FROM organisation WHERE region_id = {})", tid)
    if part.boundary is not None:
        # what has a point and no place goes where its point lies (the first part: the rest)
        area = Area.of(part.boundary)
        for model in (models.Thing, models.Event):
            values: list = []
            inside = located_sql(spatial.dialect(), model._meta.db_table, area, "t",
                                 lambda v: (values.append(v), "{}")[1])
            await mover.reassign(model, region.id, target, f"t.place_id IS NULL AND {inside}", tuple(values))
    if part.usernames:
        names = tuple(part.usernames)
        await mover.reassign(models.StaffAssignment, region.id, target,
                             f"t.user_id IN (SELECT id FROM app_user WHERE username IN "
                             f"({', '.join('{}' for _ in names)}))", names)


async def _hand_over(mover: _Mover, region: models.Region, successors: list[models.Region]) -> None:
    """Events `region` was handling (dispatched or escalated to it) are handled by its
    successor: the one of `successors` they now lie in, else the first. Left pointing at
    the retired region, they would show no handler and no one could take their next step.
    Call it once the rows have moved: where an event lies decides. The reporting grid
    (`reported_region`) is history and stays."""
    connection, stamp = mover.connection, mover.stamp
    handled = models.Event.filter(handling_region_id=region.id)
    # the version and stamp change as for any other change of the row: editors' optimistic
    # checks and departments' incremental pulls see it
    changed = {"version": F("version") + 1, "updated_at": stamp}
    p_region = region.id
    await mover.record_bumps(models.Event._meta.db_table, "event", lambda p: "t.region_path",
                             lambda p: f"t.handling_region_id = {p.add(p_region)}")
    count = 0
    if len(successors) > 1:
        count += await handled.filter(region_id__in=[r.id for r in successors[1:]]).using_db(connection).update(
            handling_region_id=F("region_id"), **changed)
    count += await handled.using_db(connection).update(handling_region_id=successors[0].id, **changed)
    mover.result.counts["handling"] += count
    # the tier that dispatched an event is succeeded as well: returns go to the successor's
    # queue, and it decides re-dispatch and extensions
    await mover.record_bumps(models.Event._meta.db_table, "event", lambda p: "t.region_path",
                             lambda p: f"t.dispatcher_region_id = {p.add(p_region)}")
    await models.Event.filter(dispatcher_region_id=region.id).using_db(connection).update(
        dispatcher_region_id=successors[0].id, **changed)


async def _retire(connection: Any, mover: _Mover, region: models.Region) -> None:
    """Retired, not removed: events name it as their reporting grid, and the history shows it."""
    await models.Region.filter(id=region.id).using_db(connection).update(
        deleted_at=mover.stamp, updated_at=mover.stamp, version=F("version") + 1)
    mover.result.counts["retired"] += 1


async def merge_regions(scope: Scope, store: Any, actor: str, region_ids: list[int], into_id: int,
                        dry_run: bool = False) -> RegridResult:
    """Siblings merged into one of them: their rows, child regions and grants go to `into`,
    and they are retired."""
    into = await _region(into_id, "region to merge into")
    _require(scope, "update", into, "here")
    merged = []
    for region_id in dict.fromkeys(region_ids):
        region = await _region(region_id)
        if region.id == into.id:
            raise BadInput("a region is not merged into itself", field="regions")
        if region.parent_id != into.parent_id or region.tier != into.tier:
            raise BadInput("only sibling regions of one tier are merged", field="regions")
        _require(scope, "delete", region, "here")
        merged.append(region)
    if not merged:
        raise BadInput("name the regions to merge", field="regions")
    union = await _merged_boundary(into, merged)

    async def body(connection, mover: _Mover) -> None:
        await seize_regions(merged, subtrees=True)
        await seize_regions([into])
        for region in merged:
            await models.Event.filter(region_id=region.id, reported_region_id=None).using_db(connection).update(
                reported_region_id=region.id)
            # child regions go under `into` as a move takes them there (paths, codes, grants);
            # then the rows placed in the merged region itself
            for child in await models.Region.filter(parent_id=region.id, deleted_at=None).using_db(connection):
                await _move_subtree(mover, child, into, _code_under(child, region, into))
            for model in regional_models():
                await mover.reassign(model, region.id, into)
            await _rewrite_rules(connection, region.region_path, lambda line: [into.region_path], mover.result)
            await _hand_over(mover, region, [into])
            await _retire(connection, mover, region)
        if union is not None:
            await models.Region.filter(id=into.id).using_db(connection).update(boundary=union)
        mover.result.regions.append(await models.Region.get(id=into.id).using_db(connection))
        await _audit(mover, actor, into.region_path,
                     {"merged": [r.region_path for r in merged], "into": into.region_path})

    return await _Operation(store, actor, "merge_regions", dry_run).run(body)



async def _merged_boundary(into: models.Region, merged: list[models.Region]) -> dict | None:
    """The area of `into` after the merge: the union of the drawn boundaries among them (a
    region merged without one adds no area), None (unchanged) where none is drawn. It must
    hold every drawn child region `into` then has, its own and those it takes over, or the
    merge is BAD_USER_INPUT naming the child (as a drawing leaving one out is)."""
    regions = [into, *merged]
    drawn = [shape(r.boundary) for r in regions if r.boundary]
    if not drawn:
        return None
    try:  # siblings inside one parent, overlapping nowhere: their union is a valid (Multi)Polygon
        union = parse_area(to_geojson(shapely.union_all(drawn)))
    except GeometryError as e:
        raise BadInput(f"{into.code} {into.name}: the merged boundary is not usable ({e})", field="into") from None
    for region in regions:
        await _holds_children(region, union, into)
    return to_geojson(union)
