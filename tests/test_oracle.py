"""The slow, obviously-correct check the compiled scopes are held to: for random (user, kind,
field) triples, what the hub lists on both read paths equals what the Casbin enforcer allows
row by row, masks included (policies/sensitivity.py). The seed varies per run and is printed;
ORACLE_SEED=<n> replays one."""

from __future__ import annotations

import os
import random

import pytest
from strawberry.relay import from_base64

import models
from policies.sensitivity import SENSITIVE
from resolvers.demo_users import DEMO_USERS

from .test_compiled import read_path
from .test_policy_cases import DATA_KINDS, enforcer_reads, who_facts

SEED = int(os.environ.get("ORACLE_SEED") or random.SystemRandom().randrange(1 << 30))
TRIPLES = 16
# a plain field per kind, and the person's sensitive fields with those derived from them
FIELDS = {"person": ["name", "idNumber", "birthDate", "gender", "phone", "tags"], "household": ["code"],
          "place": ["name"], "event": ["title"], "thing": ["name"], "organisation": ["name"]}
GRANT_OF = {"idNumber": "id_number", "birthDate": "id_number", "gender": "id_number", "phone": "phone",
            "tags": "key_tags"}


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


def expected_value(row, field: str, tags: list[str], whole: bool):
    """The field as the enforcer says the caller sees it: whole, or as its mask."""
    value = {"idNumber": row.id_number, "phone": row.phone, "tags": sorted(tags),
             "birthDate": row.birth_date.isoformat(), "gender": row.gender.name}[field]
    if whole or value is None:
        return value
    column = {"idNumber": "id_number", "birthDate": "birth_date", "tags": "tags"}.get(field, field)
    mask = next(s.fields[column] for s in SENSITIVE if column in s.fields)
    return sorted(mask.python(tags)) if field == "tags" else mask.python(value)


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
    allowed = {r.id: r for r in rows if enforcer_reads(store, who, kind, r, tags.get(r.id, []), facts)}
    with read_path(settings, compiled):
        got = await listed(await sign_in(who), kind, field)
    assert set(got) == set(allowed), f"rows differ (ORACLE_SEED={SEED})"
    for row_id, value in got.items():
        row = allowed[row_id]
        if field in GRANT_OF:
            whole = store.allows(who, row.region_path, f"person.{GRANT_OF[field]}", "read")
            expected = expected_value(row, field, tags.get(row_id, []), whole)
            assert (sorted(value) if field == "tags" else value) == expected, (row_id, f"ORACLE_SEED={SEED}")
        else:
            assert value == getattr(row, {"title": "title"}.get(field, field)), (row_id, f"ORACLE_SEED={SEED}")
