"""The people of organisations in GraphQL: `addMember` and `endMember`. The logic is in
resolvers/domain/memberships.py; memberships are read as `Organisation.members` and
`Person.memberships`."""

from datetime import date
from typing import Optional

import strawberry
from strawberry.relay import GlobalID
from strawberry.types import Info

from gridhub.resolvers.domain import memberships

from .args import EndedOn, arg
from .ids import decode_id
from .organisation import Membership

Organisation = arg(GlobalID, "The organisation.")
Member = arg(GlobalID, "The person (of the registers, readable to you).")
MemberRole = arg(str, "The role in the organisation, as the organisation names it (`书记`, `党员`, `志愿者`, `法定代表人`): "
                      "1 to 64 characters.")


@strawberry.type
class MembershipMutation:
    @strawberry.mutation(description=(
        "A person joins an organisation in a role from `startedOn` (to `endedOn`, if already known); audited. "
        "Needs `membership` `create` at the organisation's region (FORBIDDEN) and the organisation and the "
        "person readable (NOT_FOUND, BAD_USER_INPUT); CONFLICT if the person holds that role there now, or if "
        "a new term would start on or before the day their last one ended (a person who left may rejoin)."))
    async def add_member(self, info: Info, organisation: Organisation, person: Member, role: MemberRole,
                         started_on: arg(Optional[date], "The first day, inclusive; null if unknown.") = None,
                         ended_on: arg(Optional[date], "The last day, inclusive, if already known; not before "
                                                       "the start.") = None) -> Membership:
        return await memberships.add_member(
            info.context.scope, info.context.username, decode_id(organisation, "Organisation", "organisation"),
            decode_id(person, "Person", "person"), role, started_on, ended_on)

    @strawberry.mutation(description=(
        "A person leaves a role in an organisation on `endedOn`; audited. Needs `membership` `update` at the "
        "organisation's region; NOT_FOUND if the person does not hold the role there, CONFLICT if it already ended."))
    async def end_member(self, info: Info, organisation: Organisation, person: Member, role: MemberRole,
                         ended_on: EndedOn) -> Membership:
        return await memberships.end_member(
            info.context.scope, info.context.username, decode_id(organisation, "Organisation", "organisation"),
            decode_id(person, "Person", "person"), role, ended_on)
