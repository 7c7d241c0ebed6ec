"""Re-gridding mutations (区划调整): create, rename, move, split and merge regions, each
audited, each with `dryRun` (resolvers.domain.regrid)."""

from typing import Annotated, Optional

import strawberry
from strawberry.relay import GlobalID
from strawberry.scalars import JSON
from strawberry.types import Info

from gridhub.resolvers.domain import regrid

from gridhub.resolvers.errors import BadInput

from .args import DryRun, arg
from .enums import Tier
from .ids import decode_id
from .region import Region


@strawberry.type(description="Rows a re-gridding moved (or, with dryRun, would move), by kind.")
class RegridCounts:
    _counts: strawberry.Private[dict]

    @strawberry.field(description="Regions whose path changed (a moved subtree).")
    def regions(self) -> int:
        return self._counts.get("region", 0)

    @strawberry.field(description="Persons moved to another region or path.")
    def persons(self) -> int:
        return self._counts.get("person", 0)

    @strawberry.field(description="Households moved to another region or path.")
    def households(self) -> int:
        return self._counts.get("household", 0)

    @strawberry.field(description="Places moved to another region or path.")
    def places(self) -> int:
        return self._counts.get("place", 0)

    @strawberry.field(description="Events moved to another region or path.")
    def events(self) -> int:
        return self._counts.get("event", 0)

    @strawberry.field(description="Things moved to another region or path.")
    def things(self) -> int:
        return self._counts.get("thing", 0)

    @strawberry.field(description="Organisations moved to another region or path.")
    def organisations(self) -> int:
        return self._counts.get("organisation", 0)

    @strawberry.field(description="Role grants rewritten to the new paths.")
    def grants(self) -> int:
        return self._counts.get("grants", 0)

    @strawberry.field(description="Policy rules rewritten to the new paths.")
    def rules(self) -> int:
        return self._counts.get("rules", 0)

    @strawberry.field(description="Regions made.")
    def created(self) -> int:
        return self._counts.get("created", 0)

    @strawberry.field(description="Regions retired (split or merged away; kept for the history).")
    def retired(self) -> int:
        return self._counts.get("retired", 0)

    @strawberry.field(description="Events a retired region was handling, now handled by its successor: the "
                                  "region merged into, or the part of a split the event lies in (else the "
                                  "first part).")
    def handling(self) -> int:
        return self._counts.get("handling", 0)


@strawberry.type(description="What one region received in a re-gridding (a part of a split, the region merged into).")
class RegionReceived:
    code: str = strawberry.field(description="The region's code (a part a dry run would make has no id yet).")
    moved: RegridCounts = strawberry.field(description="The rows it received, by kind.")


@strawberry.type(description="What a re-gridding did, or with dryRun would do (then nothing changed).")
class RegridResult:
    operation: str = strawberry.field(description="`create_region`, `rename_region`, `move_region`, "
                                                  "`split_region` or `merge_regions`.")
    dry_run: bool = strawberry.field(description="True when nothing was changed: the counts are what it would do.")
    moved: RegridCounts = strawberry.field(description="What it moved, by kind.")
    regions: list[Region] = strawberry.field(
        description="The regions made or changed. With dryRun only the existing regions it would change: the "
                    "regions it would make are not made, so they have no id (a split or a create answers none).")
    received: list[RegionReceived] = strawberry.field(
        description="By region, in code order, the rows each received: a split's parts (with boundaries and no "
                    "placeIds, by location), the region merged into.")


@strawberry.input(description="One region a split makes.")
class SplitPartInput:
    name: str = strawberry.field(description="The new region's name.")
    code: str = strawberry.field(description="Digits: the parent's code and the part's own digits (a grid's code "
                                             "is its community's plus 3).")
    place_ids: list[GlobalID] = strawberry.field(
        default_factory=list, description="Places this part takes; the first part takes every place no part "
                                          "lists. Persons follow their residence (else household), events, "
                                          "things and organisations their place.")
    usernames: list[str] = strawberry.field(
        default_factory=list, description="Users whose grants and staffing at the split region go to this "
                                          "part; the others' go to the first part.")
    boundary: Optional[JSON] = strawberry.field(
        default=None, description="The part's boundary (GeoJSON Polygon or MultiPolygon), for every part or "
                                  "none: inside the parent's, overlapping no sibling or other part. Where no part "
                                  "lists places, each takes the located places its boundary holds (on a shared "
                                  "edge the lower code), the first part the rest: a dry run counts them.")


def _result(result: regrid.RegridResult) -> RegridResult:
    return RegridResult(operation=result.operation, dry_run=result.dry_run,
                        moved=RegridCounts(_counts=dict(result.counts)), regions=result.regions,
                        received=[RegionReceived(code=code, moved=RegridCounts(_counts=dict(counts)))
                                  for code, counts in sorted(result.received.items())])


