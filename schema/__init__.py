"""The GraphQL schema: one strawberry type per kind, assembled here. Every root field but
`login` needs a signed-in caller; introspection is open."""

from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.tools import merge_types

from gridhub.resolvers.errors import Unauthenticated

from .access import AccessMutation, AccessQuery, audit_trail_field
from .caches import DocumentCaches
from .category import CategoryMutation, CategoryQuery
from .changes import ChangesQuery
from .compiled import CompiledReads
from .connection import name_the_kinds
from .corrections import CorrectionMutation
from .errors import ErrorCodes, classify
from .limits import QueryLimits
from .mutation import Mutation as DataMutation
from .notices import NoticeMutation, NoticeQuery, NoticeSubscription
from .query import Query as DataQuery
from .keyperson import KeyPersonMutation, VisitRuleQuery
from .memberships import MembershipMutation
from .programmes import ProgrammeMutation, ProgrammeQuery
from .regrid import RegridMutation
from .staffing import StaffMutation, StaffQuery
from .stats import ScorecardQuery, StatsQuery
from .subscription import EventSubscription, OperationsOverWebSocket
from .transfers import TransferMutation, TransferQuery
from .trusted import PersistedDocuments, TrustedDocumentMutation
from .vocabulary import VocabularyMutation, VocabularyQuery
from .workflow import WorkflowMutation

PUBLIC_FIELDS = {"login"}


class SignedIn(BasePermission):
    async def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        if info.context.user is None:
            raise info.context.auth_error or Unauthenticated("sign in first: mutation { login(…) { token } }")
        return True


def require_sign_in(root_type: type) -> type:
    for field in root_type.__strawberry_definition__.fields:
        if field.python_name not in PUBLIC_FIELDS:
            field.extensions.append(PermissionExtension(permissions=[SignedIn()], use_directives=False))
    return root_type


@strawberry.type
class AuditQuery:
    audit_trail = audit_trail_field()


Query = require_sign_in(merge_types("Query", (DataQuery, AccessQuery, AuditQuery, StatsQuery, ScorecardQuery, CategoryQuery,
                                               ChangesQuery, StaffQuery, NoticeQuery, TransferQuery,
                                               VisitRuleQuery, ProgrammeQuery, VocabularyQuery)))
Mutation = require_sign_in(merge_types("Mutation", (AccessMutation, DataMutation, WorkflowMutation, CorrectionMutation,
                                                    CategoryMutation, RegridMutation, KeyPersonMutation,
                                                    StaffMutation, NoticeMutation, TrustedDocumentMutation,
                                                    MembershipMutation, TransferMutation, ProgrammeMutation,
                                                    VocabularyMutation)))
Subscription = require_sign_in(merge_types("Subscription", (EventSubscription, NoticeSubscription)))
# merge_types takes no description
Query.__strawberry_definition__.description = "Reads, each limited to your scope; all need sign-in."
Mutation.__strawberry_definition__.description = ("Writes, each checked against the policy; all but `login` "
                                                  "need sign-in.")
Subscription.__strawberry_definition__.description = "Live changes, over WebSocket only (graphql-transport-ws)."


class AuditSensitiveReads(SchemaExtension):
    """Writes the audit entries of the sensitive values a response revealed, once."""

    async def on_operation(self):
        yield
        context = self.execution_context.context
        if context is not None and hasattr(context, "flush_audit"):
            await context.flush_audit()


class GridhubSchema(strawberry.Schema):
    def process_errors(self, errors: list, execution_context: Any = None) -> None:
        """Every error gets its code here, in place (`schema.errors.classify`, which logs
        the unexpected ones; expected ones, bad input or conflicts, are answers, not
        incidents). strawberry calls this also for errors raised outside the operation's
        hooks, such as a syntax error from ParserCache, which `ErrorCodes` never sees."""
        for error in errors:
            classify(error)


schema = GridhubSchema(query=Query, mutation=Mutation, subscription=Subscription,
                       extensions=[OperationsOverWebSocket, ErrorCodes, PersistedDocuments, AuditSensitiveReads,
                                   CompiledReads,
                                   # frontends send the same few documents again and again
                                   DocumentCaches, QueryLimits])  # after DocumentCaches: it reads its verdict
name_the_kinds(schema)
