"""The policy console at /admin, and the parts of the API it relies on.

First the API (in process, on the suite's database): `users` and the subtree-scoped
`policyRules`, and the static files themselves. Then the console in a real browser: headless
Chromium driven by Selenium against a real `gridhub serve` process on a scratch demo
database, signed in as `admin` and as `townadmin`. The browser tests are skipped only when
/usr/bin/chromium is missing (`apt-get install -y chromium chromium-driver`; CI installs it).

Set GRIDHUB_DOCS_SCREENSHOTS=1 to also write the screenshots of docs/img/."""

from __future__ import annotations

import math
import os
import random
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from .browser import browser, chromium, loaded_from
from .servers import ROOT, Server, base_env, scratch_demo_database
from .tile_server import TileServer, tile_png

ADMIN_DIR = ROOT / "admin"
DOCS_IMG = ROOT / "docs" / "img"
PG_DATABASE = "gh_admin_scratch"



async def region_id(client, path: str) -> str:
    data = await client.query("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id path } } }",
                              p=path)
    node = data["regions"]["nodes"][0]
    assert node["path"] == path
    return node["id"]


# -- the API the console uses ------------------------------------------------------------------

USERS = "query($t: String) { users(text: $t) { username displayName department { code } roles { role domain } } }"


async def test_users_are_scoped_to_the_admins_subtree(sign_in, anchors):
    everyone = {u["username"]: u for u in (await (await sign_in("admin")).query(USERS))["users"]}
    assert {"admin", "townadmin", "county", "town", "community", "leader", "worker", "police", "civil",
            "auditor"} <= set(everyone)
    assert everyone["police"]["department"] == {"code": "public_security"}
    assert everyone["worker"]["roles"] == [{"role": "grid_worker", "domain": anchors["grid"] + "*"}]

    town = {u["username"]: u for u in (await (await sign_in("townadmin")).query(USERS))["users"]}
    assert {"town", "community", "leader", "worker", "townadmin"} <= set(town)
    assert not {"admin", "county", "police", "civil", "auditor"} & set(town)  # held at the county only
    assert all(g["domain"].startswith(anchors["town"]) for u in town.values() for g in u["roles"])

    found = (await (await sign_in("admin")).query(USERS, t="网格"))["users"]
    assert {u["username"] for u in found} == {"leader", "worker"}  # display names 网格长, 专职网格员


async def test_users_need_user_read(sign_in):
    for who in ("worker", "county", "auditor"):
        response = await (await sign_in(who)).post(USERS)
        assert response.codes == ["FORBIDDEN"], (who, response.errors)


async def test_a_grant_elsewhere_shows_only_where_the_admin_reads_the_policy(sign_in, gql, anchors):
    """A user granted in both towns is listed for the town admin with its own town's role only."""
    admin, townadmin = await sign_in("admin"), await sign_in("townadmin")
    town2 = await region_id(gql, anchors["town2"])
    grant = "mutation($g: ID!) { grantRole(username: \"worker\", role: \"town_centre\", region: $g) { role } }"
    revoke = "mutation($g: ID!) { revokeRole(username: \"worker\", role: \"town_centre\", region: $g) { role } }"
    await admin.query(grant, g=town2)
    try:
        worker = next(u for u in (await townadmin.query(USERS, t="worker"))["users"] if u["username"] == "worker")
        assert worker["roles"] == [{"role": "grid_worker", "domain": anchors["grid"] + "*"}]
        worker = next(u for u in (await admin.query(USERS, t="worker"))["users"] if u["username"] == "worker")
        assert {"role": "town_centre", "domain": anchors["town2"] + "*"} in worker["roles"]
    finally:
        await admin.query(revoke, g=town2)


RULES = "{ policyRules { role domain object action effect } }"
ADD_RULE = "mutation($r: PolicyRuleInput!) { addPolicyRule(rule: $r) { role } }"
REMOVE_RULE = "mutation($r: PolicyRuleInput!) { removePolicyRule(rule: $r) { role } }"


