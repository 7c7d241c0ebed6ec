"""The domain's enums, exposed to GraphQL from the very classes the models use."""

import strawberry

from models import enums

Tier = strawberry.enum(enums.Tier)
Gender = strawberry.enum(enums.Gender)
PopulationType = strawberry.enum(enums.PopulationType)
HouseholdRelation = strawberry.enum(enums.HouseholdRelation)
PlaceKind = strawberry.enum(enums.PlaceKind)
EventKind = strawberry.enum(enums.EventKind)
EventSource = strawberry.enum(enums.EventSource)
EventStatus = strawberry.enum(enums.EventStatus)
Urgency = strawberry.enum(enums.Urgency)
ThingKind = strawberry.enum(enums.ThingKind)
ThingStatus = strawberry.enum(enums.ThingStatus)
OrganisationKind = strawberry.enum(enums.OrganisationKind)
