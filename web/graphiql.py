"""GraphiQL without the internet: the page strawberry serves at /graphql loads React,
GraphiQL and its explorer plugin from unpkg.com, which a government intranet does not reach
(the page stays at "Loading..."). The same files, at the versions strawberry's page pins,
are kept in static/graphiql/ with their licences and served by the hub at /static/graphiql/;
the page is strawberry's own with its addresses pointed there. Its `integrity` hashes stay,
so the browser refuses any file that differs from what strawberry pinned.

When a strawberry upgrade pins other versions, test_graphiql.py says so; then

    python web/graphiql.py      # fetches the pinned packages with `npm pack`, copies the files

and commit static/graphiql/."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from functools import cache
from pathlib import Path

from strawberry.http.ides import get_graphql_ide_html

STATIC_DIR = Path(__file__).parent.parent / "static"  # served at /static
ASSETS_DIR = STATIC_DIR / "graphiql"
CDN = "https://unpkg.com/"
LOCAL = "/static/graphiql/"
# `https://unpkg.com/<package>@<version>/<file>`, scoped packages included
ASSET = re.compile(r"https://unpkg\.com/((?:@[\w.-]+/)?[\w.-]+)@([\w.-]+)/([^\"'\s]+)")
LICENCES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE")
# packages published without a licence file, and the package of the same repository (and
# licence) whose file they get: the explorer plugin is MIT, from graphql/graphiql like graphiql
LICENCE_OF = {"@graphiql/plugin-explorer": "graphiql"}


def strawberry_page() -> str:
    return get_graphql_ide_html(graphql_ide="graphiql")


def assets(page: str) -> list[tuple[str, str, str]]:
    """(package, version, file) of each file the page loads from the CDN."""
    return ASSET.findall(page)


@cache
def page() -> str:
    """Strawberry's GraphiQL page, loading every asset from the hub."""
    return strawberry_page().replace(CDN, LOCAL)


def vendor(target: Path = ASSETS_DIR) -> list[Path]:
    """Copy the files the page pins, and each package's licence, from npm into `target`."""
    written = []
    wanted: dict[tuple[str, str], list[str]] = {}
    for package, version, file in assets(strawberry_page()):
        wanted.setdefault((package, version), []).append(file)
    shutil.rmtree(target, ignore_errors=True)
    licences: dict[str, bytes] = {}
    # the packages with a licence file first: the others take theirs from one of them
    for (package, version), files in sorted(wanted.items(), key=lambda item: item[0][0] in LICENCE_OF):
        with tempfile.TemporaryDirectory() as work:
            packed = subprocess.run(["npm", "pack", f"{package}@{version}", "--silent"], cwd=work, check=True,
                                    capture_output=True, text=True).stdout.strip().splitlines()[-1]
            with tarfile.open(Path(work) / packed) as archive:
                names = set(archive.getnames())
                licence = next((f"package/{n}" for n in LICENCES if f"package/{n}" in names), None)
                if licence is not None:
                    licences[package] = archive.extractfile(licence).read()
                elif LICENCE_OF.get(package) in licences:
                    licences[package] = licences[LICENCE_OF[package]]
                else:
                    raise SystemExit(f"{package}@{version} carries no licence file")
                contents = {file: archive.extractfile(f"package/{file}").read() for file in [*files, "package.json"]}
        for file, content in {**contents, "LICENSE": licences[package]}.items():
            destination = target / f"{package}@{version}" / file
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(content)
            written.append(destination)
    return written


if __name__ == "__main__":
    for path in vendor():
        print(path.relative_to(STATIC_DIR.parent), path.stat().st_size)
    sys.exit(0)
