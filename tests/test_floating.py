"""The floating population (issue 22, 人来登记、人走注销) over HTTP as the demo users: a grid
is reminded of its persons' registrations coming due (a notice, once per lapse day, made by
the periodic sweep), and `personStats` counts arrivals and departures per grid and month."""

import itertools
from datetime import datetime, time, timedelta, timezone

import pytest

from gridhub import models
from gridhub.resolvers.runtime.civil_time import CIVIL_TIME_ZONE, today
from gridhub.resolvers.domain.notices import sweep_renewals
from gridhub.resolvers.write.validation import id_number_check_digit

REGISTER = """mutation($person: ID!, $place: ID!, $on: Date!) {
  registerResidence(person: $person, place: $place, startedOn: $on, newcomer: true) { expiresOn } }"""
RENEW = "mutation($p: ID!, $until: Date) { renewResidence(person: $p, until: $until) { expiresOn } }"
NOTICES = """{ notices(first: 500) { nodes { kind dueAt person { id } region { path } event { id } } } }"""
SEQUENCE = itertools.count(701)


async def _grid(client, path: str) -> str:
    return (await client.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                               p=path))["regions"]["nodes"][0]["id"]


@pytest.fixture
async def newcomer(worker, anchors):
    """A person of the worker's grid and a rental house there to move into; gone afterwards."""
    region = await _grid(worker, anchors["grid"])
    body = f"65010219850505{next(SEQUENCE):03d}"
    number = body + id_number_check_digit(body)
    person = (await worker.query("""mutation($input: PersonCreateInput!) { createPerson(input: $input) { id } }""",
                                 input={"name": "流动测试", "regionId": region, "idNumber": number}))["createPerson"]
    place = (await worker.query("""mutation($input: PlaceCreateInput!) { createPlace(input: $input) { id } }""",
                                input={"code": f"RENT-{number}", "name": "出租屋流动", "kind": "RENTAL_HOUSE",
                                       "regionId": region}))["createPlace"]
    yield person["id"], place["id"]
    gone = datetime.now(timezone.utc)
    await models.Person.filter(id_number=number).update(deleted_at=gone)
    await models.Place.filter(code=f"RENT-{number}").update(deleted_at=gone)


def _renewals(data: dict, person: str) -> list[dict]:
    return [n for n in data["notices"]["nodes"] if n["kind"] == "RENEWAL_DUE" and (n["person"] or {}).get("id") == person]


def _midnight(day) -> str:
    return datetime.combine(day, time(), CIVIL_TIME_ZONE).astimezone(timezone.utc).isoformat()


async def test_a_registration_coming_due_tells_its_grid_once(sign_in, worker, newcomer, anchors):
    person, place = newcomer
    started = today() - timedelta(days=340)  # lapses in 25 days: within the 30-day window
    expires = (await worker.query(REGISTER, person=person, place=place, on=started.isoformat()))[
        "registerResidence"]["expiresOn"]
    for _ in range(2):  # the sweep of two rounds, or two processes: one notice
        await sweep_renewals(datetime.now(timezone.utc))
    told = _renewals(await worker.query(NOTICES), person)
    assert len(told) == 1 and told[0]["event"] is None and told[0]["region"]["path"] == anchors["grid"]
    assert datetime.fromisoformat(told[0]["dueAt"]) == datetime.fromisoformat(_midnight(
        datetime.fromisoformat(expires).date()))
    for other in ("county", "police"):  # the grid holds the person: the tiers above are not told
        assert _renewals(await (await sign_in(other)).query(NOTICES), person) == [], other

    # renewed for a year: nothing due, nothing told; renewed into the window again: told again
    await worker.query(RENEW, p=person, until=None)
    await sweep_renewals(datetime.now(timezone.utc))
    assert len(_renewals(await worker.query(NOTICES), person)) == 1
    soon = today() + timedelta(days=10)
    await worker.query(RENEW, p=person, until=soon.isoformat())
    await sweep_renewals(datetime.now(timezone.utc))
    due = {datetime.fromisoformat(n["dueAt"]) for n in _renewals(await worker.query(NOTICES), person)}
    assert len(due) == 2 and datetime.fromisoformat(_midnight(soon)) in due


