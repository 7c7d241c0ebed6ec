"""How sensitive fields look to callers who were not granted them (DOMAIN.md)."""

from __future__ import annotations

# kind -> sensitive field -> how it is masked; `None` means the value is withheld
SENSITIVE_FIELDS = {
    "person": ("id_number", "phone", "key_tags"),
}


def mask_id_number(value: str | None) -> str | None:
    """652123********1234: the region of issue and the last four stay."""
    if not value:
        return value
    return value[:6] + "*" * max(len(value) - 10, 0) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    """138****5678"""
    if not value:
        return value
    return value[:3] + "*" * max(len(value) - 7, 0) + value[-4:]


MASKS = {("person", "id_number"): mask_id_number, ("person", "phone"): mask_phone}


def is_key_tag(tag: str) -> bool:
    return tag == "key" or tag.startswith("key/")