async def test_policy_rules_are_those_in_force_in_the_admins_subtree(sign_in, anchors):
    admin, townadmin = await sign_in("admin"), await sign_in("townadmin")
    county_path = anchors["county"]
    other_town = {"role": "grid_worker", "domain": anchors["town2"] + "*", "object": "person",
                  "action": "export", "effect": "allow"}
    own_town = {**other_town, "domain": anchors["town"] + "*"}
    above = {**other_town, "domain": county_path + "*"}
    county_node_only = {**other_town, "domain": county_path}  # the county node itself, not below it
    rules = [other_town, own_town, above, county_node_only]
    for rule in rules:
        await admin.query(ADD_RULE, r=rule)
    try:
        everything = (await admin.query(RULES))["policyRules"]
        assert all(rule in everything for rule in rules)
        seen = (await townadmin.query(RULES))["policyRules"]
        assert own_town in seen and above in seen
        assert other_town not in seen and county_node_only not in seen
        assert {"role": "grid_worker", "domain": "*", "object": "person", "action": "read", "effect": "allow"} in seen
        assert all(r["domain"] == "*" or r["domain"].startswith(anchors["town"])
                   or (r["domain"].endswith("*") and anchors["town"].startswith(r["domain"][:-1])) for r in seen)
    finally:
        for rule in rules:
            await admin.query(REMOVE_RULE, r=rule)


async def test_edits_of_rules_for_every_domain_are_in_the_countys_audit_trail(sign_in, anchors):
    """A `*` rule applies everywhere: its edits are audited at the root, where the county's
    auditor and admin read the trail (not a town's admin)."""
    admin = await sign_in("admin")
    rule = {"role": "auditor", "domain": "*", "object": "region", "action": "export", "effect": "allow"}
    await admin.query(ADD_RULE, r=rule)
    await admin.query(REMOVE_RULE, r=rule)
    trail = """{ auditTrail(first: 20, filter: {actor: "admin", objectKind: "policy"}) {
                 nodes { action objectId regionPath } } }"""
    entry = "p, auditor, *, region, export, allow"
    for who in ("auditor", "admin"):
        nodes = (await (await sign_in(who)).query(trail))["auditTrail"]["nodes"]
        assert {"action": "add_rule", "objectId": entry, "regionPath": anchors["county"]} in nodes, who
        assert {"action": "remove_rule", "objectId": entry, "regionPath": anchors["county"]} in nodes, who
    nodes = (await (await sign_in("townadmin")).query(trail))["auditTrail"]["nodes"]
    assert all(n["objectId"] != entry for n in nodes)


async def test_the_console_is_served_from_the_repository(http):
    page = await http.get("/admin/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'src="app.js"' in page.text and 'href="style.css"' in page.text
    for name, media_type in (("app.js", "javascript"), ("style.css", "text/css")):
        served = await http.get(f"/admin/{name}")
        assert served.status_code == 200 and media_type in served.headers["content-type"]
        assert served.text == (ADMIN_DIR / name).read_text(encoding="utf-8")
    assert (await http.get("/admin", follow_redirects=False)).status_code in (307, 308)
    assert (await http.get("/admin/../settings.py")).status_code == 404


def test_the_console_loads_nothing_from_elsewhere():
    """No CDN, no build step: every file is here and only /graphql is called."""
    for path in ADMIN_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.I), f"{path.name} loads from elsewhere"
    script = (ADMIN_DIR / "app.js").read_text(encoding="utf-8")
    assert re.findall(r"fetch\(([^,]+),", script) == ["ENDPOINT", "CONFIG"]
    assert 'const ENDPOINT = "/graphql";' in script and 'const CONFIG = "config.json";' in script


TILES = "https://tiles.nanling.example.gov.cn/{z}/{x}/{y}.png"


async def test_the_console_is_told_the_countys_tiles_only_where_set(http, app_with):
    """/admin/config.json, read by the console before anyone signs in: no tiles by default
    (the map then asks no other server), the county's template, credit and zoom when set."""
    default = await http.get("/admin/config.json")
    assert default.status_code == 200 and default.json() == {"tiles": None}
    tiled = await app_with(map_tile_url=TILES, map_tile_attribution="南陵县测绘院", map_tile_max_zoom=17)
    told = await tiled.get("/admin/config.json")
    assert told.json() == {"tiles": {"url": TILES, "attribution": "南陵县测绘院", "maxZoom": 17}}


@pytest.mark.parametrize("template", ["tiles.example.org/{z}/{x}/{y}.png", "https://tiles.example.org/{z}/{x}.png",
                                      "javascript:alert(1)//{z}/{x}/{y}", "ftp://tiles.example.org/{z}/{x}/{y}.png"])
def test_a_tile_template_the_console_cannot_use_stops_the_start(template):
    from pydantic import ValidationError

    from gridhub.settings import Settings

    with pytest.raises(ValidationError, match="map_tile_url"):
        Settings(map_tile_url=template)
    assert Settings(map_tile_url=TILES).map_tile_url == TILES


# -- in the browser ------------------------------------------------------------------------------

PERSONS_UNDER = "query($p: String) { persons(first: 1, filter: {regionPath: $p}) { totalCount } }"


@pytest.fixture(scope="module")
def console_database(tmp_path_factory):
    yield from scratch_demo_database(tmp_path_factory, PG_DATABASE)


