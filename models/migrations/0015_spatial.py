"""Spatial indexes (models/geo.py, docs/maps.md).

PostgreSQL: the PostGIS extension (the Debian package postgresql-<version>-postgis-3; `.ci/run`
installs it) and GiST indexes on the expressions the spatial SQL tests: each located row's
point and each region's boundary. Without the package the migration still runs (the rest of
the hub works) and spatial reads answer that PostGIS is missing.

SQLite: an R-tree (the rtree module every SQLite build in Python has) per located kind and
one of the regions' boundaries' bounding boxes, kept by triggers, so nothing that writes
rows needs to know of it; shapely decides exactly among its candidates."""

from tortoise import migrations
from tortoise.migrations import operations as ops

LOCATED = ("place", "thing", "event")


def _is_postgres(schema_editor) -> bool:
    return schema_editor.client.capabilities.dialect == "postgres"


def _sqlite_located(table: str) -> str:
    row = "NEW.id, NEW.longitude, NEW.longitude, NEW.latitude, NEW.latitude"
    return f"""
CREATE VIRTUAL TABLE IF NOT EXISTS {table}_rtree USING rtree(id, minx, maxx, miny, maxy);
INSERT INTO {table}_rtree SELECT id, longitude, longitude, latitude, latitude FROM {table}
  WHERE longitude IS NOT NULL AND latitude IS NOT NULL;
CREATE TRIGGER IF NOT EXISTS {table}_rtree_insert AFTER INSERT ON {table}
  WHEN NEW.longitude IS NOT NULL AND NEW.latitude IS NOT NULL
  BEGIN INSERT INTO {table}_rtree VALUES ({row}); END;
CREATE TRIGGER IF NOT EXISTS {table}_rtree_update AFTER UPDATE OF longitude, latitude ON {table}
  BEGIN
    DELETE FROM {table}_rtree WHERE id = OLD.id;
    INSERT INTO {table}_rtree SELECT {row} WHERE NEW.longitude IS NOT NULL AND NEW.latitude IS NOT NULL;
  END;
CREATE TRIGGER IF NOT EXISTS {table}_rtree_delete AFTER DELETE ON {table}
  BEGIN DELETE FROM {table}_rtree WHERE id = OLD.id; END;
"""


# a boundary's bounding box from its GeoJSON: every position's first number is a longitude,
# its second a latitude, in a Polygon and a MultiPolygon alike
_BBOX = ("SELECT {id}, min(CASE WHEN key = 0 THEN value END), max(CASE WHEN key = 0 THEN value END), "
         "min(CASE WHEN key = 1 THEN value END), max(CASE WHEN key = 1 THEN value END) "
         "FROM json_tree({boundary}) WHERE type IN ('real', 'integer')")

SQLITE_REGIONS = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS region_rtree USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER IF NOT EXISTS region_rtree_insert AFTER INSERT ON region WHEN NEW.boundary IS NOT NULL
  BEGIN INSERT INTO region_rtree {_BBOX.format(id='NEW.id', boundary='NEW.boundary')}; END;
CREATE TRIGGER IF NOT EXISTS region_rtree_update AFTER UPDATE OF boundary ON region
  BEGIN
    DELETE FROM region_rtree WHERE id = OLD.id;
    INSERT INTO region_rtree {_BBOX.format(id='NEW.id', boundary='NEW.boundary')} AND NEW.boundary IS NOT NULL;
  END;
CREATE TRIGGER IF NOT EXISTS region_rtree_delete AFTER DELETE ON region
  BEGIN DELETE FROM region_rtree WHERE id = OLD.id; END;
"""


async def forward(apps, schema_editor) -> None:
    client = schema_editor.client
    if _is_postgres(schema_editor):
        available = (await client.execute_query(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"))[1]
        if not available:
            return
        await client.execute_script("CREATE EXTENSION IF NOT EXISTS postgis")
        for table in LOCATED:
            await client.execute_script(
                f'CREATE INDEX IF NOT EXISTS "idx_{table}_point" ON "{table}" USING gist '
                f"((ST_SetSRID(ST_MakePoint(longitude, latitude), 4326))) "
                f"WHERE longitude IS NOT NULL AND latitude IS NOT NULL")
        await client.execute_script(
            'CREATE INDEX IF NOT EXISTS "idx_region_boundary" ON "region" USING gist '
            "((ST_SetSRID(ST_GeomFromGeoJSON(boundary::text), 4326))) WHERE boundary IS NOT NULL")
        return
    for table in LOCATED:
        await client.execute_script(_sqlite_located(table))
    # existing boundaries, one by one (json_tree aggregates per region)
    await client.execute_script(SQLITE_REGIONS)
    ids = (await client.execute_query("SELECT id, boundary FROM region WHERE boundary IS NOT NULL"))[1]
    for row in ids:
        await client.execute_query(
            "INSERT INTO region_rtree " + _BBOX.format(id="?", boundary="?"), [row["id"], row["boundary"]])


async def backward(apps, schema_editor) -> None:
    client = schema_editor.client
    if _is_postgres(schema_editor):
        for table in LOCATED:
            await client.execute_script(f'DROP INDEX IF EXISTS "idx_{table}_point"')
        await client.execute_script('DROP INDEX IF EXISTS "idx_region_boundary"')
        return
    for table in (*LOCATED, "region"):
        for what in ("insert", "update", "delete"):
            await client.execute_script(f"DROP TRIGGER IF EXISTS {table}_rtree_{what}")
        await client.execute_script(f"DROP TABLE IF EXISTS {table}_rtree")


class Migration(migrations.Migration):
    dependencies = [("gridhub", "0014_notices")]

    operations = [ops.RunPython(forward, backward)]
