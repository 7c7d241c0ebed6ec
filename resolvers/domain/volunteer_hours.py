"""Volunteer hours added up (志愿服务时长): what a volunteer team's leader asks (each of my
volunteers' hours this year) and what civil affairs asks (how many hours, by how many
volunteers, in the county or a town, and who served most).

Only the hours of activities the caller may read count, and only of live activities (a
withdrawn one counts nowhere): the sum is over `volunteer_activity` as the caller's scope
narrows it, the same rows `volunteerActivities` lists. A volunteer the caller may not read is
still counted, and shown without the person, as in an activity's participants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tortoise.functions import Count, Sum

from gridhub import models
from gridhub.policies.predicate import Compare, In, InSubquery, Pred, and_, path_prefix
from gridhub.policies.scope import Scope

from gridhub.resolvers.errors import BadInput
from gridhub.resolvers.read.query import visible
from gridhub.resolvers.write.validation import check_region_path

MAX_VOLUNTEERS = 500


@dataclass(frozen=True)
class VolunteerTotal:
    person_id: int
    hours: Decimal
    activities: int


@dataclass(frozen=True)
class HoursSummary:
    hours: Decimal
    activities: int
    volunteers: int
    by_volunteer: list[VolunteerTotal]


def _activities(scope: Scope, held_from: date | None, held_until: date | None, organisation_ids: list[int],
                region_path: str | None) -> Pred:
    parts = [visible(scope, "volunteer_activity")]
    if held_from is not None:
        parts.append(Compare("held_on", "gte", held_from))
    if held_until is not None:
        parts.append(Compare("held_on", "lte", held_until))
    if organisation_ids:
        parts.append(In("organisation_id", tuple(organisation_ids)))
    if region_path:
        parts.append(path_prefix(check_region_path(region_path, field="regionPath")))
    return and_(*parts)


async def summary(scope: Scope, *, held_from: date | None = None, held_until: date | None = None,
                  organisation_ids: list[int] = (), person_ids: list[int] = (), region_path: str | None = None,
                  first: int = 50) -> HoursSummary:
    if held_from and held_until and held_until < held_from:
        raise BadInput("the period ends before it starts", field="heldUntil")
    if not 0 <= first <= MAX_VOLUNTEERS:
        raise BadInput(f"first is 0 to {MAX_VOLUNTEERS}", field="first")
    served = models.VolunteerHours.filter(
        InSubquery("activity_id", models.VolunteerActivity, "id",
                   _activities(scope, held_from, held_until, list(organisation_ids), region_path)).to_q())
    if person_ids:
        served = served.filter(person_id__in=list(person_ids))
    totals = (await served.annotate(hours=Sum("hours"), activities=Count("activity_id", distinct=True),
                                    volunteers=Count("person_id", distinct=True))
              .values("hours", "activities", "volunteers"))[0]
    ranked = await (served.group_by("person_id").annotate(hours=Sum("hours"), activities=Count("activity_id"))
                    .order_by("-hours", "person_id").limit(first).values("person_id", "hours", "activities"))
    return HoursSummary(hours=Decimal(str(totals["hours"] or 0)), activities=totals["activities"] or 0,
                        volunteers=totals["volunteers"] or 0,
                        by_volunteer=[VolunteerTotal(r["person_id"], Decimal(str(r["hours"])), r["activities"])
                                      for r in ranked])