@pytest.fixture(scope="module")
def hub(console_database, tmp_path_factory):
    env = {**base_env(console_database), "RATE_LIMIT_REQUESTS": "100000", "RATE_LIMIT_ANONYMOUS_REQUESTS": "100000",
           # webhook deliveries retried at once (test_departments_and_webhooks)
           "WEBHOOK_RETRY_SECONDS": "0.2", "HANDOVER_INTERVAL_SECONDS": "0.2"}
    server = Server("console", env, tmp_path_factory.mktemp("console-logs"))
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def driver():
    with chromium() as chrome:
        yield chrome


@pytest.fixture(scope="module")
def places(hub):
    """The demo worker's grid, a sibling grid in the same community with persons, both towns."""
    admin, county, worker = hub.login("admin"), hub.login("county"), hub.login("worker")
    own = hub.data("{ me { roles { domain } } }", worker)["me"]["roles"][0]["domain"].rstrip("*")
    community = own.rstrip("/").rsplit("/", 1)[0] + "/"
    grids = hub.data("""query($p: String) { regions(first: 50, filter: {regionPath: $p, tier: [GRID]},
                        orderBy: [{field: CODE}]) { nodes { id path } } }""", admin, p=community)["regions"]["nodes"]
    sibling = next(g for g in grids if g["path"] != own
                   and hub.data(PERSONS_UNDER, county, p=g["path"])["persons"]["totalCount"] > 0)
    towns = hub.data("{ regions(first: 10, filter: {tier: [TOWN]}, orderBy: [{field: CODE}]) { nodes { id path } } }",
                     admin)["regions"]["nodes"]
    town = next(t for t in towns if own.startswith(t["path"]))
    other_town = next(t for t in towns if t is not town)
    county_path = "/" + own.strip("/").split("/")[0] + "/"
    return {"grid": own, "sibling": sibling, "town": town, "town2": other_town, "county": county_path,
            "tokens": {"admin": admin, "county": county, "worker": worker}}


class Console:
    """The console in the browser, as a person uses it."""

    def __init__(self, driver, base: str, shots: Path):
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver, self.base, self.shots = driver, base, shots
        # a table re-rendered while it is read: read it again
        self.wait = WebDriverWait(driver, 15, ignored_exceptions=(StaleElementReferenceException,))

    def find(self, css: str):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as EC

        return self.wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))

    def all(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def read(self, css: str, attribute: str | None = None, *, at_least: int = 1) -> list[str]:
        """The text (or an attribute) of every element matching `css`, once there are
        `at_least` of them, read again if the table is re-rendered meanwhile."""
        def values(driver):
            found = [e.get_attribute(attribute) if attribute else e.text for e in self.all(css)]
            return found if len(found) >= at_least else None

        return self.wait.until(values)

    def type(self, css: str, text: str) -> None:
        field = self.find(css)
        field.clear()
        field.send_keys(text)

    def sign_in(self, username: str) -> None:
        from selenium.webdriver.support import expected_conditions as EC
        from selenium.webdriver.common.by import By

        self.driver.get(f"{self.base}/admin/#regions")
        self.driver.execute_script("sessionStorage.clear()")
        self.driver.refresh()
        self.type("#signin-username", username)
        self.type("#signin-password", "demo")
        self.find("#signin-form button[type=submit]").click()
        self.wait.until(EC.text_to_be_present_in_element((By.ID, "whoami"), username))
        self.wait.until(lambda d: self.all("#tree a.node"))
        assert self.driver.execute_script("return sessionStorage.getItem('gridhub.console.token')")

    def tab(self, name: str) -> None:
        self.find(f'nav.tabs button[data-tab="{name}"]').click()
        self.find(f"#tab-{name}")

    def filter_tree(self, text: str) -> None:
        self.type("#tree-filter", text)
        if not text:  # clear() alone fires no input event
            self.driver.execute_script("document.getElementById('tree-filter').dispatchEvent(new Event('input'))")

    def select_region(self, path: str) -> None:
        self.tab("regions")
        self.filter_tree(path)
        self.find(f'#tree a.node[data-path="{path}"]').click()
        self.wait.until(lambda d: self.find("#node-path").text == path)
        self.filter_tree("")  # the way down to the selected node stays open
        self.find(f'#tree a.node.selected[data-path="{path}"]')

    def tree_paths(self) -> list[str]:
        self.filter_tree("/")  # opens every node
        paths = [a.get_attribute("data-path") for a in self.all("#tree a.node")]
        self.filter_tree("")
        return paths

    def submit(self, form: str) -> None:
        self.find(f"{form} button[type=submit]").click()

    def notice(self, containing: str) -> str:
        """The success message, once it says `containing`."""
        self.wait.until(lambda d: containing in self.find("#notice").text)
        return self.find("#notice").text

    def refusal(self, containing: str) -> tuple[str, str]:
        """The error banner's code and text, once it says `containing`."""
        self.wait.until(lambda d: containing in self.find("#banner").text)
        banner = self.find("#banner")
        return banner.get_attribute("data-code"), banner.text

    def accept_confirm(self) -> None:
        from selenium.webdriver.support import expected_conditions as EC

        self.wait.until(EC.alert_is_present())
        self.driver.switch_to.alert.accept()

    def screenshot(self, name: str) -> Path:
        path = self.shots / name
        self.driver.save_screenshot(str(path))
        if os.environ.get("GRIDHUB_DOCS_SCREENSHOTS"):
            DOCS_IMG.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS_IMG / name)
        return path

    def script_errors(self) -> list[dict]:
        return [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]


