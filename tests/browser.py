"""Headless Chromium driven by Selenium, for the browser tests (the policy console, GraphiQL
offline). They are skipped only when /usr/bin/chromium is missing
(`apt-get install -y chromium chromium-driver`; CI installs it)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# every host but the loopback is unknown: a page that loads anything from the internet fails
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"

browser = pytest.mark.skipif(not CHROMIUM.exists(),
                             reason="no /usr/bin/chromium: `apt-get install -y chromium chromium-driver` "
                                    "to run the browser tests")


@contextlib.contextmanager
def chromium(*arguments: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1400,900", "--lang=zh-CN", *arguments):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    chrome.implicitly_wait(0)
    try:
        yield chrome
    finally:
        chrome.quit()


def loaded_from(driver) -> set[str]:
    """The origins of everything the page loaded (scripts, styles, fonts, fetches)."""
    return set(driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).origin)"))


def internet_unreachable(driver) -> bool:
    """Whether the page cannot fetch from the internet (the attempt joins `loaded_from`)."""
    return driver.execute_script(
        "return fetch('https://unpkg.com/', {mode: 'no-cors'}).then(() => false, () => true)")
