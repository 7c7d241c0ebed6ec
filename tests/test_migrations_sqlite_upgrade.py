"""An older database upgraded through the migrations keeps every row and every link (both
dialects). SQLite rebuilds event and event_log (0013) and person (0017) to alter their
columns, and membership (0024) to drop its unique key for a partial one; with foreign keys
on, dropping the old table once deleted what referred to it (a person's tags, memberships,
residences; an event's persons and log) or unlinked it, and left the rebuilt tables without
their indexes (models/migrations/_sqlite_rebuild.py)."""

import json
import subprocess
import sys

from .servers import scratch_database

# A database at 0012 with a row in every table that refers to person, event or event_log,
# migrated to the head; printed: what each of those tables held before and after, the
# dangling references, and the indexes and triggers of the rebuilt tables.
UPGRADE = r"""
import asyncio, json, sys
from tortoise import Tortoise, connections
from tortoise.migrations.api.migrate import migrate
from gridhub.settings import tortoise_config

STAMPS = "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1"
ROWS = [
    ("region", "code, name, tier, region_path, depth", "'349901', '升级县', 'county', '/349901/', 0"),
    ("place", "region_id, region_path, code, name, kind, usage, address, compound, building, unit, floor, room, "
              "owner_name", "1, '/349901/', 'UP-1', '出租屋', 'rental_house', '', '', '', '', '', '', '', ''"),
    ("organisation", "region_id, region_path, name, kind, legal_representative",
     "1, '/349901/', '升级合作社', 'enterprise', ''"),
    ("thing", "region_id, region_path, code, name, kind, status", "1, '/349901/', 'T-1', '井盖', 'facility', 'ok'"),
    ("person", "region_id, region_path, id_number, name, gender, birth_date, ethnicity, registered_address, "
               "population_type", "1, '/349901/', '340223198001010011', '老住户', 'male', '1980-01-01', '汉族', '', "
               "'registered'"),
    ("person", "region_id, region_path, id_number, name, gender, birth_date, ethnicity, registered_address, "
               "population_type", "1, '/349901/', '340223198001010022', '房东', 'female', '1970-01-01', '汉族', '', "
               "'registered'"),
    ("household", "region_id, region_path, code, head_id", "1, '/349901/', 'H-1', 1"),
    ("person_tag", "region_id, region_path, tag, person_id", "1, '/349901/', '独居老人', 1"),
    ("person_tag", "region_id, region_path, tag, person_id", "1, '/349901/', '低保', 1"),
    ("residence", "region_id, region_path, started_on, note, person_id, place_id, landlord_id",
     "1, '/349901/', '2020-01-01', '', 1, 1, 2"),
    ("membership", "role, organisation_id, person_id", "'员工', 1, 1"),
    ("key_person_responsibility", "region_id, region_path, role, name, started_on, key_person_id, person_id",
     "1, '/349901/', 'helper', '房东', '2021-01-01', 1, 2"),
    ("staff_assignment", "region_id, region_path, role, name, started_on, person_id",
     "1, '/349901/', 'grid_worker', '房东', '2021-01-01', 2"),
    ("event", "region_id, region_path, title, description, kind, category, source, reporter_name, occurred_at, "
              "urgency, attachments, status, reporter_id, handling_region_id",
     "1, '/349901/', '井盖缺失', '', 'issue', '', 'grid', '老住户', CURRENT_TIMESTAMP, 'normal', '[]', "
     "'dispatched', 1, 1"),
    ("event_log", "actor, action, to_status, note, event_id, attachments", "'w', 'report', 'reported', '', 1, '[]'"),
    ("event_log", "actor, action, to_status, note, event_id, attachments",
     "'w', 'dispatch', 'dispatched', '', 1, '[]'"),
    ("event_person", "event_id, person_id", "1, 1"),
    ("event_thing", "event_id, thing_id", "1, 1"),
]
LINKS = ["UPDATE place SET landlord_id = 2", "UPDATE person SET household_id = 1, residence_id = 1 WHERE id = 1"]
TABLES = sorted({table for table, _, _ in ROWS})
REBUILT = ("person", "event", "event_log")


async def held(db, columns):
    return {table: [list(map(str, row.values())) for row in await db.execute_query_dict(
        f"SELECT {', '.join(columns[table])} FROM {table} ORDER BY id")] for table in TABLES}


async def schema(db, sqlite):
    if sqlite:
        rows = await db.execute_query_dict(
            "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name IN "
            "('person', 'event', 'event_log', 'membership')")
    else:
        rows = await db.execute_query_dict(
            "SELECT indexname AS name, indexdef AS sql FROM pg_indexes WHERE tablename IN "
            "('person', 'event', 'event_log', 'membership')")
    return {row["name"]: row["sql"] for row in rows}


async def columns_of(db, sqlite):
    if sqlite:
        return {t: [r["name"] for r in await db.execute_query_dict(f'PRAGMA table_info("{t}")')] for t in TABLES}
    return {t: [r["column_name"] for r in await db.execute_query_dict(
        f"SELECT column_name FROM information_schema.columns WHERE table_name = '{t}' "
        "ORDER BY ordinal_position")] for t in TABLES}


async def main(older, fresh):
    sqlite = older.startswith("sqlite")
    config = tortoise_config(older)
    await migrate(config=config, target="gridhub.0012_department_template")
    await Tortoise.init(config=config)
    db = connections.get("default")
    for table, columns, values in ROWS:
        await db.execute_script(f"INSERT INTO {table} ({columns}, created_at, updated_at, version) "
                                f"VALUES ({values}, {STAMPS})")
    for link in LINKS:
        await db.execute_script(link)
    columns = await columns_of(db, sqlite)
    before, indexes_before = await held(db, columns), await schema(db, sqlite)
    await Tortoise.close_connections()
    await migrate(config=config)
    await Tortoise.init(config=config)
    db = connections.get("default")
    after, indexes_after = await held(db, columns), await schema(db, sqlite)
    dangling = await db.execute_query_dict("PRAGMA foreign_key_check") if sqlite else []
    # 0024: the membership of 0012 ends, and the person takes the role up again; a second
    # open membership in that role is still refused
    await db.execute_script("UPDATE membership SET ended_on = '2021-01-01' WHERE id = 1")
    rejoin = "INSERT INTO membership (role, organisation_id, person_id, created_at, updated_at, version) " \
             f"VALUES ('员工', 1, 1, {STAMPS})"
    await db.execute_script(rejoin)
    try:
        await db.execute_script(rejoin)
        twice = "accepted"
    except Exception as e:
        twice = type(e).__name__
    terms = len(await db.execute_query_dict("SELECT id FROM membership"))
    await Tortoise.close_connections()
    await migrate(config=tortoise_config(fresh))
    await Tortoise.init(config=tortoise_config(fresh))
    indexes_fresh = await schema(connections.get("default"), sqlite)
    await Tortoise.close_connections()
    print(json.dumps({"before": before, "after": after, "dangling": dangling, "indexes_before": indexes_before,
                      "indexes_after": indexes_after, "indexes_fresh": indexes_fresh, "twice": twice,
                      "terms": terms}))

asyncio.run(main(*sys.argv[1:]))
"""


