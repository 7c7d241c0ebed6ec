"""The slow, obviously-correct check the compiled scopes are held to: for random (user, kind,
field) triples, what the hub lists on both read paths equals what the Casbin enforcer allows
row by row, masks included (policies/sensitivity.py). The seed varies per run and is printed;
ORACLE_SEED=<n> replays one."""

from __future__ import annotations

import os
import random

import pytest
from strawberry.relay import from_base64

from gridhub import models
from gridhub.policies.sensitivity import SENSITIVE
from gridhub.resolvers.demo.users import DEMO_USERS

from .test_compiled import read_path
from .test_policy_cases import DATA_KINDS, enforcer_reads, home_tags, who_facts

SEED = int(os.environ.get("ORACLE_SEED") or random.SystemRandom().randrange(1 << 30))
TRIPLES = 16
# a plain field per kind, and the person's sensitive fields with those derived from them
FIELDS = {"person": ["name", "idNumber", "birthDate", "gender", "phone", "tags"], "household": ["code"],
          "place": ["name", "address", "room", "kind"], "event": ["title"], "thing": ["name"],
          "organisation": ["name"]}
# (kind, field) -> the grant that shows it whole, and the column it reads
GRANT_OF = {("person", "idNumber"): ("person.id_number", "id_number"),
            ("person", "birthDate"): ("person.id_number", "birth_date"),
            ("person", "gender"): ("person.id_number", "gender"), ("person", "phone"): ("person.phone", "phone"),
            ("person", "tags"): ("person.key_tags", "tags"), ("place", "name"): ("place.address", "name"),
            ("place", "address"): ("place.address", "address"), ("place", "room"): ("place.address", "room")}


def _triples() -> list[tuple[str, str, str]]:
    rng = random.Random(SEED)
    users = [u[0] for u in DEMO_USERS]
    found = []
    while len(found) < TRIPLES:
        kind = rng.choice(sorted(FIELDS))
        triple = (rng.choice(users), kind, rng.choice(FIELDS[kind]))
        if triple not in found:
            found.append(triple)
    return found


def test_the_seed_is_printed():
    print(f"oracle seed: ORACLE_SEED={SEED}")


def expected_value(kind: str, row, column: str, tags: list[str], whole: bool):
    """The field as the enforcer says the caller sees it: whole, or as its mask."""
    value = sorted(tags) if column == "tags" else getattr(row, column)
    value = value.isoformat() if hasattr(value, "isoformat") else getattr(value, "name", value)
    if whole or value is None:
        return value
    mask = next(s.fields[column] for s in SENSITIVE if s.kind == kind and column in s.fields)
    return sorted(mask.python(tags)) if column == "tags" else mask.python(getattr(row, column), row)


async def listed(client, kind: str, field: str) -> dict[int, object]:
    nodes, after = {}, None
    while True:
        page = (await client.query(f"query($a: String) {{ list: {kind}s(first: 500, after: $a) {{ "
                                   f"pageInfo {{ hasNextPage endCursor }} nodes {{ id {field} }} }} }}",
                                   a=after))["list"]
        nodes.update({int(from_base64(n["id"])[1]): n[field] for n in page["nodes"]})
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled-path", "resolver-path"])
@pytest.mark.parametrize("who, kind, field", _triples())
async def test_the_hub_lists_what_the_enforcer_allows(app, settings, sign_in, compiled, who, kind, field):
    store, facts = app.state.store, await who_facts(who)
    rows = await DATA_KINDS[kind].filter(deleted_at=None)
    tags: dict[int, list[str]] = {}
    if kind == "person":
        for person_id, tag in await models.PersonTag.filter(deleted_at=None).values_list("person_id", "tag"):
            tags.setdefault(person_id, []).append(tag)
    elif kind == "place":
        tags = await home_tags()
    allowed = {r.id: r for r in rows if enforcer_reads(store, who, kind, r, tags.get(r.id, []), facts)}
    with read_path(settings, compiled):
        got = await listed(await sign_in(who), kind, field)
    assert set(got) == set(allowed), f"rows differ (ORACLE_SEED={SEED})"
    for row_id, value in got.items():
        row = allowed[row_id]
        grant, column = GRANT_OF.get((kind, field), (None, field))
        whole = grant is None or store.allows(who, row.region_path, grant, "read")
        expected = expected_value(kind, row, column, tags.get(row_id, []), whole)
        assert (sorted(value) if field == "tags" else value) == expected, (row_id, f"ORACLE_SEED={SEED}")
