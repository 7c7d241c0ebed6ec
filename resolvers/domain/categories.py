"""The event category tree: seeding it, reading it, and admins' edits.

The tree is one for the whole hub, so editing it takes the Casbin permission `category` +
`update` at the root of the region tree (the county); reading it, permission to read
events somewhere (or to edit the tree). Each edit is one transaction with its audit entry. A
category is soft-deleted, never removed: events reported under it keep their category and
their deadlines, and no new event may take it. Its path cannot change, for the same reason;
creating a deleted path again restores it."""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.policies.predicate import FALSE
from gridhub.policies.scope import Scope
from gridhub.policies.store import PolicyStore

from gridhub.resolvers.write import validation as v
from gridhub.resolvers.domain.categories_seed import SEED
from gridhub.resolvers.errors import BadInput, Conflict, Forbidden, NotFound
from gridhub.resolvers.write.audit import record_change
from gridhub.resolvers.write.mutations import now
from gridhub.resolvers.runtime.names import camel

HOURS = ("accept_hours", "handle_hours", "verify_hours")
MAX_HOURS = 24 * 366  # a year
EDITABLE = ("name", *HOURS, "department_code", "sort_order")


async def seed_event_categories() -> bool:
    """Write the seeded tree into an empty category table (first start)."""
    if await models.EventCategory.exists():
        return False
    await models.EventCategory.bulk_create([
        models.EventCategory(path=c.path, name=c.name, parent_path=c.parent_path, accept_hours=c.accept_hours,
                             handle_hours=c.handle_hours, verify_hours=c.verify_hours,
                             department_code=c.department, sort_order=i)
        for i, c in enumerate(SEED)
    ], ignore_conflicts=True)  # several processes may start on a new database at once
    return True


async def _roots() -> list[str]:
    return sorted(await models.Region.filter(parent_id=None, deleted_at=None).values_list("region_path", flat=True))


async def may_edit(store: PolicyStore, actor: str) -> bool:
    roots = await _roots()
    return bool(roots) and all(store.allows(actor, root, "category", "update") for root in roots)


async def list_categories(store: PolicyStore, scope: Scope, actor: str,
                          include_deleted: bool = False) -> list[models.EventCategory]:
    if scope.where("event", "read") == FALSE and not await may_edit(store, actor):
        raise Forbidden("reading event categories needs permission to read events")
    found = models.EventCategory.all() if include_deleted else models.EventCategory.filter(deleted_at=None)
    return await found.order_by("sort_order", "path")


async def _require_edit(store: PolicyStore, actor: str) -> str:
    """The root the edit is audited at, if the actor may edit the tree."""
    if not await may_edit(store, actor):
        raise Forbidden("editing event categories needs the category update grant at the county")
    return (await _roots())[0]


async def _check(data: dict) -> None:
    if "name" in data:
        v.check_text(data["name"], "name", required=True, max_length=64)
    for name in HOURS:
        if name in data and not (isinstance(data[name], int) and 1 <= data[name] <= MAX_HOURS):
            raise BadInput(f"hours are from 1 to {MAX_HOURS}", field=camel(name))
    code = data.get("department_code")
    if code is not None and not await models.Department.exists(code=code, deleted_at=None):
        raise BadInput(f"no department {code!r}", field="departmentCode")


async def _audit(actor: str, action: str, root: str, category: models.EventCategory, detail: dict) -> None:
    await record_change(actor, action, "category", object_id=category.path, region_path=root,
                        detail={k: v for k, v in detail.items() if k in EDITABLE})


async def create_category(store: PolicyStore, actor: str, data: dict) -> models.EventCategory:
    """A new class or item (its class must exist); a deleted path comes back with `data`."""
    root = await _require_edit(store, actor)
    path = data.get("path") or ""
    v.check_path(path, "path")
    if len(path) > 64:
        raise BadInput("a category path is at most 64 characters", field="path")
    for name in ("name", *HOURS):
        if data.get(name) is None:
            raise BadInput(f"{camel(name)} is required", field=camel(name))
    await _check(data)
    parent = path.rpartition("/")[0] or None
    values = {k: data[k] for k in EDITABLE if data.get(k) is not None}
    try:
        async with in_transaction():
            if parent and not await models.EventCategory.exists(path=parent, deleted_at=None):
                raise BadInput(f"no category {parent!r} to put it under", field="path")
            existing = await models.EventCategory.get_or_none(path=path)
            if existing is not None and existing.deleted_at is None:
                raise Conflict("there is a category with this path", field="path")
            values.setdefault("sort_order", await _next_sort_order())
            if existing is None:
                category = await models.EventCategory.create(path=path, parent_path=parent, **values)
            else:
                await models.EventCategory.filter(id=existing.id).update(
                    **{"department_code": None, **values}, deleted_at=None, updated_at=now(),
                    version=F("version") + 1)
                category = await models.EventCategory.get(id=existing.id)
            await _audit(actor, "create_category", root, category, values)
    except IntegrityError:
        raise Conflict("there is a category with this path", field="path") from None
    return category


async def _next_sort_order() -> int:
    last = await models.EventCategory.all().order_by("-sort_order").first()
    return last.sort_order + 1 if last else 0


async def update_category(store: PolicyStore, actor: str, path: str, version: int,
                          data: dict) -> models.EventCategory:
    """Change what `data` names (its path stays: events are filed under it)."""
    root = await _require_edit(store, actor)
    for name in ("name", *HOURS, "sort_order"):
        if name in data and data[name] is None:
            raise BadInput(f"{camel(name)} must not be null", field=camel(name))
    await _check(data)
    values = {k: data[k] for k in EDITABLE if k in data}
    async with in_transaction():
        existing = await models.EventCategory.get_or_none(path=path, deleted_at=None)
        if existing is None:
            raise NotFound(f"no event category {path!r}")
        if not await models.EventCategory.filter(id=existing.id, version=version, deleted_at=None).update(
                **values, updated_at=now(), version=F("version") + 1):
            raise Conflict(f"this category was changed by someone else (you read version {version}, "
                           f"it is now {existing.version})", field="version", current_version=existing.version)
        category = await models.EventCategory.get(id=existing.id)
        await _audit(actor, "update_category", root, category, values)
    return category


async def delete_category(store: PolicyStore, actor: str, path: str,
                          version: int | None = None) -> models.EventCategory:
    """Soft-delete a category without live items; its events keep it."""
    root = await _require_edit(store, actor)
    async with in_transaction():
        existing = await models.EventCategory.get_or_none(path=path, deleted_at=None)
        if existing is None:
            raise NotFound(f"no event category {path!r}")
        if await models.EventCategory.exists(parent_path=path, deleted_at=None):
            raise Conflict("delete the items of this class first", field="path")
        filters: dict[str, Any] = {"id": existing.id, "deleted_at": None}
        if version is not None:
            filters["version"] = version
        stamp = now()
        if not await models.EventCategory.filter(**filters).update(deleted_at=stamp, updated_at=stamp,
                                                                   version=F("version") + 1):
            raise Conflict("this category was changed by someone else", field="version",
                           current_version=existing.version)
        category = await models.EventCategory.get(id=existing.id)
        await _audit(actor, "delete_category", root, category, {})
    return category
