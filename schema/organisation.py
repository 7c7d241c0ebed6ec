from datetime import date
from typing import Optional

import strawberry
from strawberry.relay import NodeID


from .columns import column
from .enums import OrganisationKind
from .filters import RowFilter, with_column_filters
from .node import ModelNode, Versioned
from .relations import with_relations


@strawberry.input(description="Conditions on organisations; they combine with AND.")
@with_column_filters("organisation")
class OrganisationFilter(RowFilter):
    pass  # its columns: resolvers.kinds


@strawberry.type(description="组织: a party organisation, enterprise, social organisation, ….")
@with_relations("organisation")
class Organisation(ModelNode, Versioned):
    row_kind = "organisation"
    id: NodeID[int]
    credit_code: Optional[str] = column("organisation", "credit_code")
    name: str = column("organisation", "name")
    kind: OrganisationKind = column("organisation", "kind")
    legal_representative: str = column("organisation", "legal_representative")



@strawberry.type(description="A person's role in an organisation.")
@with_relations("membership")
class Membership:
    role: str = column("membership", "role")
    started_on: Optional[date] = column("membership", "started_on")
    ended_on: Optional[date] = column("membership", "ended_on")
