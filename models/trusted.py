"""The operations frontend teams have registered (trusted documents, issue 20): a
document's text under the SHA-256 of that text, as Apollo's and GraphQL Codegen's
persisted-document manifests name them."""

from tortoise import fields
from tortoise.models import Model


class TrustedDocument(Model):
    """One registered GraphQL document. Never changed: a new text is a new hash."""

    sha256 = fields.CharField(max_length=64, primary_key=True, description="hex SHA-256 of the text (UTF-8)")
    body = fields.TextField(description="the document's text, exactly as hashed")
    name = fields.CharField(max_length=128, default="", description="its operation's name, for people")
    registered_by = fields.CharField(max_length=64)
    registered_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "trusted_document"
