"""Sign-in, `me`, and policy administration over GraphQL."""

from datetime import datetime, timedelta
from typing import Optional

import strawberry
from strawberry.relay import GlobalID, NodeID
from strawberry.types import Info

from gridhub import models
from gridhub.resolvers import access, auth, departments
from gridhub.resolvers.errors import BadInput

from .connection import connection_field
from .ids import decode_id
from .node import ModelNode
from .refs import DepartmentRef, RegionRef
from .region import Department


@strawberry.type
class LoginPayload:
    token: str
    expires_at: datetime


@strawberry.type(description="A role a user holds at a node of the region tree (and below it).")
class RoleGrant:
    role: str
    domain: str = strawberry.field(description="The Casbin domain: the node's path and `*`.")
    username: str

    @strawberry.field
    async def region(self, info: Info) -> Optional[RegionRef]:
        rows = await info.context.loaders.rows_by("region", "region_path").load(self.region_path)
        return rows[0] if rows else None


@strawberry.type
class Me:
    username: str
    display_name: str

    @strawberry.field
    async def department(self: models.User, info: Info) -> Optional[DepartmentRef]:
        return await info.context.loaders.one("department", self.department_id)

    @strawberry.field
    def roles(self: models.User, info: Info) -> list[RoleGrant]:
        return [access.RoleGrant(self.username, role, domain)
                for role, domain in info.context.store.grants_of(self.username)]


@strawberry.type(description="A user account, with the roles it holds where you may read the policy.")
class UserAccount:
    username: str
    display_name: str
    is_active: bool
    roles: list[RoleGrant]

    @strawberry.field
    async def department(self, info: Info) -> Optional[DepartmentRef]:
        return await info.context.loaders.one("department", self.department_id)


@strawberry.type
class PolicyRule:
    role: str
    domain: str
    object: str
    action: str
    effect: str


@strawberry.input
class PolicyRuleInput:
    role: str
    domain: str = strawberry.field(description="`*`, a region path, or a path followed by `*`.")
    object: str
    action: str
    effect: str = "allow"


@strawberry.type
class Explanation:
    allowed: bool
    rule: Optional[list[str]] = strawberry.field(description="The rule that decided, if one did.")
    reasons: list[str] = strawberry.field(
        default_factory=list, description="Why it is refused: for a grant with a grantee, every bound of "
                                          "delegation it breaks (self-grant, tier, a right the admin may not "
                                          "hand out, separation of duties).")


@strawberry.type(description="An entry of the append-only audit trail.")
class AuditEntry(ModelNode):
    row_kind = "audit"
    id: NodeID[int]
    at: datetime
    actor: str
    action: str
    object_kind: str
    object_id: str
    field: str
    region_path: str
    detail: strawberry.scalars.JSON


@strawberry.input
class AuditFilter:
    actor: Optional[str] = None
    action: Optional[str] = None
    object_kind: Optional[str] = None
    region_path: Optional[str] = None
    since: Optional[datetime] = None


@strawberry.type
class ServiceToken:
    id: int
    name: str
    prefix: str
    created_by: str
    created_at: datetime
    last_used_at: Optional[datetime]
    revoked_at: Optional[datetime]


@strawberry.type
class NewServiceToken:
    token: str = strawberry.field(description="Shown once; only its hash is kept.")
    service_token: ServiceToken


async def _region_path(info: Info, region: GlobalID) -> str:
    """Administration names nodes it may not read (a grant elsewhere is refused by the
    enforcer, with a reason): region names and paths are not secret."""
    row = await models.Region.get_or_none(id=decode_id(region, "Region", "region"), deleted_at=None)
    if row is None:
        raise BadInput("no region with this id", field="region")
    return row.region_path


