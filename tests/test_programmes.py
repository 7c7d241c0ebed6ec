"""Seed programmes (issue 22, point 7) over HTTP as the demo users: joint-household units (双联户)
in scope and filterable, formed and changed by the grid, audited, one transaction each; party
service posts (先锋驿站) and volunteer activities with hours as organisations' records; the
demo shows them all."""

import random
from datetime import date, timedelta

import pytest
from strawberry.relay import from_base64, to_base64

from gridhub import models

UNITS = """query($p: String) { jointHouseholdUnits(first: 100, filter: {regionPath: $p}) { totalCount
  nodes { id code name version region { path } headHousehold { id code } households { id code jointUnit { code } } } } }"""
FORM = """mutation($c: String!, $h: ID!, $hs: [ID!]!) { formJointHouseholdUnit(code: $c, headHousehold: $h,
  households: $hs, name: "测试联户") { id code version households { id } headHousehold { id } } }"""
CHANGE = """mutation($id: ID!, $v: Int!, $add: [ID!], $remove: [ID!], $head: ID) { changeJointHouseholdUnit(id: $id,
  version: $v, add: $add, remove: $remove, headHousehold: $head) { version headHousehold { id } households { id } } }"""
DISSOLVE = "mutation($id: ID!) { dissolveJointHouseholdUnit(id: $id) { deletedAt } }"


def gid(type_name: str, row_id: int) -> str:
    return to_base64(type_name, row_id)


async def free_households(anchors, n: int, where: str = "grid") -> list[models.Household]:
    """Households of the anchor's grid in no unit (the demo puts a grid's first ten in two units)."""
    found = await models.Household.filter(region_path__startswith=anchors[where], joint_unit_id=None,
                                          deleted_at=None).order_by("-id").limit(n)
    assert len(found) == n, "the demo leaves households out of units"
    return found


@pytest.fixture
async def units_made():
    """Units a test forms, taken apart afterwards so the demo's units stay as they were."""
    codes: list[str] = []
    yield codes
    ids = await models.JointHouseholdUnit.filter(code__in=codes).values_list("id", flat=True)
    await models.Household.filter(joint_unit_id__in=ids).update(joint_unit_id=None)
    await models.JointHouseholdUnit.filter(id__in=ids).delete()


async def test_the_demo_has_units_a_grid_sees_as_its_own(sign_in, anchors):
    worker = await sign_in("worker")
    own = (await worker.query(UNITS, p=anchors["grid"]))["jointHouseholdUnits"]
    assert own["totalCount"] >= 1
    for unit in own["nodes"]:
        assert unit["region"]["path"].startswith(anchors["grid"])
        assert unit["headHousehold"]["id"] in {h["id"] for h in unit["households"]}
        assert all(h["jointUnit"]["code"] == unit["code"] for h in unit["households"])
    everything = (await worker.query(UNITS, p=None))["jointHouseholdUnits"]
    assert everything["totalCount"] == own["totalCount"], "nothing outside its grid"
    county = (await (await sign_in("county")).query(UNITS, p=None))["jointHouseholdUnits"]
    assert county["totalCount"] == await models.JointHouseholdUnit.filter(deleted_at=None).count() > own["totalCount"]
    community = (await (await sign_in("community")).query(UNITS, p=None))["jointHouseholdUnits"]["totalCount"]
    assert community == await models.JointHouseholdUnit.filter(region_path__startswith=anchors["community"],
                                                               deleted_at=None).count()
    text = (await worker.query('query($c: String) { jointHouseholdUnits(filter: {text: $c}) { totalCount } }',
                               c=own["nodes"][0]["code"]))["jointHouseholdUnits"]["totalCount"]
    assert text == 1
    police = await (await sign_in("police")).post(UNITS, {"p": None})
    assert police.data["jointHouseholdUnits"]["totalCount"] == 0  # the list narrows to nothing


