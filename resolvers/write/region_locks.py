"""Region surgery and writes serialise: a row written into a region being split, merged or
moved lands either before the surgery (and moves with it) or after it (into the region as
it stands then, or refused with CONFLICT when that region was retired) — never live in a
retired region.

Every write that places a row in a region holds that region (`hold_region`) inside its
transaction; every surgery seizes the regions it retires or moves (`seize_regions`) first
thing in its own. On PostgreSQL a hold is `FOR KEY SHARE` (writers into one grid do not
wait for each other, nor for a rename) and a seizure `FOR UPDATE`, which waits for the
holders to commit and makes later ones wait for it; READ COMMITTED then shows each side
what the other committed. On SQLite a transaction holds the database's write lock from its
start (models.sqlite_engine), so the two cannot interleave at all."""

from __future__ import annotations

from typing import Iterable

from tortoise import connections

from gridhub import models
from gridhub.policies.predicate import SqlParams, like_escape

from gridhub.resolvers.errors import BadInput, Conflict
from gridhub.resolvers.read.query import sql_dialect


async def hold_region(region_id: int, field: str = "region") -> models.Region:
    """The live region `region_id`, held against surgery until the caller's transaction ends.
    Call it inside that transaction. A region retired meanwhile (or earlier) is CONFLICT: the
    caller reads the regions again and writes into the one that took its place."""
    dialect = sql_dialect()
    p = SqlParams(dialect)
    lock = " FOR KEY SHARE" if dialect == "postgres" else ""
    found = await connections.get("default").execute_query_dict(
        f"SELECT id, deleted_at FROM region WHERE id = {p.add(region_id)}{lock}", p.values)
    if not found:
        raise BadInput("no region with this id", field=field)
    if found[0]["deleted_at"] is not None:
        raise Conflict("this region was retired (split, merged or deleted): read the regions again and "
                       "write into the one that took its place", field=field)
    # read after the lock: the path as it stands now (a move may just have changed it)
    return await models.Region.get(id=region_id)


async def seize_regions(regions: Iterable[models.Region], *, subtrees: bool = False) -> None:
    """Lock `regions` (with `subtrees`, everything under them too) for a surgery, waiting for
    the writes holding them, and check they are still as the surgery read them: live, at
    the same path. Call it first in the surgery's transaction."""
    regions = list(regions)
    if not regions:
        return
    dialect = sql_dialect()
    p = SqlParams(dialect)
    where = f"id IN ({', '.join(p.add(r.id) for r in regions)})"
    if subtrees:
        where += "".join(f" OR region_path LIKE {p.add(like_escape(r.region_path) + '%')} ESCAPE '\\'"
                         for r in regions)
    lock = " FOR UPDATE" if dialect == "postgres" else ""
    # in id order, so two surgeries seizing overlapping regions cannot deadlock
    found = await connections.get("default").execute_query_dict(
        f"SELECT id, region_path, deleted_at FROM region WHERE {where} ORDER BY id{lock}", p.values)
    now = {row["id"]: row for row in found}
    for region in regions:
        row = now.get(region.id)
        if row is None or row["deleted_at"] is not None or row["region_path"] != region.region_path:
            raise Conflict("the region was changed by another re-gridding meanwhile: read it again",
                           field="region")
