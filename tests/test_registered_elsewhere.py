"""The answer to a uniqueness conflict (resolvers/domain/registered_elsewhere.py) as a unit: which
field it names, when it says only REGISTERED_ELSEWHERE, the audit entry of that lookup and the
per-user budget it spends. The database's message is given as text, as the write would
raise it; the policy cases (`test_the_register_is_no_oracle`) and the throttling test
(`test_inference.py`) show the same over HTTP. Writes nothing but audit entries of a
made-up actor."""

from __future__ import annotations

import pytest

from gridhub import models
from gridhub.resolvers.errors import RateLimited
from gridhub.resolvers.identity.rate_limit import MemoryCounters
from gridhub.resolvers.domain.registered_elsewhere import RegisterLookups, unique_conflict

from .test_scope import scope_of

ACTOR = "zz_register_probe"
PERSON_KEY = "UNIQUE constraint failed: person.id_type, person.nationality, person.id_number"


def person_key(person) -> dict:
    return {"id_type": person.id_type, "nationality": person.nationality, "id_number": person.id_number,
            "name": "试探"}


def budget_of(settings, per_user: int) -> RegisterLookups:
    return RegisterLookups(MemoryCounters(), settings.model_copy(update={"registered_elsewhere_per_user": per_user}))


async def lookups_since(mark: int) -> list[tuple]:
    return [(e.object_kind, e.object_id, e.field, e.region_path, e.detail)
            for e in await models.AuditEntry.filter(id__gt=mark, actor=ACTOR, action="lookup_sensitive").order_by("id")]


@pytest.fixture
async def mark(app) -> int:
    return (await models.AuditEntry.all().order_by("-id").first()).id


async def test_a_key_held_outside_the_scope_is_registered_elsewhere_audited_and_spent(app, anchors, settings, mark):
    worker = await scope_of(app, "worker")
    holder = await models.Person.filter(region_path__startswith=anchors["town2"], deleted_at=None,
                                        id_number__isnull=False).first()
    lookups = budget_of(settings, 1)
    await lookups.check(ACTOR, "person", person_key(holder))  # within the budget
    conflict = await unique_conflict(worker, "person", person_key(holder), PERSON_KEY, ACTOR, lookups)
    assert (conflict.code, conflict.field, conflict.extra) == ("CONFLICT", "idNumber", {"reason": "REGISTERED_ELSEWHERE"})
    assert holder.region_path not in conflict.message and holder.id_number not in conflict.message
    assert await lookups_since(mark) == [("person", str(holder.id), "id_number", holder.region_path,
                                          {"tried": holder.id_number, "outcome": "registered_elsewhere"})]
    with pytest.raises(RateLimited):  # the budget of one is spent: the next such write is refused unasked
        await lookups.check(ACTOR, "person", person_key(holder))
    await lookups.check(ACTOR, "person", {"name": "无证件"})  # a write without a sensitive key is never held back
    await lookups.check(ACTOR, "organisation", {"name": "无代码", "credit_code": None})


async def test_a_key_held_inside_the_scope_names_its_field_unaudited(app, anchors, settings, mark):
    worker = await scope_of(app, "worker")
    holder = await models.Person.filter(region_path__startswith=anchors["grid"], deleted_at=None,
                                        id_number__isnull=False).first()
    lookups = budget_of(settings, 1)
    conflict = await unique_conflict(worker, "person", person_key(holder), PERSON_KEY, ACTOR, lookups)
    assert (conflict.field, conflict.extra) == ("idNumber", {}) and "another person" in conflict.message
    assert await lookups_since(mark) == []
    await lookups.check(ACTOR, "person", person_key(holder))  # nothing spent


async def test_a_key_no_live_row_holds_is_still_registered_elsewhere(app, settings, mark):
    """The holder may be gone by the time the conflict is answered (a concurrent delete):
    the answer and its audit say as little as for any holder elsewhere."""
    worker = await scope_of(app, "worker")
    tried = {"id_type": "resident_id", "nationality": "ZZZ", "id_number": "zz-no-such-number"}
    conflict = await unique_conflict(worker, "person", tried, PERSON_KEY, ACTOR, None)
    assert (conflict.field, conflict.extra) == ("idNumber", {"reason": "REGISTERED_ELSEWHERE"})
    assert await lookups_since(mark) == [("person", "", "id_number", "",
                                          {"tried": "zz-no-such-number", "outcome": "registered_elsewhere"})]


@pytest.mark.parametrize("kind, data, error, field", [
    ("place", {"address_code": "zz-1"}, 'duplicate key value violates unique constraint "place_address_code_key"',
     "addressCode"),
    ("region", {"code": "zz-1"}, "UNIQUE constraint failed: region.code", "code"),
    # a sensitive key's conflict when the write did not set it: nothing was tried
    ("person", {"name": "试探"}, PERSON_KEY, "idNumber"),
    ("organisation", {"name": "试探"}, "UNIQUE constraint failed: organisation.credit_code", "creditCode"),
    # a message naming no column the hub knows
    ("thing", {"name": "zz"}, "UNIQUE constraint failed: thing.serial", None),
])
async def test_other_conflicts_name_their_field_unaudited(app, settings, mark, kind, data, error, field):
    worker = await scope_of(app, "worker")
    lookups = budget_of(settings, 1)
    conflict = await unique_conflict(worker, kind, data, error, ACTOR, lookups)
    assert (conflict.code, conflict.field, conflict.extra) == ("CONFLICT", field, {})
    assert ("has this" in conflict.message) is (field is not None)
    assert await lookups_since(mark) == []
    await lookups.check(ACTOR, "person", {"id_number": "x"})  # nothing spent
