"""Adding a functional department: a row for events to be dispatched to, and its role
`dept.<code>`, which inherits the template role `department` (policies/default_policy.csv):
it acts from its first grant, and its business facets are rules an admin adds."""

from __future__ import annotations

import re

from gridhub import models
from gridhub.policies.store import PolicyStore

from gridhub.resolvers.errors import BadInput, Conflict, Forbidden

_CODE = re.compile(r"[a-z][a-z0-9_]{1,31}")


async def require_county_admin(store: PolicyStore, actor: str, what: str) -> str:
    """Departments are county-wide, and so is who manages them: a policy admin at every root.
    Returns the (first) root's path, where the audit files the change."""
    roots = [r.region_path for r in await models.Region.filter(parent_id=None, deleted_at=None)]
    if not roots or not all(store.allows(actor, root, "policy", "update") for root in roots):
        raise Forbidden(f"{what} by a county-wide policy admin")
    return roots[0]


async def create_department(store: PolicyStore, actor: str, code: str, name: str) -> models.Department:
    root = await require_county_admin(store, actor, "departments are added")
    if not _CODE.fullmatch(code or ""):
        raise BadInput("a department code is lower-case letters, digits and _ (like urban_management)",
                       field="code")
    if not (name or "").strip() or len(name) > 64:
        raise BadInput("a department needs a name of at most 64 characters", field="name")
    if await models.Department.exists(code=code):
        raise Conflict(f"there is a department {code}", field="code")

    async def add_row():
        await models.Department.create(code=code, name=name.strip())

    await store.edit("g", [f"dept.{code}", "department", "*"], add=True, actor=actor, region_path=root,
                     detail={"department": code, "name": name.strip()}, also=add_row)
    return await models.Department.get(code=code)