async def test_a_grid_forms_changes_and_dissolves_a_unit(sign_in, anchors, units_made):
    worker = await sign_in("worker")
    head, second, third = await free_households(anchors, 3)
    units_made.append("TEST-LH-1")
    mark = (await models.AuditEntry.all().order_by("-id").first()).id
    unit = (await worker.query(FORM, c="TEST-LH-1", h=gid("Household", head.id),
                               hs=[gid("Household", second.id)]))["formJointHouseholdUnit"]
    assert {h["id"] for h in unit["households"]} == {gid("Household", head.id), gid("Household", second.id)}
    # a household already in a unit: CONFLICT, nothing formed
    clash = await worker.post(FORM, {"c": "TEST-LH-2", "h": gid("Household", third.id),
                                     "hs": [gid("Household", second.id)]})
    assert clash.codes == ["CONFLICT"] and clash.errors[0]["extensions"]["field"] == "households"
    assert not await models.JointHouseholdUnit.exists(code="TEST-LH-2")
    assert (await models.Household.get(id=third.id)).joint_unit_id is None
    changed = (await worker.query(CHANGE, id=unit["id"], v=unit["version"], add=[gid("Household", third.id)],
                                  head=gid("Household", third.id), remove=None))["changeJointHouseholdUnit"]
    assert changed["headHousehold"]["id"] == gid("Household", third.id) and len(changed["households"]) == 3
    stale = await worker.post(CHANGE, {"id": unit["id"], "v": unit["version"], "remove": [gid("Household", head.id)]})
    assert stale.codes == ["CONFLICT"] and stale.errors[0]["extensions"]["field"] == "version"
    no_head = await worker.post(CHANGE, {"id": unit["id"], "v": changed["version"],
                                         "remove": [gid("Household", third.id)]})
    assert no_head.codes == ["BAD_USER_INPUT"] and no_head.errors[0]["extensions"]["field"] == "remove"
    assert (await worker.query(DISSOLVE, id=unit["id"]))["dissolveJointHouseholdUnit"]["deletedAt"]
    assert not await models.Household.filter(id__in=[head.id, second.id, third.id], joint_unit_id__not_isnull=True
                                             ).exists()
    audited = await models.AuditEntry.filter(id__gt=mark, object_kind="joint_unit").order_by("id")
    assert [e.action for e in audited] == ["create", "update", "delete"] and {e.actor for e in audited} == {"worker"}


async def test_units_outside_ones_scope_are_refused(sign_in, anchors, units_made):
    worker, community = await sign_in("worker"), await sign_in("community")
    elsewhere = await models.Household.filter(region_path__startswith=anchors["town2"], joint_unit_id=None,
                                              deleted_at=None).first()
    units_made.append("TEST-LH-3")
    outside = await worker.post(FORM, {"c": "TEST-LH-3", "h": gid("Household", elsewhere.id), "hs": []})
    assert outside.codes == ["BAD_USER_INPUT"] and outside.errors[0]["extensions"]["field"] == "headHousehold"
    head, = await free_households(anchors, 1)
    refused = await community.post(FORM, {"c": "TEST-LH-3", "h": gid("Household", head.id), "hs": []})
    assert refused.codes == ["FORBIDDEN"]  # the community centre reads units; it does not form them
    assert not await models.JointHouseholdUnit.exists(code="TEST-LH-3")
    assert (await models.Household.get(id=head.id)).joint_unit_id is None, "the refusal rolled back"
    demo_unit = await models.JointHouseholdUnit.filter(region_path__startswith=anchors["grid"]).first()
    sibling = await models.JointHouseholdUnit.exclude(region_path__startswith=anchors["grid"]).filter(
        region_path__startswith=anchors["community"]).first()
    assert (await community.post(DISSOLVE, {"id": gid("JointHouseholdUnit", demo_unit.id)})).codes == ["FORBIDDEN"]
    if sibling is not None:  # the grid next door's unit is not found at all
        assert (await worker.post(DISSOLVE, {"id": gid("JointHouseholdUnit", sibling.id)})).codes == ["NOT_FOUND"]


POSTS = "{ servicePosts(first: 50) { totalCount nodes { name services openingHours organisation { kind } place { name } } } }"
ACTIVITIES = """query($f: VolunteerActivityFilter) { volunteerActivities(first: 100, filter: $f) { totalCount
  nodes { title heldOn totalHours organisation { name } participants { hours person { name } } } } }"""


