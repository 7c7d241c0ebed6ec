"""The event category tree (resolvers.domain.categories): `eventCategories` and admins' edits."""

from datetime import datetime
from typing import Optional

import strawberry
from strawberry.types import Info

from gridhub import models
from gridhub.resolvers.domain import categories

from .args import OptionalVersion, Version, arg

CATEGORY = {
    "path": "The category's path: a class (`safety`) or a class and an item (`safety/fire`); lower-case "
            "letters, digits and `_`, at most 64 characters.",
    "name": "Name shown to people, such as 消防安全隐患.",
    "accept_hours": "Hours an event of this category may wait to be accepted (受理), from its report.",
    "handle_hours": "Hours it may take to handle (处置), from dispatch to resolution, unless the dispatcher sets "
                    "a deadline.",
    "verify_hours": "Hours the reporting grid has to verify (核查) a resolution, then close.",
    "department_code": "The code of the department its events usually go to; null if none.",
    "sort_order": "Position among its siblings, smallest first.",
}


@strawberry.type(description=(
    "A class (`safety`) or an item (`safety/fire`) of the event category tree, with the hours each "
    "step may take for its events: accepting (受理, report to dispatch), handling (处置, dispatch "
    "to resolution) and verifying (核查, resolution to closing)."))
class EventCategory:
    path: str = strawberry.field(description=CATEGORY["path"])
    name: str = strawberry.field(description=CATEGORY["name"])
    parent_path: Optional[str] = strawberry.field(description="Null for a class.")
    accept_hours: int = strawberry.field(description=CATEGORY["accept_hours"])
    handle_hours: int = strawberry.field(description=CATEGORY["handle_hours"])
    verify_hours: int = strawberry.field(description=CATEGORY["verify_hours"])
    department_code: Optional[str] = strawberry.field(description=CATEGORY["department_code"])
    sort_order: int = strawberry.field(description=CATEGORY["sort_order"])
    version: int = strawberry.field(description="Bumped by every change; an update names the version it read.")
    updated_at: datetime = strawberry.field(description="When the category last changed.")
    deleted_at: Optional[datetime] = strawberry.field(description="When it was deleted; null while in use.")
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
    path: str = strawberry.field(description=CATEGORY["path"])
    name: str = strawberry.field(description=CATEGORY["name"])
    accept_hours: int = strawberry.field(description=CATEGORY["accept_hours"])
    handle_hours: int = strawberry.field(description=CATEGORY["handle_hours"])
    verify_hours: int = strawberry.field(description=CATEGORY["verify_hours"])
    department_code: Optional[str] = strawberry.field(default=None, description=CATEGORY["department_code"])
    sort_order: Optional[int] = strawberry.field(default=None, description="By default, after all others.")


@strawberry.input(description="What to change; an absent field stays. The path cannot change.")
class EventCategoryUpdateInput:
    name: Optional[str] = strawberry.field(default=strawberry.UNSET, description=CATEGORY["name"])
    accept_hours: Optional[int] = strawberry.field(default=strawberry.UNSET, description=CATEGORY["accept_hours"])
    handle_hours: Optional[int] = strawberry.field(default=strawberry.UNSET, description=CATEGORY["handle_hours"])
    verify_hours: Optional[int] = strawberry.field(default=strawberry.UNSET, description=CATEGORY["verify_hours"])
    department_code: Optional[str] = strawberry.field(default=strawberry.UNSET,
                                                      description=CATEGORY["department_code"])
    sort_order: Optional[int] = strawberry.field(default=strawberry.UNSET, description=CATEGORY["sort_order"])


def _given(value) -> dict:
    return {k: v for k, v in vars(value).items() if v is not strawberry.UNSET}


@strawberry.type
class CategoryQuery:
    @strawberry.field(description=(
        "The event category tree: its classes in order, each with its items as `children`. For "
        "whoever may read events; `includeDeleted` also lists deleted categories (a deleted "
        "class with its items)."))
    async def event_categories(self, info: Info, include_deleted: arg(bool, "Also the deleted categories.") = False
                               ) -> list[EventCategory]:
        rows = await categories.list_categories(info.context.store, info.context.scope, info.context.username,
                                                include_deleted)
        return [node for node in tree(rows).values() if node.parent_path is None]


@strawberry.type
class CategoryMutation:
    @strawberry.mutation(description=(
        "Add a category (needs `category` + `update` at the county); a deleted path is restored."))
    async def create_event_category(self, info: Info, input: arg(EventCategoryInput, "The new category.")
                                    ) -> EventCategory:
        return await _node(await categories.create_category(info.context.store, info.context.username,
                                                            _given(input)))

    @strawberry.mutation(description=(
        "Change a category; `version` is the one you read (CONFLICT if it has changed since). Events "
        "already due keep their due time."))
    async def update_event_category(self, info: Info, path: arg(str, "The category's path."), version: Version,
                                    input: arg(EventCategoryUpdateInput, "The fields to change.")) -> EventCategory:
        return await _node(await categories.update_category(info.context.store, info.context.username, path,
                                                            version, _given(input)))

    @strawberry.mutation(description=(
        "Soft-delete a category without live items: no new event may take it, the events filed "
        "under it keep it."))
    async def delete_event_category(self, info: Info, path: arg(str, "The category's path."),
                                    version: OptionalVersion = None) -> EventCategory:
        return await _node(await categories.delete_category(info.context.store, info.context.username, path,
                                                            version))
