"""Transfers of residence across grids (迁入/迁出, issue 21) over HTTP as the demo users: the
anchor grid's worker asks for a person registered in the sibling grid, the community centre
(or the holding grid's leader) approves or refuses, and on approval the person moves with
their tags, key-person responsibilities and visit records. Each test works on persons of its
own, made in the sibling grid, so the demo's registers stay as they were."""

import random

import pytest
from datetime import date, datetime, timedelta, timezone

from gridhub import models
from gridhub.models.enums import EventKind, EventSource, EventStatus, Gender, ResponsibleRole
from gridhub.resolvers.write.validation import id_number_check_digit

from .test_corrections import row_id
from .test_workflow import gid

ASK = """mutation($n: String!, $r: ID!, $p: ID, $note: String! = "") {
  requestTransfer(idNumber: $n, region: $r, place: $p, note: $note) {
    id status requestedBy note person { id } fromRegion { path } toRegion { path } } }"""
DECIDE = """mutation($id: ID!, $ok: Boolean!, $note: String! = "") {
  decideTransfer(id: $id, approved: $ok, note: $note) {
    status decidedBy decisionNote person { id name region { path } } fromRegion { path } } }"""
LIST = """query($s: TransferStatus) { residenceTransfers(first: 50, status: $s) {
  totalCount nodes { id status person { id } fromRegion { path } toRegion { path } } } }"""
NOTICES = """{ notices(first: 50, unread: true) { nodes { kind action actor note event { id }
  transfer { id status } } } }"""


def new_id_number() -> str:
    # from the system: pytest-randomly seeds `random` alike at every test, so two tests would draw one number
    draw = random.SystemRandom()
    first17 = f"652123{date(1980, 1, 1) + timedelta(days=draw.randrange(12000)):%Y%m%d}{draw.randrange(1000):03d}"
    return first17 + id_number_check_digit(first17)


async def region(path: str) -> models.Region:
    return await models.Region.get(region_path=path, deleted_at=None)


MADE: list[int] = []


@pytest.fixture(autouse=True)
async def deregistered_after():
    """Our persons leave the registers when a test ends (soft-deleted, with their key-person
    work), so tests of the demo's registers never meet them."""
    yield
    ids, MADE[:] = list(MADE), []
    stamp = datetime.now(timezone.utc)
    await models.Person.filter(id__in=ids).update(deleted_at=stamp)
    await models.KeyPersonResponsibility.filter(key_person_id__in=ids).update(deleted_at=stamp)


async def resident(path: str, *, key: bool = False) -> models.Person:
    """A person of our own in the grid at `path`, with a tag, a stay, and (a key person) a
    responsibility and a visit record."""
    grid = await region(path)
    while True:
        number = new_id_number()
        if not await models.Person.exists(id_number=number):
            break
    person = await models.Person.create(id_number=number, name="迁移测试", gender=Gender.MALE,
                                        birth_date=date(1980, 1, 1), region_id=grid.id, region_path=path)
    MADE.append(person.id)
    tags = ["care/low_income"] + (["key/drug"] if key else [])
    await models.PersonTag.bulk_create([models.PersonTag(person_id=person.id, tag=t, region_id=grid.id,
                                                         region_path=path) for t in tags])
    home = await models.Place.filter(region_path__startswith=path, deleted_at=None).first()
    await models.Residence.create(person_id=person.id, place_id=home.id, started_on=date(2020, 1, 1),
                                  region_id=home.region_id, region_path=home.region_path)
    await models.Person.filter(id=person.id).update(residence_id=home.id)
    if key:
        await models.KeyPersonResponsibility.create(key_person_id=person.id, role=ResponsibleRole.FAMILY,
                                                    name="家属", started_on=date(2024, 1, 1), region_id=grid.id,
                                                    region_path=path)
        visit = await models.Event.create(title="入户走访", kind=EventKind.VISIT, category="service/key_visit",
                                          source=EventSource.PATROL, occurred_at=datetime.now(timezone.utc),
                                          status=EventStatus.CLOSED, region_id=grid.id, region_path=path,
                                          reported_region_id=grid.id)
        await models.EventPerson.create(event_id=visit.id, person_id=person.id)
    return await models.Person.get(id=person.id)


async def ask(client, person: models.Person, into: str, **extra):
    return await client.post(ASK, {"n": person.id_number, "r": gid("Region", (await region(into)).id), **extra})


