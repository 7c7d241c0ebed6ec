"""The tree of places (小区 → 楼栋 → 单元 → 房屋): `Place.parent` says where a place lies, and
the closure table `place_tree` holds each place with every ancestor (itself at depth 0), so
that the residents, organisations and rentals under a building are read with one join
(resolvers.relations) on both read paths.

Every write of a place's parent goes through here, inside the writing transaction: a new
place joins its parent's ancestors; a moved place takes its whole subtree along."""

from __future__ import annotations

from tortoise import connections

from gridhub import models

from gridhub.resolvers.errors import BadInput

# The closure of every place from `parent_id` alone: how the demo and a migrated database get
# theirs (WITH RECURSIVE reads alike on SQLite and PostgreSQL).
REBUILD_SQL = (
    "WITH RECURSIVE up(ancestor_id, place_id, depth) AS ("
    " SELECT id, id, 0 FROM place"
    " UNION ALL SELECT p.parent_id, up.place_id, up.depth + 1 FROM up JOIN place p ON p.id = up.ancestor_id"
    " WHERE p.parent_id IS NOT NULL AND up.depth < 16)"  # a cycle would not end: no tree is this deep
    " INSERT INTO place_tree (ancestor_id, place_id, depth) SELECT ancestor_id, place_id, depth FROM up")


async def rebuild(connection=None) -> None:
    """The whole closure anew from the parents."""
    db = connection or connections.get("default")
    await db.execute_script("DELETE FROM place_tree")
    await db.execute_script(REBUILD_SQL)


async def attach(place: models.Place) -> None:
    """A new place: itself, and under its parent's ancestors."""
    rows = [models.PlaceTree(ancestor_id=place.id, place_id=place.id, depth=0)]
    if place.parent_id is not None:
        above = await models.PlaceTree.filter(place_id=place.parent_id)
        rows += [models.PlaceTree(ancestor_id=a.ancestor_id, place_id=place.id, depth=a.depth + 1) for a in above]
    await models.PlaceTree.bulk_create(rows)


async def move(place_id: int, parent_id: int | None) -> None:
    """The place and everything under it now lie under `parent_id` (None: at the top). A place
    cannot lie under itself or anything under it."""
    below = await models.PlaceTree.filter(ancestor_id=place_id)
    subtree = {b.place_id: b.depth for b in below} or {place_id: 0}
    if parent_id in subtree:
        raise BadInput("a place cannot lie within itself or a place under it", field="parentId")
    await models.PlaceTree.filter(place_id__in=list(subtree)).exclude(ancestor_id__in=list(subtree)).delete()
    if not below:  # a place made before the tree had none of its rows
        await models.PlaceTree.create(ancestor_id=place_id, place_id=place_id, depth=0)
    if parent_id is None:
        return
    above = await models.PlaceTree.filter(place_id=parent_id)
    await models.PlaceTree.bulk_create([
        models.PlaceTree(ancestor_id=a.ancestor_id, place_id=p, depth=a.depth + 1 + d)
        for a in above for p, d in subtree.items()])
