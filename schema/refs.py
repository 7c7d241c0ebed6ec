"""Lazy references between the kinds' modules, which all point at each other."""

from typing import Annotated

import strawberry

RegionRef = Annotated["Region", strawberry.lazy("gridhub.schema.region")]
DepartmentRef = Annotated["Department", strawberry.lazy("gridhub.schema.region")]
PersonRef = Annotated["Person", strawberry.lazy("gridhub.schema.person")]
HouseholdRef = Annotated["Household", strawberry.lazy("gridhub.schema.person")]
PlaceRef = Annotated["Place", strawberry.lazy("gridhub.schema.place")]
EventRef = Annotated["Event", strawberry.lazy("gridhub.schema.event")]
ThingRef = Annotated["Thing", strawberry.lazy("gridhub.schema.thing")]
OrganisationRef = Annotated["Organisation", strawberry.lazy("gridhub.schema.organisation")]
ResidenceRef = Annotated["Residence", strawberry.lazy("gridhub.schema.person")]
MembershipRef = Annotated["Membership", strawberry.lazy("gridhub.schema.organisation")]
EventLogEntryRef = Annotated["EventLogEntry", strawberry.lazy("gridhub.schema.event")]
JointHouseholdUnitRef = Annotated["JointHouseholdUnit", strawberry.lazy("gridhub.schema.programmes")]
ServicePostRef = Annotated["ServicePost", strawberry.lazy("gridhub.schema.programmes")]
VolunteerActivityRef = Annotated["VolunteerActivity", strawberry.lazy("gridhub.schema.programmes")]

# the type a relation to a kind answers with (resolvers.relations)
REFS = {"region": RegionRef, "department": DepartmentRef, "person": PersonRef, "household": HouseholdRef,
        "place": PlaceRef, "event": EventRef, "thing": ThingRef, "organisation": OrganisationRef,
        "residence": ResidenceRef, "membership": MembershipRef, "event_log": EventLogEntryRef,
        "joint_unit": JointHouseholdUnitRef, "service_post": ServicePostRef,
        "volunteer_activity": VolunteerActivityRef}
