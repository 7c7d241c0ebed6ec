"""Key-person work (1+3+N) on `Person`: responsible staff, visits (走访) and when the next is
due, shown only where the caller may see the person's key tags; and care work (关爱走访):
care visits and when the next is due, shown to whoever reads the person (resolvers.domain.visits).
The visit rules, the county's, are read by all and set by its policy admins."""

from datetime import date, datetime
from typing import Optional

import strawberry
from strawberry.relay import GlobalID
from strawberry.types import Info

from gridhub import models
from gridhub.resolvers.runtime import civil_time
from gridhub.resolvers.domain import visit_due
from gridhub.resolvers.domain import visits
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


# a person's care visits: the care-visit events naming it that the caller may read as events
# (grid staff, the centres, civil affairs)
CARE_VISITS = Via("event", "person_id", link="event_person", to_column="event_id",
                  only=(("kind", models.enums.EventKind.VISIT.value), ("category", visit_due.CARE_VISIT_CATEGORY)))


def care_visit_overdue(root: models.Person, info: Info) -> Optional[bool]:
    if root.care_visit_due_at is None:
        return None
    return root.care_visit_due_at < info.context.loaders.answered_at


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
    "care_visits": relation_field(Visit, CARE_VISITS, description=(
        "Care visits (关爱走访) to this person, newest first, among the events you may read.")),
    "care_visit_overdue": strawberry.field(resolver=care_visit_overdue, description=(
        "Whether the care visit is past due; null without a care rule for the person's tags.")),
}


@strawberry.type(description="How often the persons with a tag are visited: the county's norm (走访频次).")
class VisitRule:
    tag: str = strawberry.field(description="The tag (`care/elderly_alone`, `key/drug`); it also matches the "
                                            "tags below it.")
    every_days: int = strawberry.field(description="A visit is due this many days after the last one (7: "
                                                   "weekly). The shortest interval of a person's tags holds.")
    care: bool = strawberry.field(description="A care rule (关爱走访, care/… tags), shown to whoever reads the "
                                              "person; else a key-person rule, shown where key tags are.")


def _rule(row: models.VisitRule) -> VisitRule:
    return VisitRule(tag=row.tag, every_days=row.every_days, care=visit_due.is_care(row.tag))


@strawberry.type
class VisitRuleQuery:
    @strawberry.field(description="The visit rules (走访频次) of key-person and care work, by tag.")
    async def visit_rules(self) -> list[VisitRule]:
        return [_rule(r) for r in await visits.list_visit_rules()]


@strawberry.type
class KeyPersonMutation:
    @strawberry.mutation(description="走访: record a visit to a person (an event of kind VISIT, closed).")
    async def record_visit(self, info: Info, person: arg(GlobalID, "The person visited."),
                           occurred_at: arg(datetime, "When the visit took place."),
                           note: arg(str, "What was found and done; empty if omitted.") = "",
                           care: arg(Optional[bool], (
                               "A care visit (关爱走访, needs a care tag and `report` on "
                               "`event:category/service/care_visit`) or key-person work (needs "
                               "`person.key_tags`); by default a care visit to a person with a care tag "
                               "whose key tags you do not see.")) = None) -> Visit:
        return await visits.record_visit(info.context.scope, info.context.username,
                                         decode_id(person, "Person", "person"), occurred_at, note, care)

    @strawberry.mutation(description="Set how often the persons with a tag are visited (a key/… or care/… "
                                     "tag), or drop the rule (`everyDays: null`); the due times move with it. "
                                     "Needs `visit_rule` `update` at the county.")
    async def set_visit_rule(self, info: Info, tag: arg(str, "The tag the rule is on."),
                             every_days: arg(Optional[int], "Days between visits, 1 to 366; null drops the "
                                                            "rule.")) -> Optional[VisitRule]:
        rule = await visits.set_visit_rule(info.context.store, info.context.username, tag, every_days)
        return _rule(rule) if rule else None

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
