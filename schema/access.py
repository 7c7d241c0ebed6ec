"""Sign-in, `me`, and policy administration over GraphQL."""

from datetime import datetime, timedelta
from typing import Optional

import strawberry
from strawberry.relay import GlobalID, NodeID
from strawberry.types import Info

from gridhub import models
from gridhub.resolvers.domain import access
from gridhub.resolvers.identity import auth
from gridhub.resolvers.domain import departments
from gridhub.resolvers.errors import BadInput

from .args import Role, Username, arg
from .connection import connection_field
from .ids import decode_id
from .node import ModelNode
from .refs import DepartmentRef, RegionRef
from .region import Department


@strawberry.type(description="A signed-in session.")
class LoginPayload:
    token: str = strawberry.field(description="A bearer token (JWT): send it as `Authorization: Bearer <token>` "
                                              "over HTTP, or in the WebSocket's connection_init payload.")
    expires_at: datetime = strawberry.field(description="When the token stops working: sign in again then.")


@strawberry.type(description="A role a user holds at a node of the region tree (and below it).")
class RoleGrant:
    role: str = strawberry.field(description="The role, such as `grid_worker` or `dept.civil_affairs`.")
    domain: str = strawberry.field(description="The Casbin domain: the node's path and `*`.")
    username: str = strawberry.field(description="Who holds the role.")

    @strawberry.field(description="The node the role is held at; null where it is not a region you may read.")
    async def region(self, info: Info) -> Optional[RegionRef]:
        rows = await info.context.loaders.rows_by("region", "region_path").load(self.region_path)
        return rows[0] if rows else None


@strawberry.type(description="The signed-in user.")
class Me:
    username: str = strawberry.field(description="The sign-in name.")
    display_name: str = strawberry.field(description="The name shown to people, such as 张网格员.")

    @strawberry.field(description="The department the user works for; null unless a department's user.")
    async def department(self: models.User, info: Info) -> Optional[DepartmentRef]:
        return await info.context.loaders.one("department", self.department_id)

    @strawberry.field(description="The roles the user holds, each at a node of the region tree.")
    def roles(self: models.User, info: Info) -> list[RoleGrant]:
        return [access.RoleGrant(self.username, role, domain)
                for role, domain in info.context.store.grants_of(self.username)]


@strawberry.type(description="A user account, with the roles it holds where you may read the policy.")
class UserAccount:
    username: str = strawberry.field(description="The sign-in name.")
    display_name: str = strawberry.field(description="The name shown to people.")
    is_active: bool = strawberry.field(description="False for a disabled account, which cannot sign in.")
    roles: list[RoleGrant] = strawberry.field(description="The roles it holds where you may read the policy.")

    @strawberry.field(description="The department the user works for; null unless a department's user.")
    async def department(self, info: Info) -> Optional[DepartmentRef]:
        return await info.context.loaders.one("department", self.department_id)


POLICY_RULE = {
    "role": "The role the rule applies to, such as `grid_worker`.",
    "domain": "Where it applies: `*` (wherever the role is granted), a region path, or a path followed by `*` "
              "(that node and its subtree).",
    "object": "What it applies to: a kind (`person`), a facet of one (`person:care/*`, `thing:kind/hydrant`), a "
              "sensitive field (`person.id_number`) or `role:<name>` (who may grant that role).",
    "action": "The action: `read`, `create`, `update`, `delete`, `export`, a workflow step (`accept`, "
              "`dispatch`, …), `grant` or `delegate`.",
    "effect": "`allow` or `deny`; a deny wins over any allow.",
}


# the resolvers' own rule, exposed as it is (as schema.enums exposes the models' enums)
PolicyRule = strawberry.type(access.PolicyRule, description="A rule of the access policy (Casbin `p` line).")
for _field in PolicyRule.__strawberry_definition__.fields:
    _field.description = POLICY_RULE[_field.python_name]  # a field left undescribed is a KeyError here


@strawberry.input(description="A rule of the access policy to add or remove.")
class PolicyRuleInput:
    role: str = strawberry.field(description=POLICY_RULE["role"])
    domain: str = strawberry.field(description=POLICY_RULE["domain"])
    object: str = strawberry.field(description=POLICY_RULE["object"])
    action: str = strawberry.field(description=POLICY_RULE["action"])
    effect: str = strawberry.field(default="allow", description=POLICY_RULE["effect"] + " `allow` if omitted.")


