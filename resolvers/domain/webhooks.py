"""Webhooks for department systems (issue 21): each hand-over to a department is POSTed to
the URLs its admin registered, as signed JSON, retried with back-off, with a delivery log
an admin reads and replays.

A delivery row is written in the hand-over's own transaction (resolvers.domain.notices), so it
exists exactly when the hand-over does; the server's worker (resolvers.domain.hand_over, one per
process) sends what is due. Several processes share the work: a worker claims a delivery
by moving its next attempt a lease ahead in one conditional UPDATE, and only the one whose
UPDATE changed the row sends it.

The signature (as Stripe's and GitHub's): the header
    X-Gridhub-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
over the exact body bytes; a receiver recomputes it with the secret it was shown once,
compares in constant time and refuses a timestamp older than a few minutes (replays).
Each attempt is signed afresh; the body, with its notice id for de-duplication, is the same."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import timedelta, timezone
from typing import Any, Callable


from gridhub import models

from gridhub.resolvers.write.audit import record_change
from gridhub.resolvers.runtime.civil_time import now
from gridhub.resolvers.bulk.sync import relay_id

log = logging.getLogger("gridhub.webhooks")

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
SIGNATURE_HEADER = "X-Gridhub-Signature"
LEASE = timedelta(minutes=2)  # a claimed delivery is retried by another process after this


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, body: bytes, header: str, tolerance: int = 300, at: float | None = None) -> bool:
    """What a receiver does (docs/departments.md shows the same in a few lines)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((at or time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), f"t={timestamp},v1={parts.get('v1', '')}")


def body_of(notice: models.Notice, event: models.Event, department_code: str) -> str:
    """What the department's system is told: the hand-over and the event as the department
    reads it (no persons, nothing sensitive)."""
    def iso(moment):
        return moment.astimezone(timezone.utc).isoformat() if moment else None

    return json.dumps({
        "id": relay_id("Notice", notice.id),
        "kind": notice.kind, "action": notice.action, "actor": notice.actor, "note": notice.note,
        "at": iso(notice.created_at), "department": department_code,
        "event": {"id": relay_id("Event", event.id), "title": event.title, "category": event.category,
                  "kind": getattr(event.kind, "value", event.kind), "urgency": getattr(event.urgency, "value", event.urgency),
                  "status": getattr(event.status, "value", event.status), "regionPath": event.region_path,
                  "occurredAt": iso(event.occurred_at), "dueAt": iso(event.due_at)},
    }, ensure_ascii=False, separators=(",", ":"))


async def queue(notice: models.Notice, event: models.Event) -> None:
    """A delivery for each live webhook of the notice's department (inside its transaction)."""
    hooks = await models.Webhook.filter(department_id=notice.department_id, deleted_at=None)
    if not hooks:
        return
    department = await models.Department.get(id=notice.department_id)
    body = body_of(notice, event, department.code)
    await models.WebhookDelivery.bulk_create([
        models.WebhookDelivery(webhook_id=h.id, notice_id=notice.id, body=body, status=PENDING, attempts=0,
                               next_attempt_at=notice.created_at or now()) for h in hooks])
    if wake_worker is not None:
        wake_worker()


def backoff(attempts: int, base: float, cap: float = 3600.0) -> timedelta:
    """After the n-th failed attempt: base, 2·base, 4·base, … up to an hour."""
    return timedelta(seconds=min(cap, base * 2 ** (attempts - 1)))


# the running hand-over worker's wake-up (resolvers.domain.hand_over), told of deliveries queued or
# replayed here so that it sends them at once rather than at its next round; one per process
wake_worker: Callable[[], None] | None = None




# ---- administration: county-wide policy admins, audited, the secret never stored in the audit --

async def register(store: Any, actor: str, department_id: int, url: str) -> tuple[models.Webhook, str]:
    from tortoise.transactions import in_transaction

    from gridhub.resolvers.domain.departments import require_county_admin
    from gridhub.resolvers.errors import BadInput

    root = await require_county_admin(store, actor, "webhooks are registered")
    url = (url or "").strip()
    if not url.startswith(("https://", "http://")) or len(url) > 500 or any(c.isspace() for c in url):
        raise BadInput("a webhook URL is http(s)://… without spaces, at most 500 characters", field="url")
    department = await models.Department.get_or_none(id=department_id, deleted_at=None)
    if department is None:
        raise BadInput("no department with this id", field="department")
    secret = new_secret()
    async with in_transaction():
        hook = await models.Webhook.create(department_id=department.id, url=url, secret=secret, created_by=actor)
        await record_change(actor, "register_webhook", "webhook", hook, region_path=root,
                            detail={"department": department.code, "url": url})
    return hook, secret


async def remove(store: Any, actor: str, webhook_id: int) -> models.Webhook:
    from tortoise.transactions import in_transaction

    from gridhub.resolvers.domain.departments import require_county_admin
    from gridhub.resolvers.errors import NotFound

    root = await require_county_admin(store, actor, "webhooks are removed")
    async with in_transaction():
        hook = await models.Webhook.get_or_none(id=webhook_id, deleted_at=None)
        if hook is None:
            raise NotFound("no webhook with this id")
        hook.deleted_at = now()
        await hook.save(update_fields=["deleted_at", "updated_at"])
        await record_change(actor, "remove_webhook", "webhook", hook, region_path=root, detail={"url": hook.url})
    return hook


async def replay(store: Any, actor: str, delivery_id: int) -> models.WebhookDelivery:
    """Send a delivery again (given up, or delivered and lost by the receiver): pending now,
    with its attempts counted afresh."""
    from tortoise.transactions import in_transaction

    from gridhub.resolvers.domain.departments import require_county_admin
    from gridhub.resolvers.errors import Conflict, NotFound

    root = await require_county_admin(store, actor, "webhook deliveries are replayed")
    async with in_transaction():
        delivery = await models.WebhookDelivery.get_or_none(id=delivery_id)
        if delivery is None:
            raise NotFound("no webhook delivery with this id")
        if delivery.status == PENDING:
            raise Conflict("the delivery is still being tried", field="id")
        await models.WebhookDelivery.filter(id=delivery.id).update(status=PENDING, attempts=0, next_attempt_at=now())
        await record_change(actor, "replay_webhook", "webhook", object_id=str(delivery.webhook_id),
                            region_path=root, detail={"delivery": delivery.id, "was": delivery.status})
    if wake_worker is not None:
        wake_worker()
    return await models.WebhookDelivery.get(id=delivery.id)


async def deliveries(store: Any, actor: str, webhook_id: int | None, status: str | None, first: int,
                     after: int | None) -> tuple[list[models.WebhookDelivery], bool, Any]:
    """The delivery log, newest first (keyset on id)."""
    from gridhub.resolvers.domain.departments import require_county_admin

    await require_county_admin(store, actor, "the webhook delivery log is read")
    query = models.WebhookDelivery.all()
    if webhook_id is not None:
        query = query.filter(webhook_id=webhook_id)
    if status is not None:
        query = query.filter(status=status)
    page = await (query.filter(id__lt=after) if after else query).order_by("-id").limit(first + 1)
    return page[:first], len(page) > first, query.count
