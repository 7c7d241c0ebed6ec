"""Webhooks for department systems (issue 21): each hand-over to a department is POSTed to
the URLs its admin registered, as signed JSON, retried with back-off, with a delivery log
an admin reads and replays.

A delivery row is written in the hand-over's own transaction (resolvers.notices), so it
exists exactly when the hand-over does; the server's worker (`HandOverWorker`, one per
process) sends what is due. Several processes share the work: a worker claims a delivery
by moving its next attempt a lease ahead in one conditional UPDATE, and only the one whose
UPDATE changed the row sends it.

The signature (as Stripe's and GitHub's): the header
    X-Gridhub-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
over the exact body bytes; a receiver recomputes it with the secret it was shown once,
compares in constant time and refuses a timestamp older than a few minutes (replays).
Each attempt is signed afresh; the body, with its notice id for de-duplication, is the same."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import timedelta, timezone
from typing import Any

from tortoise.expressions import F

from gridhub import models

from .audit import record_change
from .civil_time import now
from .sync import relay_id

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
    if _running is not None:
        _running.wake()


def backoff(attempts: int, base: float, cap: float = 3600.0) -> timedelta:
    """After the n-th failed attempt: base, 2·base, 4·base, … up to an hour."""
    return timedelta(seconds=min(cap, base * 2 ** (attempts - 1)))


RENEWAL_SWEEP = timedelta(minutes=1)


class HandOverWorker:
    """Sends due deliveries and sweeps for events turning due soon, round after round:
    at once when a hand-over is queued here, else every `interval` seconds; and, once a
    minute, for residence registrations coming due (notices.sweep_renewals)."""

    def __init__(self, *, interval: float = 5.0, retry_base: float = 30.0, max_attempts: int = 8,
                 timeout: float = 10.0, on_notice=None, notice_days: int = 0, delivery_days: int = 0,
                 prune_every: float = 3600.0):
        self.interval, self.retry_base, self.max_attempts, self.timeout = interval, retry_base, max_attempts, timeout
        # retention (resolvers.retention): pruned once per `prune_every` seconds, the first round included
        self.notice_days, self.delivery_days, self.prune_every = notice_days, delivery_days, prune_every
        self._pruned_at: float | None = None
        self.on_notice = on_notice  # told of each due-soon notice made (announced to subscribers)
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._client = None

    async def start(self) -> None:
        global _running
        import httpx

        self._client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
        self._task = asyncio.create_task(self._run())
        _running = self

    async def stop(self) -> None:
        global _running
        if _running is self:
            _running = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._client is not None:
            await self._client.aclose()

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        from .notices import sweep_due_soon, sweep_renewals

        renewals_swept = None
        while True:
            self._wake.clear()
            try:
                for notice, event in await sweep_due_soon(now()):
                    if self.on_notice is not None:
                        await self.on_notice(notice, event)
                # registrations come due by the civil day: once a minute is soon enough
                if renewals_swept is None or now() - renewals_swept >= RENEWAL_SWEEP:
                    await sweep_renewals(now())
                    renewals_swept = now()
                while await self.send_due():
                    pass
                await self.prune_if_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database away, say: the next round tries again
                log.warning("hand-over worker round failed", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)

    async def prune_if_due(self) -> dict[str, int] | None:
        """Old notices and deliveries deleted, if the last pruning here is `prune_every` ago."""
        from .retention import prune

        moment = time.monotonic()
        if self._pruned_at is not None and moment - self._pruned_at < self.prune_every:
            return None
        self._pruned_at = moment
        return await prune(self.notice_days, self.delivery_days, now())

    async def send_due(self, limit: int = 20) -> int:
        """Send up to `limit` due deliveries; returns how many were claimed here."""
        at = now()
        due = await models.WebhookDelivery.filter(status=PENDING, next_attempt_at__lte=at).order_by(
            "next_attempt_at", "id").limit(limit)
        claimed = []
        for delivery in due:
            if await models.WebhookDelivery.filter(id=delivery.id, status=PENDING, attempts=delivery.attempts,
                                                   next_attempt_at__lte=at).update(next_attempt_at=at + LEASE):
                claimed.append(delivery)
        await asyncio.gather(*(self._attempt(d) for d in claimed))
        return len(claimed)

    async def _attempt(self, delivery: models.WebhookDelivery) -> None:
        hook = await models.Webhook.get_or_none(id=delivery.webhook_id)
        at = now()
        if hook is None or hook.deleted_at is not None:
            await models.WebhookDelivery.filter(id=delivery.id).update(
                status=FAILED, last_error="the webhook was removed", last_attempt_at=at, next_attempt_at=None)
            return
        body = delivery.body.encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(hook.secret, body, int(time.time())),
                   "X-Gridhub-Delivery": str(delivery.id), "User-Agent": "Gridhub-Webhooks/1"}
        code, error = None, ""
        try:
            response = await self._client.post(hook.url, content=body, headers=headers)
            code = response.status_code
            if not 200 <= code < 300:
                error = f"answered {code}"
        except Exception as e:  # refused, timed out, a bad address: all retried the same
            error = f"{type(e).__name__}: {e}"[:500]
        attempts = delivery.attempts + 1
        changes: dict[str, Any] = {"attempts": F("attempts") + 1, "last_attempt_at": at, "last_status_code": code,
                                   "last_error": error}
        if not error:
            changes.update(status=DELIVERED, delivered_at=at, next_attempt_at=None)
        elif attempts >= self.max_attempts:
            changes.update(status=FAILED, next_attempt_at=None)
            log.warning("webhook delivery %s to %s given up after %d attempts: %s", delivery.id, hook.url,
                        attempts, error)
        else:
            changes.update(next_attempt_at=at + backoff(attempts, self.retry_base))
        await models.WebhookDelivery.filter(id=delivery.id).update(**changes)


_running: HandOverWorker | None = None


# ---- administration: county-wide policy admins, audited, the secret never stored in the audit --

async def register(store: Any, actor: str, department_id: int, url: str) -> tuple[models.Webhook, str]:
    from tortoise.transactions import in_transaction

    from .departments import require_county_admin
    from .errors import BadInput

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

    from .departments import require_county_admin
    from .errors import NotFound

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

    from .departments import require_county_admin
    from .errors import Conflict, NotFound

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
    if _running is not None:
        _running.wake()
    return await models.WebhookDelivery.get(id=delivery.id)


async def deliveries(store: Any, actor: str, webhook_id: int | None, status: str | None, first: int,
                     after: int | None) -> tuple[list[models.WebhookDelivery], bool, Any]:
    """The delivery log, newest first (keyset on id)."""
    from .departments import require_county_admin

    await require_county_admin(store, actor, "the webhook delivery log is read")
    query = models.WebhookDelivery.all()
    if webhook_id is not None:
        query = query.filter(webhook_id=webhook_id)
    if status is not None:
        query = query.filter(status=status)
    page = await (query.filter(id__lt=after) if after else query).order_by("-id").limit(first + 1)
    return page[:first], len(page) > first, query.count
