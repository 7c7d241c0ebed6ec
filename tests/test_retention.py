"""Old notices and webhook deliveries are deleted (issue 21): by age, a delivery only once
answered or given up, a notice not while a pending delivery names it; by the hand-over
worker once an hour and by `gridhub prune`."""

import json
import os
import sqlite3
from datetime import datetime, timedelta, timezone

from gridhub import models
from gridhub.resolvers.domain.hand_over import HandOverWorker
from gridhub.resolvers.domain.retention import prune

from .test_cli import gridhub


async def _aged(days: float, *, status: str | None = None) -> tuple[models.Notice, models.WebhookDelivery | None]:
    """A notice made `days` ago (and a delivery of it in `status`), of no event: a row of our own."""
    notice = await models.Notice.create(kind="urged", action="urge", note="retention test")
    at = datetime.now(timezone.utc) - timedelta(days=days)
    await models.Notice.filter(id=notice.id).update(created_at=at)
    delivery = None
    if status is not None:
        hook = await models.Webhook.filter(url="http://127.0.0.1:9/retention").first() or await models.Webhook.create(
            department_id=(await models.Department.first()).id, url="http://127.0.0.1:9/retention",
            secret="whsec_test", created_by="test")
        delivery = await models.WebhookDelivery.create(webhook_id=hook.id, notice_id=notice.id, body="{}",
                                                       status=status, next_attempt_at=None)
        await models.WebhookDelivery.filter(id=delivery.id).update(created_at=at)
    return notice, delivery


async def test_old_rows_go_and_what_is_still_needed_stays(app):
    user = await models.User.get(username="worker")
    old_delivered = await _aged(40, status="delivered")
    old_failed = await _aged(40, status="failed")
    old_pending = await _aged(400, status="pending")
    recent = await _aged(5, status="delivered")
    old_notice, _ = await _aged(200)
    await models.NoticeRead.create(notice_id=old_notice.id, user_id=user.id)
    kept_notice, _ = await _aged(100)

    gone = await prune(notice_days=180, delivery_days=30, at=datetime.now(timezone.utc))
    assert gone["webhook_deliveries"] >= 2 and gone["notices"] >= 1
    deliveries = set(await models.WebhookDelivery.all().values_list("id", flat=True))
    assert old_delivered[1].id not in deliveries and old_failed[1].id not in deliveries
    assert old_pending[1].id in deliveries, "a delivery still being tried stays, however old"
    assert recent[1].id in deliveries
    notices = set(await models.Notice.all().values_list("id", flat=True))
    assert old_notice.id not in notices and not await models.NoticeRead.exists(notice_id=old_notice.id)
    assert old_pending[0].id in notices, "a pending delivery's notice stays"
    assert kept_notice.id in notices and recent[0].id in notices
    # 0 keeps for ever
    assert await prune(notice_days=0, delivery_days=0, at=datetime.now(timezone.utc) + timedelta(days=9999)) == {
        "notices": 0, "webhook_deliveries": 0}
    await models.WebhookDelivery.filter(id__in=[old_pending[1].id, recent[1].id]).delete()
    await models.Notice.filter(note="retention test").delete()


async def test_the_hand_over_worker_prunes_once_an_hour(app):
    worker = HandOverWorker(notice_days=1, delivery_days=1, prune_every=3600)
    first, _ = await _aged(3)
    assert (await worker.prune_if_due())["notices"] >= 1
    assert not await models.Notice.exists(id=first.id)
    second, _ = await _aged(3)
    assert await worker.prune_if_due() is None, "not again within the hour"
    assert await models.Notice.exists(id=second.id)
    worker._pruned_at -= 3600
    assert (await worker.prune_if_due())["notices"] >= 1 and not await models.Notice.exists(id=second.id)


def test_gridhub_prune(tmp_path):
    database = tmp_path / "prune.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite://{database}", "CACHE_URL": "memory://"}
    env.pop("NOTICE_RETENTION_DAYS", None)
    assert gridhub("migrate", env=env).returncode == 0
    db = sqlite3.connect(database)
    with db:
        for days in (10, 200, 400):
            at = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat(sep=" ")
            db.execute("INSERT INTO notice (created_at, kind, action, actor, note) VALUES (?, 'urged', 'urge', '', '')",
                       (at,))
    pruned = gridhub("prune", env=env)
    assert pruned.returncode == 0, pruned.stderr
    assert json.loads(pruned.stdout.strip().splitlines()[-1]) == {"notices": 2, "webhook_deliveries": 0}
    assert db.execute("SELECT COUNT(*) FROM notice").fetchone() == (1,)
    assert json.loads(gridhub("prune", "--notice-days", "5", env=env).stdout.strip().splitlines()[-1])["notices"] == 1