def test_an_older_database_keeps_its_rows_links_and_indexes(tmp_path):
    (tmp_path / "older").mkdir(), (tmp_path / "fresh").mkdir()
    for older in scratch_database(tmp_path / "older", "gh_upgrade_older"):
        for fresh in scratch_database(tmp_path / "fresh", "gh_upgrade_fresh"):
            done = subprocess.run([sys.executable, "-c", UPGRADE, older, fresh], capture_output=True, text=True,
                                  timeout=300)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    before, after = found["before"], found["after"]
    # every row, with the columns it had at 0012 (ids, and each reference to person, event, region)
    assert [table for table, rows in before.items() if after[table] != rows] == []
    assert len(after["person_tag"]) == 2 and len(after["event_log"]) == 2 and len(after["event_person"]) == 1
    assert found["dangling"] == []
    # the upgraded tables are indexed as a fresh database's are, and kept what they had before
    # but the identity number's own uniqueness (0017 makes it unique per document type)
    assert found["indexes_after"] == found["indexes_fresh"]
    kept = {name for name, sql in found["indexes_before"].items() if sql and "UNIQUE" not in sql.upper()}
    assert kept and kept <= set(found["indexes_after"])
    # membership (0024): one open membership per role, by a partial index; ended terms beside it
    assert found["terms"] == 2 and found["twice"] == "IntegrityError"
    assert "WHERE" in found["indexes_after"]["uidx_membership_open_role"].upper()
