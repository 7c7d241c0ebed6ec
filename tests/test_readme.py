"""The README's GraphQL examples run as written on a fresh demo, each as the demo user its
first line names (`# as worker`), in the README's order: no placeholder a newcomer cannot
fill, no value the demo does not hold."""

from __future__ import annotations

import os
import re

import pytest

from .servers import ROOT, Server, base_env, scratch_demo_database

EXAMPLE = re.compile(r"```graphql\n# as (\w+)\n(.*?)```", re.S)


def readme_examples() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    examples = EXAMPLE.findall(text)
    assert len(examples) == text.count("```graphql"), "every GraphQL example names its user"
    return examples


def found(value) -> bool:
    """A root field's answer holds something: a node, a non-empty list or page."""
    if isinstance(value, dict) and "nodes" in value:
        return bool(value["nodes"])
    if isinstance(value, dict) and "groups" in value:
        return bool(value["groups"])
    return bool(value)


@pytest.fixture(scope="module")
def demo_hub(tmp_path_factory):
    for url in scratch_demo_database(tmp_path_factory, f"gh_readme_{os.getpid()}"):
        server = Server("readme", base_env(url), tmp_path_factory.mktemp("readme"))
        try:
            server.wait_healthy()
            yield server
        finally:
            server.stop()


def test_the_readme_examples_run_on_the_demo(demo_hub):
    examples = readme_examples()
    assert len(examples) >= 7 and not any("…" in query for _, query in examples)
    tokens: dict[str, str] = {}
    for user, query in examples:
        token = tokens.setdefault(user, demo_hub.login(user))
        data = demo_hub.data(query, token)
        empty = [field for field, value in data.items() if not found(value)]
        assert not empty, f"as {user}: nothing in {empty} for\n{query}"
