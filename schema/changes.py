"""`changes(kinds, since, first, after)`: the changes of a small pull as a connection, for
systems that pull over GraphQL rather than `/export` (resolvers/bulk/sync.py has the rules)."""

from datetime import datetime
from enum import Enum
from typing import Annotated, Optional, Union

import strawberry
from strawberry.types import Info

from gridhub.resolvers.bulk import sync
from gridhub.resolvers.write.audit import record_change
from gridhub.resolvers.errors import BadInput
from .export import audit_root
from gridhub.resolvers.read.filters import as_utc

from .connection import PageInfo, page_size
from .event import Event
from .organisation import Organisation
from .person import Household, Person
from .place import Place
from .region import Region
from .thing import Thing


@strawberry.enum(description="A kind of row that can be pulled.")
class PullKind(Enum):
    REGION = strawberry.enum_value("region", description="Regions.")
    PERSON = strawberry.enum_value("person", description="Persons (人).")
    HOUSEHOLD = strawberry.enum_value("household", description="Households (户).")
    PLACE = strawberry.enum_value("place", description="Places (地).")
    EVENT = strawberry.enum_value("event", description="Events (事).")
    THING = strawberry.enum_value("thing", description="Things (物).")
    ORGANISATION = strawberry.enum_value("organisation", description="Organisations (组织).")


@strawberry.type(description="A row you may no longer pull that you may have pulled before: deleted, moved "
                             "out of your regions, or out of what your policy lets you export (a tag removed, "
                             "…). Delete it from your copy. It may name a row you never received.")
class Tombstone:
    kind: PullKind = strawberry.field(description="The row's kind.")
    id: strawberry.ID = strawberry.field(description="The row's global id, as its node had.")
    at: datetime = strawberry.field(description="When the row changed.")


Change = Annotated[Union[Region, Person, Household, Place, Event, Thing, Organisation, Tombstone],
                   strawberry.union("Change", description="A row changed (as it is now) or a tombstone.")]


@strawberry.type(description="One change of a pull, with the cursor just after it.")
class ChangeEdge:
    node: Change = strawberry.field(description="The row as it is now, or its tombstone.")
    cursor: str = strawberry.field(description="Pass it as `after` to continue after this change.")


@strawberry.type(description="A page of a pull's changes.")
class ChangeConnection:
    edges: list[ChangeEdge] = strawberry.field(description="The page's changes with their cursors, in order.")
    page_info: PageInfo = strawberry.field(description="Whether more pages follow, and the cursors to reach them.")
    next_since: datetime = strawberry.field(description=(
        "The upper end of this pull's window: once `hasNextPage` is false, the `since` of your next pull."))

    @strawberry.field(description="The page's changes without cursors.")
    def nodes(self) -> list[Change]:
        return [e.node for e in self.edges]


def _node(change: sync.Change):
    item = change.item
    if isinstance(item, sync.Tombstone):
        return Tombstone(kind=PullKind(item.kind), id=strawberry.ID(item.id), at=item.at)
    return item


@strawberry.type
class ChangesQuery:
    @strawberry.field(description=(
        "What changed since `since` among the rows of `kinds` you may both read and export: each "
        "changed row as it is now, then a Tombstone for each row you may no longer pull, kind after "
        "kind, in order of change. The window ends a moment before the first page (`nextSince`); "
        "follow `after` to its end, then pull again from `nextSince`. For large pulls use `/export`."))
    async def changes(
            self, info: Info,
            kinds: Annotated[list[PullKind], strawberry.argument(description="The kinds to pull.")],
            since: Annotated[datetime, strawberry.argument(
                description="Changes since this time: the previous pull's `nextSince`, or a time before "
                            "any row for a first full pull.")],
            first: Annotated[Optional[int], strawberry.argument(
                description="Page size: the default page size if omitted, at most the maximum.")] = None,
            after: Annotated[Optional[str], strawberry.argument(
                description="Continue after this cursor (a previous page's `endCursor`), with the same "
                            "`kinds` and `since`.")] = None) -> ChangeConnection:
        context = info.context
        size = page_size(context.settings, first)
        names = tuple(dict.fromkeys(k.value for k in kinds))
        if not names:
            raise BadInput("name at least one kind", field="kinds")
        scope = sync.pull_scope(context.scope, names)
        pull = sync.fingerprint(["changes", names])
        if after:
            cursor = sync.PullCursor.parse(after)
            cursor.check(names, scope, pull)
            if as_utc(since) != cursor.since:
                raise BadInput("since differs from the cursor's pull", field="since")
        else:
            settle = context.settings.export_settle_seconds
            cursor = sync.PullCursor.start(names, since, sync.pull_until(settle), scope, pull)
        changes, has_next = await sync.change_page(scope, cursor, size)
        await _audit(context, names, since, changes)
        edges = [ChangeEdge(node=_node(c), cursor=c.cursor) for c in changes]
        return ChangeConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=has_next, has_previous_page=after is not None,
                               start_cursor=edges[0].cursor if edges else None,
                               end_cursor=edges[-1].cursor if edges else None),
            next_since=cursor.until)


async def _audit(context, kinds: tuple[str, ...], since: datetime, changes: list) -> None:
    """A page of changes is an export too: one entry per kind it held rows of."""
    region_path = audit_root([d for _, d in context.store.grants_of(context.username)]) if context.store else ""
    for kind in kinds:
        rows = sum(1 for c in changes if c.kind == kind and not isinstance(c.item, sync.Tombstone))
        gone = sum(1 for c in changes if c.kind == kind and isinstance(c.item, sync.Tombstone))
        if rows or gone:
            await record_change(context.username, "export", kind, region_path=region_path,
                                detail={"via": "changes", "since": since.isoformat(), "rows": rows, "tombstones": gone})