async def test_asked_approved_and_moved_with_what_is_theirs(sign_in, anchors):
    worker, community = await sign_in("worker"), await sign_in("community")
    person = await resident(anchors["sibling_grid"], key=True)
    mark = (await models.AuditEntry.all().order_by("-id").first()).id

    asked = await ask(worker, person, anchors["grid"], note="租住本网格")
    transfer = asked.ok()["requestTransfer"]
    # the asking grid learns that the person exists elsewhere, nothing more
    assert transfer["status"] == "PENDING" and transfer["person"] is None and transfer["fromRegion"] is None
    assert transfer["toRegion"]["path"] == anchors["grid"] and transfer["requestedBy"] == "worker"
    audited = await models.AuditEntry.filter(id__gt=mark, actor="worker").order_by("id")
    assert [(a.action, a.object_kind) for a in audited] == [("lookup_sensitive", "person"),
                                                            ("request_transfer", "transfer")]
    assert audited[0].detail["tried"] == person.id_number
    # the holding grid is told; the community centre, which decides, reads it whole
    told = await models.Notice.filter(transfer_id__isnull=False, kind="transfer_asked").order_by("-id").first()
    assert told.region_id == person.region_id and told.event_id is None
    listed = (await community.query(LIST, s="PENDING"))["residenceTransfers"]["nodes"]
    mine = next(n for n in listed if n["id"] == transfer["id"])
    assert mine["person"]["id"] == gid("Person", person.id) and mine["fromRegion"]["path"] == anchors["sibling_grid"]

    # the asking grid's leader reads it, but the sibling grid's person is not its to let go
    leader = await sign_in("leader")
    refused = await leader.post(DECIDE, {"id": transfer["id"], "ok": True})
    assert refused.codes == ["FORBIDDEN"], refused.errors

    decided = (await community.query(DECIDE, id=transfer["id"], ok=True, note="同意"))["decideTransfer"]
    assert decided["status"] == "APPROVED" and decided["decidedBy"] == "community"
    moved = await models.Person.get(id=person.id)
    assert moved.region_path == anchors["grid"] and moved.version == person.version + 1
    assert moved.residence_id is None, "the stay in the old grid ended; no new place was named"
    assert set(await models.PersonTag.filter(person_id=person.id).values_list("region_path", flat=True)) == {
        anchors["grid"]}
    duty = await models.KeyPersonResponsibility.get(key_person_id=person.id)
    assert duty.region_path == anchors["grid"]
    visit = await models.Event.get(id__in=await models.EventPerson.filter(person_id=person.id).values_list(
        "event_id", flat=True))
    assert visit.region_path == anchors["grid"] and visit.reported_region_id == person.region_id, \
        "the visit moves; it keeps the grid it was reported in"
    stay = await models.Residence.get(person_id=person.id)
    assert stay.ended_on is not None, "the old stay is history"
    assert await models.RegionMove.filter(kind="person", row_id=person.id, from_path=anchors["sibling_grid"],
                                          to_path=anchors["grid"]).exists()
    assert [a.action for a in await models.AuditEntry.filter(id__gt=mark, actor="community").order_by("id")] == [
        "transfer", "approve_transfer"]

    # now the person is the worker's: read whole, and the worker is told of the decision
    seen = (await worker.query(LIST))["residenceTransfers"]["nodes"]
    assert next(n for n in seen if n["id"] == transfer["id"])["person"] == {"id": gid("Person", person.id)}
    notices = (await worker.query(NOTICES))["notices"]["nodes"]
    assert {"kind": "TRANSFER_DONE", "action": "approve_transfer", "actor": "community", "note": "同意",
            "event": None, "transfer": {"id": transfer["id"], "status": "APPROVED"}} in notices

    # decided is decided
    again = await community.post(DECIDE, {"id": transfer["id"], "ok": False, "note": "改主意"})
    assert again.codes == ["CONFLICT"] and again.errors[0]["extensions"]["field"] == "status"
    assert (await models.ResidenceTransfer.get(id=row_id(transfer["id"]))).status == "approved"


