"""Trusted documents in the schema (resolvers/identity/trusted_documents.py keeps the registry):

- `prepare`: a registered document is parsed, validated and planned once, when it becomes
  known (at start for the manifest's and the stored ones), into the caches every request
  reads (schema/caches.py, pinned there; schema/compiled.py's TEMPLATES), so that a request
  naming it parses, validates and plans nothing;
- `PersistedDocuments`: a request's `extensions.persistedQuery` (Apollo's Automatic
  Persisted Queries: `{"version": 1, "sha256Hash": …}`, over GET or POST) becomes its text,
  or `PersistedQueryNotFound` (code PERSISTED_QUERY_NOT_FOUND) for the client to send the
  text with its hash; with TRUSTED_DOCUMENTS_ONLY (outside demo mode) a document that is
  not registered is refused as DOCUMENT_NOT_REGISTERED before it is even parsed;
- `registerTrustedDocument`, the admins' mutation.
"""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError, OperationDefinitionNode, parse, specified_rules
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import Info

from gridhub.resolvers.identity import trusted_documents as registry
from gridhub.resolvers.errors import BadInput
from gridhub.settings import Settings

from . import caches, compiled
from .args import arg
from .limits import our_rules

log = logging.getLogger("gridhub.trusted")

NOT_FOUND = "PersistedQueryNotFound"  # the message Apollo's link looks for (and the code)


def preparer(graphql_schema, settings: Settings):
    """`prepare(document)` for the registry: parse, validate (as a signed-in and as an
    anonymous caller would be validated) and plan each of its operations, pinned."""

    def prepare(document: registry.TrustedDocument) -> None:
        key = caches.digest(document.body)
        try:
            parsed = parse(document.body, max_tokens=settings.max_query_tokens)
        except GraphQLError as error:
            log.warning("trusted document %s (%s) does not parse: %s", document.sha256, document.name, error.message)
            return
        caches.DOCUMENTS.pin((key, settings.max_query_tokens), parsed)
        for signed_in in (True, False):
            rules = tuple(specified_rules) + our_rules(settings, signed_in=signed_in)
            errors = validate_document(graphql_schema, parsed, rules)
            caches.VALIDATIONS.pin((key, rules), errors)
            if errors and signed_in:
                log.warning("trusted document %s (%s) is not valid for this schema: %s", document.sha256,
                            document.name, errors[0].message)
        operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
        names = [o.name.value for o in operations if o.name] + ([None] if len(operations) == 1 else [])
        for name in names:
            compiled.TEMPLATES[(key, name)] = compiled.plan_once(graphql_schema, parsed, name)

    return prepare


def _refused(message: str, code: str, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extensions})


async def resolve_document(execution_context, documents: registry.TrustedDocuments, only: bool) -> None:
    """Put the text a request names in place of its hash, or refuse it."""
    extensions = execution_context.operation_extensions
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    hashed = None
    if persisted is not None:
        hashed = registry.normal_hash(persisted.get("sha256Hash")) if isinstance(persisted, dict) else None
        if hashed is None or persisted.get("version", 1) != 1:
            raise _refused("extensions.persistedQuery needs version 1 and a sha256Hash of 64 hex digits",
                           "BAD_REQUEST")
        if execution_context.query:
            if registry.sha256(execution_context.query) != hashed:
                raise _refused("provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH")
            documents.remember(hashed, execution_context.query)
        else:
            text = await documents.text_of(hashed)
            if text is None:
                raise _refused(NOT_FOUND, "PERSISTED_QUERY_NOT_FOUND", sha256Hash=hashed)
            execution_context.query = text
    if only and execution_context.query:
        hashed = hashed or registry.sha256(execution_context.query)
        if await documents.registered(hashed) is None:
            raise _refused("this hub answers registered documents only: register this operation "
                           "(a manifest, or registerTrustedDocument) or send the hash of a registered one",
                           "DOCUMENT_NOT_REGISTERED", sha256Hash=hashed)


class PersistedDocuments(SchemaExtension):
    """Before parsing: the request's document from its hash, and trusted-only refusals.
    After OperationsOverWebSocket (the context) and before DocumentCaches (the parse)."""

    async def on_operation(self):
        context = self.execution_context.context
        documents = getattr(context, "trusted_documents", None)
        if documents is not None:
            settings = context.settings
            await resolve_document(self.execution_context, documents,
                                   settings.trusted_documents_only and not settings.demo_mode)
        yield


@strawberry.type(description="A GraphQL document registered as trusted: the hub answers it by its hash.")
class RegisteredDocument:
    sha256: str = strawberry.field(description="The hex SHA-256 of its text (UTF-8): what a client sends as "
                                               "`extensions.persistedQuery.sha256Hash`.")
    name: str = strawberry.field(description="The name it was registered under, for people; may be empty.")
    registered_by: str = strawberry.field(description="Who registered it (the manifest's are not stored).")
    created: bool = strawberry.field(description="False when the same text was registered before: nothing "
                                                 "changed.")


@strawberry.type
class TrustedDocumentMutation:
    @strawberry.mutation(description=(
        "Register a document (needs `document` + `create` at the county): valid for this schema, it is parsed, "
        "validated and planned once and answered by its SHA-256 from then on, in every process; with "
        "TRUSTED_DOCUMENTS_ONLY only registered documents are answered. Audited."))
    async def register_trusted_document(
            self, info: Info, body: arg(str, "The document's text, exactly as clients will send or hash it."),
            name: arg(str, "A name for people, such as the operation's.") = "") -> RegisteredDocument:
        context = info.context
        settings = context.settings
        try:
            parsed = parse(body, max_tokens=settings.max_query_tokens)
        except GraphQLError as error:
            raise BadInput(f"not a GraphQL document: {error.message}", field="body") from None
        rules = tuple(specified_rules) + our_rules(settings, signed_in=True)
        errors = validate_document(info.schema._schema, parsed, rules)
        if errors:
            raise BadInput(f"not valid for this schema: {errors[0].message}", field="body")
        row, created = await registry.register(context.store, context.username, body, name)
        documents = getattr(context, "trusted_documents", None)
        if documents is not None:
            documents.add(registry.TrustedDocument(row.sha256, row.body, row.name))
        return RegisteredDocument(sha256=row.sha256, name=row.name, registered_by=row.registered_by,
                                  created=created)
