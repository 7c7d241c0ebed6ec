"""Create, update and soft-delete for every kind, each one transaction.

The scope is checked in SQL inside the transaction: the row must be visible for the
action before the change (update, delete) and the changed row must still be inside the
scope after it (create, update; a move needs both ends). A failed check rolls back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.models.geo import LOCATED_TABLES
from gridhub.models.enums import IdType
from gridhub.policies.predicate import Compare, In
from gridhub.policies.scope import Scope
from gridhub.policies.sensitivity import is_key_tag

from gridhub.resolvers.domain import deadlines
from gridhub.resolvers.domain import place_tree
from gridhub.resolvers.read import spatial
from gridhub.resolvers.write import validation as v
from gridhub.resolvers.write.audit import record_change
from gridhub.resolvers.runtime.civil_time import now
from gridhub.resolvers.errors import BadInput, Conflict, Forbidden, NotFound
from gridhub.resolvers.write.identity_documents import check_identity
from gridhub.resolvers.runtime.event_bus import announce_event_change
from gridhub.resolvers.kinds import kind_of
from gridhub.resolvers.runtime.names import camel
from gridhub.resolvers.read.query import rows
from gridhub.resolvers.write.region_locks import hold_region
from gridhub.resolvers.domain.registered_elsewhere import RegisterLookups, unique_conflict
from gridhub.resolvers.domain.staffing import check_address_code, next_address_code
from gridhub.resolvers.domain.vocabulary import check_tags
from gridhub.resolvers.domain.visit_due import refresh_visit_due


async def _no_check(data: dict, existing: Any) -> None:
    return None


@dataclass(frozen=True)
class Writable:
    """What it takes to write a kind: its references (column -> kind), the fields a new
    row needs, and a `check` that validates and completes the data (it may raise, and may
    read other rows: an event's category)."""

    references: dict[str, str] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    check: Callable[[dict, Any], Awaitable[None]] = _no_check
    immutable: tuple[str, ...] = ()


def _merged(data: dict, existing: Any, name: str) -> Any:
    return data[name] if name in data else getattr(existing, name, None)


async def _check_person(data: dict, existing: Any) -> None:
    if {"id_type", "id_number", "nationality"} & data.keys():
        _check_identity(data, existing)
    if "phone" in data:
        data["phone"] = v.check_phone(data["phone"])
    if "name" in data:
        v.check_text(data["name"], "name", required=True, max_length=64)
    if "ethnicity" in data:
        v.check_ethnicity(data["ethnicity"])
    if "native_place" in data:
        data["native_place"] = v.check_division_code(data["native_place"], "nativePlace")
    for name, limit in (("former_names", 255), ("employer", 128)):
        if name in data:
            v.check_text(data[name], camel(name), max_length=limit)
    if data.get("tags"):
        carried = () if existing is None else \
            await models.PersonTag.filter(person_id=existing.id).values_list("tag", flat=True)
        await check_tags(data["tags"], carried)


def _check_identity(data: dict, existing: Any) -> None:
    """The document by its own rules; what its number carries (birth date, gender,
    nationality) is taken from it, and what a caller gives must agree; a document that
    carries no birth date or gender needs them given."""
    identity = check_identity(_merged(data, existing, "id_type") or IdType.RESIDENT_ID,
                              _merged(data, existing, "id_number"), data.get("nationality"))
    data.update(id_type=identity.id_type, id_number=identity.id_number, nationality=identity.nationality)
    for name, field_name, carried in (("birth_date", "birthDate", identity.birth_date),
                                      ("gender", "gender", identity.gender)):
        if carried is None:
            if _merged(data, existing, name) is None:
                raise BadInput(f"a {identity.id_type.value} does not carry {field_name}: give it", field=field_name)
            continue
        data.setdefault(name, carried)
        if getattr(data[name], "value", data[name]) != getattr(carried, "value", carried):
            raise BadInput(f"{field_name} differs from the document's", field=field_name)


async def _check_located(data: dict, existing: Any) -> None:
    v.check_coordinates(_merged(data, existing, "longitude"), _merged(data, existing, "latitude"))
    for name in ("name", "code", "title"):
        if name in data:
            v.check_text(data[name], name, required=True, max_length=200)


async def _check_place(data: dict, existing: Any) -> None:
    await _check_located(data, existing)
    if "address_code" in data:
        if data["address_code"] is None and existing is not None:
            raise BadInput("addressCode must not be null", field="addressCode")
        data["address_code"] = check_address_code(data["address_code"])


async def _check_organisation(data: dict, existing: Any) -> None:
    if data.get("credit_code"):
        data["credit_code"] = v.check_credit_code(data["credit_code"])
    if "name" in data:
        v.check_text(data["name"], "name", required=True, max_length=128)


async def _check_event(data: dict, existing: Any) -> None:
    await _check_located(data, existing)
    if data.get("satisfaction") is not None and not 1 <= data["satisfaction"] <= 5:
        raise BadInput("satisfaction is from 1 to 5", field="satisfaction")
    if "category" in data:
        v.check_path(data["category"], "category")
        if not await models.EventCategory.exists(path=data["category"], deleted_at=None):
            raise BadInput(f"no event category {data['category']!r}", field="category")
    if existing is None:  # a new event is reported: its category's accept window starts
        data.update(await deadlines.window_columns(data["category"], "accept", now()))
        data["reported_region_id"] = data["region_id"]  # history: kept when re-gridding moves it


async def _check_household(data: dict, existing: Any) -> None:
    if "code" in data:
        v.check_text(data["code"], "code", required=True, max_length=32)


async def _check_region(data: dict, existing: Any) -> None:
    if "code" in data and not (data["code"] or "").isdigit():
        raise BadInput("a region code is digits", field="code")
    if "name" in data:
        v.check_text(data["name"], "name", required=True, max_length=128)


WRITABLE: dict[str, Writable] = {
    "region": Writable({"parent_id": "region"}, ("code", "name", "tier", "parent_id"), _check_region,
                       immutable=("code", "parent_id", "tier")),
    "person": Writable(
        {"region_id": "region", "household_id": "household", "residence_id": "place"},
        ("id_number", "name", "region_id"), _check_person),
    "household": Writable({"region_id": "region", "place_id": "place", "head_id": "person"},
                          ("code", "region_id"), _check_household),
    "place": Writable({"region_id": "region", "landlord_id": "person", "parent_id": "place"},
                      ("code", "name", "kind", "region_id"), _check_place),
    "event": Writable(
        {"region_id": "region", "place_id": "place", "reporter_id": "person",
         "handling_region_id": "region", "handling_department_id": "department"},
        ("title", "kind", "category", "source", "occurred_at", "region_id"), _check_event),
    "thing": Writable(
        {"region_id": "region", "place_id": "place", "owner_id": "organisation",
         "department_id": "department"},
        ("code", "name", "kind", "region_id"), _check_located),
    "organisation": Writable({"region_id": "region", "place_id": "place"},
                             ("name", "kind", "region_id"), _check_organisation),
}

# Values that live in link tables rather than columns of the row itself.
LINKS = {"person": ("tags",), "event": ("person_ids", "thing_ids")}


async def _resolve_references(scope: Scope, kind: str, data: dict) -> None:
    """Every referenced row must exist and be visible; the region fixes `region_path`."""
    for column, target in WRITABLE[kind].references.items():
        value = data.get(column)
        if value is None:
            continue
        if target == "region":
            # Region names and paths are not secret: a region outside the caller's subtree is
            # found here and refused by the scope check as FORBIDDEN, not as a missing row.
            # Held until the write commits: no split, merge or move can retire it under the row.
            found = await hold_region(value, camel(column))
        else:
            found = await rows(scope, target, Compare("id", "eq", value)).first()
        if found is None:
            raise BadInput(f"no {target} with this id", field=camel(column))
        if column == "region_id" and kind != "region":
            data["region_path"] = found.region_path
        if column == "parent_id" and kind == "region":
            data["region_path"] = models.Region.child_path(found.region_path, found.code, data["code"])
            data["depth"] = found.depth + 1


async def _write_links(scope: Scope, kind: str, row: Any, links: dict) -> None:
    if "tags" in links:
        tags = set(links["tags"] or ())
        if not scope.sees_unmasked("person", "key_tags", row):
            # Key-person tags the caller cannot see are neither set nor lost by its edit.
            if any(is_key_tag(t) for t in tags):
                raise Forbidden("setting key-person tags needs the person.key_tags grant", field="tags")
            kept = await models.PersonTag.filter(person_id=row.id).values_list("tag", flat=True)
            tags |= {t for t in kept if is_key_tag(t)}
        # tags kept keep their rows: when a person got a tag is history (a first visit is
        # due from it, resolvers.domain.visits), and an incremental pull sees only what changed
        had = set(await models.PersonTag.filter(person_id=row.id).values_list("tag", flat=True))
        await models.PersonTag.filter(person_id=row.id, tag__in=had - tags).delete()
        await models.PersonTag.bulk_create([
            models.PersonTag(person_id=row.id, tag=t, region_id=row.region_id, region_path=row.region_path)
            for t in sorted(tags - had)
        ])
        # the visit rules follow the tags
        (row.last_visited_at, row.visit_due_at, row.last_care_visit_at,
         row.care_visit_due_at) = (await refresh_visit_due([row.id]))[row.id]
    for key, link_model, column, target in (("person_ids", models.EventPerson, "person_id", "person"),
                                             ("thing_ids", models.EventThing, "thing_id", "thing")):
        if key not in links:
            continue
        ids = sorted(set(links[key] or ()))
        if len(await rows(scope, target, In("id", tuple(ids)))) != len(ids):
            raise BadInput(f"no {target} with one of these ids", field=camel(key))
        await link_model.filter(event_id=row.id).delete()
        await link_model.bulk_create([link_model(event_id=row.id, **{column: i}) for i in ids])


def _split_links(kind: str, data: dict) -> tuple[dict, dict]:
    names = LINKS.get(kind, ())
    return {k: x for k, x in data.items() if k not in names}, {k: x for k, x in data.items() if k in names}


async def _ensure_in_scope(scope: Scope, kind: str, action: str, row_id: int) -> None:
    if not await rows(scope, kind, Compare("id", "eq", row_id), action=action).exists():
        raise Forbidden(f"this {kind} is outside what you may {action}")


def in_utc(data: dict) -> dict:
    """The data with its moments in UTC, as every stored time is: SQLite keeps a moment as the
    text it was given (`…+08:00`), which the compiled path would answer as it stands."""
    return {k: v.astimezone(timezone.utc) if isinstance(v, datetime) and v.tzinfo else v for k, v in data.items()}


async def create_row(scope: Scope, kind: str, data: dict, action: str = "create", *,
                     announce: bool = True, actor: str = "system", lookups: RegisterLookups | None = None) -> Any:
    """`announce=False` when the caller's own transaction goes on and announces at its end;
    `lookups`, the caller's budget of conflicts on registers held elsewhere."""
    spec = WRITABLE[kind]
    if lookups is not None:
        await lookups.check(actor, kind, data)
    if (kind in LOCATED_TABLES and data.get("region_id") is None
            and data.get("longitude") is not None and data.get("latitude") is not None):
        # located and no region named: the region at its point (the scope check below
        # refuses one outside the caller's, as for a region named)
        data = {**data, "region_id": (await spatial.grid_at(data["longitude"], data["latitude"])).id}
    for name in spec.required:
        if data.get(name) is None:
            raise BadInput(f"{camel(name)} is required", field=camel(name))
    data = in_utc(data)
    await spec.check(data, None)
    columns, links = _split_links(kind, data)
    try:
        async with in_transaction():
            await _resolve_references(scope, kind, columns)
            if kind == "place" and not columns.get("address_code"):  # 一标: the region's next serial
                columns["address_code"] = await next_address_code(columns["region_id"])
            row = await kind_of(kind).model.create(**columns)
            if kind == "place":
                await place_tree.attach(row)
            await _write_links(scope, kind, row, links)
            await _ensure_in_scope(scope, kind, action, row.id)
            await record_change(actor, action, kind, row, data)
    except IntegrityError as e:
        raise await unique_conflict(scope, kind, data, str(e), actor, lookups) from None
    return await _announced(kind, row, action) if announce else row


async def write_if_unchanged(kind: str, existing: Any, version: int, columns: dict, stamp: datetime) -> None:
    """The guarded write of an edit: only onto the version the editor read, so of two edits
    made from one version the second finds the first's and is refused (`existing`: the row as
    this transaction read it, for the version the refusal reports)."""
    changed = await kind_of(kind).model.filter(id=existing.id, version=version, deleted_at=None).update(
        **columns, version=F("version") + 1, updated_at=stamp)
    if not changed:
        raise Conflict(f"this {kind} was changed by someone else (you read version {version},"
                       f" it is now {existing.version})", field="version", current_version=existing.version)


async def update_row(scope: Scope, kind: str, row_id: int, version: int, data: dict, *,
                     actor: str = "system", lookups: RegisterLookups | None = None) -> Any:
    spec = WRITABLE[kind]
    if lookups is not None:
        await lookups.check(actor, kind, data)
    for name in spec.immutable:
        if name in data:
            raise BadInput(f"{camel(name)} cannot be changed here", field=camel(name))
    for name in spec.required:
        if name in data and data[name] is None:
            raise BadInput(f"{camel(name)} must not be null", field=camel(name))
    model = kind_of(kind).model
    try:
        async with in_transaction():
            existing = await rows(scope, kind, Compare("id", "eq", row_id)).first()
            if existing is None:
                raise NotFound(f"no {kind} with this id")
            await _ensure_in_scope(scope, kind, "update", row_id)
            data = in_utc(data)
            await spec.check(data, existing)
            columns, links = _split_links(kind, data)
            await _resolve_references(scope, kind, columns)
            stamp = now()
            await write_if_unchanged(kind, existing, version, columns, stamp)
            if kind == "place" and "parent_id" in columns:
                await place_tree.move(row_id, columns["parent_id"])
            row = await model.get(id=row_id)
            if columns.get("region_path", existing.region_path) != existing.region_path:
                # the row alone no longer tells where it was: pulls need it for tombstones
                await models.RegionMove.create(kind=kind, row_id=row_id, from_path=existing.region_path,
                                               to_path=row.region_path, moved_at=stamp)
            if kind == "person" and "region_path" in columns:
                await models.PersonTag.filter(person_id=row_id).update(
                    region_id=row.region_id, region_path=row.region_path)
            await _write_links(scope, kind, row, links)
            await _ensure_in_scope(scope, kind, "update", row_id)
            await record_change(actor, "update", kind, row, data)
    except IntegrityError as e:
        raise await unique_conflict(scope, kind, data, str(e), actor, lookups) from None
    return await _announced(kind, row, "update")


async def delete_row(scope: Scope, kind: str, row_id: int, version: int | None = None, *,
                     actor: str = "system") -> Any:
    model = kind_of(kind).model
    async with in_transaction():
        existing = await rows(scope, kind, Compare("id", "eq", row_id)).first()
        if existing is None:
            raise NotFound(f"no {kind} with this id")
        await _ensure_in_scope(scope, kind, "delete", row_id)
        if kind == "region" and (
            await models.Region.filter(parent_id=row_id, deleted_at=None).exists()
            or await models.Person.filter(region_id=row_id, deleted_at=None).exists()
        ):
            raise Conflict("a region with live children or persons cannot be deleted")
        stamp = now()
        filters = {"id": row_id, "deleted_at": None}
        if version is not None:
            filters["version"] = version
        if not await model.filter(**filters).update(deleted_at=stamp, updated_at=stamp,
                                                    version=F("version") + 1):
            raise Conflict(f"this {kind} was changed by someone else", field="version",
                           current_version=existing.version)
        row = await model.get(id=row_id)
        await record_change(actor, "delete", kind, row, {})
    return await _announced(kind, row, "delete")


async def _announced(kind: str, row: Any, action: str) -> Any:
    """After the commit, live subscribers hear of changed events."""
    if kind == "event":
        await announce_event_change(row, action)
    return row