async def test_the_demo_shows_service_posts_and_volunteer_hours(sign_in, anchors):
    worker, town = await sign_in("worker"), await sign_in("town")
    posts = (await worker.query(POSTS))["servicePosts"]
    assert posts["totalCount"] >= 1 and all(p["organisation"]["kind"] == "PARTY_BRANCH" for p in posts["nodes"])
    assert (await town.query(POSTS))["servicePosts"]["totalCount"] > posts["totalCount"]
    assert (await (await sign_in("police")).query(POSTS))["servicePosts"]["totalCount"] == 0
    civil = (await (await sign_in("civil")).query(ACTIVITIES, f=None))["volunteerActivities"]
    assert civil["totalCount"] == await models.VolunteerActivity.filter(deleted_at=None).count() > 0
    cared = await models.PersonTag.filter(tag__startswith="care/").values_list("person_id", flat=True)
    cared_for = set(await models.Person.filter(id__in=list(cared)).values_list("name", flat=True))
    for node in civil["nodes"]:
        assert node["totalHours"] == sum(p["hours"] for p in node["participants"]) > 0
        # hours are civil affairs' to read; the volunteers themselves only where it reads persons
        assert {p["person"]["name"] for p in node["participants"] if p["person"]} <= cared_for
    assert any(p["person"] is None for n in civil["nodes"] for p in n["participants"])
    recent = (await (await sign_in("county")).query(ACTIVITIES, f={"heldFrom": (date.today() - timedelta(days=40))
                                                                   .isoformat()}))["volunteerActivities"]
    assert 0 < recent["totalCount"] < civil["totalCount"]


async def test_a_grid_records_a_service_post_and_an_activity(sign_in, anchors):
    worker = await sign_in("worker")
    branch = await models.Organisation.filter(region_path=anchors["grid"], kind="party_branch").first()
    team = await models.Organisation.filter(kind="volunteer_team", region_path__startswith=anchors["grid"]).first()
    team = team or branch  # a party branch holds volunteer activities too
    people = await models.Person.filter(region_path__startswith=anchors["grid"], deleted_at=None).limit(2)
    mark = (await models.AuditEntry.all().order_by("-id").first()).id
    post = (await worker.query("""mutation($o: ID!) { recordServicePost(organisation: $o, name: "测试先锋驿站",
      services: "代办", openingHours: "全天") { id name } }""", o=gid("Organisation", branch.id)))["recordServicePost"]
    record = """mutation($o: ID!, $d: Date!, $p: [VolunteerHoursInput!]!) { recordVolunteerActivity(organisation: $o,
      title: "测试义务劳动", heldOn: $d, participants: $p) { id totalHours participants { hours } } }"""
    hours = [{"person": gid("Person", people[0].id), "hours": 2.5}, {"person": gid("Person", people[1].id), "hours": 1}]
    activity = (await worker.query(record, o=gid("Organisation", team.id), d=date.today().isoformat(), p=hours))[
        "recordVolunteerActivity"]
    try:
        assert activity["totalHours"] == 3.5
        bad = [({"p": [{**hours[0], "hours": 25}]}, "participants"), ({"p": []}, "participants"),
               ({"d": (date.today() + timedelta(days=2)).isoformat()}, "heldOn")]
        for change, field in bad:
            response = await worker.post(record, {"o": gid("Organisation", team.id), "d": date.today().isoformat(),
                                                  "p": hours, **change})
            assert response.codes == ["BAD_USER_INPUT"] and response.errors[0]["extensions"]["field"] == field
        enterprise = await models.Organisation.filter(kind="enterprise").first()
        refused = await (await sign_in("county")).post(
            'mutation($o: ID!) { recordServicePost(organisation: $o, name: "x") { id } }',
            {"o": gid("Organisation", enterprise.id)})
        assert refused.codes and refused.codes[0] in ("BAD_USER_INPUT", "FORBIDDEN")
        audited = {e.object_kind for e in await models.AuditEntry.filter(id__gt=mark, actor="worker", action="create")}
        assert {"service_post", "volunteer_activity"} <= audited
    finally:
        await models.ServicePost.filter(id=int(from_base64(post["id"])[1])).delete()
        await models.VolunteerActivity.filter(id=int(from_base64(activity["id"])[1])).delete()