async def test_refused_with_a_reason_and_the_person_stays(sign_in, anchors):
    worker, community = await sign_in("worker"), await sign_in("community")
    person = await resident(anchors["sibling_grid"])
    transfer = (await ask(worker, person, anchors["grid"])).ok()["requestTransfer"]
    duplicate = await ask(worker, person, anchors["grid"])
    assert duplicate.codes == ["CONFLICT"] and duplicate.errors[0]["extensions"]["reason"] == "TRANSFER_PENDING"

    silent = await community.post(DECIDE, {"id": transfer["id"], "ok": False})
    assert silent.codes == ["BAD_USER_INPUT"] and silent.errors[0]["extensions"]["field"] == "note"
    decided = (await community.query(DECIDE, id=transfer["id"], ok=False, note="仍在本网格居住"))["decideTransfer"]
    assert decided["status"] == "REFUSED" and decided["decisionNote"] == "仍在本网格居住"
    assert (await models.Person.get(id=person.id)).region_path == anchors["sibling_grid"]
    notices = (await worker.query(NOTICES))["notices"]["nodes"]
    assert any(n["kind"] == "TRANSFER_DONE" and n["action"] == "refuse_transfer"
               and n["transfer"] == {"id": transfer["id"], "status": "REFUSED"} for n in notices)
    # refused, the worker may ask again (once more facts are in)
    again = (await ask(worker, person, anchors["grid"])).ok()["requestTransfer"]
    assert again["status"] == "PENDING"
    await community.query(DECIDE, id=again["id"], ok=False, note="清理")


async def test_the_holding_grids_leader_decides(sign_in, anchors, app):
    """The grid holding the person decides too: the anchor grid's leader, for a person of its
    grid asked for by the sibling grid (asked here through the resolver, as that grid's worker
    is no demo user)."""
    from gridhub.resolvers.domain import transfers

    person = await resident(anchors["grid"])
    # the community centre does not ask (transfer_in is the grid's): refused
    refused = await (await sign_in("community")).post(ASK, {"n": person.id_number,
                                                           "r": gid("Region", (await region(anchors["sibling_grid"])).id)})
    assert refused.codes == ["FORBIDDEN"], refused.errors
    grid = await region(anchors["sibling_grid"])
    transfer = await models.ResidenceTransfer.create(person_id=person.id, from_region_id=person.region_id,
                                                     to_region_id=grid.id, status=transfers.PENDING,
                                                     requested_by="sibling_worker")
    leader, worker = await sign_in("leader"), await sign_in("worker")
    by_worker = await worker.post(DECIDE, {"id": gid("ResidenceTransfer", transfer.id), "ok": True})
    assert by_worker.codes == ["NOT_FOUND"], "the worker neither asked for it nor decides it"
    decided = (await leader.query(DECIDE, id=gid("ResidenceTransfer", transfer.id), ok=True))["decideTransfer"]
    assert decided["status"] == "APPROVED" and decided["fromRegion"]["path"] == anchors["grid"]
    assert decided["person"] is None, "gone to the sibling grid: no longer the leader's to read"
    assert (await models.Person.get(id=person.id)).region_path == anchors["sibling_grid"]


async def test_what_cannot_be_asked(sign_in, anchors):
    worker, police = await sign_in("worker"), await sign_in("police")
    own = await resident(anchors["grid"])
    mark = (await models.AuditEntry.all().order_by("-id").first()).id
    in_register = await ask(worker, own, anchors["grid"])
    assert in_register.codes == ["CONFLICT"] and in_register.errors[0]["extensions"]["reason"] == "IN_YOUR_REGISTER"
    assert not await models.AuditEntry.filter(id__gt=mark, action="lookup_sensitive").exists()

    nobody = await worker.post(ASK, {"n": new_id_number(), "r": gid("Region", own.region_id)})
    assert nobody.codes == ["NOT_FOUND"] and nobody.errors[0]["extensions"]["field"] == "idNumber"
    lookups = await models.AuditEntry.filter(id__gt=mark, action="lookup_sensitive", actor="worker")
    assert [a.detail["outcome"] for a in lookups] == ["not_found"], "asking for nobody is a lookup too"

    elsewhere = await resident(anchors["sibling_grid"])
    for client, into, code, field in (
            (worker, anchors["sibling_grid"], "FORBIDDEN", "region"),  # asked into another grid
            (worker, anchors["community"], "BAD_USER_INPUT", "region"),  # a person moves into a grid
            (police, anchors["grid"], "FORBIDDEN", "region")):  # departments do not move residents
        response = await ask(client, elsewhere, into)
        assert response.codes == [code] and response.errors[0]["extensions"]["field"] == field, (into, response.errors)
    bad = await worker.post(ASK, {"n": "652123198001011234", "r": gid("Region", own.region_id)})
    assert bad.codes == ["BAD_USER_INPUT"]
    assert not await models.ResidenceTransfer.filter(person_id__in=(own.id, elsewhere.id)).exists()

    # a department reads no transfer and decides none
    transfer = (await ask(worker, elsewhere, anchors["grid"])).ok()["requestTransfer"]
    assert (await police.query(LIST))["residenceTransfers"]["totalCount"] == 0
    hidden = await police.post(DECIDE, {"id": transfer["id"], "ok": True})
    assert hidden.codes == ["NOT_FOUND"]
    await (await sign_in("community")).query(DECIDE, id=transfer["id"], ok=False, note="清理")


