"""The caches around every operation, each a ByteLRU (resolvers/runtime/lru.py) bounded in bytes:
parsed documents, their validation, their costs (schema/limits.py) and compiled plans
(schema/compiled.py). Keys name a document by the digest of its text, never by the text.

What anonymous callers send (they may send `login` and introspection only, but any text is
parsed first) is kept in budgets of its own, `anonymous_cache_bytes`: a stream of distinct
documents from nobody in particular cannot push out what signed-in callers use, nor hold
more than that small budget. `configure` sets the budgets from the settings (create_app).

Registered (trusted) documents are parsed, validated and planned once, at start or when
registered (schema/trusted.py), and pinned: kept outside the budgets, never evicted, found
by the same keys before the LRU is asked."""

from __future__ import annotations

import hashlib
from typing import Any, Hashable

from graphql import (
    GraphQLArgument, GraphQLDirective, GraphQLField, GraphQLInputField, GraphQLNamedType, GraphQLSchema,
    GraphQLWrappingType, parse,
)
from strawberry.extensions import SchemaExtension

from gridhub.resolvers.runtime.lru import ByteLRU, held_elsewhere
from gridhub.settings import Settings

# a cached plan or document names the schema's types and fields; the schema holds them
held_elsewhere(GraphQLSchema, GraphQLNamedType, GraphQLWrappingType, GraphQLField, GraphQLArgument,
               GraphQLInputField, GraphQLDirective)

_DEFAULTS = Settings.model_construct()
_MISSING = object()


def digest(text: str | None) -> bytes:
    """A document's key: 16 bytes for any length of text (lone surrogates included)."""
    return hashlib.blake2b((text or "").encode("utf-8", "surrogatepass"), digest_size=16).digest()


class CallerCache:
    """One cache in two budgets: signed-in callers' and anonymous callers'. Either finds
    what either stored; each stores in its own."""

    def __init__(self, signed_in_bytes: int = _DEFAULTS.cache_bytes,
                 anonymous_bytes: int = _DEFAULTS.anonymous_cache_bytes):
        self.signed_in, self.anonymous = ByteLRU(signed_in_bytes), ByteLRU(anonymous_bytes)
        self.pinned: dict[Hashable, Any] = {}  # trusted documents' entries: bounded by what operators register

    def get(self, key: Hashable, default: Any = None) -> Any:
        found = self.pinned.get(key, _MISSING)
        if found is not _MISSING:
            return found
        found = self.signed_in.get(key, _MISSING)
        if found is _MISSING:
            found = self.anonymous.get(key, _MISSING)
        return default if found is _MISSING else found

    def put(self, key: Hashable, value: Any, *, anonymous: bool, size: int | None = None) -> None:
        (self.anonymous if anonymous else self.signed_in).put(key, value, size)

    def pin(self, key: Hashable, value: Any) -> None:
        self.pinned[key] = value

    @property
    def bytes(self) -> int:
        return self.signed_in.bytes + self.anonymous.bytes

    def resize(self, signed_in_bytes: int, anonymous_bytes: int) -> None:
        self.signed_in.resize(signed_in_bytes)
        self.anonymous.resize(anonymous_bytes)

    def clear(self) -> None:
        self.pinned.clear()
        self.signed_in.clear()
        self.anonymous.clear()


DOCUMENTS = CallerCache()  # parsed documents, by (digest, token limit)
VALIDATIONS = CallerCache()  # validation errors, by (digest, rules)
COSTS = CallerCache()  # see schema/limits.py
PLANS = ByteLRU(_DEFAULTS.cache_bytes)  # compiled plans: signed-in callers only (schema/compiled.py)


def configure(settings: Settings) -> None:
    for cache in (DOCUMENTS, VALIDATIONS, COSTS):
        cache.resize(settings.cache_bytes, settings.anonymous_cache_bytes)
    PLANS.resize(settings.cache_bytes)


def anonymous(execution_context) -> bool:
    return getattr(execution_context.context, "user", None) is None


class DocumentCaches(SchemaExtension):
    """Parsing and validation, each done once per document text (and token limit, and
    rules) while it stays in the cache; in place of strawberry's ParserCache and
    ValidationCache, which are bounded by entries (128 texts of any size) and keyed by the
    whole text or document."""

    def on_parse(self):
        context = self.execution_context
        key = (digest(context.query), context.parse_options.get("max_tokens"))
        document = DOCUMENTS.get(key)
        if document is None:
            document = parse(context.query, **context.parse_options)
            DOCUMENTS.put(key, document, anonymous=anonymous(context))
        context.graphql_document = document
        yield

    def on_validate(self):
        from strawberry.schema.schema import validate_document

        context = self.execution_context
        key = (digest(context.query), tuple(context.validation_rules))
        errors = VALIDATIONS.get(key)
        if errors is None:
            errors = validate_document(context.schema._schema, context.graphql_document, context.validation_rules)
            VALIDATIONS.put(key, errors, anonymous=anonymous(context))
        context.pre_execution_errors = errors
        yield
