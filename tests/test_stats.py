"""Dashboard statistics over HTTP: within the caller's scope, equal to what SQL counts, and
consistent between tiers (a county's row for a town is that town's own figure)."""

from collections import Counter
from statistics import mean

from gridhub import models
from gridhub.resolvers.domain.visit_due import KEY_VISIT_CATEGORY

EVENT_STATS = """query($r: ID!, $g: [EventGroup!], $from: DateTime, $to: DateTime) {
  eventStats(region: $r, groupBy: $g, from: $from, to: $to) {
    total groups { key { status category source region { path } department { code } }
                   count closed onTimeRate meanHoursToClose meanSatisfaction } } }"""
PERSON_STATS = """query($r: ID!, $g: [PersonGroup!]) {
  personStats(region: $r, groupBy: $g) { total groups { key { tag populationType region { path } } count } } }"""


async def region_id(gql, path):
    data = await gql.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }", p=path)
    return data["regions"]["nodes"][0]["id"]


def figures(group):
    return {k: group[k] for k in ("count", "closed", "onTimeRate", "meanHoursToClose", "meanSatisfaction")}


async def test_county_by_town_equals_each_towns_own(gql, sign_in, anchors, demo_now):
    from datetime import timedelta

    # the demo's four months, its last days left out
    window = {"from": (demo_now - timedelta(days=120)).isoformat(), "to": (demo_now - timedelta(days=7)).isoformat()}
    county = await gql.query(EVENT_STATS, r=await region_id(gql, anchors["county"]), g=["CHILD_REGION"], **window)
    by_town = {g["key"]["region"]["path"]: g for g in county["eventStats"]["groups"]}
    assert anchors["town"] in by_town and anchors["town2"] in by_town
    town = await sign_in("town")
    own = await town.query(EVENT_STATS, r=await region_id(gql, anchors["town"]), g=[], **window)
    assert len(own["eventStats"]["groups"]) == 1
    assert figures(own["eventStats"]["groups"][0]) == figures(by_town[anchors["town"]])
    assert own["eventStats"]["total"] == by_town[anchors["town"]]["count"]
    assert county["eventStats"]["total"] == sum(g["count"] for g in by_town.values())
    # and the other town is no region of the town's, as for node(id)
    other = await town.post(EVENT_STATS, {"r": await region_id(gql, anchors["town2"]), "g": []})
    assert other.codes == ["NOT_FOUND"] and other.data is None


def county_events():
    """The events the centres count: all but the visits to key persons, which they may not read."""
    return models.Event.filter(deleted_at=None).exclude(category=KEY_VISIT_CATEGORY)


async def test_figures_match_the_rows(gql, anchors):
    data = await gql.query(EVENT_STATS, r=await region_id(gql, anchors["county"]), g=["STATUS"])
    events = await county_events()
    assert {g["key"]["status"].lower(): g["count"] for g in data["eventStats"]["groups"]} == \
        Counter(e.status.value for e in events)
    closed = [e for e in events if e.status.value == "closed"]
    group = next(g for g in data["eventStats"]["groups"] if g["key"]["status"] == "CLOSED")
    assert group["closed"] == len(closed)
    on_time = sum(1 for e in closed if e.due_at and e.closed_at <= e.due_at)
    assert group["onTimeRate"] == round(on_time / len(closed), 4)
    hours = mean((e.closed_at - e.occurred_at).total_seconds() / 3600 for e in closed)
    assert abs(group["meanHoursToClose"] - round(hours, 2)) < 0.011
    # AVG over the rated: a visit record (走访) is closed without a rating
    assert group["meanSatisfaction"] == round(mean(e.satisfaction for e in closed if e.satisfaction is not None), 2)


async def test_groups_combine(gql, anchors):
    data = await gql.query(EVENT_STATS, r=await region_id(gql, anchors["county"]), g=["SOURCE", "DEPARTMENT"])
    rows = await county_events().values_list("source", "handling_department_id")
    assert sum(g["count"] for g in data["eventStats"]["groups"]) == len(rows)
    departments = {d.id: d.code for d in await models.Department.all()}
    expected = Counter((s.value.upper(), departments.get(d)) for s, d in rows)
    got = {(g["key"]["source"], (g["key"]["department"] or {}).get("code")): g["count"]
           for g in data["eventStats"]["groups"]}
    assert got == expected


async def test_a_worker_counts_its_grid_only(worker, gql, anchors):
    data = await worker.query(EVENT_STATS, r=await region_id(gql, anchors["county"]), g=["CHILD_REGION"])
    assert data["eventStats"]["total"] == await models.Event.filter(
        region_path__startswith=anchors["grid"], deleted_at=None).count()
    assert [g["key"]["region"]["path"] for g in data["eventStats"]["groups"]] == [anchors["town"]]


async def test_person_stats_hide_key_tags_where_they_are_masked(gql, sign_in, anchors):
    county_id = await region_id(gql, anchors["county"])
    masked = await gql.query(PERSON_STATS, r=county_id, g=["TAG"])
    tags = {g["key"]["tag"]: g["count"] for g in masked["personStats"]["groups"]}
    assert tags and not any(t.startswith("key/") for t in tags)
    assert tags["care/low_income"] == await models.PersonTag.filter(tag="care/low_income", deleted_at=None,
                                                                     person__deleted_at=None).count()
    police = await (await sign_in("police")).query(PERSON_STATS, r=county_id, g=["TAG"])
    police_tags = {g["key"]["tag"] for g in police["personStats"]["groups"]}
    assert any(t.startswith("key/") for t in police_tags)
    by_type = await gql.query(PERSON_STATS, r=county_id, g=["POPULATION_TYPE", "CHILD_REGION"])
    assert by_type["personStats"]["total"] == await models.Person.filter(deleted_at=None).count()


