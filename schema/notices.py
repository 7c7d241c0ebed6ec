"""To-do lists and notices (issue 21): `myQueue`, `notices`, `markNoticesRead`, the
`noticeReceived` subscription, and the departments' webhooks with their delivery log."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, AsyncGenerator, Optional

import strawberry
from strawberry.relay import GlobalID, to_base64
from strawberry.types import Info

from gridhub import models
from gridhub.resolvers.runtime import event_bus
from gridhub.resolvers.domain import notices
from gridhub.resolvers.domain import todo
from gridhub.resolvers.domain import webhooks
from gridhub.resolvers.read.pagination import Page

from .args import arg
from .connection import After, Connection, First, after_id, as_connection, id_cursor, list_request, page_size
from .event import Event, EventFilter
from .ids import decode_id
from .refs import DepartmentRef, PersonRef, RegionRef


@strawberry.enum(description="What a notice tells its holder.")
class NoticeKind(Enum):
    DISPATCHED = strawberry.enum_value("dispatched", description="An event was dispatched (派单, 改派) to you.")
    ESCALATED = strawberry.enum_value("escalated", description="An event was escalated to your tier.")
    RETURNED = strawberry.enum_value("returned", description="An event came back to you: returned (回退) or its "
                                                             "result failed verification.")
    URGED = strawberry.enum_value("urged", description="A tier above urges (催办) an event you hold.")
    DUE_SOON = strawberry.enum_value("due_soon", description="An event you hold turned YELLOW: due soon.")
    TRANSFER_ASKED = strawberry.enum_value("transfer_asked", description=(
        "Another grid asks for a person of yours who moved there (迁入): decide the transfer."))
    TRANSFER_DONE = strawberry.enum_value("transfer_done", description=(
        "A transfer your grid asked for was approved or refused (see its status)."))
    RENEWAL_DUE = strawberry.enum_value("renewal_due", description=(
        "A person of your grid: their residence registration (居住登记) lapses within 30 days or has lapsed "
        "(`person`, `dueAt` the day it lapses); once per person and lapse day."))


@strawberry.type(description="One hand-over told to its holder: you, your tier's region or your department; "
                             "or a transfer of residence asked of your grid or decided for it.")
class Notice:
    _row: strawberry.Private[models.Notice]
    _read: strawberry.Private[bool]

    @strawberry.field(description="The notice's id (for `markNoticesRead`).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_base64("Notice", self._row.id))

    @strawberry.field(description="What happened.")
    def kind(self) -> NoticeKind:
        return NoticeKind(self._row.kind)

    @strawberry.field(description="The step that made it (`dispatch`, `escalate`, `verify`, …); empty for DUE_SOON.")
    def action(self) -> str:
        return self._row.action

    @strawberry.field(description="Who took the step; empty for DUE_SOON.")
    def actor(self) -> str:
        return self._row.actor

    @strawberry.field(description="The step's note (a reason, a deadline's why).")
    def note(self) -> str:
        return self._row.note

    @strawberry.field(description="When it was made.")
    def at(self) -> datetime:
        return self._row.created_at

    @strawberry.field(description="The event's due time when the notice was made; null if nothing was due. "
                                  "RENEWAL_DUE: the (civil) midnight the registration lapses.")
    def due_at(self) -> Optional[datetime]:
        return self._row.due_at

    @strawberry.field(description="Whether you have marked it read (each user has its own mark).")
    def read(self) -> bool:
        return self._read

    @strawberry.field(description="The event handed over, as you may read it now; null for a transfer or a "
                                  "RENEWAL_DUE.")
    async def event(self, info: Info) -> Optional[Event]:
        return await info.context.loaders.one("event", self._row.event_id)

    @strawberry.field(description="The transfer of residence asked or decided; null for an event's notice.")
    async def transfer(self, info: Info) -> Optional[Annotated["ResidenceTransfer", strawberry.lazy(
            "gridhub.schema.transfers")]]:
        from .transfers import ResidenceTransfer

        row = await info.context.loaders.one("transfer", self._row.transfer_id)
        return ResidenceTransfer(_row=row) if row else None

    @strawberry.field(description="The person a RENEWAL_DUE notice is about, as you may read it now; null "
                                  "otherwise.")
    async def person(self, info: Info) -> Optional[PersonRef]:
        return await info.context.loaders.one("person", self._row.person_id)

    @strawberry.field(description="The region told, when a region holds the event.")
    async def region(self, info: Info) -> Optional[RegionRef]:
        return await info.context.loaders.one("region", self._row.region_id)

    @strawberry.field(description="The department told, when a department holds the event.")
    async def department(self, info: Info) -> Optional[DepartmentRef]:
        return await info.context.loaders.one("department", self._row.department_id)


async def notice_page(info: Info, first: int, after: Optional[str], unread: Optional[bool]) -> Page:
    context = info.context
    query = models.Notice.filter((await notices.mine(context.scope, context.store, context.user)).to_q())
    if unread is not None:
        not_read = notices.unread(context.user)
        query = query.filter(not_read if unread else ~not_read)
    before = after_id(after)
    fetched = await (query.filter(id__lt=before) if before else query).order_by("-id").limit(first + 1)
    page_rows = fetched[:first]
    read = await notices.read_ids(context.user, [r.id for r in page_rows])
    return Page([Notice(_row=r, _read=r.id in read) for r in page_rows], [id_cursor(r.id) for r in page_rows],
                len(fetched) > first, query.count)


@strawberry.type(description="A department system's webhook (the secret is shown only when registered).")
class Webhook:
    _row: strawberry.Private[models.Webhook]

    @strawberry.field(description="The webhook's id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_base64("Webhook", self._row.id))

    @strawberry.field(description="Where hand-overs are POSTed.")
    def url(self) -> str:
        return self._row.url

    @strawberry.field(description="Who registered it.")
    def created_by(self) -> str:
        return self._row.created_by

    @strawberry.field(description="When it was registered.")
    def created_at(self) -> datetime:
        return self._row.created_at

    @strawberry.field(description="When it was removed; null while in use.")
    def removed_at(self) -> Optional[datetime]:
        return self._row.deleted_at

    @strawberry.field(description="The department whose hand-overs it receives.")
    async def department(self, info: Info) -> Optional[DepartmentRef]:
        return await info.context.loaders.one("department", self._row.department_id)


@strawberry.type(description="A webhook just registered, with its signing secret: shown this once, never again.")
class NewWebhook:
    webhook: Webhook = strawberry.field(description="The webhook.")
    # named for what it does, not `secret`: no field of the schema is named like a stored
    # credential (tests/test_security.py), and this one is never stored readable
    signing_key: str = strawberry.field(description=(
        "The HMAC-SHA256 key of `X-Gridhub-Signature: t=<unix seconds>,v1=<hex HMAC(key, \"<t>.<body>\")>`; "
        "keep it in the receiving system."))


@strawberry.enum(description="Where a webhook delivery stands.")
class DeliveryStatus(Enum):
    PENDING = strawberry.enum_value("pending", description="Not yet answered 2xx; retried with back-off.")
    DELIVERED = strawberry.enum_value("delivered", description="Answered 2xx.")
    FAILED = strawberry.enum_value("failed", description="Given up after the last attempt; replay it to try again.")


@strawberry.type(description="One hand-over POSTed (or being POSTed) to one webhook.")
class WebhookDelivery:
    _row: strawberry.Private[models.WebhookDelivery]

    @strawberry.field(description="The delivery's id (the `X-Gridhub-Delivery` header; for `replayWebhookDelivery`).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_base64("WebhookDelivery", self._row.id))

    @strawberry.field(description="Where it stands.")
    def status(self) -> DeliveryStatus:
        return DeliveryStatus(self._row.status)

    @strawberry.field(description="Attempts made (since the last replay).")
    def attempts(self) -> int:
        return self._row.attempts

    @strawberry.field(description="The JSON POSTed, the same at every attempt.")
    def body(self) -> str:
        return self._row.body

    @strawberry.field(description="When it was queued.")
    def created_at(self) -> datetime:
        return self._row.created_at

    @strawberry.field(description="When the last attempt was made; null before the first.")
    def last_attempt_at(self) -> Optional[datetime]:
        return self._row.last_attempt_at

    @strawberry.field(description="The HTTP status the last attempt was answered; null if none (refused, timed out).")
    def last_status_code(self) -> Optional[int]:
        return self._row.last_status_code

    @strawberry.field(description="Why the last attempt failed; empty if it did not.")
    def last_error(self) -> str:
        return self._row.last_error

    @strawberry.field(description="When the next attempt is due; null once delivered or given up.")
    def next_attempt_at(self) -> Optional[datetime]:
        return self._row.next_attempt_at if self._row.status == webhooks.PENDING else None

    @strawberry.field(description="When it was answered 2xx.")
    def delivered_at(self) -> Optional[datetime]:
        return self._row.delivered_at

    @strawberry.field(description="The webhook it is for.")
    async def webhook(self) -> Optional[Webhook]:
        row = await models.Webhook.get_or_none(id=self._row.webhook_id)
        return Webhook(_row=row) if row else None


@strawberry.type
class NoticeQuery:
    @strawberry.field(description=(
        "Your to-do list: the open events you hold (`events(filter: {heldBy: {me: true}})`), the most urgent "
        "first (CRITICAL, HIGH, NORMAL, LOW), and within an urgency the soonest due first; `filter` narrows it."))
    async def my_queue(self, info: Info, first: First = None, after: After = None,
                       filter: arg(Optional[EventFilter], "Only events meeting these conditions too.") = None
                       ) -> Connection[Event]:
        context = info.context
        asked = await list_request("event", context, first, after, filter)
        page = await todo.my_queue(context.scope, context.store, context.user, asked.where, asked.first, after)
        return as_connection(page, after)

    @strawberry.field(description=(
        "Notices of hand-overs to you (to the regions you act at, or your department), newest first, of events "
        "you may read. Each has your read mark; `unread: true` lists those you have not marked read."))
    async def notices(self, info: Info, first: First = None, after: After = None,
                      unread: arg(Optional[bool], "true: only unread; false: only read; all if omitted.") = None
                      ) -> Connection[Notice]:
        return as_connection(await notice_page(info, page_size(info.context.settings, first), after, unread), after)

    @strawberry.field(description="Webhooks registered for department systems (county-wide policy admins).")
    async def webhooks(self, info: Info) -> list[Webhook]:
        from gridhub.resolvers.domain.departments import require_county_admin

        await require_county_admin(info.context.store, info.context.username, "webhooks are listed")
        return [Webhook(_row=r) for r in await models.Webhook.all().order_by("id")]

    @strawberry.field(description="The webhook delivery log, newest first (county-wide policy admins).")
    async def webhook_deliveries(
            self, info: Info, first: First = None, after: After = None,
            webhook: arg(Optional[strawberry.ID], "Only this webhook's deliveries.") = None,
            status: arg(Optional[DeliveryStatus], "Only deliveries in this state.") = None,
    ) -> Connection[WebhookDelivery]:
        size = page_size(info.context.settings, first)
        found, more, count = await webhooks.deliveries(
            info.context.store, info.context.username,
            decode_id(webhook, "Webhook", "webhook") if webhook else None,
            status.value if status else None, size, after_id(after))
        return as_connection(Page([WebhookDelivery(_row=r) for r in found], [id_cursor(r.id) for r in found],
                                more, count), after)


@strawberry.type
class NoticeMutation:
    @strawberry.mutation(description="Mark notices of yours read: these, or with `all: true` every one. Returns "
                                     "how many were unread.")
    async def mark_notices_read(self, info: Info,
                                ids: arg(Optional[list[strawberry.ID]], "Notice ids; give these or `all`.") = None,
                                all: arg(bool, "Mark every notice of yours read.") = False) -> int:
        from gridhub.resolvers.errors import BadInput

        if (ids is None) == (not all):
            raise BadInput("give the notices' ids or all: true", field="ids")
        wanted = None if all else [decode_id(i, "Notice", "ids") for i in ids]
        context = info.context
        return await notices.mark_read(context.scope, context.store, context.user, wanted)

    @strawberry.mutation(description="Register a department system's URL: each hand-over to the department is "
                                     "POSTed to it as signed JSON (county-wide policy admins).")
    async def register_webhook(self, info: Info, department: arg(GlobalID, "The department."),
                               url: arg(str, "Where to POST, http(s)://….")) -> NewWebhook:
        hook, secret = await webhooks.register(info.context.store, info.context.username,
                                               decode_id(department, "Department", "department"), url)
        return NewWebhook(webhook=Webhook(_row=hook), signing_key=secret)

    @strawberry.mutation(description="Stop POSTing to a webhook (county-wide policy admins).")
    async def remove_webhook(self, info: Info, id: arg(strawberry.ID, "The webhook's id.")) -> Webhook:
        return Webhook(_row=await webhooks.remove(info.context.store, info.context.username,
                                                   decode_id(id, "Webhook", "id")))

    @strawberry.mutation(description="Send a delivered or given-up delivery again, its attempts counted afresh "
                                     "(county-wide policy admins).")
    async def replay_webhook_delivery(self, info: Info, id: arg(strawberry.ID, "The delivery's id.")
                                      ) -> WebhookDelivery:
        return WebhookDelivery(_row=await webhooks.replay(info.context.store, info.context.username,
                                                          decode_id(id, "WebhookDelivery", "id")))


@strawberry.type
class NoticeSubscription:
    @strawberry.subscription(description=(
        "Each new notice of yours as it is made (the same as `notices` lists), over WebSocket. Missed ones "
        "are not replayed: `notices(unread: true)` catches up."))
    async def notice_received(self, info: Info) -> AsyncGenerator[Notice, None]:
        context = info.context
        newest = await models.Notice.all().order_by("-id").first()
        last = newest.id if newest else 0
        async for _change in event_bus.changes_seen_by(context):
            where = await notices.mine(context.scope, context.store, context.user)
            for row in await models.Notice.filter(where.to_q(), id__gt=last).order_by("id"):
                last = row.id
                yield Notice(_row=row, _read=False)
