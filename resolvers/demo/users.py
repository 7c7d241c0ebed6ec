"""The demo county's users: one per role, password `demo` (demo mode only)."""

from __future__ import annotations

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.models.enums import ResponsibleRole, StaffRole
from gridhub.policies.store import seed_default_policy

from gridhub.resolvers.identity.auth import DEMO_PASSWORD, hash_password
from gridhub.resolvers.demo import demo_anchors
from gridhub.resolvers.demo.tables import DEPARTMENTS


# username, display name, role, anchor (a key of demo_anchors()), department code
DEMO_USERS = (
    ("admin", "县级策略管理员", "chief_policy_admin", "county", None),
    ("townadmin", "镇级策略管理员", "policy_admin", "town", None),
    ("county", "县综治中心", "county_centre", "county", None),
    ("town", "镇综治中心", "town_centre", "town", None),
    ("community", "社区综治中心", "community_centre", "community", None),
    ("leader", "网格长", "grid_leader", "grid", None),
    ("worker", "专职网格员", "grid_worker", "grid", None),
    ("police", "县公安局", "dept.public_security", "county", "public_security"),
    ("civil", "县民政局", "dept.civil_affairs", "county", "civil_affairs"),
    ("auditor", "审计员", "auditor", "county", None),
    # every other department, by its code: each acts through the template role `department`
    *((code, f"县{name}", f"dept.{code}", "county", code) for code, name in DEPARTMENTS
      if code not in ("public_security", "civil_affairs")),
)


async def create_demo_users() -> list[str]:
    await seed_default_policy()
    anchors = await demo_anchors()
    departments = {d.code: d.id for d in await models.Department.all()}
    password_hash = hash_password(DEMO_PASSWORD)  # one hash for all: scrypt is slow on purpose
    async with in_transaction():
        for username, display_name, role, anchor, department in DEMO_USERS:
            await models.User.get_or_create(username=username, defaults={
                "display_name": display_name, "password_hash": password_hash,
                "department_id": departments.get(department) if department else None})
            await models.CasbinRule.get_or_create(ptype="g", v0=username, v1=role, v2=anchors[anchor] + "*")
        # the anchor grid's worker (a demo staff row, and responsible for its key persons)
        # is the demo user `worker`
        grid = await models.Region.filter(region_path=anchors["grid"], deleted_at=None).first()
        worker = await models.User.get(username="worker")
        await models.StaffAssignment.filter(region_id=grid.id, role=StaffRole.WORKER,
                                            user_id=None).update(user_id=worker.id)
        await models.KeyPersonResponsibility.filter(region_path__startswith=grid.region_path,
                                                    role=ResponsibleRole.GRID_WORKER,
                                                    user_id=None).update(user_id=worker.id)
        await models.PolicyState.filter(id=1).update(version=F("version") + 1)
    return [u[0] for u in DEMO_USERS]
