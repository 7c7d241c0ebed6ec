"""Seed programmes in GraphQL (resolvers/domain/programmes.py): joint-household units (双联户), party service
posts (先锋驿站) and volunteer activities with their hours; their root lists, the relations from
households and organisations, and the mutations that record them."""

from datetime import date
from decimal import Decimal
from typing import Optional

import strawberry
from strawberry.relay import GlobalID, NodeID
from strawberry.types import Info

from gridhub import models
from gridhub.resolvers.domain import programmes
from gridhub.resolvers.domain import volunteer_hours

from .args import OptionalVersion, Version, arg
from .connection import connection_field
from .filters import RowFilter
from .ids import decode_id
from .node import ModelNode, Versioned, load, load_by
from .refs import HouseholdRef, OrganisationRef, PersonRef, PlaceRef, RegionRef


@strawberry.type(description="双联户: households that look out for each other, led by a head household (联户长户). "
                             "It lies in its head household's grid.")
class JointHouseholdUnit(ModelNode, Versioned):
    row_kind = "joint_unit"
    id: NodeID[int]
    code: str = strawberry.field(description="The unit's code, unique in the county.")
    name: str = strawberry.field(description="The unit's name (often the head's: 张家联户); empty if none.")

    @strawberry.field(description="The grid the unit lies in (its head household's).")
    async def region(self: models.JointHouseholdUnit, info: Info) -> Optional[RegionRef]:
        return await load(info, "region", self.region_id)

    @strawberry.field(description="The head household (联户长户); null where you may not read it.")
    async def head_household(self: models.JointHouseholdUnit, info: Info) -> Optional[HouseholdRef]:
        return await load(info, "household", self.head_household_id)

    @strawberry.field(description="Its households that you may read, the head's among them.")
    async def households(self: models.JointHouseholdUnit, info: Info) -> list[HouseholdRef]:
        return await load_by(info, "household", "joint_unit_id", self.id)


@strawberry.input(description="Conditions on joint-household units; they combine with AND.")
class JointHouseholdUnitFilter(RowFilter):
    pass


@strawberry.type(description="先锋驿站: a party organisation's service post, open to residents at a place.")
class ServicePost(ModelNode, Versioned):
    row_kind = "service_post"
    id: NodeID[int]
    name: str = strawberry.field(description="Its name, such as 城关社区先锋驿站.")
    services: str = strawberry.field(description="What it offers residents, as free text; empty if not said.")
    opening_hours: str = strawberry.field(description="When it is open, as free text; empty if not said.")

    @strawberry.field(description="The party organisation that runs it; null where you may not read it.")
    async def organisation(self: models.ServicePost, info: Info) -> Optional[OrganisationRef]:
        return await load(info, "organisation", self.organisation_id)

    @strawberry.field(description="Where it is; null if not recorded or not readable.")
    async def place(self: models.ServicePost, info: Info) -> Optional[PlaceRef]:
        return await load(info, "place", self.place_id)

    @strawberry.field(description="Its organisation's region.")
    async def region(self: models.ServicePost, info: Info) -> Optional[RegionRef]:
        return await load(info, "region", self.region_id)


@strawberry.input(description="Conditions on service posts; they combine with AND.")
class ServicePostFilter(RowFilter):
    pass


@strawberry.type(description="One participant's volunteer hours in an activity.")
class VolunteerHours:
    @strawberry.field(description="Hours served, to a tenth of an hour.")
    def hours(self: models.VolunteerHours) -> float:
        return float(self.hours)

    @strawberry.field(description="The volunteer; null where you may not read the person.")
    async def person(self: models.VolunteerHours, info: Info) -> Optional[PersonRef]:
        return await load(info, "person", self.person_id)