@pytest.fixture
def console(driver, hub, tmp_path):
    console = Console(driver, hub.base, tmp_path)
    yield console
    assert console.script_errors() == []


@browser
def test_admin_grants_the_worker_a_sibling_grid(console, hub, places):
    worker = places["tokens"]["worker"]
    sibling = places["sibling"]
    expected = hub.data(PERSONS_UNDER, places["tokens"]["county"], p=sibling["path"])["persons"]["totalCount"]
    assert hub.data(PERSONS_UNDER, worker, p=sibling["path"])["persons"]["totalCount"] == 0

    console.sign_in("admin")
    assert places["town2"]["path"] in console.tree_paths()  # the whole county
    console.select_region(sibling["path"])
    console.type("#grant-username", "worker")
    console.type("#grant-role", "grid_worker")
    console.submit("#grant-form")
    console.notice("Granted grid_worker to worker")
    console.find(f'#node-grants tr[data-username="worker"][data-role="grid_worker"]')

    # the worker's next request sees the sibling grid's persons
    assert hub.data(PERSONS_UNDER, worker, p=sibling["path"])["persons"]["totalCount"] == expected > 0
    console.screenshot("admin-console.png")

    console.tab("users")
    chips = console.read('#users tr[data-username="worker"] .chip', "data-domain")
    assert set(chips) == {places["grid"] + "*", sibling["path"] + "*"}

    console.tab("explain")
    console.type("#explain-username", "worker")
    console.type("#explain-action", "read")
    console.type("#explain-object", "person")
    from selenium.webdriver.support.ui import Select

    Select(console.find("#explain-region")).select_by_value(sibling["id"])
    console.submit("#explain-form")
    assert console.find("#explain-result").get_attribute("data-allowed") == "true"
    assert console.find("#explain-rule").text == "p, grid_worker, *, person, read, allow"
    console.type("#explain-action", "export")
    console.submit("#explain-form")
    console.wait.until(lambda d: console.find("#explain-result").get_attribute("data-allowed") == "false")
    assert "denied by default" in console.find("#explain-result").text

    console.tab("audit")
    console.type("#audit-actor", "admin")
    console.type("#audit-action", "grant")
    console.submit("#audit-form")
    granted = f"g, worker, grid_worker, {sibling['path']}*"
    console.wait.until(lambda d: any(granted in row.text for row in console.all("#audit tr"))
                       and all(row.get_attribute("data-action") == "grant" for row in console.all("#audit tr")))
    console.screenshot("admin-console-audit.png")

    console.select_region(sibling["path"])
    console.find(f'#node-grants tr[data-username="worker"][data-role="grid_worker"] button').click()
    console.accept_confirm()
    console.notice("Revoked grid_worker of worker")
    assert hub.data(PERSONS_UNDER, worker, p=sibling["path"])["persons"]["totalCount"] == 0