async def test_a_registration_far_from_due_tells_nobody(worker, newcomer):
    person, place = newcomer
    await worker.query(REGISTER, person=person, place=place, on=today().isoformat())
    await sweep_renewals(datetime.now(timezone.utc))
    assert _renewals(await worker.query(NOTICES), person) == []


MOVES = """query($r: ID!, $g: [PersonGroup!]) { personStats(region: $r, groupBy: $g) { total
    groups { count arrivals departures key { month region { path } populationType } } } }"""


async def test_arrivals_and_departures_per_grid_and_month(sign_in, worker, newcomer, anchors):
    county = await sign_in("county")
    community = await _grid(county, anchors["community"])
    by_month = (await county.query(MOVES, r=community, g=["MONTH"]))["personStats"]["groups"]
    assert by_month and sum(g["arrivals"] for g in by_month) > 0
    # a community's figure is the sum of its grids' (and of the persons placed in it directly)
    by_grid = (await county.query(MOVES, r=community, g=["CHILD_REGION", "MONTH"]))["personStats"]["groups"]
    for month in {g["key"]["month"] for g in by_month}:
        for measure in ("arrivals", "departures"):
            assert sum(g[measure] for g in by_month if g["key"]["month"] == month) == sum(
                g[measure] for g in by_grid if g["key"]["month"] == month), (month, measure)
    # the stays as the database holds them: registrations begun, and ended, under the community
    stays = await models.Residence.filter(region_path__startswith=anchors["community"], deleted_at=None,
                                          expires_on__not_isnull=True, person__deleted_at=None).values_list(
        "started_on", "ended_on")
    assert sum(g["arrivals"] for g in by_month) == len(stays)
    assert sum(g["departures"] for g in by_month) == len([1 for _, ended in stays if ended])

    # a newcomer arrives this month and leaves: one more of each in the grid's month
    grid = await _grid(worker, anchors["grid"])
    month = today().replace(day=1).isoformat()

    async def this_month() -> tuple[int, int]:
        groups = (await worker.query(MOVES, r=grid, g=["MONTH"]))["personStats"]["groups"]
        found = [g for g in groups if g["key"]["month"] == month]
        return (found[0]["arrivals"], found[0]["departures"]) if found else (0, 0)

    arrived, departed = await this_month()
    person, place = newcomer
    await worker.query(REGISTER, person=person, place=place, on=today().isoformat())
    assert await this_month() == (arrived + 1, departed)
    await worker.query("mutation($p: ID!, $on: Date!) { endResidence(person: $p, endedOn: $on) { endedOn } }",
                       p=person, on=today().isoformat())
    assert await this_month() == (arrived + 1, departed + 1)


async def test_arrivals_are_counted_where_the_persons_are_read(sign_in, anchors):
    """The police read key persons only: their figures are a part of the county's."""
    county, police = await sign_in("county"), await sign_in("police")
    root = await _grid(county, anchors["county"])
    whole = (await county.query(MOVES, r=root, g=["MONTH"]))["personStats"]
    part = (await police.query(MOVES, r=root, g=["MONTH"]))["personStats"]
    assert sum(g["arrivals"] for g in part["groups"]) < sum(g["arrivals"] for g in whole["groups"])
    response = await county.post(MOVES, {"r": root, "g": ["MONTH", "TAG"]})
    assert response.codes == ["BAD_USER_INPUT"] and response.errors[0]["extensions"]["field"] == "groupBy"
    plain = (await county.query(MOVES, r=root, g=["POPULATION_TYPE"]))["personStats"]["groups"]
    assert all(g["arrivals"] is None and g["departures"] is None for g in plain)
