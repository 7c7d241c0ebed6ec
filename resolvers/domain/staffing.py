"""Grid staffing (1+1+N) as data, and standard address codes (一标) of places.

Staff: `StaffAssignment` rows (a grid, a role, who, from `started_on` to `ended_on`), read
through the `staff` kind of the scope and written with its `update` action. A member is
current on a day when it started on or before it and has not ended before it. A region
missing a role the county requires at its tier (settings.staffing_required; by default a
grid's LEADER and WORKER) is a staffing gap.

Address codes: the region's code and a six-digit serial (`340223100001001000042`), unique;
a place created without one gets the next serial of its region, drawn under a lock on it.
"""

from __future__ import annotations

import re
from datetime import date

from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.models.enums import StaffRole
from gridhub.policies.predicate import FALSE, Compare, In, IsNull, Pred, StartsWith, and_, or_
from gridhub.policies.scope import Scope

from gridhub.resolvers.runtime.civil_time import today
from gridhub.resolvers.errors import BadInput, Forbidden, NotFound
from gridhub.resolvers.read.query import rows
from gridhub.resolvers.write.region_locks import hold_region

ADDRESS_CODE = re.compile(r"^[0-9A-Z]{1,40}$")
SERIAL_DIGITS = 6


def overlap_predicate(first: date, last: date) -> Pred:
    """Serving on some day from `first` to `last`: started by `last`, not ended before `first`."""
    return and_(Compare("started_on", "lte", last), or_(IsNull("ended_on"), Compare("ended_on", "gte", first)))


def current_predicate(on: date) -> Pred:
    return overlap_predicate(on, on)


def staff_loader(loaders, current: bool):
    """region id -> its staff (current only, or all), one statement for a page of regions."""
    from collections import defaultdict

    from gridhub.resolvers.kinds import kind_of

    on = today()

    def make():
        ordering = [("-" if d else "") + c for c, d in kind_of("staff").default_order]

        async def load(region_ids: list[int]) -> list[list]:
            where = In("region_id", tuple(set(region_ids)))
            if current:
                where = and_(where, current_predicate(on))
            grouped: dict[int, list] = defaultdict(list)
            for row in await rows(loaders.scope, "staff", where).order_by(*ordering):
                grouped[row.region_id].append(row)
            return [grouped.get(i, []) for i in region_ids]

        return load

    return loaders._get(("staff", current, on), make)


async def who_serves(scope: Scope, name: str | None, username: str | None, person_id: int | None, *,
                     person_field: str) -> tuple[str, models.User | None]:
    """The name and user of a staff member or a key person's responsible one: a user, a
    person of the registers (readable to the caller), or only a name; at least one. Without
    a name it goes by the user's, else the person's."""
    user = None
    if username:
        user = await models.User.get_or_none(username=username, deleted_at=None)
        if user is None:
            raise BadInput(f"no user {username}", field="username")
    person = None
    if person_id is not None:
        person = await rows(scope, "person", Compare("id", "eq", person_id)).first()
        if person is None:
            raise BadInput("no person with this id", field=person_field)
    name = (name or (user.display_name or user.username if user else "") or (person.name if person else "")).strip()
    if not name:
        raise BadInput("give a name, a username or a person", field="name")
    if len(name) > 64:
        raise BadInput("name is longer than 64 characters", field="name")
    return name, user


async def assign_staff(scope: Scope, actor: str, region_id: int, role: StaffRole, started_on: date,
                       name: str | None = None, username: str | None = None,
                       person_id: int | None = None) -> models.StaffAssignment:
    from gridhub.resolvers.write.audit import record_change

    region = await models.Region.get_or_none(id=region_id, deleted_at=None)
    if region is None or not await rows(scope, "region", Compare("id", "eq", region_id)).exists():
        raise NotFound("no region with this id", field="region")
    name, user = await who_serves(scope, name, username, person_id, person_field="person")
    async with in_transaction():
        region = await hold_region(region.id)  # not retired by a re-gridding meanwhile
        row = await models.StaffAssignment.create(
            region_id=region.id, region_path=region.region_path, role=role, name=name,
            user_id=user and user.id, person_id=person_id, started_on=started_on)
        if not await rows(scope, "staff", Compare("id", "eq", row.id), action="update").exists():
            raise Forbidden("you may not assign staff here")  # rolls the row back
        await record_change(actor, "create", "staff", row, {"role": role, "started_on": started_on,
                                                             "name": name, "user_id": user, "person_id": person_id})
    return row


