"""The server's hand-over worker, one per process: it sends the webhook deliveries that are
due (resolvers.domain.webhooks), sweeps for events turning due soon and registrations coming due
(resolvers.domain.notices), and prunes old notices and deliveries (resolvers.domain.retention), round after
round. Apart from webhooks and notices so that neither needs the other's loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta
from typing import Any

from tortoise.expressions import F

from gridhub import models

from gridhub.resolvers.domain import webhooks
from gridhub.resolvers.runtime.civil_time import now
from gridhub.resolvers.domain.notices import sweep_due_soon, sweep_renewals
from gridhub.resolvers.domain.retention import prune
from gridhub.resolvers.domain.webhooks import DELIVERED, FAILED, LEASE, PENDING, SIGNATURE_HEADER, backoff, sign

log = logging.getLogger("gridhub.webhooks")

RENEWAL_SWEEP = timedelta(minutes=1)


class HandOverWorker:
    """Sends due deliveries and sweeps for events turning due soon, round after round:
    at once when a hand-over is queued here, else every `interval` seconds; and, once a
    minute, for residence registrations coming due (notices.sweep_renewals)."""

    def __init__(self, *, interval: float = 5.0, retry_base: float = 30.0, max_attempts: int = 8,
                 timeout: float = 10.0, on_notice=None, notice_days: int = 0, delivery_days: int = 0,
                 prune_every: float = 3600.0):
        self.interval, self.retry_base, self.max_attempts, self.timeout = interval, retry_base, max_attempts, timeout
        # retention (resolvers.domain.retention): pruned once per `prune_every` seconds, the first round included
        self.notice_days, self.delivery_days, self.prune_every = notice_days, delivery_days, prune_every
        self._pruned_at: float | None = None
        self.on_notice = on_notice  # told of each due-soon notice made (announced to subscribers)
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._client = None

    async def start(self) -> None:
        import httpx

        self._client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
        self._task = asyncio.create_task(self._run())
        webhooks.wake_worker = self.wake

    async def stop(self) -> None:
        if webhooks.wake_worker == self.wake:
            webhooks.wake_worker = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._client is not None:
            await self._client.aclose()

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
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