@strawberry.type(description="A volunteer activity an organisation held on a day, with its participants' hours.")
class VolunteerActivity(ModelNode, Versioned):
    row_kind = "volunteer_activity"
    id: NodeID[int]
    title: str = strawberry.field(description="What was done, such as 敬老院义务劳动.")
    held_on: date = strawberry.field(description="The day it was held.")

    @strawberry.field(description="The organisation that held it (a volunteer team, a party branch, …); null "
                                  "where you may not read it.")
    async def organisation(self: models.VolunteerActivity, info: Info) -> Optional[OrganisationRef]:
        return await load(info, "organisation", self.organisation_id)

    @strawberry.field(description="Where it was held; null if not recorded or not readable.")
    async def place(self: models.VolunteerActivity, info: Info) -> Optional[PlaceRef]:
        return await load(info, "place", self.place_id)

    @strawberry.field(description="Its organisation's region.")
    async def region(self: models.VolunteerActivity, info: Info) -> Optional[RegionRef]:
        return await load(info, "region", self.region_id)

    @strawberry.field(description="Each participant and their hours, in the order recorded.")
    async def participants(self: models.VolunteerActivity, info: Info) -> list[VolunteerHours]:
        return await load_by(info, "volunteer_hours", "activity_id", self.id)

    @strawberry.field(description="The participants' hours added up.")
    async def total_hours(self: models.VolunteerActivity, info: Info) -> float:
        return float(sum((h.hours for h in await load_by(info, "volunteer_hours", "activity_id", self.id)),
                         Decimal(0)))


@strawberry.input(description="Conditions on volunteer activities; they combine with AND.")
class VolunteerActivityFilter(RowFilter):
    held_from: Optional[date] = strawberry.field(default=None, description="Held on or after this day.")
    held_until: Optional[date] = strawberry.field(default=None, description="Held on or before this day.")
    organisation: Optional[list[GlobalID]] = strawberry.field(
        default=None, description="Held by any of these organisations.")


@strawberry.input(description="A participant of a volunteer activity and the hours they served.")
class VolunteerHoursInput:
    person: GlobalID = strawberry.field(description="The volunteer, a person you may read.")
    hours: float = strawberry.field(description="Hours served: more than 0, at most 24, to a tenth.")


@strawberry.type(description="One volunteer's hours added up over the activities counted.")
class VolunteerTotal:
    @strawberry.field(description="The volunteer; null where you may not read the person (still counted).")
    async def person(self: volunteer_hours.VolunteerTotal, info: Info) -> Optional[PersonRef]:
        return await load(info, "person", self.person_id)

    @strawberry.field(description="Their hours, to a tenth of an hour.")
    def hours(self: volunteer_hours.VolunteerTotal) -> float:
        return float(self.hours)

    @strawberry.field(description="In how many of the activities they served.")
    def activities(self: volunteer_hours.VolunteerTotal) -> int:
        return self.activities


@strawberry.type(description="Volunteer hours (志愿服务时长) added up over the activities you may read that match.")
class VolunteerHoursSummary:
    @strawberry.field(description="All their hours.")
    def hours(self: volunteer_hours.HoursSummary) -> float:
        return float(self.hours)

    @strawberry.field(description="How many activities, with at least one participant counted.")
    def activities(self: volunteer_hours.HoursSummary) -> int:
        return self.activities

    @strawberry.field(description="How many different volunteers served.")
    def volunteers(self: volunteer_hours.HoursSummary) -> int:
        return self.volunteers

    @strawberry.field(description="Each volunteer's total, most hours first (ties by person), as many as `first`.")
    def by_volunteer(self: volunteer_hours.HoursSummary) -> list[VolunteerTotal]:
        return self.by_volunteer


