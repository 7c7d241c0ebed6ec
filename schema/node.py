"""The Relay `Node` interface over our models: GraphQL types resolve straight from
Tortoise rows (no copying), and `node(id)` goes through the same scoped loaders."""

from datetime import datetime
from typing import Any, ClassVar, Iterable, Optional

import strawberry
from strawberry import relay
from strawberry.types import Info

from gridhub.resolvers.kinds import kind_of

from .columns import column


class ModelNode(relay.Node):
    """Base of every node type; `row_kind` names the entry of `resolvers.kinds.KINDS`."""

    row_kind: ClassVar[str]

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, (cls, kind_of(cls.row_kind).model))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        ids = []
        for i in node_ids:
            try:
                ids.append(int(i))
            except ValueError:
                ids.append(-1)
        return await info.context.loaders.row(cls.row_kind).load_many(ids)


@strawberry.interface(description="What every stored row shows: when it changed, and the version an "
                                  "update must name.")
class Versioned:
    created_at: datetime = column("row", "created_at")
    updated_at: datetime = column("row", "updated_at")
    deleted_at: Optional[datetime] = column("row", "deleted_at")
    version: int = column("row", "version")


async def load(info: Info, kind: str, id: Optional[int]):
    return await info.context.loaders.one(kind, id)


async def load_by(info: Info, kind: str, column: str, value: Any) -> list:
    return await info.context.loaders.rows_by(kind, column).load(value)

