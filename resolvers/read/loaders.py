"""Per-request batch loaders: however many parents a page holds, each relation level
costs one SQL statement (two for many-to-many links).

Loaders are made lazily, one per (kind, column), and every one of them goes through
`query.rows`, so relations honour the scope exactly as root lists do."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Any, Iterable

from gridhub.policies.predicate import In, Pred
from gridhub.policies.scope import Scope

from gridhub.resolvers.read.batch import BatchLoader
from gridhub.resolvers.kinds import kind_of
from gridhub.resolvers.read.pagination import Order, Page, fetch_relation_pages, fetch_subtree_pages
from gridhub.resolvers.read.query import rows
from gridhub.resolvers.relations import Via


class Loaders:
    def __init__(self, scope: Scope):
        self.scope = scope
        self._loaders: dict[tuple, BatchLoader] = {}
        # One moment per response (a subscription gets new loaders per delivery), so that the
        # lights, light filters and overdue counts of one answer all agree.
        self.answered_at = datetime.now(timezone.utc)

    def _get(self, key: tuple, make) -> BatchLoader:
        loader = self._loaders.get(key)
        if loader is None:
            loader = self._loaders[key] = BatchLoader(make())
        return loader

    def row(self, kind: str) -> BatchLoader:
        """id -> the row, or None when it does not exist or is outside the scope."""

        def make():
            async def load(ids: list[int]) -> list[Any]:
                found = {r.id: r for r in await rows(self.scope, kind, In("id", tuple(set(ids))))}
                return [found.get(i) for i in ids]

            return load

        return self._get(("row", kind), make)

    def rows_by(self, kind: str, column: str) -> BatchLoader:
        """value -> the rows of `kind` whose `column` holds it, in the kind's default order."""

        def make():
            ordering = [("-" if d else "") + c for c, d in kind_of(kind).default_order]

            async def load(values: list[Any]) -> list[list[Any]]:
                grouped: dict[Any, list] = defaultdict(list)
                found = await rows(self.scope, kind, In(column, tuple(set(values)))).order_by(*ordering)
                for r in found:
                    grouped[getattr(r, column)].append(r)
                return [grouped.get(v, []) for v in values]

            return load

        return self._get(("by", kind, column), make)

    def linked(self, link_kind: str, from_column: str, to_column: str, target_kind: str) -> BatchLoader:
        """value -> the target rows reached through a link table (event -> persons)."""

        def make():
            async def load(values: list[Any]) -> list[list[Any]]:
                links = await rows(self.scope, link_kind, In(from_column, tuple(set(values)))).order_by("id")
                targets = await self.row(target_kind).load_many([getattr(l, to_column) for l in links])
                grouped: dict[Any, list] = defaultdict(list)
                for link, target in zip(links, targets):
                    if target is not None:
                        grouped[getattr(link, from_column)].append(target)
                return [grouped.get(v, []) for v in values]

            return load

        return self._get(("link", link_kind, from_column, target_kind), make)

    def subtree_pages(self, kind: str, where: Pred, order: Order | None, first: int,
                      after: str | None) -> BatchLoader:
        """region path -> the page of `kind` under it; one batch for all regions of a list."""

        def make():
            async def load(paths: list[str]) -> list[Page]:
                pages = await fetch_subtree_pages(self.scope, kind, list(dict.fromkeys(paths)), where,
                                                  order, first, after)
                return [pages[p] for p in paths]

            return load

        return self._get(("subtree", kind, where.key(), order, first, after), make)

    def relation_pages(self, via: Via, first: int, after: str | None) -> BatchLoader:
        """parent id -> the page of the relation `via` under it; one batch for all parents."""

        def make():
            async def load(parent_ids: list[int]) -> list[Page]:
                pages = await fetch_relation_pages(self.scope, via, list(dict.fromkeys(parent_ids)), first, after)
                return [pages[i] for i in parent_ids]

            return load

        return self._get(("relation", via, first, after), make)

    async def one(self, kind: str, id: int | None) -> Any:
        return None if id is None else await self.row(kind).load(id)

    async def many(self, kind: str, ids: Iterable[int]) -> list[Any]:
        return [r for r in await self.row(kind).load_many(list(ids)) if r is not None]