@strawberry.type(description="The policy's answer to `explainAccess`.")
class Explanation:
    allowed: bool = strawberry.field(description="Whether the action would be allowed.")
    rule: Optional[list[str]] = strawberry.field(description="The rule that decided, if one did.")
    reasons: list[str] = strawberry.field(
        default_factory=list, description="Why it is refused: for a grant with a grantee, every bound of "
                                          "delegation it breaks (self-grant, tier, a right the admin may not "
                                          "hand out, separation of duties).")


@strawberry.type(description="An entry of the append-only audit trail.")
class AuditEntry(ModelNode):
    row_kind = "audit"
    id: NodeID[int]
    at: datetime = strawberry.field(description="When it happened.")
    actor: str = strawberry.field(description="Username of who did it.")
    action: str = strawberry.field(description="What was done: `create`, `update`, `delete`, a workflow step, "
                                               "`read_sensitive` (a sensitive value shown whole), `export`, "
                                               "`grant`, `create_token`, ….")
    object_kind: str = strawberry.field(description="The kind of what it was done to (`person`, `policy`, `user`, …).")
    object_id: str = strawberry.field(description="Which one: a row id, a policy line or a username; empty for "
                                                 "`read_sensitive`, whose rows are `objectIds`.")
    object_ids: Optional[list[int]] = strawberry.field(
        description="`read_sensitive`: the ids of the rows whose `field` was shown whole, one entry per request and "
                    "field, ascending (each row's region path then is in `detail.region_paths`, alongside); null otherwise.")
    field: str = strawberry.field(description="The sensitive value read (`id_number`, …); empty otherwise.")
    region_path: str = strawberry.field(description="Where it happened in the region tree: the auditor reads the "
                                                    "entries under the nodes it was granted.")
    detail: strawberry.scalars.JSON = strawberry.field(
        description="What else the action recorded (the changed fields, a token's prefix, …), as a JSON object.")


@strawberry.input(description="Conditions on audit entries; they combine with AND.")
class AuditFilter:
    actor: Optional[str] = strawberry.field(default=None, description="Done by this username.")
    action: Optional[str] = strawberry.field(default=None, description="This action.")
    object_kind: Optional[str] = strawberry.field(default=None, description="Done to this kind.")
    region_path: Optional[str] = strawberry.field(default=None, description="Under this region path.")
    since: Optional[datetime] = strawberry.field(default=None, description="At or after this time.")


@strawberry.type(description="A long-lived token for a department's system; only its SHA-256 hash is kept.")
class ServiceToken:
    id: int = strawberry.field(description="Its number, for `revokeServiceToken`.")
    name: str = strawberry.field(description="What it is for, as its maker named it.")
    prefix: str = strawberry.field(description="The token's first 12 characters, to tell tokens apart.")
    created_by: str = strawberry.field(description="Username of the admin who made it.")
    created_at: datetime = strawberry.field(description="When it was made.")
    last_used_at: Optional[datetime] = strawberry.field(description="When it last signed a request; null if never.")
    revoked_at: Optional[datetime] = strawberry.field(description="When it was revoked; null while it works.")


@strawberry.type(description="A service token just made, with its secret.")
class NewServiceToken:
    token: str = strawberry.field(description="Shown once; only its hash is kept.")
    service_token: ServiceToken = strawberry.field(description="Its record.")


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
    def policy_rules(self, info: Info, role: arg(Optional[str], "Only this role's rules; all if omitted.") = None
                     ) -> list[PolicyRule]:
        return access.policy_rules(info.context.store, info.context.scope, role, info.context.username)

    @strawberry.field(description="The users holding a role where you may read users, by username; "
                                  "`text` matches usernames and display names.")
    async def users(self, info: Info, text: arg(Optional[str], "Case-insensitive part of a username or display "
                                                               "name; all if omitted.") = None) -> list[UserAccount]:
        return await access.users(info.context.store, info.context.scope, text)

    @strawberry.field(description="Who holds which role where, among the nodes whose policy you may read.")
    async def role_grants(self, info: Info, username: arg(Optional[str], "Only this user's grants.") = None,
                          region: arg(Optional[GlobalID], "Only grants at this region or below it.") = None
                          ) -> list[RoleGrant]:
        path = await _region_path(info, region) if region else None
        return access.role_grants(info.context.store, info.context.scope, username, path)

    @strawberry.field(description="Would `username` be allowed `action` on `object` at `region`, "
                                  "and by which rule?")
    async def explain_access(
            self, info: Info, username: arg(str, "The user asked about."),
            action: arg(str, POLICY_RULE["action"]), object: arg(str, POLICY_RULE["object"]),
            region: arg(GlobalID, "The node the action would be taken at."),
            grantee: arg(Optional[str], "For `grant` on `role:<name>`: to whom, to check the bounds of "
                                        "delegation too.") = None) -> Explanation:
        allowed, rule, reasons = await access.explain_access(
            info.context.store, info.context.username, username, action, object, await _region_path(info, region),
            grantee)
        return Explanation(allowed=allowed, rule=rule or None, reasons=reasons)

    @strawberry.field(description="A user's service tokens, revoked ones included; for admins of the user's nodes.")
    async def service_tokens(self, info: Info, username: Username) -> list[ServiceToken]:
        return await access.service_tokens(info.context.store, info.context.username, username)


