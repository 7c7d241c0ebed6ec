"""Builds the RequestContext of one request: who is calling and what they may do.

Scopes are compiled once per (user, policy version) and kept in a per-process cache
bounded in bytes; a policy edit changes the version, so a stale scope is never served."""

from __future__ import annotations

from typing import Any

from gridhub.policies.compiler import compile_scope
from gridhub.policies.scope import Scope
from gridhub.policies.store import PolicyStore
from gridhub.settings import Settings

from gridhub.resolvers.identity.auth import authenticate
from gridhub.resolvers.identity.context import RequestContext
from gridhub.resolvers.errors import Unauthenticated
from gridhub.resolvers.runtime.lru import ByteLRU
from gridhub.resolvers.runtime.metrics import current_user


class ScopeCache:
    """Compiled scopes by (user, department, policy version), in a cache bounded in bytes."""

    def __init__(self, max_bytes: int = Settings.model_construct().cache_bytes):
        self._scopes = ByteLRU(max_bytes)

    def get(self, store: PolicyStore, user: Any) -> Scope:
        key = (user.username, user.department_id, store.version)
        scope = self._scopes.get(key)
        if scope is None:
            scope = compile_scope(store, user.username, {"department_id": user.department_id})
            self._scopes.put(key, scope)
        return scope


async def build_context(settings: Settings, store: PolicyStore, scopes: ScopeCache,
                        authorization: str | None, request: Any = None, response: Any = None) -> RequestContext:
    user, problem = None, None
    try:
        user = await authenticate(authorization, settings.jwt_secret)
    except Unauthenticated as e:
        problem = e
    current_user.set(user.username if user else None)  # for the request's log lines
    if user and store.check_each_request:
        await store.refresh()
    scope = scopes.get(store, user) if user else Scope()
    return RequestContext(scope=scope, settings=settings, request=request, response=response, user=user,
                          auth_error=problem, store=store)
