"""The corrections of the closed loop over HTTP (issue 21): re-dispatch 改派, return 回退,
extension 延期, parking 挂账 and urging 催办, and the tiers in order (escalation from the
grid, departments only from the community up). Each step as the right role moves the event,
logs to whom and what is due, audits, and sets the deadline; each refusal (wrong role,
sibling or parent tier, other department, wrong state, bad input) answers its code and
changes nothing."""

import asyncio
import base64
from datetime import datetime, timedelta, timezone

from gridhub import models
from gridhub.resolvers.domain import deadlines

from .test_workflow import gid

REPORT = """mutation($input: EventCreateInput!) { reportEvent(input: $input) { id } }"""
SHOW = """query($id: ID!) { node(id: $id) { ... on Event { status version dueAt dueSoonAt light requestedDueAt
  urgeCount urgedAt handlingRegion { path } handlingDepartment { code } dispatcherRegion { path }
  log { actor action fromStatus toStatus note dueAt toRegion { path } toDepartment { code } } } } }"""
TYPES = {"note": "String!", "reason": "String!", "feedback": "String!", "region": "ID", "department": "ID", "deadline": "DateTime",
         "reviewAt": "DateTime!", "approved": "Boolean!"}
SECOND = timedelta(seconds=1)


def row_id(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


def later(**delta) -> str:
    return (datetime.now(timezone.utc) + timedelta(**delta)).replace(microsecond=0).isoformat()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def post(client, name: str, event: str, **variables):
    required = {"requestExtension": {"deadline"}}.get(name, set())
    declared = "".join(f", ${k}: {TYPES[k]}{'!' * (k in required)}" for k in variables)
    args = "".join(f", {k}: ${k}" for k in variables)
    return await client.post(f"mutation($id: ID!{declared}) {{ {name}(id: $id{args}) {{ status }} }}",
                             {"id": event, **variables})


async def ok(client, name: str, event: str, status: str, reader=None, **variables) -> dict:
    """The step passes; the event as `reader` (else the caller) reads it then."""
    response = await post(client, name, event, **variables)
    assert not response.errors, (name, response.errors)
    assert response.data[name]["status"] == status
    return (await (reader or client).query(SHOW, id=event))["node"]


async def refused(client, name: str, event: str, code: str, **variables) -> None:
    """The step is refused with `code`, and the event, its log and the audit trail stay."""
    before = await models.Event.get(id=row_id(event))
    logged, audited = (await models.EventLog.filter(event_id=before.id).count(),
                       await models.AuditEntry.filter(object_kind="event", object_id=str(before.id)).count())
    response = await post(client, name, event, **variables)
    assert response.codes == [code], (name, response.errors)
    after = await models.Event.get(id=before.id)
    assert (after.status, after.version, after.due_at, after.urge_count, after.handling_region_id,
            after.handling_department_id) == (before.status, before.version, before.due_at, before.urge_count,
                                              before.handling_region_id, before.handling_department_id)
    assert await models.EventLog.filter(event_id=before.id).count() == logged
    assert await models.AuditEntry.filter(object_kind="event", object_id=str(before.id)).count() == audited


async def region_id(path: str) -> str:
    return gid("Region", (await models.Region.get(region_path=path, deleted_at=None)).id)


async def department(code: str) -> str:
    return gid("Department", (await models.Department.get(code=code)).id)


async def accepted(sign_in, anchors, category: str = "safety/building") -> str:
    """A new event of the anchor grid, reported by its worker and accepted by its leader."""
    worker, leader = await sign_in("worker"), await sign_in("leader")
    event = (await worker.query(REPORT, input={
        "title": "更正测试", "kind": "HAZARD", "category": category, "source": "PATROL",
        "occurredAt": "2026-01-01T08:00:00Z", "regionId": await region_id(anchors["grid"])}))["reportEvent"]["id"]
    await ok(leader, "acceptEvent", event, "ACCEPTED")
    return event


async def to_department(sign_in, anchors, code: str = "urban_management", **variables) -> str:
    """Accepted, and dispatched by the community centre to a department."""
    event = await accepted(sign_in, anchors)
    await ok(await sign_in("community"), "dispatchEvent", event, "DISPATCHED", department=await department(code),
             **variables)
    return event


async def to_grid(sign_in, anchors) -> str:
    """Accepted, and dispatched by the grid leader to its own grid (its worker handles it)."""
    event = await accepted(sign_in, anchors)
    await ok(await sign_in("leader"), "dispatchEvent", event, "DISPATCHED", region=await region_id(anchors["grid"]))
    return event


def last(shown: dict) -> dict:
    return shown["log"][-1]


async def audited(event: str, action: str, actor: str) -> bool:
    return await models.AuditEntry.filter(object_kind="event", object_id=str(row_id(event)), action=action,
                                          actor=actor).exists()


def window_of(shown: dict) -> timedelta:
    """The step's window, from its YELLOW point and the share (resolvers.domain.deadlines)."""
    due, soon = at(shown["dueAt"]), at(shown["dueSoonAt"])
    return (due - soon) / (1 - deadlines.YELLOW_AFTER)


# ---- tiers in order ---------------------------------------------------------------------------

async def test_a_grid_escalates_one_tier_and_sends_nothing_to_county_departments(sign_in, anchors):
    leader, worker, community = await sign_in("leader"), await sign_in("worker"), await sign_in("community")
    event = await accepted(sign_in, anchors)
    await refused(leader, "dispatchEvent", event, "FORBIDDEN", department=await department("urban_management"))
    await refused(worker, "escalateEvent", event, "FORBIDDEN")
    shown = await ok(leader, "escalateEvent", event, "REPORTED")  # grid -> community
    assert shown["handlingRegion"]["path"] == anchors["community"]
    assert (last(shown)["action"], last(shown)["toRegion"]) == ("escalate", {"path": anchors["community"]})
    assert await audited(event, "escalate", "leader")
    await refused(leader, "escalateEvent", event, "FORBIDDEN")  # the community's now: one tier at a time
    await ok(community, "acceptEvent", event, "ACCEPTED")
    shown = await ok(community, "dispatchEvent", event, "DISPATCHED", department=await department("urban_management"),
                     deadline=later(days=3))
    dispatch = last(shown)
    assert dispatch["toDepartment"] == {"code": "urban_management"} and dispatch["toRegion"] is None
    assert at(dispatch["dueAt"]) == at(shown["dueAt"]) and shown["dispatcherRegion"]["path"] == anchors["community"]


async def test_which_tiers_send_to_departments_is_a_rule_an_admin_changes(sign_in, anchors):
    admin, leader = await sign_in("admin"), await sign_in("leader")
    rule = {"role": "grid_leader", "domain": "*", "object": "event", "action": "dispatch_to_department"}
    event = await accepted(sign_in, anchors)
    await refused(leader, "dispatchEvent", event, "FORBIDDEN", department=await department("fire"))
    await admin.query("mutation($r: PolicyRuleInput!) { addPolicyRule(rule: $r) { role } }", r=rule)
    try:
        await ok(leader, "dispatchEvent", event, "DISPATCHED", department=await department("fire"))
    finally:
        await admin.query("mutation($r: PolicyRuleInput!) { removePolicyRule(rule: $r) { role } }", r=rule)
    other = await accepted(sign_in, anchors)
    await refused(leader, "dispatchEvent", other, "FORBIDDEN", department=await department("fire"))


# ---- return 回退 and re-dispatch 改派 -----------------------------------------------------------

async def test_a_department_returns_a_wrong_dispatch_and_the_dispatcher_sends_it_on(sign_in, anchors):
    urban, civil, worker, leader, community = (await sign_in("urban_management"), await sign_in("civil"),
                                               await sign_in("worker"), await sign_in("leader"),
                                               await sign_in("community"))
    event = await to_department(sign_in, anchors)
    await refused(urban, "returnEvent", event, "BAD_USER_INPUT", reason="  ")
    await refused(civil, "returnEvent", event, "NOT_FOUND", reason="不是我们的")  # another department
    await refused(worker, "returnEvent", event, "FORBIDDEN", reason="不是我们的")  # not the grid's to return
    await refused(community, "returnEvent", event, "FORBIDDEN", reason="不是我们的")  # nor the dispatcher's
    await refused(urban, "escalateEvent", event, "FORBIDDEN")  # a department returns, it does not escalate

    shown = await ok(urban, "returnEvent", event, "RETURNED", reader=community, reason="属于住建部门职责")
    assert shown["handlingRegion"] == {"path": anchors["community"]} and shown["handlingDepartment"] is None
    entry = last(shown)
    assert (entry["actor"], entry["action"], entry["fromStatus"], entry["toStatus"], entry["note"],
            entry["toRegion"]) == ("urban_management", "return", "DISPATCHED", "RETURNED", "属于住建部门职责",
                                   {"path": anchors["community"]})
    category = await deadlines.hours_for("safety/building")
    assert abs(window_of(shown) - timedelta(hours=category.accept)) < timedelta(seconds=5)  # to dispatch again
    assert at(entry["dueAt"]) == at(shown["dueAt"]) and await audited(event, "return", "urban_management")
    await refused(urban, "returnEvent", event, "NOT_FOUND", reason="再退")  # not the department's any more
    await refused(leader, "redispatchEvent", event, "FORBIDDEN", department=await department("housing"))

    deadline = later(days=5)
    shown = await ok(community, "redispatchEvent", event, "DISPATCHED", department=await department("housing"),
                     deadline=deadline, note="改派住建")
    assert shown["handlingDepartment"] == {"code": "housing"} and at(shown["dueAt"]) == at(deadline)
    entry = last(shown)
    assert (entry["action"], entry["fromStatus"], entry["toDepartment"], at(entry["dueAt"])) == (
        "redispatch", "RETURNED", {"code": "housing"}, at(deadline))
    assert shown["dispatcherRegion"] == {"path": anchors["community"]}  # still the dispatcher
    await ok(await sign_in("housing"), "startHandling", event, "HANDLING")


async def test_a_grid_returns_what_its_leader_dispatched_and_the_tier_above_may_redispatch(sign_in, anchors):
    worker, leader, community, police = (await sign_in("worker"), await sign_in("leader"), await sign_in("community"),
                                         await sign_in("police"))
    event = await to_grid(sign_in, anchors)
    await ok(worker, "startHandling", event, "HANDLING")
    await refused(police, "redispatchEvent", event, "NOT_FOUND", department=await department("fire"))
    await refused(worker, "redispatchEvent", event, "FORBIDDEN", region=await region_id(anchors["grid"]))
    await refused(community, "redispatchEvent", event, "BAD_USER_INPUT")  # to whom?
    await refused(leader, "redispatchEvent", event, "BAD_USER_INPUT", region=await region_id(anchors["grid"]),
                  deadline=later(days=-1))
    shown = await ok(worker, "returnEvent", event, "RETURNED", reason="需要专业队伍")
    assert shown["handlingRegion"] == {"path": anchors["grid"]}  # the leader's queue: it dispatched
    await refused(worker, "startHandling", event, "CONFLICT")
    await refused(worker, "returnEvent", event, "CONFLICT", reason="又退")
    # the community is the leader's tier above: it may re-dispatch, and to a department
    shown = await ok(community, "redispatchEvent", event, "DISPATCHED", department=await department("fire"))
    building = await models.EventCategory.get(path="safety/building")
    assert abs(window_of(shown) - timedelta(hours=building.handle_hours)) < timedelta(seconds=5)
    undispatched = await accepted(sign_in, anchors)
    await refused(community, "redispatchEvent", undispatched, "CONFLICT", department=await department("fire"))


# ---- extension 延期 -----------------------------------------------------------------------------

async def test_a_handler_asks_for_time_and_the_dispatching_tier_decides(sign_in, anchors):
    worker, leader, community = await sign_in("worker"), await sign_in("leader"), await sign_in("community")
    event = await to_grid(sign_in, anchors)
    await refused(worker, "requestExtension", event, "CONFLICT", deadline=later(days=30), reason="人手不足")
    handling = await ok(worker, "startHandling", event, "HANDLING")
    due = at(handling["dueAt"])
    await refused(worker, "requestExtension", event, "BAD_USER_INPUT", deadline=later(days=30), reason=" ")
    await refused(worker, "requestExtension", event, "BAD_USER_INPUT", deadline=later(days=-1), reason="人手不足")
    await refused(worker, "requestExtension", event, "BAD_USER_INPUT",
                  deadline=(due - timedelta(minutes=1)).isoformat(), reason="人手不足")  # not later than now due
    await refused(community, "requestExtension", event, "FORBIDDEN", deadline=later(days=30), reason="人手不足")
    await refused(leader, "decideExtension", event, "CONFLICT", approved=True)

    asked = later(days=30)
    shown = await ok(worker, "requestExtension", event, "EXTENSION_REQUESTED", deadline=asked, reason="需协调物业")
    assert at(shown["requestedDueAt"]) == at(asked) and at(shown["dueAt"]) == due  # due as it was meanwhile
    assert (last(shown)["action"], at(last(shown)["dueAt"])) == ("request_extension", at(asked))
    await refused(worker, "decideExtension", event, "FORBIDDEN", approved=True)  # not its own
    await refused(leader, "decideExtension", event, "BAD_USER_INPUT", approved=False)  # a refusal says why
    shown = await ok(leader, "decideExtension", event, "HANDLING", approved=False, note="请按期完成")
    assert at(shown["dueAt"]) == due and shown["requestedDueAt"] is None
    assert last(shown)["action"] == "refuse_extension" and await audited(event, "refuse_extension", "leader")

    await ok(worker, "requestExtension", event, "EXTENSION_REQUESTED", deadline=asked, reason="需协调物业")
    before = datetime.now(timezone.utc)
    shown = await ok(community, "decideExtension", event, "HANDLING", approved=True)  # the tier above the leader
    assert at(shown["dueAt"]) == at(asked) and shown["requestedDueAt"] is None and shown["light"] == "GREEN"
    yellow = at(shown["dueSoonAt"])  # the new window runs from the approval
    assert before + (at(asked) - before) * deadlines.YELLOW_AFTER - SECOND <= yellow
    assert (last(shown)["action"], at(last(shown)["dueAt"])) == ("approve_extension", at(asked))
    await ok(worker, "requestExtension", event, "EXTENSION_REQUESTED", deadline=later(days=60), reason="再延")
    await ok(worker, "resolveEvent", event, "RESOLVED", feedback="已完成")  # done meanwhile: the request lapses
    assert (await worker.query(SHOW, id=event))["node"]["requestedDueAt"] is None


async def test_a_department_asks_the_tier_that_dispatched_to_it(sign_in, anchors):
    police, leader, town = await sign_in("police"), await sign_in("leader"), await sign_in("town")
    event = await to_department(sign_in, anchors, "public_security")
    await ok(police, "startHandling", event, "HANDLING")
    await refused(await sign_in("civil"), "requestExtension", event, "NOT_FOUND", deadline=later(days=40),
                  reason="x")
    await ok(police, "requestExtension", event, "EXTENSION_REQUESTED", deadline=later(days=40), reason="需取证")
    await refused(leader, "decideExtension", event, "FORBIDDEN", approved=True)  # below the dispatcher
    await refused(police, "decideExtension", event, "FORBIDDEN", approved=True)
    await ok(town, "decideExtension", event, "HANDLING", approved=True, note="同意")  # a tier above it


# ---- parking 挂账 ------------------------------------------------------------------------------

async def test_the_county_parks_a_case_and_takes_it_up_again(sign_in, anchors):
    county, town, community, worker = (await sign_in("county"), await sign_in("town"), await sign_in("community"),
                                       await sign_in("worker"))
    event = await to_grid(sign_in, anchors)
    await ok(worker, "startHandling", event, "HANDLING")
    await refused(town, "parkEvent", event, "FORBIDDEN", reviewAt=later(days=30), reason="历史遗留")
    await refused(community, "parkEvent", event, "FORBIDDEN", reviewAt=later(days=30), reason="历史遗留")
    await refused(county, "parkEvent", event, "BAD_USER_INPUT", reviewAt=later(days=-1), reason="历史遗留")
    await refused(county, "parkEvent", event, "BAD_USER_INPUT", reviewAt=later(days=30), reason="")
    review = later(days=30)
    shown = await ok(county, "parkEvent", event, "PARKED", reviewAt=review, reason="涉及历史遗留问题")
    assert at(shown["dueAt"]) == at(review) and shown["light"] == "GREEN"
    assert (last(shown)["action"], at(last(shown)["dueAt"])) == ("park", at(review))
    assert shown["handlingRegion"] == {"path": anchors["grid"]}  # the handler keeps it
    await refused(worker, "resolveEvent", event, "CONFLICT", feedback="已处理")  # handled by no one meanwhile
    await refused(community, "urgeEvent", event, "CONFLICT")
    await refused(county, "parkEvent", event, "CONFLICT", reviewAt=later(days=60), reason="再挂")
    await refused(town, "unparkEvent", event, "FORBIDDEN")
    shown = await ok(county, "unparkEvent", event, "HANDLING", note="条件具备，恢复办理")
    building = await models.EventCategory.get(path="safety/building")
    assert abs(window_of(shown) - timedelta(hours=building.handle_hours)) < timedelta(seconds=5)
    assert (last(shown)["action"], last(shown)["fromStatus"], last(shown)["toStatus"]) == (
        "unpark", "PARKED", "HANDLING")
    assert await audited(event, "park", "county") and await audited(event, "unpark", "county")
    await ok(worker, "resolveEvent", event, "RESOLVED", feedback="已处理")
    await refused(county, "parkEvent", event, "CONFLICT", reviewAt=later(days=30), reason="已办结")


async def test_an_accepted_case_parked_returns_to_its_queue_with_the_deadline_given(sign_in, anchors):
    county = await sign_in("county")
    event = await accepted(sign_in, anchors)
    await ok(county, "parkEvent", event, "PARKED", reviewAt=later(days=10), reason="待规划")
    deadline = later(days=2)
    shown = await ok(county, "unparkEvent", event, "ACCEPTED", deadline=deadline)
    assert at(shown["dueAt"]) == at(deadline)


# ---- urging 催办 -------------------------------------------------------------------------------

async def test_tiers_above_the_handler_urge_and_are_counted(sign_in, anchors):
    worker, leader, community, town = (await sign_in("worker"), await sign_in("leader"), await sign_in("community"),
                                       await sign_in("town"))
    event = await to_grid(sign_in, anchors)
    due = (await worker.query(SHOW, id=event))["node"]["dueAt"]
    await refused(worker, "urgeEvent", event, "FORBIDDEN")
    await refused(leader, "urgeEvent", event, "FORBIDDEN")  # the grid is not above its own grid
    shown = await ok(community, "urgeEvent", event, "DISPATCHED", note="请今日内处置")
    assert shown["urgeCount"] == 1 and shown["urgedAt"] and shown["dueAt"] == due  # the deadline stays
    shown = await ok(town, "urgeEvent", event, "DISPATCHED")
    assert shown["urgeCount"] == 2
    assert [(e["actor"], e["action"]) for e in shown["log"][-2:]] == [("community", "urge"), ("town", "urge")]
    assert await audited(event, "urge", "town")

    escalated = await accepted(sign_in, anchors)
    await ok(leader, "escalateEvent", escalated, "REPORTED")
    await refused(community, "urgeEvent", escalated, "FORBIDDEN")  # the community holds it: not above
    await ok(town, "urgeEvent", escalated, "REPORTED")

    dispatched = await to_department(sign_in, anchors, "fire")
    await refused(leader, "urgeEvent", dispatched, "FORBIDDEN")  # below the tier that dispatched
    await refused(await sign_in("fire"), "urgeEvent", dispatched, "FORBIDDEN")
    await ok(community, "urgeEvent", dispatched, "DISPATCHED")
    closed = await models.Event.filter(status="closed", region_path__startswith=anchors["grid"]).first()
    await refused(await sign_in("county"), "urgeEvent", gid("Event", closed.id), "CONFLICT")


# ---- one at a time ------------------------------------------------------------------------------

async def test_two_returns_at_once_pass_once(sign_in, anchors):
    urban = await sign_in("urban_management")
    event = await to_department(sign_in, anchors)
    answers = await asyncio.gather(*(post(urban, "returnEvent", event, reason=f"第{k}次") for k in range(2)))
    assert sorted(tuple(a.codes) for a in answers) == [(), ("CONFLICT",)] or sorted(
        tuple(a.codes) for a in answers) == [(), ("NOT_FOUND",)]
    assert await models.EventLog.filter(event_id=row_id(event), action="return").count() == 1


async def test_every_correction_is_a_verb_an_admin_may_name(sign_in):
    admin = await sign_in("admin")
    for verb in ("redispatch", "return", "request_extension", "decide_extension", "park", "unpark", "urge",
                 "dispatch_to_department"):
        rule = {"role": "correction_probe", "domain": "*", "object": "event", "action": verb}
        await admin.query("mutation($r: PolicyRuleInput!) { addPolicyRule(rule: $r) { role } }", r=rule)
        await admin.query("mutation($r: PolicyRuleInput!) { removePolicyRule(rule: $r) { role } }", r=rule)
    bad = await admin.post("mutation($r: PolicyRuleInput!) { addPolicyRule(rule: $r) { role } }",
                           {"r": {"role": "grid_worker", "domain": "*", "object": "event", "action": "unknown_step"}})
    assert bad.codes == ["BAD_USER_INPUT"]


async def test_migration_0013_brings_the_corrections_to_an_older_database(app, sign_in, anchors):
    """Before 0013 a grid leader could not escalate and anyone who dispatched could send to a
    department; the migration adds the corrections' lines and the tiers' rules, once."""
    import importlib
    from types import SimpleNamespace

    from tortoise import connections
    from tortoise.expressions import F

    migration = importlib.import_module("gridhub.models.migrations.0013_corrections")
    leader = await sign_in("leader")
    event = await accepted(sign_in, anchors)
    try:
        for role, obj, action, effect in migration.LINES:
            await models.CasbinRule.filter(ptype="p", v0=role, v1="*", v2=obj, v3=action, v4=effect).delete()
        await models.PolicyState.filter(id=1).update(version=F("version") + 1)
        await app.state.store.refresh()
        await refused(leader, "escalateEvent", event, "FORBIDDEN")
    finally:
        editor = SimpleNamespace(client=connections.get("default"))
        for _ in range(2):  # twice: the second run finds everything there
            await migration.forward(None, editor)
        await app.state.store.refresh()
    for role, obj, action, effect in migration.LINES:
        assert await models.CasbinRule.filter(ptype="p", v0=role, v1="*", v2=obj, v3=action, v4=effect).count() == 1
    await ok(leader, "escalateEvent", event, "REPORTED")


async def test_the_demo_holds_each_correction_as_the_workflow_leaves_it(app, demo_now, gql):
    """One event in each state the corrections lead to, and one urged, with the log and the
    columns the steps would have written (read through GraphQL as the county)."""
    demo = models.Event.filter(created_at__lte=demo_now)  # the demo's own, not the tests' (reported since)
    returned = await demo.filter(status="returned").first()
    assert returned.handling_department_id is None and returned.handling_region_id == returned.dispatcher_region_id
    assert await models.EventLog.filter(event_id=returned.id, action="return", to_region_id=returned.dispatcher_region_id,
                                        due_at=returned.due_at).exists()
    asked = await demo.filter(status="extension_requested").first()
    assert asked.requested_due_at > asked.due_at
    parked = await demo.filter(status="parked").first()
    logged = await models.EventLog.filter(event_id=parked.id, action="park").first()
    assert logged.due_at == parked.due_at > demo_now  # due for review
    urged = await demo.filter(urge_count__gt=0).first()
    assert await models.EventLog.filter(event_id=urged.id, action="urge").count() == urged.urge_count == 2
    dispatches = await models.EventLog.filter(action="dispatch", event_id__in=[returned.id, asked.id, parked.id])
    assert len(dispatches) == 3 and all(d.due_at and (d.to_region_id or d.to_department_id) for d in dispatches)
    shown = (await gql.query(SHOW, id=gid("Event", returned.id)))["node"]
    steps = [entry["action"] for entry in shown["log"] if entry["action"] != "supervise"]  # 督办 comes any time
    assert shown["status"] == "RETURNED" and shown["light"] and steps[-1] == "return"
