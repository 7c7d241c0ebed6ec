"""Migration 0019 on a database made before it: SQLite rebuilds the notice table (its event
becomes nullable), and the read marks and the deliveries' links to notices survive it; the
transfer verbs reach the default roles in use. Migrated in a subprocess (tests/migrating.py) on
a scratch SQLite file, filled between the migrations by sqlite3 itself."""

import sqlite3

from . import migrating


def migrate(path, target: str | None = None) -> None:
    migrating.migrate(f"sqlite://{path}", target)


def put(db, table: str, **given) -> int:
    """A row with the columns given and placeholders in the other required ones."""
    values = dict(given)
    for _, name, kind, notnull, default, pk in db.execute(f"PRAGMA table_info({table})").fetchall():
        if name in values or pk or not notnull or default is not None:
            continue
        kind = (kind or "").upper()
        values[name] = 1 if any(t in kind for t in ("INT", "REAL", "BOOL")) else (
            "2026-12-01 00:00:00" if "TIME" in kind or "DATE" in kind else "x")
    names = ",".join(f'"{k}"' for k in values)
    return db.execute(f"INSERT INTO {table} ({names}) VALUES ({','.join('?' * len(values))})",
                      list(values.values())).lastrowid


def test_notices_keep_their_read_marks_and_deliveries(tmp_path):
    path = tmp_path / "before.sqlite3"
    migrate(path, "gridhub.0018_residence_registration")
    db = sqlite3.connect(path)
    with db:
        db.execute("PRAGMA foreign_keys=ON")
        region = put(db, "region", region_path="/1/", code="1", tier="county", parent_id=None)
        event = put(db, "event", region_id=region, region_path="/1/", status="reported")
        user = put(db, "app_user", username="reader")
        hook = put(db, "webhook", department_id=put(db, "department", code="water"))
        notice = put(db, "notice", event_id=event, kind="urged")
        put(db, "notice_read", notice_id=notice, user_id=user)
        put(db, "webhook_delivery", webhook_id=hook, notice_id=notice, status="delivered")
        db.execute("INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) "
                   "VALUES ('p', 'grid_leader', '*', 'event', 'accept', 'allow', '')")
    db.close()
    migrate(path)
    db = sqlite3.connect(path)
    assert db.execute("SELECT notice_id, user_id FROM notice_read").fetchall() == [(notice, user)]
    assert db.execute("SELECT notice_id FROM webhook_delivery").fetchall() == [(notice,)]
    assert db.execute("SELECT event_id, transfer_id FROM notice").fetchall() == [(event, None)]
    assert not db.execute("SELECT name FROM sqlite_master WHERE name LIKE '_keep%'").fetchall()
    indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'notice'")}
    assert "uidx_notice_due_soon" in indexes
    # by column, whatever their names (0020 rebuilds notice again and names them as tortoise does)
    leading = {column for name in indexes for seq, _, column in db.execute(f'PRAGMA index_info("{name}")')
               if seq == 0}
    assert {"event_id", "transfer_id"} <= leading
    assert db.execute("SELECT v2, v3 FROM casbin_rule WHERE v0 = 'grid_leader' AND v3 LIKE 'transfer%'").fetchall() == [
        ("person", "transfer_out")]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    # the indexes SQLite's earlier rebuilds of event and person dropped, and the deadline
    # columns never had, are there: the due-soon sweep and the to-do lists read them
    indexed = {(table, column) for table in ("event", "person")
               for _, _, column in (r for name, in db.execute(
                   "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,))
                   for r in db.execute(f'PRAGMA index_info("{name}")'))}
    assert {("event", "open_due_at"), ("event", "due_soon_at"), ("event", "region_path"), ("event", "status"),
            ("person", "region_path"), ("person", "visit_due_at")} <= indexed
