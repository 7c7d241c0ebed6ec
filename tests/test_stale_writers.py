"""The guarded writes themselves: a workflow step's `UPDATE … WHERE status = <read>` and an
edit's `UPDATE … WHERE version = <read>`.

On both databases, the guarded write directly: two writers read the same row, each before
either writes (two requests whose reads came first); the first writes, the second must be
refused with CONFLICT and change nothing. SQLite serialises whole transactions, so over
HTTP a late writer is refused by its read (tests/test_concurrency.py) and a guard removed
would pass unseen; here the reads are taken apart from the writes, so it cannot.

On PostgreSQL also over HTTP: the second writer acts between the first's read and its write
(forced, at the seam between them, not left to the scheduler), and exactly one wins. SQLite
cannot run a second writer inside another's transaction."""

from __future__ import annotations

import asyncio
import contextvars
import os

import pytest
from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.models.enums import EventStatus
from gridhub.resolvers.write import mutations
from gridhub.resolvers.domain import workflow
from gridhub.resolvers.errors import Conflict
from gridhub.resolvers.write.mutations import now

from .test_concurrency import row_id
from .test_mutations import CREATE_PERSON, UPDATE_PERSON, grid_id, new_id_number
from .test_workflow import report

postgres_only = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                                   reason="SQLite serialises transactions: no writer acts inside another's")


async def in_own_transaction(write):
    """One writer's transaction: committed, or rolled back with the error it raised."""
    try:
        async with in_transaction():
            await write()
    except Conflict as refused:
        return refused
    return None


async def test_of_two_steps_read_on_one_status_the_second_is_refused(worker, gql, anchors):
    event_id = row_id(await report(worker, gql, anchors))
    first, second = await models.Event.get(id=event_id), await models.Event.get(id=event_id)
    assert first.status == second.status == EventStatus.REPORTED

    accepted = await in_own_transaction(lambda: workflow.move(first, EventStatus.ACCEPTED, now()))
    refused = await in_own_transaction(lambda: workflow.move(second, EventStatus.REJECTED, now(),
                                                             closed_at=now()))

    assert accepted is None
    assert refused is not None and refused.extensions == {"code": "CONFLICT", "field": "status"}
    after = await models.Event.get(id=event_id)
    assert (after.status, after.version, after.closed_at) == (EventStatus.ACCEPTED, first.version + 1, None)


async def test_of_two_edits_read_at_one_version_the_second_is_refused(worker, anchors):
    person = (await worker.query(CREATE_PERSON, input={
        "idNumber": new_id_number(962), "name": "同读一版", "regionId": await grid_id(worker, anchors)}))["createPerson"]
    first = await models.Person.get(id=row_id(person["id"]))
    second = await models.Person.get(id=row_id(person["id"]))
    assert first.version == second.version == 1

    written = await in_own_transaction(lambda: mutations.write_if_unchanged(
        "person", first, first.version, {"name": "先写者"}, now()))
    refused = await in_own_transaction(lambda: mutations.write_if_unchanged(
        "person", second, second.version, {"name": "后写者", "phone": "13900000962"}, now()))

    assert written is None
    assert refused is not None and (refused.code, refused.field) == ("CONFLICT", "version")
    stored = await models.Person.get(id=first.id)
    assert (stored.version, stored.name, stored.phone) == (2, "先写者", first.phone)


def between_read_and_write(monkeypatch, module, seam: str, other_writer):
    """Runs `other_writer()` to its end the first time `module.seam` is called (after the
    first writer's read, before its guarded UPDATE), outside that writer's transaction."""
    outside = contextvars.copy_context()  # no transaction of the first writer's in it
    original = getattr(module, seam)
    done, started = [], []

    async def seam_then_other(*args, **kwargs):
        if not started:  # the first writer's call; the other writer passes the seam as it is
            started.append(True)
            done.append(await asyncio.get_running_loop().create_task(other_writer(), context=outside.copy()))
        return await original(*args, **kwargs)

    monkeypatch.setattr(module, seam, seam_then_other)
    return done


@postgres_only
async def test_a_step_on_a_stale_status_is_refused(monkeypatch, sign_in, worker, gql, anchors):
    community = await sign_in("community")
    event_id = await report(worker, gql, anchors)
    before = await models.Event.get(id=row_id(event_id))
    assert before.status == EventStatus.REPORTED

    async def reject():
        return await community.post('mutation($id: ID!) { rejectEvent(id: $id, reason: "重复上报") { status } }',
                                    {"id": event_id})

    other = between_read_and_write(monkeypatch, workflow, "_due_changes", reject)
    accepted = await community.post("mutation($id: ID!) { acceptEvent(id: $id) { status } }", {"id": event_id})

    [rejected] = other
    assert rejected.data == {"rejectEvent": {"status": "REJECTED"}}, rejected.errors  # the one that wrote first
    assert accepted.codes == ["CONFLICT"]  # read REPORTED, found REJECTED at its write
    after = await models.Event.get(id=before.id)
    assert (after.status, after.version) == (EventStatus.REJECTED, before.version + 1)
    log = await models.EventLog.filter(event_id=before.id).order_by("id").values_list("action", flat=True)
    assert log[1:] == ["reject"]


@postgres_only
async def test_an_edit_on_a_stale_version_is_refused(monkeypatch, worker, anchors):
    person = (await worker.query(CREATE_PERSON, input={
        "idNumber": new_id_number(961), "name": "陈旧版本", "regionId": await grid_id(worker, anchors)}))["createPerson"]

    async def rename():
        return await worker.post(UPDATE_PERSON, {"id": person["id"], "version": 1, "input": {"name": "先写者"}})

    other = between_read_and_write(monkeypatch, mutations, "_resolve_references", rename)
    late = await worker.post(UPDATE_PERSON, {"id": person["id"], "version": 1, "input": {"name": "后写者"}})

    [first] = other
    assert first.data["updatePerson"]["name"] == "先写者", first.errors
    assert late.codes == ["CONFLICT"] and late.errors[0]["extensions"]["field"] == "version"
    stored = await models.Person.get(id=row_id(person["id"]))
    assert (stored.version, stored.name) == (2, "先写者")
