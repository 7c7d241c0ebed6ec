"""Houses as a tree, and organisations' members written (issue 22): a place lies in a parent
(小区 → 楼栋 → 单元 → 房屋), and `place_tree` holds the closure of that tree. An existing database's places bring their tree
along from their structured columns: a compound is known by its name, a building by its
compound and number, a unit by its building and number; a place registered as a building
is its own building's node, and the missing compounds, buildings and units are made (in the
region of their first place, with the next standard address code of that region). SQLite
and PostgreSQL alike: the derivation is Python over plain SQL. The grid worker's role gets
the new `membership` grants (addMember, endMember) where it is in use."""

from datetime import datetime, timezone

from tortoise import migrations
from tortoise.migrations import operations as ops

from ._operations import DescribeField
from gridhub.models.enums import PlaceKind
from tortoise.fields.base import OnDelete
from tortoise import fields

from ._policy_lines import add_default_lines, runner

# Memberships are written by the grid worker (and those it is granted to), as the organisations
LINES = (("grid_worker", "membership", "create", "allow"), ("grid_worker", "membership", "update", "allow"),
         ("policy_admin", "membership", "delegate", "allow"))
SERIAL_DIGITS = 6  # resolvers.domain.staffing.SERIAL_DIGITS when this was written
CLOSURE = (
    "WITH RECURSIVE up(ancestor_id, place_id, depth) AS ("
    " SELECT id, id, 0 FROM place"
    " UNION ALL SELECT p.parent_id, up.place_id, up.depth + 1 FROM up JOIN place p ON p.id = up.ancestor_id"
    " WHERE p.parent_id IS NOT NULL AND up.depth < 16)"
    " INSERT INTO place_tree (ancestor_id, place_id, depth) SELECT ancestor_id, place_id, depth FROM up")
COLUMNS = ("code", "name", "kind", "usage", "address", "compound", "building", "unit", "floor", "room",
           "owner_name", "region_id", "region_path", "address_code", "parent_id", "created_at", "updated_at",
           "version")


def _levels(compound: str, building: str, unit: str) -> list[tuple[str, tuple]]:
    """The nodes above a place with these columns, top down: (kind, key)."""
    found = [("compound", (compound,))]
    if building:
        found.append(("building", (compound, building)))
        if unit:
            found.append(("unit", (compound, building, unit)))
    return found


async def forward(apps, schema_editor) -> None:
    db = schema_editor.client
    # an added column gets no index from tortoise (see 0008)
    await db.execute_script('CREATE INDEX IF NOT EXISTS "idx_place_parent_id" ON "place" ("parent_id")')
    postgres = db.capabilities.dialect == "postgres"
    mark = (lambda i: f"${i}") if postgres else (lambda i: "?")
    places = await db.execute_query_dict(
        "SELECT id, kind, compound, building, unit, floor, room, region_id, region_path FROM place "
        "WHERE compound <> '' AND deleted_at IS NULL ORDER BY id")
    codes = {r["id"]: r["code"] for r in await db.execute_query_dict("SELECT id, code FROM region")}
    taken = {c for r in await db.execute_query_dict("SELECT code, address_code FROM place") for c in r.values() if c}
    nodes: dict[tuple, int] = {}
    for p in places:  # places registered as a compound or a building are their own nodes
        key = _levels(p["compound"], p["building"], p["unit"])[-1]
        if not (p["unit"] or p["floor"] or p["room"]) and p["kind"] == key[0]:
            nodes.setdefault(key, p["id"])
    insert = (f"INSERT INTO place ({', '.join(COLUMNS)}) VALUES ({', '.join(mark(i + 1) for i in range(len(COLUMNS)))}) "
              "RETURNING id")
    now = datetime.now(timezone.utc)

    def next_code(region_id: int) -> str:
        prefix = codes[region_id]
        serial = max((int(c[len(prefix):]) for c in taken if c.startswith(prefix)
                      and len(c) == len(prefix) + SERIAL_DIGITS and c[len(prefix):].isdigit()), default=0)
        code = f"{prefix}{serial + 1:0{SERIAL_DIGITS}d}"
        taken.add(code)
        return code

    for p in places:
        parent = None
        for kind, key in _levels(p["compound"], p["building"], p["unit"]):
            if nodes.get((kind, key)) == p["id"]:
                break  # the place is this node itself
            if (kind, key) not in nodes:
                name = key[0] + (f"{key[1]}幢" if len(key) > 1 else "") + (f"{key[2]}单元" if len(key) > 2 else "")
                code = next_code(p["region_id"])
                made = await db.execute_query_dict(insert, [
                    code, name, kind, "", name, key[0], key[1] if len(key) > 1 else "",
                    key[2] if len(key) > 2 else "", "", "", "", p["region_id"], p["region_path"], code, parent,
                    now, now, 1])
                nodes[(kind, key)] = made[0]["id"]
            parent = nodes[(kind, key)]
        if parent is not None:
            await db.execute_query(f"UPDATE place SET parent_id = {mark(1)} WHERE id = {mark(2)}", [parent, p["id"]])
    await db.execute_script("DELETE FROM place_tree")
    await db.execute_script(CLOSURE)
    await add_default_lines(runner(schema_editor), LINES)


async def backward(apps, schema_editor) -> None:
    await schema_editor.client.execute_script('DROP INDEX IF EXISTS "idx_place_parent_id"')


class Migration(migrations.Migration):
    dependencies = [("gridhub", "0020_care_work")]

    initial = False

    operations = [
        ops.CreateModel(
            name='PlaceTree',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ancestor', fields.ForeignKeyField('gridhub.Place', source_field='ancestor_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('place', fields.ForeignKeyField('gridhub.Place', source_field='place_id', db_index=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('depth', fields.IntField()),
            ],
            options={'table': 'place_tree', 'app': 'gridhub', 'unique_together': (('ancestor', 'place'),), 'pk_attr': 'id', 'table_description': 'The closure of the place tree (小区 → 楼栋 → 单元 → 房屋): one row for each place and'},
            bases=['Model'],
        ),
        DescribeField(
            model_name='Place',
            name='kind',
            field=fields.CharEnumField(db_index=True, description='HOUSE: house\nBUILDING: building\nCOMPOUND: compound\nUNIT: unit\nSHOP: shop\nSCHOOL: school\nRENTAL_HOUSE: rental_house\nPUBLIC_PLACE: public_place\nOFFICE: office\nFACTORY: factory\nOTHER: other', enum_type=PlaceKind, max_length=16),
        ),
        ops.AddField(
            model_name='Place',
            name='parent',
            field=fields.ForeignKeyField('gridhub.Place', source_field='parent_id', null=True, db_index=True, description="the place it lies in: a room's unit, a unit's building, a building's compound", db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.RunPython(forward, backward),
    ]