async def test_lists_of_programmes_take_a_fixed_number_of_statements(sign_in, count_sql):
    """No N+1: a page of units with their households, of activities with their hours."""
    county = await sign_in("county")
    query = """query($n: Int) { jointHouseholdUnits(first: $n) { nodes { code headHousehold { code }
      households { code jointUnit { code } } region { name } } }
      volunteerActivities(first: $n) { nodes { title totalHours participants { hours person { name } }
      organisation { name } } } }"""
    counts = []
    for n in (2, 12):
        with count_sql() as counter:
            data = await county.query(query, n=n)
        assert len(data["jointHouseholdUnits"]["nodes"]) == n and len(data["volunteerActivities"]["nodes"]) == n
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


RECORD_POST = """mutation($o: ID!, $n: String!) { recordServicePost(organisation: $o, name: $n, services: "代办",
  openingHours: "全天") { id version } }"""
CHANGE_POST = """mutation($id: ID!, $v: Int!, $s: String, $h: String, $n: String) { changeServicePost(id: $id,
  version: $v, services: $s, openingHours: $h, name: $n) { version name services openingHours } }"""
CLOSE_POST = "mutation($id: ID!, $v: Int) { closeServicePost(id: $id, version: $v) { deletedAt } }"
RECORD_ACTIVITY = """mutation($o: ID!, $d: Date!, $p: [VolunteerHoursInput!]!) { recordVolunteerActivity(
  organisation: $o, title: "测试清扫", heldOn: $d, participants: $p) { id version } }"""
CHANGE_ACTIVITY = """mutation($id: ID!, $v: Int!, $t: String, $d: Date, $p: [VolunteerHoursInput!]) {
  changeVolunteerActivity(id: $id, version: $v, title: $t, heldOn: $d, participants: $p) {
    version title heldOn totalHours participants { hours person { id } } } }"""
WITHDRAW = "mutation($id: ID!, $v: Int) { withdrawVolunteerActivity(id: $id, version: $v) { deletedAt } }"
HOURS = """query($o: [ID!], $p: [ID!], $from: Date, $to: Date, $path: String, $n: Int! = 50) {
  volunteerHours(organisation: $o, person: $p, heldFrom: $from, heldUntil: $to, regionPath: $path, first: $n) {
    hours activities volunteers byVolunteer { hours activities person { id } } } }"""


@pytest.fixture
async def grid_programmes(anchors):
    """The anchor grid's party branch and three of its persons; the posts and activities a test
    records (named 测试…) are removed afterwards, the demo's stay."""
    branch = await models.Organisation.filter(region_path=anchors["grid"], kind="party_branch").first()
    people = await models.Person.filter(region_path__startswith=anchors["grid"], deleted_at=None).order_by("id"
                                                                                                         ).limit(3)
    yield branch, people
    await models.ServicePost.filter(name__startswith="测试").delete()
    await models.VolunteerActivity.filter(title__startswith="测试").delete()


def hours_of(people, *hours) -> list[dict]:
    return [{"person": gid("Person", p.id), "hours": h} for p, h in zip(people, hours)]