async def test_a_named_place_becomes_the_new_residence(sign_in, anchors):
    worker, community = await sign_in("worker"), await sign_in("community")
    person = await resident(anchors["sibling_grid"])
    home = await models.Place.filter(region_path__startswith=anchors["grid"], deleted_at=None).order_by("-id").first()
    transfer = (await ask(worker, person, anchors["grid"], p=gid("Place", home.id))).ok()["requestTransfer"]
    await community.query(DECIDE, id=transfer["id"], ok=True)
    moved = await models.Person.get(id=person.id)
    assert moved.residence_id == home.id
    stays = await models.Residence.filter(person_id=person.id).order_by("id")
    assert [s.place_id for s in stays][-1] == home.id and stays[-1].ended_on is None and stays[0].ended_on


async def test_the_demo_holds_transfers_in_every_state(app, sign_in, anchors):
    """The demo's own (requested by `worker`, ours are made by the tests' users too, so the
    notes tell them apart): the community centre has requests to decide, one refused; one
    person came from another town and lives in the anchor grid now."""
    demo = models.ResidenceTransfer.filter(note__in=("租住本网格，申请迁入", "投靠子女", "购房落户", "本人仍在原网格居住"))
    assert sorted(await demo.values_list("status", flat=True)) == ["approved", "pending", "pending", "refused"]
    approved = await demo.get(status="approved")
    assert (await models.Person.get(id=approved.person_id)).region_path == anchors["grid"]
    pending = (await (await sign_in("community")).query(LIST, s="PENDING"))["residenceTransfers"]["nodes"]
    assert {gid("ResidenceTransfer", t.id) for t in await demo.filter(status="pending")} <= {n["id"] for n in pending}
    assert await models.Notice.filter(kind="transfer_asked", transfer_id__in=await demo.values_list(
        "id", flat=True)).count() == 4


async def test_transfers_and_their_notices_do_not_grow_with_page_size(sign_in, count_sql):
    """The list's persons, regions and places, and the notices' transfers, are batched."""
    community = await sign_in("community")
    told = """query($first: Int) { notices(first: $first) { nodes { kind transfer { status person { name }
      fromRegion { name } toRegion { name } } } } }"""
    listed = """query($first: Int) { residenceTransfers(first: $first) { totalCount nodes { status person { name }
      fromRegion { name } toRegion { name } place { name } } } }"""
    for query in (told, listed):
        await community.query(query, first=50)  # caches warmed (the scope, the caller's holdings)
        counts = {}
        for first in (1, 50):
            with count_sql() as counter:
                await community.query(query, first=first)
            counts[first] = counter.count
        assert counts[1] == counts[50], (query, counts)


async def test_asking_spends_the_register_lookup_budget(app_with, sign_in, anchors):
    """Asks that tell of the register (nobody holds it, or someone elsewhere does) count with
    the REGISTERED_ELSEWHERE conflicts: past the budget the answer is RATE_LIMITED."""
    from .client import GraphQLClient

    http = await app_with(registered_elsewhere_per_user=2)
    client = GraphQLClient(http, (await sign_in("worker")).token)
    grid = gid("Region", (await region(anchors["grid"])).id)
    codes = [(await client.post(ASK, {"n": new_id_number(), "r": grid})).codes[0] for _ in range(3)]
    assert codes == ["NOT_FOUND", "NOT_FOUND", "RATE_LIMITED"]
