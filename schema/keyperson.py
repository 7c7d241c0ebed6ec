"""Key-person work (1+3+N) on `Person`: responsible staff, visits (走访) and when the next is
due, shown only where the caller may see the person's key tags (resolvers.visits)."""

from datetime import date, datetime
from typing import Optional

import strawberry
from strawberry.relay import GlobalID
from strawberry.types import Info

from gridhub import models
from gridhub.resolvers import civil_time, visits
from gridhub.resolvers.relations import Via

from .args import Current, EndedOn, StartedOn, arg
from .columns import column
from .connection import relation_field
from .enums import ResponsibleRole
from .ids import decode_id
from .node import load_by
from .relations import with_relations


@strawberry.type(description="A staff member responsible for a key person, from `startedOn` (to `endedOn`).")
@with_relations("responsibility")
class Responsibility:
    @strawberry.field(description="Its id, for `endResponsibility` (not a node: it is reached through its person).")
    def id(self: models.KeyPersonResponsibility) -> GlobalID:
        return GlobalID("Responsibility", str(self.id))

    role: ResponsibleRole = strawberry.field(description="Their part in 1+3+N.")
    name: str = strawberry.field(description="Their name as recorded.")
    started_on: date = strawberry.field(description="The first day of the responsibility.")
    ended_on: Optional[date] = strawberry.field(description="The last day; null while it lasts.")


@strawberry.type(description="走访: a visit to a person.")
class Visit:
    occurred_at: datetime = column("event", "occurred_at")
    title: str = column("event", "title")
    description: str = strawberry.field(description="What was found and done, as the visitor noted it.")

    @strawberry.field(description="Who visited (the recording user).")
    def visitor(self: models.Event) -> str:
        return self.reporter_name


def sees_key_work(info: Info, person: models.Person) -> bool:
    """Whether this caller may see the key-person work of `person` (audited when it does)."""
    if not info.context.scope.sees_unmasked("person", "key_tags", person):
        return False
    info.context.note_sensitive_read("person", "key_tags", person)
    return True


# a person's visits: the VISIT events naming it. Not the caller's event scope: the key-tag
# grant decides (the police reads no events)
VISITS = Via("event", "person_id", link="event_person", to_column="event_id",
             only=(("kind", models.enums.EventKind.VISIT.value),), scoped=False)


async def responsible_staff(root: models.Person, info: Info, current: Current = True) -> list[Responsibility]:
    if not sees_key_work(info, root):
        return []
    found = await load_by(info, "responsibility", "key_person_id", root.id)
    if not current:
        return found
    on = civil_time.today()
    return [r for r in found if r.started_on <= on and (r.ended_on is None or r.ended_on >= on)]


def last_visited_at(root: models.Person, info: Info) -> Optional[datetime]:
    return root.last_visited_at if sees_key_work(info, root) else None


def visit_due_at(root: models.Person, info: Info) -> Optional[datetime]:
    return root.visit_due_at if sees_key_work(info, root) else None


def visit_overdue(root: models.Person, info: Info) -> Optional[bool]:
    if not sees_key_work(info, root) or root.visit_due_at is None:
        return None
    return root.visit_due_at < info.context.loaders.answered_at


PERSON_FIELDS = {
    "responsible_staff": strawberry.field(resolver=responsible_staff, description=(
        "1+3+N: who is responsible for this key person, by default those current today (`current: false` for "
        "the whole history); empty where you were not granted `person.key_tags`.")),
    "visits": relation_field(Visit, VISITS, shown=lambda person, info: sees_key_work(info, person), description=(
        "Visits (走访), newest first; empty where you were not granted `person.key_tags`.")),
    "last_visited_at": strawberry.field(resolver=last_visited_at, description=(
        "The last visit; null where you were not granted `person.key_tags`.")),
    "visit_due_at": strawberry.field(resolver=visit_due_at, description=(
        "When the next visit is due by the visit rules (the shortest interval of the person's tags); "
        "null without a rule, or where you were not granted `person.key_tags`.")),
    "visit_overdue": strawberry.field(resolver=visit_overdue, description=(
        "Whether the visit is past due; null without a rule or where you were not granted `person.key_tags`.")),
}


@strawberry.type
class KeyPersonMutation:
    @strawberry.mutation(description="走访: record a visit to a person (an event of kind VISIT, closed).")
    async def record_visit(self, info: Info, person: arg(GlobalID, "The person visited."),
                           occurred_at: arg(datetime, "When the visit took place."),
                           note: arg(str, "What was found and done; empty if omitted.") = "") -> Visit:
        return await visits.record_visit(info.context.scope, info.context.username,
                                         decode_id(person, "Person", "person"), occurred_at, note)

    @strawberry.mutation(description="Make someone responsible for a key person (1+3+N): a user (by username), "
                                     "a person of the registers, or a name.")
    async def assign_responsibility(
            self, info: Info, person: arg(GlobalID, "The key person."),
            role: arg(ResponsibleRole, "Their part in 1+3+N."), started_on: StartedOn,
            name: arg(str, "Their name; by default the user's or the person's.") = "",
            username: arg(Optional[str], "The responsible user, by username.") = None,
            staff_person: arg(Optional[GlobalID], "The responsible person, in the registers.") = None
    ) -> Responsibility:
        return await visits.assign_responsibility(
            info.context.scope, info.context.username, decode_id(person, "Person", "person"), role, name,
            started_on, username, decode_id(staff_person, "Person", "staffPerson") if staff_person else None)

    @strawberry.mutation(description="End a key person's responsibility on `endedOn` (not before it started); "
                                     "the history keeps it.")
    async def end_responsibility(self, info: Info, id: arg(GlobalID, "The responsibility's id."),
                                 ended_on: EndedOn) -> Responsibility:
        return await visits.end_responsibility(info.context.scope, info.context.username,
                                               decode_id(id, "Responsibility"), ended_on)