@strawberry.type
class ProgrammeQuery:
    @strawberry.field(description=(
        "Volunteer hours added up, over the live activities you may read (those `volunteerActivities` lists): "
        "in a period, of some organisations (a team's leader: their own team), under a region, of some "
        "persons. BAD_USER_INPUT if the period ends before it starts."))
    async def volunteer_hours(
            self, info: Info,
            held_from: arg(Optional[date], "Activities held on or after this day.") = None,
            held_until: arg(Optional[date], "Activities held on or before this day.") = None,
            organisation: arg(Optional[list[GlobalID]], "Activities of any of these organisations.") = None,
            person: arg(Optional[list[GlobalID]], "Only these volunteers' hours.") = None,
            region_path: arg(Optional[str], "Activities of organisations under this path (ends in `/`).") = None,
            first: arg(int, f"How many volunteers `byVolunteer` lists, 0 to {volunteer_hours.MAX_VOLUNTEERS}.") = 50
    ) -> VolunteerHoursSummary:
        return await volunteer_hours.summary(
            info.context.scope, held_from=held_from, held_until=held_until,
            organisation_ids=_ids(organisation, "Organisation", "organisation"),
            person_ids=_ids(person, "Person", "person"), region_path=region_path, first=first)

    joint_household_units = connection_field(
        "joint_unit", JointHouseholdUnit, JointHouseholdUnitFilter,
        description="Joint-household units (双联户) you may read: a grid sees its own.")
    service_posts = connection_field("service_post", ServicePost, ServicePostFilter,
                                     description="Party service posts (先锋驿站) you may read.")
    volunteer_activities = connection_field("volunteer_activity", VolunteerActivity, VolunteerActivityFilter,
                                            description="Volunteer activities you may read, latest first.")


def _ids(values, type_name: str, field: str) -> list[int]:
    return [decode_id(x, type_name, field) for x in values or ()]