def audit_trail_field():
    """The audit trail as a connection, filtered and scoped like every other list."""
    return connection_field("audit", AuditEntry, AuditFilter,
                            description="The audit trail under the nodes you were granted `audit` `read` at.")


@strawberry.type
class AccessMutation:
    @strawberry.mutation(description="Sign in; the token goes in `Authorization: Bearer …`.")
    async def login(self, info: Info, username: Username, password: arg(str, "The user's password.")
                    ) -> LoginPayload:
        settings = info.context.settings
        token, expires = await auth.login(username, password, settings.jwt_secret,
                                          timedelta(minutes=settings.token_minutes),
                                          throttle=getattr(info.context, "login_throttle", None),
                                          client_ip=getattr(info.context, "client_ip", None),
                                          demo_mode=settings.demo_mode)
        return LoginPayload(token=token, expires_at=expires)

    @strawberry.mutation(description="Add a rule to the policy, inside the subtree you administer.")
    async def add_policy_rule(self, info: Info, rule: arg(PolicyRuleInput, "The rule.")) -> PolicyRule:
        return await access.edit_rule(info.context.store, info.context.username, access.PolicyRule(**vars(rule)))

    @strawberry.mutation(description="Remove a rule from the policy (NOT_FOUND if there is no such rule).")
    async def remove_policy_rule(self, info: Info, rule: arg(PolicyRuleInput, "The rule, as it stands.")
                                 ) -> PolicyRule:
        return await access.edit_rule(info.context.store, info.context.username,
                                      access.PolicyRule(**vars(rule)), remove=True)

    @strawberry.mutation(description="Grant a role at a region (and below it).")
    async def grant_role(self, info: Info, username: Username, role: Role,
                         region: arg(GlobalID, "The node the role is held at.")) -> RoleGrant:
        return await access.grant_role(info.context.store, info.context.username, username, role,
                                       await _region_path(info, region))

    @strawberry.mutation(description="Take back a role held at a region.")
    async def revoke_role(self, info: Info, username: Username, role: Role,
                          region: arg(GlobalID, "The node the role is held at.")) -> RoleGrant:
        return await access.grant_role(info.context.store, info.context.username, username, role,
                                       await _region_path(info, region), revoke=True)

    @strawberry.mutation(description="Add a functional department (county-wide policy admins): events can be "
                                     "dispatched to it, and its role `dept.<code>` holds the standard department "
                                     "rights (the template role `department`) from its first grant.")
    async def create_department(self, info: Info,
                                code: arg(str, "Short code: lower-case letters, digits and `_` (`public_security`)."),
                                name: arg(str, "Name, such as 公安.")) -> Department:
        return await departments.create_department(info.context.store, info.context.username, code, name)

    @strawberry.mutation(description="Make a long-lived token for a department's system, acting as `username`.")
    async def create_service_token(self, info: Info, username: Username,
                                   name: arg(str, "What it is for (not empty).")) -> NewServiceToken:
        token, row = await access.create_service_token(info.context.store, info.context.username, username, name)
        return NewServiceToken(token=token, service_token=row)

    @strawberry.mutation(description="Revoke a service token: it stops working at once.")
    async def revoke_service_token(self, info: Info, id: arg(int, "The token's `id`.")) -> ServiceToken:
        return await access.revoke_service_token(info.context.store, info.context.username, id)