@browser
def test_townadmin_sees_and_edits_only_its_town(console, hub, places):
    admin = places["tokens"]["admin"]
    town, town2, sibling = places["town"], places["town2"], places["sibling"]
    elsewhere = {"role": "grid_worker", "domain": town2["path"] + "*", "object": "person", "action": "export",
                 "effect": "allow"}
    hub.data(ADD_RULE, admin, r=elsewhere)
    try:
        console.sign_in("townadmin")
        paths = console.tree_paths()
        assert town["path"] in paths and sibling["path"] in paths
        assert town2["path"] not in paths
        assert all(p.startswith(town["path"]) or town["path"].startswith(p) for p in paths)  # its town, and above

        # the county node is on screen (the way down to the town) but granting there is refused
        console.select_region(places["county"])
        console.type("#grant-username", "worker")
        console.type("#grant-role", "grid_worker")
        console.submit("#grant-form")
        code, text = console.refusal("no rule lets townadmin grant role:grid_worker")
        assert code == "FORBIDDEN" and "FORBIDDEN" in text
        console.screenshot("admin-console-forbidden.png")
        roles = hub.data("{ me { roles { domain } } }", places["tokens"]["worker"])["me"]["roles"]
        assert [r["domain"] for r in roles] == [places["grid"] + "*"]

        # a rule for another town: not listed, and adding one is refused
        console.tab("rules")
        assert not any(town2["path"] in row for row in console.read("#rules tr", at_least=10))
        console.type("#rule-role", "grid_worker")
        console.type("#rule-domain", town2["path"] + "*")
        console.type("#rule-object", "person")
        console.type("#rule-action", "read")
        console.submit("#rule-form")
        code, text = console.refusal(town2["path"])
        assert code == "FORBIDDEN" and "you may not" in text

        # users: those of its town only
        console.tab("users")
        console.find('#users tr[data-username="worker"]')
        listed = set(console.read("#users tr", "data-username"))
        assert {"worker", "leader", "town", "townadmin"} <= listed
        assert not {"admin", "police", "civil", "county", "auditor"} & listed

        # inside its town it may grant (and revoke) a tier role
        console.select_region(sibling["path"])
        console.type("#grant-username", "leader")
        console.type("#grant-role", "grid_leader")
        console.submit("#grant-form")
        console.notice("Granted grid_leader to leader")
        console.find('#node-grants tr[data-username="leader"][data-role="grid_leader"] button').click()
        console.accept_confirm()
        console.notice("Revoked grid_leader of leader")

        # the audit trail: its town's entries only (the admin's rule for town 2 is not among them)
        console.tab("audit")

        def entries(driver):  # (text, region path) of each row, once the revoke is listed
            rows = [(row.text, row.find_elements("css selector", "td code")[-1].text)
                    for row in console.all("#audit tr")]
            return rows if any("grid_leader" in text for text, _ in rows) else None

        regions = [region for _, region in console.wait.until(entries)]
        assert regions and all(r.startswith(town["path"]) for r in regions)
    finally:
        hub.data(REMOVE_RULE, admin, r=elsewhere)


@browser
def test_the_map_draws_the_grids_and_tells_a_grids_grants_and_lights(console, hub, places):
    """The map tab, offline: every grid's boundary drawn by the console itself (no tile
    server), a click telling the grid's grants and its open events by light, as the hub
    counts them for the admin."""
    admin = places["tokens"]["admin"]
    grids = hub.data("{ regions(first: 500, filter: {tier: [GRID]}) { totalCount nodes { id path boundary } } }",
                     admin)["regions"]
    console.sign_in("admin")
    console.tab("map")
    drawn = console.read("#map path.area", "data-path", at_least=grids["totalCount"])
    assert sorted(drawn) == sorted(g["path"] for g in grids["nodes"] if g["boundary"])
    grid = next(g for g in grids["nodes"] if g["path"] == places["grid"])
    console.find(f'#map path.area[data-path="{grid["path"]}"]').click()
    console.wait.until(lambda d: console.find("#map-path").text == grid["path"])
    assert "worker" in console.find("#map-grants").text  # the demo worker's grant is at this grid
    lights = hub.data("""query($r: ID!) { red: events(first: 0, filter: {region: $r, light: [RED]}) { totalCount }
                         green: events(first: 0, filter: {region: $r, light: [GREEN]}) { totalCount } }""",
                      admin, r=grid["id"])
    for key in ("red", "green"):
        cell = console.read(f'#map-lights tr[data-light="{key}"] td')[1]
        assert cell == str(lights[key]["totalCount"])
    console.find(f'#map path.area.selected[data-path="{grid["path"]}"]')
    assert loaded_from(console.driver) <= {hub.base}  # nothing from elsewhere: no tiles, no CDN
    assert not console.all("#map image") and console.all("#map-attribution")[0].text == ""
    shot = console.screenshot("admin-map.png")
    assert shot.stat().st_size > 10_000


@pytest.fixture(scope="module")
def tile_server():
    with TileServer() as server:
        yield server


@pytest.fixture(scope="module")
def tiled_hub(console_database, tile_server, tmp_path_factory):
    """A second hub on the console's database, configured with the county's own tile server."""
    env = {**base_env(console_database), "RATE_LIMIT_REQUESTS": "100000", "RATE_LIMIT_ANONYMOUS_REQUESTS": "100000",
           "MAP_TILE_URL": tile_server.template, "MAP_TILE_ATTRIBUTION": "底图 南陵县测绘院 (test tiles)"}
    server = Server("console-tiles", env, tmp_path_factory.mktemp("console-tiles-logs"))
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


