"""Grid staffing (1+1+N) in GraphQL: `Region.staff`, `staffingGaps`, `assignStaff` and
`endStaff`. The logic is in resolvers/domain/staffing.py; reads go through the `staff` kind."""

from datetime import date
from typing import Optional

import strawberry
from strawberry.relay import GlobalID, NodeID
from strawberry.types import Info

from gridhub import models
from gridhub.resolvers.domain import staffing
from gridhub.settings import parse_staffing

from .args import Current, EndedOn, StartedOn, arg
from .enums import StaffRole
from .ids import decode_id
from .node import ModelNode, Versioned
from .refs import RegionRef
from .relations import with_relations


@strawberry.type(description="A member of a grid's staff (1+1+N) from `startedOn` to `endedOn` (open while null).")
@with_relations("staff")
class StaffAssignment(ModelNode, Versioned):
    row_kind = "staff"
    id: NodeID[int]
    role: StaffRole = strawberry.field(description="Their part in 1+1+N.")
    name: str = strawberry.field(description="Their name as recorded.")
    started_on: date = strawberry.field(description="The first day of the assignment.")
    ended_on: Optional[date] = strawberry.field(description="The last day; null while it lasts.")

    @strawberry.field(description="The staff member's user name, where the member is a user.")
    async def username(self: models.StaffAssignment, info: Info) -> Optional[str]:
        if self.user_id is None:
            return None
        return await info.context.loaders._get(("usernames",), _usernames).load(self.user_id)


def _usernames():
    async def load(ids: list[int]) -> list[Optional[str]]:
        found = dict(await models.User.filter(id__in=set(ids)).values_list("id", "username"))
        return [found.get(i) for i in ids]

    return load


async def region_staff(root: models.Region, info: Info, current: Current = True) -> list[StaffAssignment]:
    return await staffing.staff_loader(info.context.loaders, current).load(root.id)


REGION_STAFF = strawberry.field(resolver=region_staff, description=(
    "The staff of this grid (1+1+N) you may read: by default those current today "
    "(started, not ended before today); `current: false` for the whole history."))


async def region_missing_staff(root: models.Region, info: Info) -> Optional[list[StaffRole]]:
    if not info.context.scope.where("staff").matches(root):
        return None
    current = await staffing.staff_loader(info.context.loaders, True).load(root.id)
    return staffing.missing_roles(root, current, parse_staffing(info.context.settings.staffing_required))


REGION_MISSING_STAFF = strawberry.field(resolver=region_missing_staff, description=(
    "The roles of 1+1+N the county requires at this region's tier (the `STAFFING_REQUIRED` setting; by default "
    "a grid's LEADER and WORKER) that nobody current today fills; empty when fully staffed, null where you "
    "may not read the staff."))


@strawberry.type
class StaffQuery:
    @strawberry.field(description="The regions under a region (a town) missing a role the county requires at their "
                                  "tier (`STAFFING_REQUIRED`; by default a grid's LEADER and WORKER), among those "
                                  "whose staff you may read, in path order; `missingStaff` on each says which. "
                                  "NOT_FOUND for a region you may not read.")
    async def staffing_gaps(self, info: Info, town: arg(GlobalID, "The region (usually a town) to look under.")
                            ) -> list[RegionRef]:
        required = parse_staffing(info.context.settings.staffing_required)
        gaps = await staffing.staffing_gaps(info.context.scope, decode_id(town, "Region", "town"), required)
        return [region for region, _ in gaps]


@strawberry.type
class StaffMutation:
    @strawberry.mutation(description="Add a member to a grid's staff: a name, a user (by username), a person of the "
                                     "registers, or several of these. Needs `staff` `update` there.")
    async def assign_staff(self, info: Info, region: arg(GlobalID, "The grid."),
                           role: arg(StaffRole, "Their part in 1+1+N."), started_on: StartedOn,
                           name: arg(Optional[str], "Their name; by default the user's or the person's.") = None,
                           username: arg(Optional[str], "The staff member's user, by username.") = None,
                           person: arg(Optional[GlobalID], "The staff member in the registers.") = None
                           ) -> StaffAssignment:
        return await staffing.assign_staff(
            info.context.scope, info.context.username, decode_id(region, "Region", "region"), role, started_on,
            name, username, decode_id(person, "Person", "person") if person else None)

    @strawberry.mutation(description="End a staff assignment on `endedOn` (not before it started).")
    async def end_staff(self, info: Info, id: arg(GlobalID, "The assignment's id."),
                        ended_on: EndedOn) -> StaffAssignment:
        return await staffing.end_staff(info.context.scope, info.context.username,
                                        decode_id(id, "StaffAssignment"), ended_on)
