"""Trusted documents (issue 20, point 5): the operations frontend teams register, each
under the SHA-256 of its text, and what a request's hash or text finds among them.

Documents come from a manifest file (settings.trusted_documents_file) in either format
frontend builds write: Apollo's `generate-persisted-query-manifest`
(`{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id",
"name", "type", "body"}]}`) or GraphQL Codegen's client preset with `persistedDocuments`
and `hashAlgorithm: "sha256"` (`{"<hash>": "<text>"}`; a `sha256:` prefix is accepted);
or from the `registerTrustedDocument` mutation, stored in `trusted_document`, where every
process finds a document registered by another on first use (one primary-key read).

The Automatic Persisted Queries protocol (Apollo's) rides on the same registry: a hash
with no text is looked up; a hash with its text is checked, and outside trusted-only mode
the text is remembered in a bounded cache of this process (`automatic`), as Apollo
Server's in-memory APQ cache does. In trusted-only mode nothing is remembered: a text is
answered only if registered."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.policies.store import PolicyStore

from gridhub.resolvers.write.audit import record_change
from gridhub.resolvers.errors import BadInput, Forbidden
from gridhub.resolvers.runtime.lru import ByteLRU

HEX = re.compile(r"^[0-9a-f]{64}$")
APOLLO_FORMAT = "apollo-persisted-query-manifest"
MAX_NAME = 128


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def normal_hash(value: object) -> str | None:
    """A hash as requests and manifests spell it (lower-case hex, optionally `sha256:`)."""
    if not isinstance(value, str):
        return None
    value = value.removeprefix("sha256:").lower()
    return value if HEX.match(value) else None


@dataclass(frozen=True)
class TrustedDocument:
    sha256: str
    body: str
    name: str = ""


class ManifestError(ValueError):
    """A manifest that cannot be trusted as a whole: the hub refuses to start with it."""


def read_manifest(path: str | Path) -> list[TrustedDocument]:
    """Every document of a manifest, each hash checked against its text: a manifest whose
    hashes were made another way (sha1, another printing) would register texts no client
    sends, so it stops the start instead."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ManifestError(f"trusted documents: cannot read {path}: {error}") from None
    if isinstance(data, dict) and data.get("format") == APOLLO_FORMAT:
        if data.get("version") != 1 or not isinstance(data.get("operations"), list):
            raise ManifestError(f"trusted documents: {path}: an {APOLLO_FORMAT} of version 1 with `operations`")
        entries = [(o.get("id"), o.get("body"), o.get("name") or "") for o in data["operations"]
                   if isinstance(o, dict)]
    elif isinstance(data, dict):
        entries = [(key, body, "") for key, body in data.items()]
    else:
        raise ManifestError(f"trusted documents: {path}: not a manifest (an object of hash -> text, or Apollo's)")
    documents = []
    for key, body, name in entries:
        hashed = normal_hash(key)
        if hashed is None or not isinstance(body, str):
            raise ManifestError(f"trusted documents: {path}: {key!r} is not a SHA-256 hash of a text")
        if sha256(body) != hashed:
            raise ManifestError(f"trusted documents: {path}: {key} is not the SHA-256 of its text "
                                "(GraphQL Codegen: persistedDocuments.hashAlgorithm 'sha256')")
        documents.append(TrustedDocument(hashed, body, str(name)[:MAX_NAME]))
    return documents


class TrustedDocuments:
    """One process's registry. `prepare` is called with each document as it becomes known
    (the schema parses, validates and plans it once: schema/trusted.py)."""

    def __init__(self, *, only: bool, automatic_bytes: int, prepare: Callable[[TrustedDocument], None] | None = None):
        self.only = only
        self.documents: dict[str, TrustedDocument] = {}
        self.automatic = ByteLRU(0 if only else automatic_bytes)  # APQ texts of this process, by hash
        self.prepare = prepare

    def add(self, document: TrustedDocument) -> TrustedDocument:
        if document.sha256 not in self.documents:
            self.documents[document.sha256] = document
            if self.prepare is not None:
                self.prepare(document)
        return self.documents[document.sha256]

    def load_manifest(self, path: str | Path) -> int:
        documents = read_manifest(path)
        for document in documents:
            self.add(document)
        return len(documents)

    async def load_stored(self) -> int:
        rows = await models.TrustedDocument.all().values_list("sha256", "body", "name")
        for hashed, body, name in rows:
            self.add(TrustedDocument(hashed, body, name))
        return len(rows)

    async def registered(self, hashed: str) -> TrustedDocument | None:
        """The registered document of a hash, also one another process registered since
        this one started (a miss reads the table; a hit never does)."""
        found = self.documents.get(hashed)
        if found is None:
            row = await models.TrustedDocument.get_or_none(sha256=hashed)
            if row is not None:
                found = self.add(TrustedDocument(row.sha256, row.body, row.name))
        return found

    async def text_of(self, hashed: str) -> str | None:
        """The text a hash names for this caller: registered, or (outside trusted-only
        mode) sent with it before to this process."""
        found = await self.registered(hashed)
        if found is not None:
            return found.body
        return self.automatic.get(hashed)

    def remember(self, hashed: str, text: str) -> None:
        if not self.only:
            self.automatic.put(hashed, text, len(text) + 200)


async def register(store: PolicyStore, actor: str, body: str, name: str) -> tuple[models.TrustedDocument, bool]:
    """Store a document (the schema has checked it is valid GraphQL for it) with its audit
    entry, in one transaction; `document` + `create` at the county. Registering a text
    again answers the stored row (created False) and records nothing."""
    roots = sorted(await models.Region.filter(parent_id=None, deleted_at=None).values_list("region_path", flat=True))
    if not roots or not all(store.allows(actor, root, "document", "create") for root in roots):
        raise Forbidden("registering trusted documents needs the document create grant at the county")
    if len(name) > MAX_NAME:
        raise BadInput(f"a name is at most {MAX_NAME} characters", field="name")
    hashed = sha256(body)
    async with in_transaction():
        row, created = await models.TrustedDocument.get_or_create(
            sha256=hashed, defaults={"body": body, "name": name, "registered_by": actor})
        if created:
            await record_change(actor, "register_document", "document", object_id=hashed, region_path=roots[0],
                                detail={"name": name, "bytes": len(body.encode("utf-8", "surrogatepass"))})
    return row, created
