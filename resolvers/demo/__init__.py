"""A deterministic demo county for development, demos, tests and benchmarks.

`build_demo` fills an empty database with a slice of Nanling (南陵县, Anhui, division code
340223) sized from its figures (DOMAIN.md) so that a laptop builds it in well under a
minute: its eight towns, sixteen communities and villages, 36 grids of 300–600 households
as Nanling's are (about a quarter of them split into micro-grids), about 50,000 persons in
16,000 households with their houses, rental houses, shops, schools and public places,
facilities, organisations with their members, and 3,000 events of the seeded categories at
every step of the workflow, the open ones on time, due soon and overdue (every light);
grid staff (1+1+N) with one gap; key persons with their responsible staff (1+3+N) and
visits, some overdue; and one re-gridding in its history, a grid split in two `SPLIT_AGO`
before the clock by the hub's own `split_region`, with events reported on both sides of it.

The demo tells today's story: its clock (`now`) is the moment it is built unless the
caller names another (`gridhub demo --now`), and every date is drawn back from it, so a
fresh demo has events reported this week, open ones of every light and key persons due
and overdue whenever it is built. That is the `nanling` profile; the
`county` profile draws the same kind of county at the benchmarks' size (bench/generate):
twelve towns, 150 communities, 1,000 grids, 3,000 micro-grids, 300,000 persons.

Same seed, scale and clock, same rows: everything is drawn from one `random.Random` and one
seeded Faker, in a fixed order, and every date is relative to the clock. Rows get their ids here,
so foreign keys need no round-trips and each phase's rows go to the database in bulk, by
`bulk_create` or by a writer the caller passes (PostgreSQL's COPY, in bench/generate).
"""

from __future__ import annotations

from datetime import datetime, timezone

from tortoise.models import Model
from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.models.enums import Tier

from gridhub.resolvers.domain.categories import seed_event_categories
from gridhub.resolvers.domain.vocabulary import seed_vocabulary
from gridhub.resolvers.runtime.civil_time import CIVIL_TIME_ZONE
from gridhub.resolvers.domain import place_tree
from gridhub.resolvers.domain.visit_due import refresh_visit_due, seed_visit_rules
from gridhub.resolvers.demo.tables import DEMO_COUNTY_CODE, PROFILES
from gridhub.resolvers.demo.county import Writer, _DemoCounty


async def bulk_create(model: type[Model], rows: list[Model]) -> None:
    await model.bulk_create(rows, batch_size=1000)


async def build_demo(scale: float = 1.0, seed: int = 2026, profile: str = "nanling",
                     write: Writer = bulk_create, now: datetime | None = None) -> dict[str, int]:
    """Fill an empty, initialised database with the demo county of `profile` (PROFILES)
    times `scale`, its rows written by `write`, as of `now` (by default the moment it is
    built); returns rows per table."""
    await seed_event_categories()
    await seed_vocabulary()
    async with in_transaction() as connection:
        county = _DemoCounty(PROFILES[profile], scale, seed, write, demo_clock(now))
        await county.build()
        await place_tree.rebuild(connection)  # the closure of the compounds' trees
        if connection.capabilities.dialect == "postgres":
            # explicit ids leave the serial sequences behind; later inserts would collide
            for table in county.counts:
                await connection.execute_query(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
        # what the hub keeps up to date as it runs, it computes here too
        await seed_visit_rules()
        ruled = sorted(set(county.key_persons) | set(county.cared_persons))
        for i in range(0, len(ruled), 500):
            await refresh_visit_due(ruled[i:i + 500])
        await county.split_history()
        from gridhub.resolvers.demo.transfers import demo_transfers  # after the anchors' grids exist

        await demo_transfers(await demo_anchors())
    # the grids are told of their newcomers' registrations coming due, as the served hub's
    # sweep would tell them (resolvers.domain.notices)
    from gridhub.resolvers.domain.notices import sweep_renewals

    county.counts["notice"] = county.counts.get("notice", 0) + len(await sweep_renewals(county.now))
    from tortoise import connections

    if connections.get("default").capabilities.dialect == "postgres":
        # tables filled at once, before autovacuum looks: without statistics PostgreSQL takes
        # every table for one row and nests loops over semi-joins (a department's homes,
        # place:home_of, took 14 s over 400 places)
        await connections.get("default").execute_script("ANALYZE")
    return county.counts


def demo_clock(now: datetime | None = None) -> datetime:
    """The demo's clock: `now` (an aware time; a naive one is the hub's civil time, China
    Standard Time) or the present, to the second, in UTC."""
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=CIVIL_TIME_ZONE)
    return now.astimezone(timezone.utc).replace(microsecond=0)


async def demo_anchors() -> dict[str, str]:
    """The region paths the demo users are bound to, looked up in the database."""
    county = await models.Region.get(code=DEMO_COUNTY_CODE)
    towns = await models.Region.filter(parent_id=county.id).order_by("code").limit(2)
    community = await models.Region.filter(parent_id=towns[0].id).order_by("code").first()
    grids = await models.Region.filter(parent_id=community.id, tier=Tier.GRID, deleted_at=None).order_by("code").limit(2)
    return {
        "county": county.region_path, "town": towns[0].region_path, "town2": towns[1].region_path,
        "community": community.region_path, "grid": grids[0].region_path,
        "sibling_grid": grids[1].region_path,
    }