def mercator_tile(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    """The XYZ tile holding a point (the slippy-map formula, independent of the console's)."""
    n = 2 ** zoom
    phi = math.radians(lat)
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(phi)) / math.pi) / 2 * n)


@browser
def test_the_map_draws_the_countys_own_tiles_under_the_boundaries(driver, tiled_hub, tile_server, tmp_path):
    """With MAP_TILE_URL set, the map asks the county's tile server (a real one on
    127.0.0.1) for the tiles covering the view and draws them under the boundaries, each
    where its area is: the tile under a grid's corner is the one holding that corner."""
    console = Console(driver, tiled_hub.base, tmp_path)
    admin = tiled_hub.login("admin")
    grids = tiled_hub.data("{ regions(first: 500, filter: {tier: [GRID]}) { totalCount nodes { path boundary } } }",
                           admin)["regions"]
    console.sign_in("admin")
    console.tab("map")
    console.read("#map path.area", "data-path", at_least=grids["totalCount"])
    tiles = console.read("#map g.tiles image.tile", "href")
    # under the boundaries: the tiles are the map's first layer, the paths after it
    assert console.driver.execute_script("return document.querySelector('#map').firstElementChild.getAttribute('class')") \
        == "tiles"
    asked = [tuple(int(v) for v in re.match(r".*/tiles/(\d+)/(\d+)/(\d+)\.png$", href).groups()) for href in tiles]
    assert all(href.startswith(tile_server.base + "/tiles/") for href in tiles)
    console.wait.until(lambda d: set(asked) <= set(tile_server.requested))  # each fetched by the browser
    zoom = asked[0][0]
    assert 8 <= zoom <= 18 and {z for z, _, _ in asked} == {zoom} and len(asked) <= 400
    # where a tile is drawn: the corner of a grid lies on the tile holding it
    grid = next(g for g in grids["nodes"] if g["boundary"])
    ring = grid["boundary"]["coordinates"][0] if grid["boundary"]["type"] == "Polygon" \
        else grid["boundary"]["coordinates"][0][0]
    lon, lat = ring[0]
    d = console.find(f'#map path.area[data-path="{grid["path"]}"]').get_attribute("d")
    x, y = (float(v) for v in re.match(r"M([-0-9.]+),([-0-9.]+)", d).groups())
    under = console.driver.execute_script("""
        const [x, y] = arguments;
        const hit = [...document.querySelectorAll('#map image.tile')].find((t) => {
          const [tx, ty, w, h] = ['x', 'y', 'width', 'height'].map((k) => parseFloat(t.getAttribute(k)));
          return tx <= x && x < tx + w && ty <= y && y < ty + h; });
        return hit ? [+hit.dataset.z, +hit.dataset.x, +hit.dataset.y] : null;""", x, y)
    assert under is not None and tuple(under) == (zoom, *mercator_tile(lon, lat, zoom)), (under, lon, lat)
    assert "南陵县测绘院" in console.find("#map-attribution").text
    assert loaded_from(console.driver) == {tiled_hub.base, tile_server.base}
    # every tile the page asked for came as a PNG of the tile server's
    answered = console.driver.execute_script("""return performance.getEntriesByType('resource')
        .filter((e) => e.name.includes('/tiles/')).map((e) => [e.responseStatus, e.encodedBodySize])""")
    # (an image's status is the tile server's to tell; its size the page sees, by Timing-Allow-Origin)
    sizes = {len(tile_png(0, 0)), len(tile_png(0, 1))}
    assert len(answered) >= len(set(asked)) and all(size in sizes for _, size in answered), answered
    shot = console.screenshot("admin-map-tiles.png")
    assert shot.stat().st_size > 10_000
    assert console.script_errors() == []