def _region_id(id: GlobalID, field: str = "region") -> int:
    return decode_id(id, "Region", field)


@strawberry.type
class RegridMutation:
    @strawberry.mutation(description="Add a region under a parent of the tier above. Its code is the parent's "
                                     "code and digits of its own (a grid: its community's plus 3).")
    async def create_region(self, info: Info, parent: arg(GlobalID, "The region it goes under."),
                            code: arg(str, "Its code: the parent's code and digits of its own."),
                            name: arg(str, "Its name."), tier: arg(Tier, "Its tier, one below the parent's."),
                            dry_run: DryRun = False) -> RegridResult:
        c = info.context
        return _result(await regrid.create_region(c.scope, c.store, c.username, _region_id(parent, "parent"),
                                                  code, name, tier, dry_run))

    @strawberry.mutation(description="Rename a region (its code and path stay).")
    async def rename_region(self, info: Info, region: arg(GlobalID, "The region."), name: arg(str, "Its new name."),
                            dry_run: DryRun = False) -> RegridResult:
        c = info.context
        return _result(await regrid.rename_region(c.scope, c.store, c.username, _region_id(region), name, dry_run))

    @strawberry.mutation(description="Draw a region's boundary (GeoJSON Polygon or MultiPolygon in longitude-"
                                     "latitude, CGCS2000/WGS 84), or erase it with null. BAD_USER_INPUT, naming "
                                     "the region at fault, for an invalid polygon, one reaching outside the "
                                     "parent's boundary or overlapping a sibling's (beyond ~0.1 m²), or one "
                                     "leaving out part of a child's.")
    async def set_region_boundary(self, info: Info, region: arg(GlobalID, "The region."),
                                  boundary: arg(Optional[JSON], "A GeoJSON geometry, or null to erase it "
                                                                "(required: absent is refused).") = strawberry.UNSET,
                                  dry_run: DryRun = False) -> RegridResult:
        c = info.context
        if boundary is strawberry.UNSET:
            raise BadInput("give the boundary, or null to erase it", field="boundary")
        return _result(await regrid.set_region_boundary(c.scope, c.store, c.username, _region_id(region),
                                                        boundary, dry_run))

    @strawberry.mutation(description="Move a region with its subtree under another parent (a grid to another "
                                     "community, a community to another town): every row, grant and rule "
                                     "under it follows. Its boundary, kept or redrawn, must lie inside the new "
                                     "parent's and overlap no new sibling's (as setRegionBoundary checks), or "
                                     "BAD_USER_INPUT names the region.")
    async def move_region(self, info: Info, region: arg(GlobalID, "The region to move."),
                          parent: arg(GlobalID, "Its new parent, of the tier above it."),
                          code: Annotated[Optional[str], strawberry.argument(
                              description="A new code there (a grid: the new community's code and its own "
                                          "digits); by default a grid keeps its digits.")] = None,
                          dry_run: DryRun = False,
                          boundary: arg(Optional[JSON], "Its boundary there, a GeoJSON geometry, or null to erase "
                                                        "it; absent, it keeps the one it has.") = strawberry.UNSET,
                          ) -> RegridResult:
        c = info.context
        redraw = {} if boundary is strawberry.UNSET else {"boundary": boundary}
        return _result(await regrid.move_region(c.scope, c.store, c.username, _region_id(region),
                                                _region_id(parent, "parent"), code, dry_run, **redraw))

    @strawberry.mutation(description="Split a region without child regions into parts (its new siblings); "
                                     "it is retired and stays in the history of its events.")
    async def split_region(self, info: Info, region: arg(GlobalID, "The region to split."),
                           parts: arg(list[SplitPartInput], "The regions it becomes, at least two."),
                           dry_run: DryRun = False) -> RegridResult:
        c = info.context
        split = [regrid.SplitPart(p.name, p.code, [decode_id(i, "Place", "placeIds") for i in p.place_ids],
                                  list(p.usernames), p.boundary) for p in parts]
        return _result(await regrid.split_region(c.scope, c.store, c.username, _region_id(region), split, dry_run))

    @strawberry.mutation(description="Merge sibling regions into one of them: their rows, child regions and "
                                     "grants go there, and they are retired.")
    async def merge_regions(self, info: Info, regions: arg(list[GlobalID], "The sibling regions merged away."),
                            into: arg(GlobalID, "The sibling that takes them in and stays."),
                            dry_run: DryRun = False) -> RegridResult:
        c = info.context
        return _result(await regrid.merge_regions(c.scope, c.store, c.username,
                                                  [_region_id(r, "regions") for r in regions],
                                                  _region_id(into, "into"), dry_run))
