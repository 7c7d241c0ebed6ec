"""The domain's enums, exposed to GraphQL from the very classes the models use."""

import strawberry

from gridhub.models import enums

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
StaffRole = strawberry.enum(enums.StaffRole, description="1+1+N: leader, worker and the others of a grid's staff.")
ResponsibleRole = strawberry.enum(enums.ResponsibleRole, description="1+3+N around a key person.")
