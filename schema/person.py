from datetime import date
from typing import Optional

import strawberry
from strawberry.relay import NodeID
from strawberry.types import Info

from gridhub import models
from gridhub.policies.sensitivity import is_key_tag

from . import keyperson
from .enums import Gender, HouseholdRelation, PopulationType
from .filters import RowFilter
from .node import ModelNode, Versioned, load, load_by, load_linked
from .refs import EventRef, HouseholdRef, MembershipRef, PlaceRef, PersonRef, RegionRef


@strawberry.input
class PersonFilter(RowFilter):
    tags: Optional[list[str]] = strawberry.field(
        default=None, description="Any of these tag paths; `care` matches `care/low_income`.")
    gender: Optional[list[Gender]] = None
    population_type: Optional[list[PopulationType]] = None
    visit_overdue: Optional[bool] = strawberry.field(
        default=None, description="Persons whose visit (走访) is past due (true) or not (false); needs the "
                                  "key-tag grant.")


@strawberry.input
class HouseholdFilter(RowFilter):
    pass


@strawberry.type(description="人: a resident, registered, floating or from overseas.")
class Person(ModelNode, Versioned):
    row_kind = "person"
    id: NodeID[int]
    name: str
    ethnicity: str
    registered_address: str
    population_type: PopulationType
    relation_to_head: Optional[HouseholdRelation]

    @strawberry.field(description="GB 11643 identity number; masked (`340223***********2`: the area "
                                  "and the check digit) where you were not granted it.")
    def id_number(self: models.Person, info: Info) -> str:
        return info.context.reveal("person", "id_number", self, self.id_number)

    @strawberry.field(description="Carried by the identity number: null where you were not granted it "
                                  "(it would give back the masked digits). `birthYear` is always shown.")
    def birth_date(self: models.Person, info: Info) -> Optional[date]:
        return info.context.reveal("person", "birth_date", self, self.birth_date)

    @strawberry.field(description="Carried by the identity number (the parity of its 17th digit): null "
                                  "where you were not granted it.")
    def gender(self: models.Person, info: Info) -> Optional[Gender]:
        return info.context.reveal("person", "gender", self, self.gender)

    @strawberry.field(description="The year of birth, shown to everyone who may read the person: with "
                                  "the masked identity number it leaves over 30,000 candidates.")
    def birth_year(self: models.Person) -> int:
        return self.birth_date.year

    @strawberry.field(description="Masked (`138****5678`) where you were not granted it.")
    def phone(self: models.Person, info: Info) -> Optional[str]:
        return info.context.reveal("person", "phone", self, self.phone)

    @strawberry.field(description="Tag paths: care/…, key/…, role/…. Key-person tags (key/…) "
                                  "appear only where you were granted them.")
    async def tags(self: models.Person, info: Info) -> list[str]:
        tags = [t.tag for t in await load_by(info, "person_tag", "person_id", self.id)]
        if not any(is_key_tag(t) for t in tags):
            return tags
        return info.context.reveal("person", "tags", self, tags)

    @strawberry.field
    async def region(self: models.Person, info: Info) -> Optional[RegionRef]:
        return await load(info, "region", self.region_id)

    @strawberry.field
    async def household(self: models.Person, info: Info) -> Optional[HouseholdRef]:
        return await load(info, "household", self.household_id)

    @strawberry.field(description="Where the person lives now.")
    async def residence(self: models.Person, info: Info) -> Optional[PlaceRef]:
        return await load(info, "place", self.residence_id)

    @strawberry.field(description="Every stay, newest first (人来登记、人走注销).")
    async def residences(self: models.Person, info: Info) -> list["Residence"]:
        return await load_by(info, "residence", "person_id", self.id)

    @strawberry.field(description="Events the person is involved in.")
    async def events(self: models.Person, info: Info) -> list[EventRef]:
        return await load_linked(info, "event_person", "person_id", "event_id", "event", self.id)

    @strawberry.field
    async def memberships(self: models.Person, info: Info) -> list[MembershipRef]:
        return await load_by(info, "membership", "person_id", self.id)

    responsible_staff = keyperson.PERSON_FIELDS["responsible_staff"]
    visits = keyperson.PERSON_FIELDS["visits"]
    last_visited_at = keyperson.PERSON_FIELDS["last_visited_at"]
    visit_due_at = keyperson.PERSON_FIELDS["visit_due_at"]
    visit_overdue = keyperson.PERSON_FIELDS["visit_overdue"]


@strawberry.type(description="户: a registered household.")
class Household(ModelNode, Versioned):
    row_kind = "household"
    id: NodeID[int]
    code: str

    @strawberry.field
    async def region(self: models.Household, info: Info) -> Optional[RegionRef]:
        return await load(info, "region", self.region_id)

    @strawberry.field
    async def head(self: models.Household, info: Info) -> Optional[Person]:
        return await load(info, "person", self.head_id)

    @strawberry.field
    async def place(self: models.Household, info: Info) -> Optional[PlaceRef]:
        return await load(info, "place", self.place_id)

    @strawberry.field
    async def members(self: models.Household, info: Info) -> list[Person]:
        return await load_by(info, "person", "household_id", self.id)


@strawberry.type(description="A stay of a person at a place.")
class Residence:
    started_on: date
    ended_on: Optional[date]
    note: str

    @strawberry.field
    async def person(self: models.Residence, info: Info) -> Optional[PersonRef]:
        return await load(info, "person", self.person_id)

    @strawberry.field
    async def place(self: models.Residence, info: Info) -> Optional[PlaceRef]:
        return await load(info, "place", self.place_id)

    @strawberry.field
    async def landlord(self: models.Residence, info: Info) -> Optional[PersonRef]:
        return await load(info, "person", self.landlord_id)
