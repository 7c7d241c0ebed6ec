"""The event category tree (resolvers.categories): `eventCategories` and admins' edits."""

from datetime import datetime
from typing import Optional

import strawberry
from strawberry.types import Info

from gridhub import models
from gridhub.resolvers import categories


@strawberry.type(description=(
    "A class (`safety`) or an item (`safety/fire`) of the event category tree, with the hours each "
    "step may take for its events: accepting (受理, report to dispatch), handling (处置, dispatch "
    "to resolution) and verifying (核查, resolution to closing)."))
class EventCategory:
    path: str
    name: str
    parent_path: Optional[str] = strawberry.field(description="Null for a class.")
    accept_hours: int
    handle_hours: int
    verify_hours: int
    department_code: Optional[str] = strawberry.field(description="The department it usually goes to.")
    sort_order: int
    version: int
    updated_at: datetime
    deleted_at: Optional[datetime]
    children: list["EventCategory"] = strawberry.field(description="Its items, in order.")


def tree(rows: list[models.EventCategory]) -> dict[str, EventCategory]:
    """Every row as a node with its children (rows come in sort order)."""
    nodes = {r.path: EventCategory(
        path=r.path, name=r.name, parent_path=r.parent_path, accept_hours=r.accept_hours,
        handle_hours=r.handle_hours, verify_hours=r.verify_hours, department_code=r.department_code,
        sort_order=r.sort_order, version=r.version, updated_at=r.updated_at, deleted_at=r.deleted_at,
        children=[]) for r in rows}
    for node in nodes.values():
        if node.parent_path in nodes:
            nodes[node.parent_path].children.append(node)
    return nodes


async def _node(category: models.EventCategory) -> EventCategory:
    return tree([category, *await models.EventCategory.filter(parent_path=category.path, deleted_at=None)
                 .order_by("sort_order", "path")])[category.path]


@strawberry.input(description="A new category; its class (the path up to the last `/`) must exist.")
class EventCategoryInput:
    path: str
    name: str
    accept_hours: int
    handle_hours: int
    verify_hours: int
    department_code: Optional[str] = None
    sort_order: Optional[int] = strawberry.field(default=None, description="By default, after all others.")


@strawberry.input(description="What to change; an absent field stays. The path cannot change.")
class EventCategoryUpdateInput:
    name: Optional[str] = strawberry.UNSET
    accept_hours: Optional[int] = strawberry.UNSET
    handle_hours: Optional[int] = strawberry.UNSET
    verify_hours: Optional[int] = strawberry.UNSET
    department_code: Optional[str] = strawberry.UNSET
    sort_order: Optional[int] = strawberry.UNSET


def _given(value) -> dict:
    return {k: v for k, v in vars(value).items() if v is not strawberry.UNSET}


@strawberry.type
class CategoryQuery:
    @strawberry.field(description=(
        "The event category tree: its classes in order, each with its items as `children`. For "
        "whoever may read events; `includeDeleted` also lists deleted categories (a deleted "
        "class with its items)."))
    async def event_categories(self, info: Info, include_deleted: bool = False) -> list[EventCategory]:
        rows = await categories.list_categories(info.context.store, info.context.scope, info.context.username,
                                                include_deleted)
        return [node for node in tree(rows).values() if node.parent_path is None]


@strawberry.type
class CategoryMutation:
    @strawberry.mutation(description=(
        "Add a category (needs `category` + `update` at the county); a deleted path is restored."))
    async def create_event_category(self, info: Info, input: EventCategoryInput) -> EventCategory:
        return await _node(await categories.create_category(info.context.store, info.context.username,
                                                            _given(input)))

    @strawberry.mutation(description=(
        "Change a category; `version` is the one you read (CONFLICT if it has changed since). Events "
        "already due keep their due time."))
    async def update_event_category(self, info: Info, path: str, version: int,
                                    input: EventCategoryUpdateInput) -> EventCategory:
        return await _node(await categories.update_category(info.context.store, info.context.username, path,
                                                            version, _given(input)))

    @strawberry.mutation(description=(
        "Soft-delete a category without live items: no new event may take it, the events filed "
        "under it keep it."))
    async def delete_event_category(self, info: Info, path: str, version: Optional[int] = None) -> EventCategory:
        return await _node(await categories.delete_category(info.context.store, info.context.username, path,
                                                            version))
