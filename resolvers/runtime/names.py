"""A column's name as the API spells it, for messages and audit entries that name fields."""

from __future__ import annotations


def camel(name: str) -> str:
    head, *rest = name.removesuffix("_id").split("_")
    return head + "".join(p.title() for p in rest) + ("Id" if name.endswith("_id") else "")