@strawberry.type
class AccessQuery:
    @strawberry.field(description="Who you are signed in as, and your roles.")
    def me(self, info: Info) -> Me:
        return info.context.user

    @strawberry.field(description="The rules in force where you may read the policy: every domain `*` "
                                  "rule, and those of the nodes of your subtree and above it.")
    def policy_rules(self, info: Info, role: Optional[str] = None) -> list[PolicyRule]:
        return access.policy_rules(info.context.store, info.context.scope, role, info.context.username)

    @strawberry.field(description="The users holding a role where you may read users, by username; "
                                  "`text` matches usernames and display names.")
    async def users(self, info: Info, text: Optional[str] = None) -> list[UserAccount]:
        return await access.users(info.context.store, info.context.scope, text)

    @strawberry.field
    async def role_grants(self, info: Info, username: Optional[str] = None,
                          region: Optional[GlobalID] = None) -> list[RoleGrant]:
        path = await _region_path(info, region) if region else None
        return access.role_grants(info.context.store, info.context.scope, username, path)

    @strawberry.field(description="Would `username` be allowed `action` on `object` at `region`, "
                                  "and by which rule?")
    async def explain_access(self, info: Info, username: str, action: str, object: str,
                             region: GlobalID, grantee: Optional[str] = None) -> Explanation:
        allowed, rule, reasons = await access.explain_access(
            info.context.store, info.context.username, username, action, object, await _region_path(info, region),
            grantee)
        return Explanation(allowed=allowed, rule=rule or None, reasons=reasons)

    @strawberry.field
    async def service_tokens(self, info: Info, username: str) -> list[ServiceToken]:
        return await access.service_tokens(info.context.store, info.context.username, username)


def audit_trail_field():
    """The audit trail as a connection, filtered and scoped like every other list."""
    return connection_field("audit", AuditEntry, AuditFilter)


@strawberry.type
class AccessMutation:
    @strawberry.mutation(description="Sign in; the token goes in `Authorization: Bearer …`.")
    async def login(self, info: Info, username: str, password: str) -> LoginPayload:
        settings = info.context.settings
        token, expires = await auth.login(username, password, settings.jwt_secret,
                                          timedelta(minutes=settings.token_minutes),
                                          throttle=getattr(info.context, "login_throttle", None),
                                          client_ip=getattr(info.context, "client_ip", None),
                                          demo_mode=settings.demo_mode)
        return LoginPayload(token=token, expires_at=expires)

    @strawberry.mutation
    async def add_policy_rule(self, info: Info, rule: PolicyRuleInput) -> PolicyRule:
        return await access.edit_rule(info.context.store, info.context.username, access.PolicyRule(**vars(rule)))

    @strawberry.mutation
    async def remove_policy_rule(self, info: Info, rule: PolicyRuleInput) -> PolicyRule:
        return await access.edit_rule(info.context.store, info.context.username,
                                      access.PolicyRule(**vars(rule)), remove=True)

    @strawberry.mutation(description="Grant a role at a region (and below it).")
    async def grant_role(self, info: Info, username: str, role: str, region: GlobalID) -> RoleGrant:
        return await access.grant_role(info.context.store, info.context.username, username, role,
                                       await _region_path(info, region))

    @strawberry.mutation
    async def revoke_role(self, info: Info, username: str, role: str, region: GlobalID) -> RoleGrant:
        return await access.grant_role(info.context.store, info.context.username, username, role,
                                       await _region_path(info, region), revoke=True)

    @strawberry.mutation(description="Add a functional department (county-wide policy admins): events can be "
                                     "dispatched to it, and its role `dept.<code>` holds the standard department "
                                     "rights (the template role `department`) from its first grant.")
    async def create_department(self, info: Info, code: str, name: str) -> Department:
        return await departments.create_department(info.context.store, info.context.username, code, name)

    @strawberry.mutation
    async def create_service_token(self, info: Info, username: str, name: str) -> NewServiceToken:
        token, row = await access.create_service_token(info.context.store, info.context.username, username, name)
        return NewServiceToken(token=token, service_token=row)

    @strawberry.mutation
    async def revoke_service_token(self, info: Info, id: int) -> ServiceToken:
        return await access.revoke_service_token(info.context.store, info.context.username, id)
