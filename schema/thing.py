from datetime import datetime
from typing import Optional

import strawberry
from strawberry.relay import NodeID


from .columns import column
from .enums import ThingKind, ThingStatus
from .filters import RowFilter, with_column_filters
from .spatial import LocatedFilter
from .node import ModelNode, Versioned
from .relations import with_relations


@strawberry.input(description="Conditions on things; they combine with AND.")
@with_column_filters("thing")
class ThingFilter(RowFilter, LocatedFilter):
    pass  # its columns: resolvers.kinds


@strawberry.type(description="物: a public facility or city component (部件).")
@with_relations("thing")
class Thing(ModelNode, Versioned):
    row_kind = "thing"
    id: NodeID[int]
    code: str = column("thing", "code")
    name: str = column("thing", "name")
    kind: ThingKind = column("thing", "kind")
    status: ThingStatus = column("thing", "status")
    longitude: Optional[float] = column("thing", "longitude")
    latitude: Optional[float] = column("thing", "latitude")
    last_inspected_at: Optional[datetime] = column("thing", "last_inspected_at")