@strawberry.type
class ProgrammeMutation:
    @strawberry.mutation(description="Form a joint-household unit (双联户) of households of one grid, led by a head "
                                     "household (a member too). Needs `joint_unit` `create` there; a household in "
                                     "another unit is a CONFLICT.")
    async def form_joint_household_unit(
            self, info: Info, code: arg(str, "The unit's code, unique in the county."),
            head_household: arg(GlobalID, "The head household (联户长户)."),
            households: arg(list[GlobalID], "The other households (the head may be listed too)."),
            name: arg(str, "The unit's name; empty if omitted.") = "") -> JointHouseholdUnit:
        return await programmes.form_joint_unit(
            info.context.scope, info.context.username, code, name, decode_id(head_household, "Household",
                                                                             "headHousehold"),
            _ids(households, "Household", "households"))

    @strawberry.mutation(description="Change a joint-household unit: its name, its head (another household of its "
                                     "grid), households taken in or let go (not the head). Needs `joint_unit` "
                                     "`update`.")
    async def change_joint_household_unit(
            self, info: Info, id: arg(GlobalID, "The unit's id."), version: Version,
            name: arg(Optional[str], "A new name; unchanged if omitted.") = None,
            head_household: arg(Optional[GlobalID], "A new head household; it joins the unit.") = None,
            add: arg(Optional[list[GlobalID]], "Households to take in.") = None,
            remove: arg(Optional[list[GlobalID]], "Households to let go.") = None) -> JointHouseholdUnit:
        return await programmes.change_joint_unit(
            info.context.scope, info.context.username, decode_id(id, "JointHouseholdUnit"), version, name=name,
            head_id=decode_id(head_household, "Household", "headHousehold") if head_household else None,
            add=_ids(add, "Household", "add"), remove=_ids(remove, "Household", "remove"))

    @strawberry.mutation(description="Dissolve a joint-household unit: its households leave it. Needs `joint_unit` "
                                     "`delete`.")
    async def dissolve_joint_household_unit(self, info: Info, id: arg(GlobalID, "The unit's id.")
                                            ) -> JointHouseholdUnit:
        return await programmes.dissolve_joint_unit(info.context.scope, info.context.username,
                                                    decode_id(id, "JointHouseholdUnit"))

    @strawberry.mutation(description="Record a party service post (先锋驿站) of a party branch or group. Needs "
                                     "`service_post` `create` in the organisation's region.")
    async def record_service_post(
            self, info: Info, organisation: arg(GlobalID, "The party organisation that runs it."),
            name: arg(str, "Its name."), place: arg(Optional[GlobalID], "Where it is.") = None,
            services: arg(str, "What it offers residents.") = "",
            opening_hours: arg(str, "When it is open.") = "") -> ServicePost:
        return await programmes.record_service_post(
            info.context.scope, info.context.username, decode_id(organisation, "Organisation", "organisation"),
            name, decode_id(place, "Place", "place") if place else None, services, opening_hours)

    @strawberry.mutation(description="Record a volunteer activity an organisation held, with each participant's "
                                     "hours. Needs `volunteer_activity` `create` in the organisation's region.")
    async def record_volunteer_activity(
            self, info: Info, organisation: arg(GlobalID, "The organisation that held it."),
            title: arg(str, "What was done."), held_on: arg(date, "The day it was held, not after today."),
            participants: arg(list[VolunteerHoursInput], "Who took part and for how long."),
            place: arg(Optional[GlobalID], "Where it was held.") = None) -> VolunteerActivity:
        return await programmes.record_volunteer_activity(
            info.context.scope, info.context.username, decode_id(organisation, "Organisation", "organisation"),
            title, held_on, decode_id(place, "Place", "place") if place else None,
            [programmes.Participant(decode_id(p.person, "Person", "participants"),
                                    programmes.check_hours(p.hours, "participants")) for p in participants])

    @strawberry.mutation(description="Change a party service post (先锋驿站): its name, place, services or opening "
                                     "hours (omitted: unchanged); its organisation stays. Needs `service_post` "
                                     "`update`; CONFLICT if it changed since the version you read.")
    async def change_service_post(
            self, info: Info, id: arg(GlobalID, "The post's id."), version: Version,
            name: arg(Optional[str], "A new name.") = None, place: arg(Optional[GlobalID], "Where it is now.") = None,
            services: arg(Optional[str], "What it offers residents now.") = None,
            opening_hours: arg(Optional[str], "When it is open now.") = None) -> ServicePost:
        return await programmes.change_service_post(
            info.context.scope, info.context.username, decode_id(id, "ServicePost"), version, name=name,
            place_id=decode_id(place, "Place", "place") if place else None, services=services,
            opening_hours=opening_hours)

    @strawberry.mutation(description="Close a party service post (soft-deleted: it stays, with `deletedAt`, for "
                                     "incremental sync). Needs `service_post` `delete`.")
    async def close_service_post(self, info: Info, id: arg(GlobalID, "The post's id."),
                                 version: OptionalVersion = None) -> ServicePost:
        return await programmes.close_service_post(info.context.scope, info.context.username,
                                                   decode_id(id, "ServicePost"), version)

    @strawberry.mutation(description="Correct a volunteer activity: its title, day, place (omitted: unchanged) "
                                     "or its participants, given as the whole list (hours corrected, those left "
                                     "out removed, new ones added). Needs `volunteer_activity` `update`; CONFLICT "
                                     "if it changed since the version you read.")
    async def change_volunteer_activity(
            self, info: Info, id: arg(GlobalID, "The activity's id."), version: Version,
            title: arg(Optional[str], "A new title.") = None,
            held_on: arg(Optional[date], "The day it was held, not after today.") = None,
            place: arg(Optional[GlobalID], "Where it was held.") = None,
            participants: arg(Optional[list[VolunteerHoursInput]], "Everyone who took part and for how long, "
                                                                   "replacing the list recorded.") = None
    ) -> VolunteerActivity:
        return await programmes.change_volunteer_activity(
            info.context.scope, info.context.username, decode_id(id, "VolunteerActivity"), version, title=title,
            held_on=held_on, place_id=decode_id(place, "Place", "place") if place else None,
            participants=None if participants is None else [
                programmes.Participant(decode_id(p.person, "Person", "participants"),
                                       programmes.check_hours(p.hours, "participants")) for p in participants])

    @strawberry.mutation(description="Withdraw a volunteer activity recorded by mistake (soft-deleted: its hours "
                                     "are no longer counted). Needs `volunteer_activity` `delete`.")
    async def withdraw_volunteer_activity(self, info: Info, id: arg(GlobalID, "The activity's id."),
                                          version: OptionalVersion = None) -> VolunteerActivity:
        return await programmes.withdraw_volunteer_activity(info.context.scope, info.context.username,
                                                            decode_id(id, "VolunteerActivity"), version)
