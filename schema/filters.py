"""Filter inputs shared by every connection; each kind adds its own columns, from the catalog
(`with_column_filters`), and its own conditions, written in its filter input."""

from datetime import datetime
from typing import Optional

import strawberry
from strawberry.relay import GlobalID

from gridhub.resolvers.kinds import kind_of

from . import enums  # noqa: F401  (the models' enums a column filter takes are exposed there)


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


def with_column_filters(kind: str):
    """Class decorator, under `@strawberry.input`: adds the kind's column filters declared in
    the catalog (resolvers.kinds, `Kind.filters`), each a list of values, before the
    conditions the class writes itself."""

    def decorate(cls: type) -> type:
        own = dict(vars(cls).get("__annotations__", {}))
        made = {}
        for column_filter in kind_of(kind).filters:
            if column_filter.values is None:  # asked by the hub itself, or an input of its own
                continue
            if column_filter.key in own:
                raise TypeError(f"{cls.__name__}.{column_filter.key} is both written by hand and in resolvers.kinds")
            made[column_filter.key] = Optional[list[column_filter.values]]
            setattr(cls, column_filter.key, strawberry.field(default=None, description=column_filter.description))
        cls.__annotations__ = {**made, **own}
        return cls

    return decorate