async def test_stats_are_one_statement(gql, anchors, count_sql):
    county_id = await region_id(gql, anchors["county"])
    with count_sql() as counter:
        await gql.query("query($r: ID!) { eventStats(region: $r, groupBy: [STATUS, SOURCE]) { total } }", r=county_id)
    assert counter.count == 4  # the signed-in user, the region, the data version, one grouped statement


async def test_group_by_light(gql, anchors):
    data = await gql.query("""query($r: ID!) { eventStats(region: $r, groupBy: [LIGHT]) { total
        groups { key { light } count } } }""", r=await region_id(gql, anchors["county"]))
    by_light = {g["key"]["light"]: g["count"] for g in data["eventStats"]["groups"]}
    closed_or_rejected = await county_events().filter(status__in=["closed", "rejected"]).count()
    assert by_light.pop(None) == closed_or_rejected
    assert set(by_light) <= {"RED", "YELLOW", "GREEN"} and by_light
    assert sum(by_light.values()) + closed_or_rejected == data["eventStats"]["total"]


async def test_a_cached_answer_never_reaches_another_scope(gql, sign_in, worker, anchors):
    community_id = await region_id(gql, anchors["community"])
    query = "query($r: ID!) { eventStats(region: $r) { total } }"
    community = await sign_in("community")
    everything = (await community.query(query, r=community_id))["eventStats"]["total"]
    again = (await community.query(query, r=community_id))["eventStats"]["total"]  # served from the cache
    own_grid = (await worker.query(query, r=community_id))["eventStats"]["total"]
    assert everything == again == await county_events().filter(region_path__startswith=anchors["community"]).count()
    assert own_grid == await models.Event.filter(region_path__startswith=anchors["grid"], deleted_at=None).count()
    assert own_grid != everything  # different scopes, different answers: one cached would show here


async def test_a_write_shows_on_the_next_read(gql, worker, anchors):
    county_id = await region_id(gql, anchors["county"])
    query = "query($r: ID!) { eventStats(region: $r, groupBy: [STATUS]) { total groups { key { status } count } } }"
    before = (await gql.query(query, r=county_id))["eventStats"]
    assert (await gql.query(query, r=county_id))["eventStats"] == before  # cached, unchanged
    grid = await region_id(gql, anchors["grid"])
    await worker.query("""mutation($g: ID!) { reportEvent(input: {title: "缓存检验", kind: REQUEST,
        category: "safety/fire", source: PATROL, occurredAt: "2026-11-20T08:00:00Z", regionId: $g}) { id } }""", g=grid)
    after = (await gql.query(query, r=county_id))["eventStats"]
    assert after["total"] == before["total"] + 1
    reported = {g["key"]["status"]: g["count"] for g in after["groups"]}["REPORTED"]
    assert reported == {g["key"]["status"]: g["count"] for g in before["groups"]}.get("REPORTED", 0) + 1


async def test_the_data_version_is_two_index_lookups(gql, anchors, count_sql):
    county_id = await region_id(gql, anchors["county"])
    query = "query($r: ID!) { personStats(region: $r, groupBy: [POPULATION_TYPE]) { total } }"
    await gql.query(query, r=county_id)
    with count_sql() as counter:
        await gql.query(query, r=county_id)
    assert counter.count == 3  # the signed-in user, the region, the data version; the answer is cached


TREND = """query($r: ID!, $g: [EventGroup!]) { eventStats(region: $r, groupBy: $g) {
  total groups { key { day week month urgency } count } } }"""


async def test_trends_count_by_civil_day_week_and_month(gql, anchors):
    """DAY, WEEK (its Monday) and MONTH (its first day) in China Standard Time, whatever the
    server's zone: an event at 17:00 UTC counts on the next civil day. Counted here from the
    rows, in Python, by the civil calendar."""
    from datetime import timedelta

    from gridhub.resolvers.runtime.civil_time import CIVIL_TIME_ZONE

    events = await county_events()
    days = [e.occurred_at.astimezone(CIVIL_TIME_ZONE).date() for e in events]
    expected = {
        "DAY": Counter(d.isoformat() for d in days),
        "WEEK": Counter((d - timedelta(days=d.weekday())).isoformat() for d in days),
        "MONTH": Counter(d.replace(day=1).isoformat() for d in days),
        "URGENCY": Counter(e.urgency.value.upper() for e in events),
    }
    # the demo's events fall on either side of a civil midnight that is not UTC's
    assert any(e.occurred_at.astimezone(CIVIL_TIME_ZONE).date() != e.occurred_at.date() for e in events)
    county = await region_id(gql, anchors["county"])
    for group, counts in expected.items():
        data = (await gql.query(TREND, r=county, g=[group]))["eventStats"]
        field = group.lower()
        assert {g["key"][field]: g["count"] for g in data["groups"]} == counts, group
        assert data["total"] == len(events)
    both = (await gql.query(TREND, r=county, g=["WEEK", "URGENCY"]))["eventStats"]["groups"]
    assert Counter({(g["key"]["week"], g["key"]["urgency"]): g["count"] for g in both}) == Counter(
        ((d - timedelta(days=d.weekday())).isoformat(), e.urgency.value.upper()) for d, e in zip(days, events))
