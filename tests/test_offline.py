"""Everything works offline (a government intranet): GraphiQL's assets are the hub's own
copies of the files strawberry's page pins, with their licences; and in headless Chromium
that can reach no host but the loopback, GraphiQL loads, sends the Authorization header set
in its headers editor, runs a query and a subscription and browses its docs, and the policy
console at /admin signs in and shows the region tree. Neither page loads anything from
elsewhere."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time

import pytest

from gridhub.web import graphiql
from .browser import OFFLINE, browser, chromium, internet_unreachable, loaded_from

from .test_admin_console import Console

INTEGRITY = re.compile(r'(?:src|href)="(https://unpkg\.com/[^"]+)"\s+integrity="sha384-([^"]+)"')
REPORT = """mutation($input: EventCreateInput!) { reportEvent(input: $input) { id } }"""


# -- the vendored assets ------------------------------------------------------------------

def test_every_asset_strawberrys_page_pins_is_vendored_as_pinned():
    """Each file of strawberry's page is in static/graphiql/ with the bytes its integrity hash
    names (a strawberry upgrade that pins other versions fails here: `python web/graphiql.py`)."""
    pinned = INTEGRITY.findall(graphiql.strawberry_page())
    assert len(pinned) == len(graphiql.assets(graphiql.strawberry_page())) >= 5
    for url, digest in pinned:
        copy = graphiql.ASSETS_DIR / url.removeprefix(graphiql.CDN)
        assert copy.is_file(), f"{url} is not vendored: run `python web/graphiql.py`"
        assert base64.b64encode(hashlib.sha384(copy.read_bytes()).digest()).decode() == digest, url


def test_each_vendored_package_carries_its_licence():
    packages = {(package, version) for package, version, _ in graphiql.assets(graphiql.strawberry_page())}
    for package, version in packages:
        folder = graphiql.ASSETS_DIR / f"{package}@{version}"
        declared = json.loads((folder / "package.json").read_text(encoding="utf-8"))
        assert (declared["name"], declared["version"], declared["license"]) == (package, version, "MIT")
        assert (folder / "LICENSE").read_text(encoding="utf-8").startswith("MIT License"), package
    # nothing else is kept there
    assert {p.name for p in graphiql.ASSETS_DIR.iterdir()} == {f"{p}@{v}".split("/")[0] for p, v in packages}


async def test_the_graphiql_page_loads_from_the_hub_only(http):
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql.min.js" in page.text
    loaded = [url for url in re.findall(r'(?:src|href)="([^"]+)"', page.text)
              if not url.startswith("data:")]  # the favicon is inline
    assert loaded and all(url.startswith(graphiql.LOCAL) for url in loaded), loaded
    for url in loaded:
        served = await http.get(url)
        assert served.status_code == 200, url
        assert served.content == (graphiql.ASSETS_DIR / url.removeprefix(graphiql.LOCAL)).read_bytes()


# -- in a browser without the internet ----------------------------------------------------

@pytest.fixture(scope="module")
def offline_driver():
    with chromium(OFFLINE) as chrome:
        yield chrome


class GraphiQL:
    """GraphiQL in the browser, driven through its editors and buttons."""

    def __init__(self, driver, base: str):
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver = driver
        self.wait = WebDriverWait(driver, 20)
        driver.get(f"{base}/graphql")
        self.wait.until(lambda d: d.execute_script("return !!document.querySelector('.graphiql-execute-button')"))

    def button(self, label: str):
        """A button by its accessible label or its text."""
        return self.wait.until(lambda d: d.execute_script(
            "return [...document.querySelectorAll('button')].find(b => b.getAttribute('aria-label') === arguments[0]"
            " || b.textContent.trim() === arguments[0])", label))

    def edit(self, css: str, text: str) -> None:
        """Put `text` in a CodeMirror editor, as typing would (GraphiQL listens to its changes)."""
        self.driver.execute_script("document.querySelector(arguments[0]).CodeMirror.setValue(arguments[1])",
                                   css, text)

    def run(self, query: str) -> None:
        self.edit(".graphiql-query-editor .CodeMirror", query)
        # GraphiQL parses the document after a pause in typing, and picks HTTP or WebSocket by
        # the last one parsed: run before that and a subscription would go over HTTP
        time.sleep(1)
        self.button("Execute query (Ctrl-Enter)").click()

    def response(self) -> str:
        return self.driver.execute_script(
            "const e = document.querySelector('.result-window .CodeMirror'); return e ? e.CodeMirror.getValue() : ''")

    def until_response(self, text: str, timeout: float = 20) -> str:
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout).until(lambda d: text in self.response() and self.response())


@browser
def test_graphiql_works_offline(offline_driver, served_hub):
    from selenium.common.exceptions import TimeoutException

    hub = served_hub
    token = hub.login("worker")
    own = hub.data("{ me { roles { region { id } } } }", token)["me"]["roles"][0]["region"]["id"]
    ide = GraphiQL(offline_driver, hub.base)

    # the token in the headers editor, then a query that needs it
    ide.button("Headers").click()
    ide.edit(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror",
             json.dumps({"Authorization": f"Bearer {token}"}))
    ide.run("{ me { username displayName } }")
    answer = json.loads(ide.until_response('"username"'))
    assert answer == {"data": {"me": {"username": "worker", "displayName": "专职网格员"}}}

    # a subscription over the WebSocket, signed in by the same header; changes made elsewhere
    ide.run("subscription Changes { eventChanged { action event { title } } }")
    heard = None
    for attempt in range(10):  # the server registers a subscription a moment after it is sent
        title = f"GraphiQL 离线 {attempt}"
        hub.data(REPORT, token, input={"title": title, "kind": "HAZARD", "category": "safety/fire",
                                       "source": "PATROL", "occurredAt": "2026-11-20T08:00:00Z", "regionId": own})
        try:
            heard = json.loads(ide.until_response(title, timeout=2))
            break
        except TimeoutException:  # not subscribed yet when it was reported: the next report
            continue
    assert heard == {"data": {"eventChanged": {"action": "report", "event": {"title": title}}}}, ide.response()

    # the docs pane, from the root types to a field's type
    ide.button("Show Documentation Explorer").click()
    explorer = ".graphiql-doc-explorer"
    ide.wait.until(lambda d: "Root Types" in d.execute_script(
        "return document.querySelector(arguments[0])?.textContent || ''", explorer))
    for link, then in (("Query", "persons"), ("persons", "PersonConnection"), ("PersonConnection", "totalCount")):
        offline_driver.execute_script(
            "[...document.querySelectorAll(arguments[0] + ' a')].find(a => a.textContent === arguments[1]).click()",
            explorer, link)
        ide.wait.until(lambda d: then in d.execute_script(
            "return document.querySelector(arguments[0]).textContent", explorer))

    assert loaded_from(offline_driver) == {hub.base}
    assert internet_unreachable(offline_driver)  # and not because nothing was asked of it


@browser
def test_the_policy_console_works_offline(offline_driver, served_hub, tmp_path):
    console = Console(offline_driver, served_hub.base, tmp_path)
    console.sign_in("admin")
    assert console.read("#tree a.node")
    assert loaded_from(offline_driver) == {served_hub.base}
    assert internet_unreachable(offline_driver)