@browser
def test_departments_and_webhooks(console, hub, places):
    """Point 1's and point 4's admin screens: the chief admin adds a department, registers its
    system's URL (the signing key shown once), sees a hand-over to it delivered after a failed
    attempt, replays it and removes the webhook; a town's admin is refused the webhooks."""
    import secrets
    import time

    from .test_notices import Receiver

    code = f"water_{secrets.token_hex(3)}"
    console.sign_in("admin")
    console.tab("departments")
    console.type("#department-code", code)
    console.type("#department-name", "水利局")
    console.submit("#department-form")
    console.notice(f"dept.{code}")
    assert console.read(f'#departments tr[data-code="{code}"] td')[1] == "水利局"
    console.type("#department-code", code)
    console.type("#department-name", "水利局")
    console.submit("#department-form")
    assert console.refusal("department")[0] == "CONFLICT"

    with Receiver() as receiver:
        console.tab("webhooks")
        from selenium.webdriver.support.ui import Select

        departments = hub.data("{ departments { id code } }", places["tokens"]["admin"])["departments"]
        department_id = next(d["id"] for d in departments if d["code"] == code)
        console.wait.until(lambda d: Select(console.find("#webhook-department")).options)
        Select(console.find("#webhook-department")).select_by_value(department_id)
        console.type("#webhook-url", receiver.url)
        console.submit("#webhook-form")
        console.notice("Webhook registered")
        receiver.secret = console.find("#webhook-key-value").text
        assert receiver.secret.startswith("whsec_")
        console.find(f'#webhooks tr[data-url="{receiver.url}"]')

        # a hand-over to the new department: reported, accepted and dispatched by its users
        worker, county = places["tokens"]["worker"], places["tokens"]["county"]
        grid = hub.data("query($p: String) { regions(first: 1, filter: {regionPath: $p}) { nodes { id } } }",
                        county, p=places["grid"])["regions"]["nodes"][0]["id"]
        event = hub.data("""mutation($i: EventCreateInput!) { reportEvent(input: $i) { id } }""", worker,
                         i={"title": "河道堵塞", "kind": "HAZARD", "category": "safety/fire", "source": "PATROL",
                            "occurredAt": "2026-11-20T08:00:00Z", "regionId": grid})["reportEvent"]["id"]
        hub.data("mutation($id: ID!) { acceptEvent(id: $id) { status } }", county, id=event)
        hub.data("mutation($id: ID!, $d: ID!) { dispatchEvent(id: $id, department: $d) { status } }", county,
                 id=event, d=department_id)

        def delivered_row():
            console.submit("#deliveries-form")
            time.sleep(0.3)
            rows = [r for r in console.all('#deliveries tr[data-status="DELIVERED"]') if event in r.text]
            return rows[0] if rows else None

        row = console.wait.until(lambda d: delivered_row())
        cells = row.find_elements("css selector", "td")
        assert cells[3].text == "2" and cells[4].text.startswith("200"), "a 500 first, then delivered"
        assert [signed for _, signed, _ in receiver.of_event(event)] == [True, True]
        console.screenshot("admin-webhooks.png")

        row.find_element("css selector", "button").click()
        console.notice("queued again")
        console.wait.until(lambda d: len(receiver.of_event(event)) == 3)
        console.wait.until(lambda d: delivered_row())

        console.find(f'#webhooks tr[data-url="{receiver.url}"] button').click()
        console.accept_confirm()
        console.notice("Webhook removed")
        console.find(f'#webhooks tr.removed[data-url="{receiver.url}"]')

    console.sign_in("townadmin")
    console.tab("webhooks")
    assert console.refusal("")[0] == "FORBIDDEN"
    console.driver.get_log("browser")  # the refusal's failed request is logged: expected here


@browser
def test_the_vocabulary_tab_edits_the_tags_as_an_admin_may(console, hub, places):
    """The chief admin adds a tag, retires and removes it; a tag in use is not removed; the
    town's admin reads the vocabulary but may not change it (the county's)."""
    console.sign_in("admin")
    console.tab("vocabulary")
    labels = dict(zip(console.read("#tags tr", "data-tag", at_least=19), console.read("#tags tr td.label", at_least=19)))
    assert labels["care/elderly_alone"] == "独居老人" and labels["role/volunteer"] == "志愿者"
    console.type("#tag-path", "care/console_test")
    console.type("#tag-label", "控制台测试")
    console.submit("#tag-form")
    console.notice("Tag added: care/console_test 控制台测试")
    console.find('#tags tr[data-tag="care/console_test"] button.retire').click()
    console.accept_confirm()
    console.notice("Retired: care/console_test")
    # the notice comes with the answer; the table is drawn again from the list read after it
    console.wait.until(lambda d: "retired" in console.find('#tags tr[data-tag="care/console_test"] td.state').text)
    console.screenshot("admin-console-vocabulary.png")
    console.find('#tags tr[data-tag="care/console_test"] button.remove').click()
    console.accept_confirm()
    console.notice("Removed: care/console_test")
    console.wait.until(lambda d: not console.all('#tags tr[data-tag="care/console_test"]'))
    # a tag persons carry: removing it is a conflict, said in the banner
    console.find('#tags tr[data-tag="care/low_income"] button.remove').click()
    console.accept_confirm()
    code, text = console.refusal("retire it instead")
    assert code == "CONFLICT"
    tags = hub.data("{ tagVocabulary { tag retiredAt } }", places["tokens"]["worker"])["tagVocabulary"]
    assert {"tag": "care/low_income", "retiredAt": None} in tags and "care/console_test" not in {t["tag"] for t in tags}

    console.sign_in("townadmin")
    console.tab("vocabulary")
    console.read("#tags tr", at_least=19)
    console.type("#tag-path", "care/town_only")
    console.type("#tag-label", "镇级")
    console.submit("#tag-form")
    code, _ = console.refusal("vocabulary update grant at the county")
    assert code == "FORBIDDEN"


