"""An older database brought to the head by the migrations, for the tests of a migration:
migrate an empty database to an older target, fill it with rows as they were then, migrate it
to the head, and read what became of them.

It runs in a subprocess (this file, run as a script): the migration API re-initialises
Tortoise, which the suite's own app must keep. The steps go in as JSON on stdin; the result of
each query comes out as JSON on the last line of stdout, so the test compares values, not text.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROW_READERS = ("SELECT", "PRAGMA", "WITH", "EXPLAIN")


@dataclass
class Upgraded:
    before: list  # each query's rows (dicts) at the older target, after the fill
    after: list  # each query's rows at the head; a statement refused is {"refused": its exception's name}


def run(url: str, steps: list[tuple[str, str | None]], timeout: int = 300) -> list:
    """Run `steps` on the database at `url` in a subprocess: ("migrate", target or None for the
    head), ("sql", a statement that must succeed), ("query", a statement whose rows, or whose
    refusal, is wanted). Returns the result of each query, in order."""
    done = subprocess.run([sys.executable, __file__], input=json.dumps({"url": url, "steps": steps}),
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def migrate(url: str, target: str | None = None) -> None:
    """Migrate the database at `url` to `target` (a migration's full name), or to the head."""
    run(url, [("migrate", target)])


def upgrade(url: str, older: str, fill: list[str] = (), before: list[str] = (),
            after: list[str] = ()) -> Upgraded:
    """An empty database migrated to `older` (such as "gridhub.0018_residence_registration"),
    filled by the statements `fill`, read by `before`, migrated to the head and read by `after`."""
    results = run(url, [("migrate", older), *(("sql", s) for s in fill), *(("query", q) for q in before),
                        ("migrate", None), *(("query", q) for q in after)])
    return Upgraded(results[:len(before)], results[len(before):])


async def _steps(url: str, steps: list) -> list:
    from tortoise import Tortoise, connections
    from tortoise.migrations.api.migrate import migrate as migrate_to

    from gridhub.settings import tortoise_config

    config, results, ready = tortoise_config(url), [], False
    for what, text in steps:
        if what == "migrate":
            if ready:
                await Tortoise.close_connections()
            await migrate_to(config=config, target=text)
            await Tortoise.init(config=config)
            ready = True
            continue
        db = connections.get("default")
        if what == "sql":
            await db.execute_script(text)
            continue
        try:
            if text.lstrip().split()[0].upper() in ROW_READERS:
                results.append(await db.execute_query_dict(text))
            else:
                await db.execute_script(text)
                results.append(None)
        except Exception as refused:  # a constraint the migration was to add, say
            results.append({"refused": type(refused).__name__})
    await Tortoise.close_connections()
    return results


if __name__ == "__main__":
    import asyncio

    given = json.loads(sys.stdin.read())
    print(json.dumps(asyncio.run(_steps(given["url"], given["steps"])), default=str, ensure_ascii=False))
