"""Every sensitive value shown unmasked is audited, each field on its own, on every way out
of the hub: GraphQL on both read paths, `/export` and the `changes` feed. Each test takes a
mark before the read and asserts the entries written since, against the rows that really
hold a value (computed from the database, never empty), so a read that stops being audited
for one field, on one path, turns exactly these tests red."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tortoise import connections
from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.resolvers.identity.context import _READERS, holding_region, sensitive_reads_of
from gridhub.resolvers.read.query import sql_dialect

from .audit import audit_mark, entries_since, revealed_since
from .test_compiled import read_path
from .test_export import _row_id, pull

# the GraphQL field -> its name in the trail (policies/sensitivity.py SENSITIVE)
SENSITIVE = {"idNumber": "id_number", "phone": "phone", "tags": "key_tags"}


async def holding(field: str, region_path: str, ids=None) -> set[int]:
    """The persons under `region_path` that hold a value of the sensitive `field`."""
    persons = models.Person.filter(region_path__startswith=region_path, deleted_at=None)
    if ids is not None:
        persons = persons.filter(id__in=list(ids))
    if field == "key_tags":
        tagged = await models.PersonTag.filter(deleted_at=None, tag__startswith="key").values_list(
            "person_id", flat=True)
        persons = persons.filter(id__in=list(set(tagged)))
    else:
        persons = persons.filter(**{f"{field}__isnull": False})
    return set(await persons.values_list("id", flat=True))


async def assert_each_field_audited(actor: str, mark: int, sent: set[int]) -> None:
    """Of the persons `sent`, those holding each sensitive field are its audited reads since `mark`."""
    for field in SENSITIVE.values():
        expected = await holding(field, "", sent)
        assert expected, field
        assert await revealed_since(actor, mark, field) == expected, field


@pytest.mark.parametrize("compiled", [False, True], ids=["resolvers", "compiled"])
@pytest.mark.parametrize("field", SENSITIVE)
async def test_graphql_audits_each_sensitive_field(settings, sign_in, anchors, count_sql, field, compiled):
    """The grid worker holds all three fields in its grid: a page of its persons showing
    one field audits that field for exactly the persons that have a value, and nothing else."""
    worker = await sign_in("worker")
    expected = await holding(SENSITIVE[field], anchors["grid"])
    assert expected, f"no person of the grid holds {field}: the test would prove nothing"
    mark = await audit_mark()
    with read_path(settings, compiled), count_sql() as counter:
        data = await worker.query(f"""query($p: String) {{ persons(first: 500, filter: {{regionPath: $p}}) {{
            totalCount nodes {{ id {field} }} }} }}""", p=anchors["grid"])
    nodes = data["persons"]["nodes"]
    assert len(nodes) == data["persons"]["totalCount"]
    # the path under test answered (the compiled one in one statement, the resolvers without)
    assert compiled == any(s.startswith("WITH gh_page") for s in counter.statements)
    assert await revealed_since("worker", mark, SENSITIVE[field]) == expected
    for other in set(SENSITIVE.values()) - {SENSITIVE[field]}:
        assert not await revealed_since("worker", mark, other), other  # not selected, not shown


@pytest.mark.parametrize("compiled", [False, True], ids=["resolvers", "compiled"])
async def test_a_masked_read_is_not_audited(settings, sign_in, anchors, count_sql, compiled):
    """The county centre sees the same persons masked: nothing to audit, and no statement
    written for the nothing."""
    county = await sign_in("county")
    mark = await audit_mark()
    with read_path(settings, compiled), count_sql() as counter:
        data = await county.query("""query($p: String) { persons(first: 500, filter: {regionPath: $p}) {
            nodes { idNumber phone tags } } }""", p=anchors["grid"])
    assert data["persons"]["nodes"] and all("*" in p["idNumber"] for p in data["persons"]["nodes"])
    assert not await entries_since("county", mark, "read_sensitive")
    assert not [s for s in counter.statements if "INSERT INTO audit_entry" in s], counter.statements


@pytest.mark.parametrize("compiled", [False, True], ids=["resolvers", "compiled"])
async def test_an_export_audits_each_sensitive_field_it_sends(http, settings, sign_in, compiled):
    """The police export key persons with all three fields unmasked: each sent value is in
    the trail, and the export itself once, with the number of rows sent."""
    police = await sign_in("police")
    mark = await audit_mark()
    with read_path(settings, compiled):
        exported = await pull(http, police)
    sent = {_row_id(r["id"]) for r in exported.rows}
    assert sent
    await assert_each_field_audited("police", mark, sent)
    [export] = await entries_since("police", mark, "export")
    assert (export.object_kind, export.detail["rows"], export.detail["complete"]) == ("person", len(sent), True)


async def test_the_changes_feed_audits_each_sensitive_field_it_sends(sign_in, anchors):
    """A page of `changes` is an export: the values it shows are audited as GraphQL's are,
    and the page once as an export of persons."""
    police = await sign_in("police")
    since = (datetime.now(timezone.utc) - timedelta(days=3650)).isoformat()
    mark = await audit_mark()
    data = await police.query("""query($since: DateTime!) { changes(kinds: [PERSON], since: $since, first: 200) {
        nodes { __typename ... on Person { id idNumber phone tags } } } }""", since=since)
    sent = {_row_id(n["id"]) for n in data["changes"]["nodes"] if n["__typename"] == "Person"}
    assert sent
    await assert_each_field_audited("police", mark, sent)
    [export] = await entries_since("police", mark, "export")
    assert export.object_kind == "person" and export.detail["via"] == "changes"
    assert export.detail["rows"] == len(sent)


async def test_the_export_entry_is_the_only_one_of_an_empty_pull(http, sign_in):
    """An export that sends no row still says so in the trail, and reveals nothing."""
    civil = await sign_in("civil")
    mark = await audit_mark()
    exported = await pull(http, civil, filter=json.dumps({"text": "no such person anywhere"}))
    assert not exported.rows
    [export] = await entries_since("civil", mark, "export")
    assert export.detail["rows"] == 0
    assert not await entries_since("civil", mark, "read_sensitive")


async def test_each_edit_is_audited_where_its_row_is_with_the_fields_it_set(worker, anchors):
    """The one audit hook of data edits: who did what to which row, filed at the row's region
    (auditors read the trail of their subtree), naming the fields set and never their values."""
    from .test_mutations import CREATE_PERSON, UPDATE_PERSON, grid_id, new_id_number

    mark = await audit_mark()
    id_number = new_id_number(963)
    person = (await worker.query(CREATE_PERSON, input={
        "idNumber": id_number, "name": "审计编辑", "regionId": await grid_id(worker, anchors)}))["createPerson"]
    await worker.query(UPDATE_PERSON, id=person["id"], version=1, input={"phone": "13900000963"})
    await worker.query("mutation($id: ID!) { deletePerson(id: $id) { id } }", id=person["id"])

    row = await models.Person.get(id=_row_id(person["id"]))
    entries = [(e.action, e.object_kind, e.object_id, e.region_path, e.detail)
               for e in await models.AuditEntry.filter(id__gt=mark, actor="worker", object_kind="person",
                                                       action__in=("create", "update", "delete")).order_by("id")]
    assert row.region_path.startswith(anchors["grid"]) and entries == [
        ("create", "person", str(row.id), row.region_path, {"fields": ["birthDate", "gender", "idNumber", "idType", "name",
                                                               "nationality", "regionId"]}),  # derived from the number
        ("update", "person", str(row.id), row.region_path, {"fields": ["phone"]}),
        ("delete", "person", str(row.id), row.region_path, {}),
    ]
    trail = json.dumps([e[4] for e in entries])
    assert id_number not in trail and "13900000963" not in trail


async def test_the_hook_files_each_entry_where_its_caller_says(app):
    """`record_change`, the one hook every audited write goes through (tests/test_layers.py
    holds the others to it): an edit is filed at its row's region naming the fields set; a
    caller may file it elsewhere (a membership at its organisation's region), name a thing that
    is no row (a tag, a user's name), a field tried, its own detail, and an operation's stamp."""
    import random

    from gridhub.resolvers.write.audit import record_change

    person = await models.Person.filter(deleted_at=None).first()
    actor = f"hook{random.SystemRandom().randrange(10 ** 9)}"
    stamp = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    cases = [  # (what the caller gives, (object_id, field, region_path, detail) filed)
        (dict(row=person, data={"phone": "13900000000", "household_id": 1}),
         (str(person.id), "", person.region_path, {"fields": ["householdId", "phone"]})),
        (dict(row=person, data={}), (str(person.id), "", person.region_path, {})),
        (dict(row=person, data={"phone": "13900000000"}, region_path="/elsewhere/"),
         (str(person.id), "", "/elsewhere/", {"fields": ["phone"]})),
        (dict(row=person, field="id_number", detail={"tried": "x"}),
         (str(person.id), "id_number", person.region_path, {"tried": "x"})),
        (dict(row=None, field="id_number", detail={"tried": "y"}), ("", "id_number", "", {"tried": "y"})),
        (dict(object_id="care/x", region_path="/1/", detail={"label": "l"}), ("care/x", "", "/1/", {"label": "l"})),
        (dict(object_id="", region_path="", detail={}, at=stamp), ("", "", "", {})),
    ]
    mark = await audit_mark()
    for given, _ in cases:
        await record_change(actor, "hook_case", "person", **given)
    filed = await models.AuditEntry.filter(id__gt=mark, actor=actor).order_by("id")
    assert [(e.object_id, e.field, e.region_path, e.detail) for e in filed] == [want for _, want in cases]
    assert filed[-1].at == stamp and filed[0].at > stamp
    assert "13900000000" not in json.dumps([e.detail for e in filed])


@pytest.mark.parametrize("compiled", [False, True], ids=["resolvers", "compiled"])
async def test_a_page_of_reads_is_one_entry_per_field(settings, sign_in, count_sql, compiled):
    """Up to 500 key persons shown to the police: one entry per sensitive field, whatever the
    number of rows, written with the read itself on PostgreSQL's compiled path (no statement
    of its own), and each revealed person found again by "who saw this identity number"."""
    police = await sign_in("police")
    mark = await audit_mark()
    with read_path(settings, compiled), count_sql() as counter:
        data = await police.query('{ persons(first: 500, filter: {tags: ["key"]}) { nodes { id idNumber phone tags } } }')
    shown = {_row_id(p["id"]) for p in data["persons"]["nodes"]}
    assert len(shown) > 3
    entries = await entries_since("police", mark, "read_sensitive")
    assert sorted(e.field for e in entries) == ["id_number", "key_tags", "phone"]
    for entry in entries:
        assert entry.object_ids == sorted(entry.object_ids) and set(entry.object_ids) <= shown
        assert all(p.startswith(entry.region_path) for p in entry.detail["region_paths"])
    separate = [s for s in counter.statements if s.lstrip().upper().startswith("INSERT INTO AUDIT_ENTRY")]
    in_the_read = compiled and sql_dialect() == "postgres"
    assert len(separate) == (0 if in_the_read else 1), counter.statements
    for person in list(shown)[:3]:
        seen = await sensitive_reads_of("person", person, "id_number")
        assert any(e.actor == "police" and e.id > mark for e in seen), person


def test_an_entrys_region_is_the_lowest_holding_all_its_rows():
    assert holding_region(["/1/10/100/", "/1/10/101/"]) == "/1/10/"
    assert holding_region(["/1/10/", "/1/10/"]) == "/1/10/"
    assert holding_region(["/1/10/100/", "/1/100/"]) == "/1/"  # a prefix of the text is not a region
    assert holding_region(["/1/", "/2/"]) == "/"


async def test_who_saw_is_answered_by_the_index_on_postgres():
    """The containment of a row id in `object_ids` has the GIN index of migration 0016 (the
    planner is told to avoid scans so that a small test table still shows the index can serve)."""
    if sql_dialect() != "postgres":
        pytest.skip("the GIN index is PostgreSQL's; SQLite scans json_each")
    async with in_transaction() as connection:
        await connection.execute_script("SET LOCAL enable_seqscan = off")
        plan = await connection.execute_query_dict(
            "EXPLAIN SELECT id FROM audit_entry WHERE object_ids @> '[1]'::jsonb")
    assert any("idx_audit_entry_object_ids" in line["QUERY PLAN"] for line in plan), plan
    assert "object_ids @> $3::jsonb" in _READERS["postgres"]


async def test_old_entries_are_brought_along_by_migration_0016():
    """An entry written one per value before 0016 is found as the new ones are."""
    from types import SimpleNamespace
    import importlib

    person = await models.Person.filter(deleted_at=None).first()
    old = await models.AuditEntry.create(actor="old_reader", action="read_sensitive", object_kind="person",
                                         object_id=str(person.id), field="id_number",
                                         region_path=person.region_path)
    migration = importlib.import_module("gridhub.models.migrations.0016_audit_ids_principal_version")
    await migration.bring_along(None, SimpleNamespace(client=connections.get("default")))
    assert await revealed_since("old_reader", old.id - 1, "id_number") == {person.id}
    assert any(e.id == old.id for e in await sensitive_reads_of("person", person.id, "id_number"))
    with pytest.raises(Exception, match="append-only"):  # the guard is back
        await models.AuditEntry.filter(id=old.id).update(actor="nobody")
