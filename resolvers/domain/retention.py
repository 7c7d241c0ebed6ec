"""How long notices and webhook deliveries are kept (issue 21): each hand-over leaves a notice
per holder and a delivery per webhook, and a county's year would otherwise keep them all.

`prune` deletes, in batches (short transactions: the hand-over worker and the readers go on):
- webhook deliveries older than `delivery_days`, once answered or given up: a pending one is
  still being tried, whatever its age, and stays;
- notices older than `notice_days`, with their read marks (the foreign key cascades), except
  those a pending delivery still names.
0 days keeps that kind for ever. The server's hand-over worker prunes every hour
(resolvers.domain.hand_over.HandOverWorker); `gridhub prune` does it at an operator's word. Several
processes pruning together delete the same rows once: a DELETE finds what is left."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from tortoise.expressions import Subquery

from gridhub import models

log = logging.getLogger("gridhub.retention")
BATCH = 2000


async def _delete_in_batches(query_of) -> int:
    gone = 0
    while True:
        ids = await query_of().limit(BATCH).values_list("id", flat=True)
        if not ids:
            return gone
        gone += await query_of().model.filter(id__in=ids).delete()
        if len(ids) < BATCH:
            return gone


async def prune(notice_days: int, delivery_days: int, at: datetime) -> dict[str, int]:
    """Delete what is older than its retention; returns how many of each went."""
    gone = {"notices": 0, "webhook_deliveries": 0}
    if delivery_days > 0:
        before = at - timedelta(days=delivery_days)
        gone["webhook_deliveries"] = await _delete_in_batches(lambda: models.WebhookDelivery.filter(
            created_at__lt=before, status__in=("delivered", "failed")))
    if notice_days > 0:
        before = at - timedelta(days=notice_days)
        still_sent = models.WebhookDelivery.filter(status="pending", notice_id__not_isnull=True).values("notice_id")
        gone["notices"] = await _delete_in_batches(lambda: models.Notice.filter(created_at__lt=before).exclude(
            id__in=Subquery(still_sent)))
    if any(gone.values()):
        log.info("pruned %(notices)d notices and %(webhook_deliveries)d webhook deliveries", gone)
    return gone
