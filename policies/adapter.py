"""Our async Casbin adapter over Tortoise: rules live in `casbin_rule` (unique per line),
every query names its ptype, and each batch is one transaction."""

from __future__ import annotations

from casbin.persist.adapters.asyncio import AsyncAdapter
from tortoise.transactions import in_transaction

from gridhub.models import CasbinRule

FIELDS = ("v0", "v1", "v2", "v3", "v4", "v5")


def _columns(rule: list[str]) -> dict[str, str]:
    if len(rule) > len(FIELDS):
        raise ValueError("a rule has at most six values")
    return {f: (rule[i] if i < len(rule) else "") for i, f in enumerate(FIELDS)}


def _line(row: CasbinRule) -> list[str]:
    values = [getattr(row, f) for f in FIELDS]
    while values and values[-1] == "":
        values.pop()
    return [row.ptype, *values]


class TortoiseAdapter(AsyncAdapter):
    async def load_policy(self, model) -> None:
        for ptype in ("p", "g"):
            assertion = model.model.get(ptype[0], {}).get(ptype)
            if assertion is None:
                continue
            for row in await CasbinRule.filter(ptype=ptype).order_by("id"):
                assertion.policy.append(_line(row)[1:])

    async def save_policy(self, model) -> bool:
        async with in_transaction():
            for sec in ("p", "g"):
                for ptype, ast in model.model.get(sec, {}).items():
                    await CasbinRule.filter(ptype=ptype).delete()
                    await CasbinRule.bulk_create([CasbinRule(ptype=ptype, **_columns(r)) for r in ast.policy])
        return True

    async def add_policy(self, sec: str, ptype: str, rule: list[str]) -> bool:
        await CasbinRule.get_or_create(ptype=ptype, **_columns(rule))
        return True

    async def add_policies(self, sec: str, ptype: str, rules: list[list[str]]) -> bool:
        async with in_transaction():
            for rule in rules:
                await CasbinRule.get_or_create(ptype=ptype, **_columns(rule))
        return True

    async def remove_policy(self, sec: str, ptype: str, rule: list[str]) -> bool:
        return await CasbinRule.filter(ptype=ptype, **_columns(rule)).delete() > 0

    async def remove_policies(self, sec: str, ptype: str, rules: list[list[str]]) -> bool:
        async with in_transaction():
            removed = 0
            for rule in rules:
                removed += await CasbinRule.filter(ptype=ptype, **_columns(rule)).delete()
        return removed > 0

    async def remove_filtered_policy(self, sec: str, ptype: str, field_index: int, *field_values: str) -> bool:
        match = {FIELDS[field_index + i]: v for i, v in enumerate(field_values) if v}
        return await CasbinRule.filter(ptype=ptype, **match).delete() > 0


def parse_policy_lines(text: str) -> list[list[str]]:
    """The lines of a policy CSV (comments and blank lines skipped), each split on commas."""
    lines = []
    for raw in text.splitlines():
        raw = raw.strip()
        if raw and not raw.startswith("#"):
            lines.append([part.strip() for part in raw.split(",")])
    return lines
