"""Editors racing: concurrent requests over HTTP against the real app. On PostgreSQL they
run on separate pooled connections at once; on SQLite the database takes them one by one,
and the same answers must hold.

- Many editors of one person, all holding the same version: exactly one wins, every
  other gets CONFLICT, and the row holds the winner's values.
- Fifty workflow steps on one event at once: each answer is a success, CONFLICT or
  FORBIDDEN; the event ends in a state the steps can reach, its version counts the
  successes, and its log is one unbroken chain of them."""

from __future__ import annotations

import asyncio
import base64
import random

from gridhub import models

from gridhub.models.enums import EventStatus

from .test_mutations import CREATE_PERSON, UPDATE_PERSON, grid_id, new_id_number
from .test_workflow import gid, report

EDITORS = 8
STEPS = 50
REFUSALS = {"CONFLICT", "FORBIDDEN"}


def row_id(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


async def test_one_of_many_editors_wins(worker, anchors):
    person = (await worker.query(CREATE_PERSON, input={
        "idNumber": new_id_number(977), "name": "并发测试", "regionId": await grid_id(worker, anchors)}))["createPerson"]

    answers = await asyncio.gather(*(
        worker.post(UPDATE_PERSON, {"id": person["id"], "version": 1, "input": {"name": f"编辑{i}"}})
        for i in range(EDITORS)))

    winners = [a for a in answers if not a.errors]
    assert len(winners) == 1, [a.codes for a in answers]
    assert sorted(c for a in answers for c in a.codes) == ["CONFLICT"] * (EDITORS - 1)
    stored = await models.Person.get(id=row_id(person["id"]))
    assert (stored.version, stored.name) == (2, winners[0].data["updatePerson"]["name"])


async def test_fifty_concurrent_steps_keep_one_event_legal(sign_in, worker, gql, anchors):
    community = await sign_in("community")
    event_id = await report(worker, gql, anchors)
    event = await models.Event.get(id=row_id(event_id))
    department = gid("Department", (await models.Department.get(code="public_security")).id)
    steps = [
        ("acceptEvent", "", {}),
        ("escalateEvent", "", {}),
        ("dispatchEvent", ", $department: ID", {"department": department}),
        ("rejectEvent", ", $reason: String!", {"reason": "重复上报"}),
    ]
    chosen = random.Random(2026).choices(steps, weights=(5, 2, 4, 1), k=STEPS)

    async def take(name: str, declared: str, variables: dict):
        arguments = "".join(f", {k}: ${k}" for k in variables)
        return await community.post(f"mutation($id: ID!{declared}) {{ {name}(id: $id{arguments}) {{ status }} }}",
                                    {"id": event_id, **variables})

    answers = await asyncio.gather(*(take(*step) for step in chosen))

    assert all(not a.errors or set(a.codes) <= REFUSALS for a in answers), [a.errors for a in answers if a.errors]
    successes = sum(not a.errors for a in answers)
    assert successes >= 1
    after = await models.Event.get(id=event.id)
    assert after.version == event.version + successes

    log = await models.EventLog.filter(event_id=event.id).order_by("created_at", "id")
    assert len(log) == 1 + successes  # the report, then one entry per step taken
    assert log[0].from_status is None and log[0].to_status == EventStatus.REPORTED
    for before, then in zip(log, log[1:]):
        assert then.from_status == before.to_status, [(e.action, e.from_status, e.to_status) for e in log]
    assert log[-1].to_status == after.status
