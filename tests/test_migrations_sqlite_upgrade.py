"""An older database upgraded through the migrations keeps every row and every link (both
dialects). SQLite rebuilds event and event_log (0013) and person (0017) to alter their
columns, and membership (0024) to drop its unique key for a partial one; with foreign keys
on, dropping the old table once deleted what referred to it (a person's tags, memberships,
residences; an event's persons and log) or unlinked it, and left the rebuilt tables without
their indexes (models/migrations/_sqlite_rebuild.py)."""

from .migrating import run, upgrade
from .servers import scratch_database

# A database at 0012 with a row in every table that refers to person, event or event_log,
# migrated to the head: what each of those tables held before and after, the dangling
# references, and the indexes and triggers of the rebuilt tables.
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
# the indexes and triggers of the rebuilt tables
SCHEMA = {
    True: "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name IN "
          "('person', 'event', 'event_log', 'membership')",
    False: "SELECT indexname AS name, indexdef AS sql FROM pg_indexes WHERE tablename IN "
           "('person', 'event', 'event_log', 'membership')",
}


def held(rows: list[dict], columns: list[str]) -> list[list[str]]:
    return [[str(row[c]) for c in columns] for row in rows]


def test_an_older_database_keeps_its_rows_links_and_indexes(tmp_path):
    (tmp_path / "older").mkdir(), (tmp_path / "fresh").mkdir()
    for older in scratch_database(tmp_path / "older", "gh_upgrade_older"):
        sqlite = older.startswith("sqlite")
        fill = [f"INSERT INTO {table} ({columns}, created_at, updated_at, version) VALUES ({values}, {STAMPS})"
                for table, columns, values in ROWS] + LINKS
        reads = [f"SELECT * FROM {table} ORDER BY id" for table in TABLES] + [SCHEMA[sqlite]]
        # 0024: the membership of 0012 ends, and the person takes the role up again; a second
        # open membership in that role is still refused
        rejoin = ("INSERT INTO membership (role, organisation_id, person_id, created_at, updated_at, version) "
                  f"VALUES ('员工', 1, 1, {STAMPS})")
        terms = ["UPDATE membership SET ended_on = '2021-01-01' WHERE id = 1", rejoin, rejoin,
                 "SELECT id FROM membership"]
        found = upgrade(older, "gridhub.0012_department_template", fill, before=reads,
                        after=reads + ["PRAGMA foreign_key_check"] * sqlite + terms)
        for fresh in scratch_database(tmp_path / "fresh", "gh_upgrade_fresh"):
            [indexes_fresh] = run(fresh, [("migrate", None), ("query", SCHEMA[sqlite])])
    *tables_before, indexes_before = found.before
    *tables_after, indexes_after = found.after[:len(reads)]
    dangling = found.after[len(reads):-len(terms)]
    ended, rejoined, twice, memberships = found.after[-len(terms):]
    # every row, with the columns it had at 0012 (ids, and each reference to person, event, region)
    columns = {table: list(rows[0]) for table, rows in zip(TABLES, tables_before)}
    before = {table: held(rows, columns[table]) for table, rows in zip(TABLES, tables_before)}
    after = {table: held(rows, columns[table]) for table, rows in zip(TABLES, tables_after)}
    assert [table for table, rows in before.items() if after[table] != rows] == []
    assert len(after["person_tag"]) == 2 and len(after["event_log"]) == 2 and len(after["event_person"]) == 1
    assert dangling == ([[]] if sqlite else [])  # no row refers to one gone (SQLite's check)
    # the upgraded tables are indexed as a fresh database's are, and kept what they had before
    # but the identity number's own uniqueness (0017 makes it unique per document type)
    indexes_before, indexes_after, indexes_fresh = (
        {row["name"]: row["sql"] for row in indexes} for indexes in (indexes_before, indexes_after, indexes_fresh))
    assert indexes_after == indexes_fresh
    kept = {name for name, sql in indexes_before.items() if sql and "UNIQUE" not in sql.upper()}
    assert kept and kept <= set(indexes_after)
    # membership (0024): one open membership per role, by a partial index; ended terms beside it
    assert (ended, rejoined, len(memberships)) == (None, None, 2) and twice == {"refused": "IntegrityError"}
    assert "WHERE" in indexes_after["uidx_membership_open_role"].upper()