@browser
def test_the_members_tab_adds_ends_and_rejoins_a_member(console, hub, places):
    """The grid worker lists its grid's organisation's members, adds one, ends the membership
    and takes the person back in a new term; the community centre reads the members and is
    refused the add (FORBIDDEN, in the banner)."""
    from selenium.webdriver.support.ui import Select

    worker = places["tokens"]["worker"]
    organisation = hub.data("""query($p: String) { organisations(first: 1, filter: {regionPath: $p}) {
        nodes { id name } } }""", worker, p=places["grid"])["organisations"]["nodes"][0]
    person = hub.data("query($p: String) { persons(first: 1, filter: {regionPath: $p}) { nodes { id name } } }",
                      worker, p=places["grid"])["persons"]["nodes"][0]
    role = f"控制台志愿者{random.SystemRandom().randrange(10**6)}"
    today, tomorrow = date.today(), date.today() + timedelta(days=1)

    def choose_organisation() -> None:
        console.tab("members")
        console.type("#org-text", organisation["name"])
        console.submit("#org-form")
        console.wait.until(lambda d: console.all(f'#org-select option[value="{organisation["id"]}"]'))

        def chosen(_) -> bool:
            # inside the wait, which retries on a stale element: the list may be drawn again
            # (the tab's own search, then the form's) between finding the option and choosing it
            select = console.find("#org-select")
            if select.get_attribute("value") != organisation["id"]:
                Select(select).select_by_value(organisation["id"])
            return organisation["id"] == console.find("#org-select").get_attribute("value") \
                and "memberships" in console.find("#org-info").text

        console.wait.until(chosen)

    def add(started: date) -> None:
        console.type("#member-text", person["name"])
        console.find("#member-find").click()
        console.wait.until(lambda d: console.all(f'#member-person option[value="{person["id"]}"]'))
        Select(console.find("#member-person")).select_by_value(person["id"])
        console.type("#member-role", role)
        console.driver.execute_script("document.getElementById('member-from').value = arguments[0]",
                                      started.isoformat())
        console.submit("#member-form")

    def rows() -> list[tuple[str, str]]:
        """(state, until) of each of the role's rows, once the table shows them."""
        return [(r.get_attribute("data-open"), r.find_element("css selector", "td.until").text)
                for r in console.all(f'#members tr[data-role="{role}"]')]

    console.sign_in("worker")
    choose_organisation()
    add(today)
    console.notice(f"Member added: {person['name']} {role}")
    # the notice comes with the answer; wait for the table drawn again from the list read after it
    console.wait.until(lambda d: rows() == [("true", "")])
    console.find(f'#members tr[data-role="{role}"][data-open="true"] button.end').click()
    console.wait.until(lambda d: console.driver.switch_to.alert)
    alert = console.driver.switch_to.alert
    alert.send_keys(today.isoformat())
    alert.accept()
    console.notice(f"Membership ended: {person['name']} {role} {today.isoformat()}")
    console.wait.until(lambda d: rows() == [("false", today.isoformat())])
    add(today)  # a new term on the day the last ended: refused, said in the banner
    code, text = console.refusal("a new term starts after it")
    assert code == "CONFLICT" and "startedOn" in text
    add(tomorrow)
    console.notice(f"Member added: {person['name']} {role}")
    console.wait.until(lambda d: sorted(rows()) == [("false", today.isoformat()), ("true", "")])
    console.screenshot("admin-console-members.png")
    members = hub.data("""query($id: ID!) { node(id: $id) { ... on Organisation { members(first: 500) {
        nodes { role startedOn endedOn } } } } }""", worker, id=organisation["id"])["node"]["members"]["nodes"]
    assert sorted((m["startedOn"], m["endedOn"] or "") for m in members if m["role"] == role) == [
        (today.isoformat(), today.isoformat()), (tomorrow.isoformat(), "")]

    console.sign_in("community")
    choose_organisation()
    console.wait.until(lambda d: sorted(rows()) == [("false", today.isoformat()), ("true", "")])
    add(tomorrow + timedelta(days=1))
    code, _ = console.refusal("add members of this organisation")
    assert code == "FORBIDDEN"