async def test_a_grid_changes_and_closes_its_service_post(sign_in, grid_programmes):
    worker, town = await sign_in("worker"), await sign_in("town")
    branch, _ = grid_programmes
    name = f"测试驿站{random.SystemRandom().randrange(10**6)}"
    post = (await worker.query(RECORD_POST, o=gid("Organisation", branch.id), n=name))["recordServicePost"]
    mark = (await models.AuditEntry.all().order_by("-id").first()).id
    changed = (await worker.query(CHANGE_POST, id=post["id"], v=post["version"], s="代办、调解",
                                  h="8:00-18:00"))["changeServicePost"]
    assert changed == {"version": post["version"] + 1, "name": name, "services": "代办、调解",
                       "openingHours": "8:00-18:00"}
    stale = await worker.post(CHANGE_POST, {"id": post["id"], "v": post["version"], "s": "过时"})
    assert stale.codes == ["CONFLICT"] and stale.errors[0]["extensions"]["field"] == "version"
    for variables, field in (({"n": " "}, "name"), ({"h": "x" * 65}, "openingHours")):
        bad = await worker.post(CHANGE_POST, {"id": post["id"], "v": changed["version"], **variables})
        assert bad.codes == ["BAD_USER_INPUT"] and bad.errors[0]["extensions"]["field"] == field
    assert (await models.ServicePost.get(id=row(post))).services == "代办、调解", "refusals change nothing"
    # the town centre reads the post but neither changes nor closes it
    assert (await town.post(CHANGE_POST, {"id": post["id"], "v": changed["version"], "s": "x"})).codes == ["FORBIDDEN"]
    assert (await town.post(CLOSE_POST, {"id": post["id"], "v": None})).codes == ["FORBIDDEN"]
    assert (await worker.post(CLOSE_POST, {"id": post["id"], "v": post["version"]})).codes == ["CONFLICT"]
    assert (await worker.query(CLOSE_POST, id=post["id"], v=changed["version"]))["closeServicePost"]["deletedAt"]
    assert name not in {p["name"] for p in (await worker.query(POSTS))["servicePosts"]["nodes"]}
    audited = await models.AuditEntry.filter(id__gt=mark, object_kind="service_post").order_by("id")
    assert [(e.actor, e.action, e.detail.get("fields")) for e in audited] == [
        ("worker", "update", ["openingHours", "services"]), ("worker", "delete", None)]


def row(node: dict) -> int:
    return int(from_base64(node["id"])[1])


async def test_a_grid_corrects_and_withdraws_an_activity_and_the_hours_follow(sign_in, grid_programmes):
    worker, civil = await sign_in("worker"), await sign_in("civil")
    branch, people = grid_programmes
    today = date.today()
    activity = (await worker.query(RECORD_ACTIVITY, o=gid("Organisation", branch.id), d=today.isoformat(),
                                   p=hours_of(people, 2, 3)))["recordVolunteerActivity"]
    ask = {"o": [gid("Organisation", branch.id)], "from": today.isoformat(), "to": today.isoformat()}
    before = (await worker.query(HOURS, **ask))["volunteerHours"]
    # the whole list: the first's hours corrected, the second left out, the third added
    changed = (await worker.query(CHANGE_ACTIVITY, id=activity["id"], v=activity["version"], t="测试清扫积雪",
                                  p=hours_of([people[0], people[2]], 4, 1.5)))["changeVolunteerActivity"]
    assert changed["title"] == "测试清扫积雪" and changed["totalHours"] == 5.5
    assert {(p["person"]["id"], p["hours"]) for p in changed["participants"]} == {
        (gid("Person", people[0].id), 4), (gid("Person", people[2].id), 1.5)}
    after = (await worker.query(HOURS, **ask))["volunteerHours"]
    assert after["hours"] == pytest.approx(before["hours"] + 0.5)
    stale = await worker.post(CHANGE_ACTIVITY, {"id": activity["id"], "v": activity["version"], "t": "测试过时"})
    assert stale.codes == ["CONFLICT"] and stale.errors[0]["extensions"]["field"] == "version"
    for variables, field in (({"d": (today + timedelta(days=3)).isoformat()}, "heldOn"), ({"p": []}, "participants"),
                             ({"p": hours_of(people[:1], 30)}, "participants"), ({"t": ""}, "title")):
        bad = await worker.post(CHANGE_ACTIVITY, {"id": activity["id"], "v": changed["version"], **variables})
        assert bad.codes == ["BAD_USER_INPUT"] and bad.errors[0]["extensions"]["field"] == field, variables
    assert await models.VolunteerHours.filter(activity_id=row(activity)).count() == 2, "refusals change nothing"
    # civil affairs reads the hours, and neither corrects nor withdraws them
    assert (await civil.post(CHANGE_ACTIVITY, {"id": activity["id"], "v": changed["version"], "t": "测试x"})
            ).codes == ["FORBIDDEN"]
    assert (await civil.post(WITHDRAW, {"id": activity["id"], "v": None})).codes == ["FORBIDDEN"]
    assert (await worker.query(WITHDRAW, id=activity["id"], v=changed["version"]))["withdrawVolunteerActivity"][
        "deletedAt"]
    gone = (await worker.query(HOURS, **ask))["volunteerHours"]
    assert gone["hours"] == pytest.approx(before["hours"] - 5), "a withdrawn activity counts nowhere"
    audited = await models.AuditEntry.filter(object_kind="volunteer_activity", object_id=str(row(activity)),
                                             actor="worker").order_by("id")
    assert [e.action for e in audited] == ["create", "update", "delete"]
    assert audited[1].detail["fields"] == ["participants", "title"]