async def end_staff(scope: Scope, actor: str, staff_id: int, ended_on: date) -> models.StaffAssignment:
    from gridhub.resolvers.write.audit import record_change

    async with in_transaction():
        found = await rows(scope, "staff", Compare("id", "eq", staff_id)).first()
        if found is None:
            raise NotFound("no staff assignment with this id")
        if not await rows(scope, "staff", Compare("id", "eq", staff_id), action="update").exists():
            raise Forbidden("you may not change the staff here")
        if ended_on < found.started_on:
            raise BadInput("it ends after it started", field="endedOn")
        await models.StaffAssignment.filter(id=found.id).update(ended_on=ended_on, version=found.version + 1)
        row = await models.StaffAssignment.get(id=found.id)
        await record_change(actor, "update", "staff", row, {"ended_on": ended_on})
    return row


def missing_roles(region: models.Region, current: list, required: dict[str, tuple[str, ...]]) -> list[StaffRole]:
    """The roles the county requires at the region's tier (settings.staffing_required) that
    none of its `current` staff fills, in the order they are required."""
    held = {getattr(s.role, "value", s.role) for s in current}
    tier = getattr(region.tier, "value", region.tier)
    return [StaffRole(r) for r in required.get(tier, ()) if r not in held]


async def staffing_gaps(scope: Scope, region_id: int, required: dict[str, tuple[str, ...]]
                        ) -> list[tuple[models.Region, list[StaffRole]]]:
    """The regions under the region (itself included), readable to the caller, of a tier the
    county staffs, with each role they miss today, in path order."""
    town = await rows(scope, "region", Compare("id", "eq", region_id)).first()
    if town is None:
        raise NotFound("no region with this id", field="town")
    if scope.where("staff") == FALSE:
        raise Forbidden("staffing gaps need the staff read grant", field="town")
    if not required:
        return []
    regions = await rows(scope, "region", and_(StartsWith("region_path", town.region_path),
                                               In("tier", tuple(required)))).order_by("region_path")
    if not regions:
        return []
    current: dict[int, list] = {r.id: [] for r in regions}
    for s in await rows(scope, "staff", and_(In("region_id", tuple(current)), current_predicate(today()))):
        current[s.region_id].append(s)
    gaps = [(r, missing_roles(r, current[r.id], required)) for r in regions]
    return [(r, missing) for r, missing in gaps if missing]


# ---- address codes ---------------------------------------------------------------------

def check_address_code(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not ADDRESS_CODE.match(value):
        raise BadInput("an address code is 1 to 40 digits or upper-case letters", field="addressCode")
    return value


async def next_address_code(region_id: int, connection=None) -> str:
    """The region's code and the next six-digit serial among its places' codes (deleted
    places keep theirs: a code is never handed out twice). Called inside the creating
    transaction: the region's row stays locked until it commits, so places registered at
    once in one region draw their serials one after the other (NO KEY: rows referencing
    the region are not held up; SQLite serialises its writers anyway)."""
    region = await models.Region.filter(id=region_id).select_for_update(no_key=True).using_db(connection).get()
    prefix, width = region.code, len(region.code) + SERIAL_DIGITS
    taken = await models.Place.filter(address_code__startswith=prefix).using_db(connection).values_list(
        "address_code", flat=True)
    serials = [int(c[len(prefix):]) for c in taken if len(c) == width and c[len(prefix):].isdigit()]
    return f"{prefix}{max(serials, default=0) + 1:0{SERIAL_DIGITS}d}"
