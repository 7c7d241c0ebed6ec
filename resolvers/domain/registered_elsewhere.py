"""A uniqueness conflict on a sensitive key (an identity number, a credit code) must not
tell a caller about a register it may not read. Held inside the caller's scope, the conflict
names the field as any other; held elsewhere, it says only REGISTERED_ELSEWHERE, is audited
as a sensitive lookup with the value tried, and each user has a small budget of them: past
it every write of such a key answers RATE_LIMITED before the database is asked, so the
answer cannot serve as an oracle for the county's register."""

from __future__ import annotations

from typing import Any

from gridhub.policies.predicate import Compare
from gridhub.policies.scope import Scope
from gridhub.settings import Settings

from gridhub.resolvers.write.audit import record_change
from gridhub.resolvers.errors import Conflict, RateLimited
from gridhub.resolvers.kinds import kind_of
from gridhub.resolvers.read.query import rows
from gridhub.resolvers.identity.rate_limit import Counters, SlidingWindow
from gridhub.resolvers.runtime.names import camel

# kind -> its unique columns whose holders are sensitive, each with the columns its uniqueness
# spans (an identity number is unique per document type and nationality)
SENSITIVE_KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    "person": {"id_number": ("id_type", "nationality", "id_number")},
    "organisation": {"credit_code": ("credit_code",)},
}


class RegisterLookups:
    """The per-user budget of conflicts on sensitive keys held outside one's scope."""

    def __init__(self, counters: Counters, settings: Settings):
        self.window = SlidingWindow(counters, "registered-elsewhere", settings.registered_elsewhere_per_user,
                                    settings.registered_elsewhere_window_seconds)

    async def check(self, actor: str, kind: str, data: dict) -> None:
        if not any(data.get(column) for column in SENSITIVE_KEYS.get(kind, ())):
            return
        verdict = await self.window.check(actor)
        if not verdict.allowed:
            raise RateLimited("too many writes met a register held elsewhere; try again in "
                              f"{verdict.retry_after} s", retry_after=verdict.retry_after)

    async def spent(self, actor: str) -> None:
        await self.window.add(actor)


async def unique_conflict(scope: Scope, kind: str, data: dict, error_text: str, actor: str,
                          lookups: RegisterLookups | None) -> Conflict:
    """The Conflict to answer for a unique index the write ran into (`error_text`: the
    database's message, which names the column)."""
    text = error_text.lower()
    for column in (*SENSITIVE_KEYS.get(kind, ()), "address_code", "code"):
        if column in text:
            break
    else:
        return Conflict(f"this {kind} conflicts with an existing one")
    field = camel(column)
    if column not in SENSITIVE_KEYS.get(kind, ()) or data.get(column) is None:
        return Conflict(f"another {kind} has this {field}", field=field)
    unique = {name: data.get(name) for name in SENSITIVE_KEYS[kind][column]}
    holder: Any = await kind_of(kind).model.filter(**unique).first()
    if holder is not None and await rows(scope, kind, Compare("id", "eq", holder.id)).exists():
        return Conflict(f"another {kind} has this {field}", field=field)
    await record_change(actor, "lookup_sensitive", kind, holder, field=column,
                        detail={"tried": data[column], "outcome": "registered_elsewhere"})
    if lookups is not None:
        await lookups.spent(actor)
    return Conflict(f"this {kind} is registered elsewhere", field=field, reason="REGISTERED_ELSEWHERE")