async def test_volunteer_hours_add_up_per_volunteer_in_scope(sign_in, anchors, grid_programmes):
    """A team leader's question (my team, this period, each volunteer) and civil affairs' (the
    county: how many hours, by how many): each over the activities the asker may read."""
    worker, civil, police = await sign_in("worker"), await sign_in("civil"), await sign_in("police")
    branch, people = grid_programmes
    day = (date.today() - timedelta(days=400 + random.SystemRandom().randrange(300))).isoformat()
    for hours in ((2, 1), (3,)):
        await worker.query(RECORD_ACTIVITY, o=gid("Organisation", branch.id), d=day, p=hours_of(people, *hours))
    ask = {"o": [gid("Organisation", branch.id)], "from": day, "to": day}
    team = (await worker.query(HOURS, **ask))["volunteerHours"]
    live = models.VolunteerHours.filter(activity__held_on=day, activity__organisation_id=branch.id,
                                        activity__deleted_at=None)
    expected: dict[int, float] = {}
    for h in await live:
        expected[h.person_id] = expected.get(h.person_id, 0) + float(h.hours)
    assert team["hours"] == pytest.approx(sum(expected.values())) and team["volunteers"] == len(expected)
    first, second = team["byVolunteer"][:2]
    assert first == {"hours": expected[people[0].id], "activities": 2, "person": {"id": gid("Person", people[0].id)}}
    assert first["hours"] >= second["hours"], "most hours first"
    one = (await worker.query(HOURS, **ask, p=[gid("Person", people[1].id)]))["volunteerHours"]
    assert one["hours"] == expected[people[1].id] and one["volunteers"] == 1
    assert len((await worker.query(HOURS, **ask, n=1))["volunteerHours"]["byVolunteer"]) == 1
    # civil affairs reads every activity: the same hours, the volunteers themselves masked
    county = (await civil.query(HOURS, **ask))["volunteerHours"]
    assert county["hours"] == team["hours"]
    readable = set(await models.PersonTag.filter(tag__startswith="care/").values_list("person_id", flat=True))
    assert all(v["person"] is None or row(v["person"]) in readable for v in county["byVolunteer"])
    everything = (await civil.query(HOURS))["volunteerHours"]
    assert everything["activities"] == await models.VolunteerActivity.filter(deleted_at=None).count()
    # the grid next door adds up nothing of this grid's; the police read no activities at all
    assert (await police.query(HOURS, **ask))["volunteerHours"] == {"hours": 0, "activities": 0, "volunteers": 0,
                                                                    "byVolunteer": []}
    assert (await worker.query(HOURS, **ask, path=anchors["sibling_grid"]))["volunteerHours"]["hours"] == 0
    for variables, field in (({"from": day, "to": "2000-01-01"}, "heldUntil"), ({"path": "abc"}, "regionPath"),
                             ({"n": 501}, "first")):
        bad = await worker.post(HOURS, variables)
        assert bad.codes == ["BAD_USER_INPUT"] and bad.errors[0]["extensions"]["field"] == field


async def test_volunteer_hours_take_a_fixed_number_of_statements(sign_in, count_sql):
    """Two aggregates and one batched read of the persons shown, whatever `first` is."""
    civil = await sign_in("civil")
    counts = []
    for n in (2, 40):
        with count_sql() as counter:
            data = (await civil.query("query($n: Int!) { volunteerHours(first: $n) { hours byVolunteer { hours "
                                      "person { name } } } }", n=n))["volunteerHours"]
        counts.append(counter.count)
        shown = len(data["byVolunteer"])
        assert shown == 2 if n == 2 else shown > 2, "the demo has more volunteers than two"
    assert counts[0] == counts[1], counts
