"""Filter inputs shared by every connection; each kind adds its own columns."""

from datetime import datetime
from typing import Optional

import strawberry
from strawberry.relay import GlobalID


@strawberry.input(description="Conditions every row must meet; they combine with AND.")
class RowFilter:
    region: Optional[GlobalID] = strawberry.field(
        default=None, description="Only rows in this region's subtree.")
    region_path: Optional[str] = strawberry.field(
        default=None, description="Only rows under this path (ends in `/`).")
    updated_since: Optional[datetime] = strawberry.field(
        default=None, description="Only rows changed at or after this time (incremental sync).")
    updated_until: Optional[datetime] = strawberry.field(
        default=None, description="Only rows changed at or before this time: with `updatedSince`, a "
                                  "window that rows changed during a sync do not move into.")
    text: Optional[str] = strawberry.field(
        default=None, description="Case-insensitive substring of the kind's text columns.")
