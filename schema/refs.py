"""Lazy references between the kinds' modules, which all point at each other."""

from typing import Annotated

import strawberry

RegionRef = Annotated["Region", strawberry.lazy("schema.region")]
DepartmentRef = Annotated["Department", strawberry.lazy("schema.region")]
PersonRef = Annotated["Person", strawberry.lazy("schema.person")]
HouseholdRef = Annotated["Household", strawberry.lazy("schema.person")]
PlaceRef = Annotated["Place", strawberry.lazy("schema.place")]
EventRef = Annotated["Event", strawberry.lazy("schema.event")]
ThingRef = Annotated["Thing", strawberry.lazy("schema.thing")]
OrganisationRef = Annotated["Organisation", strawberry.lazy("schema.organisation")]
MembershipRef = Annotated["Membership", strawberry.lazy("schema.organisation")]
