"""The demo's transfers of residence (迁入/迁出): one in each state, into the anchor grid, so
that the demo users meet them — the community centre has requests to decide, the grid worker
decisions to read. Made by the workflow's own functions, as the hub would make them."""

from __future__ import annotations

from tortoise.expressions import Subquery

from gridhub import models
from gridhub.policies.scope import Scope

from gridhub.resolvers.domain import transfers


async def _residents(path: str, count: int, exclude_path: str | None = None) -> list[models.Person]:
    """Persons of the grid at `path` who head no household (whose leaving would orphan it)."""
    # a subquery, not a list: a county's 100,000 heads are more parameters than PostgreSQL takes
    heads = Subquery(models.Household.filter(head_id__not_isnull=True).values("head_id"))
    query = models.Person.filter(region_path__startswith=path, deleted_at=None).exclude(id__in=heads)
    if exclude_path:
        query = query.exclude(region_path__startswith=exclude_path)
    return await query.order_by("id").limit(count)


async def demo_transfers(anchors: dict[str, str]) -> dict[str, int]:
    """`anchors`: the demo's anchor regions (resolvers.demo.demo_anchors)."""
    grid = await models.Region.get(region_path=anchors["grid"], deleted_at=None)
    sibling = await _residents(anchors["sibling_grid"], 3)
    far = await _residents(anchors["town2"], 1)
    plan = [(sibling[0], None, "租住本网格，申请迁入"), (sibling[1], None, "投靠子女"),
            (far[0], True, "购房落户"), (sibling[2], False, "本人仍在原网格居住")]
    made = {"pending": 0, "approved": 0, "refused": 0}
    for person, approved, note in plan:
        transfer = await models.ResidenceTransfer.create(
            person_id=person.id, from_region_id=person.region_id, to_region_id=grid.id,
            status=transfers.PENDING, requested_by="worker", note=note)
        await transfers._notify(transfer, transfers.ASKED, "request_transfer", "worker", person.region_id, note)
        if approved is None:
            made["pending"] += 1
            continue
        await transfers.decide_transfer(Scope.everything(), "community" if approved is False else "county",
                                        transfer.id, approved, "" if approved else note)
        made["approved" if approved else "refused"] += 1
    return made
