from datetime import date
from typing import Optional

import strawberry
from strawberry.relay import NodeID
from strawberry.types import Info

from gridhub import models
from gridhub.policies.sensitivity import is_key_tag
from gridhub.resolvers.relations import RELATIONS

from . import keyperson
from .programmes import HOUSEHOLD_FIELDS
from .columns import column, describe
from .connection import relation_field
from .enums import (
    Education, Gender, HouseholdRelation, IdType, MaritalStatus, Occupation, PoliticalStatus, PopulationType,
    Religion,
)
from .filters import RowFilter
from .spatial import LocatedFilter
from .node import ModelNode, Versioned, load, load_by
from .refs import EventRef, HouseholdRef, MembershipRef, PlaceRef, PersonRef, RegionRef, ResidenceRef


@strawberry.input(description="Conditions on persons; they combine with AND. Conditions on masked values "
                              "(gender, key tags) look only where you were granted them, FORBIDDEN where "
                              "nowhere.")
class PersonFilter(RowFilter, LocatedFilter):
    tags: Optional[list[str]] = strawberry.field(
        default=None, description="Any of these tag paths; `care` matches `care/low_income`.")
    gender: Optional[list[Gender]] = strawberry.field(
        default=None, description="Any of these genders; needs the `person.id_number` grant.")
    population_type: Optional[list[PopulationType]] = strawberry.field(
        default=None, description="Any of these population types.")
    due_for_renewal: Optional[bool] = strawberry.field(
        default=None, description="Persons whose residence registration (居住登记) lapses within 30 days or "
                                  "has lapsed (true), or the others (false).")
    visit_overdue: Optional[bool] = strawberry.field(
        default=None, description="Persons whose visit (走访) is past due (true) or not (false); needs the "
                                  "key-tag grant.")
    native_place: Optional[list[str]] = strawberry.field(
        default=None, description="Native place (籍贯) under any of these division codes: `34` (a province), "
                                  "`3402` (a prefecture) or `340223` (a county) matches `340223`.")
    marital_status: Optional[list[MaritalStatus]] = strawberry.field(
        default=None, description="Any of these marital statuses.")
    political_status: Optional[list[PoliticalStatus]] = strawberry.field(
        default=None, description="Any of these political statuses; needs the `person.political_status` grant.")
    education: Optional[list[Education]] = strawberry.field(
        default=None, description="Any of these education levels.")
    religion: Optional[list[Religion]] = strawberry.field(
        default=None, description="Any of these religions; needs the `person.religion` grant.")
    occupation: Optional[list[Occupation]] = strawberry.field(
        default=None, description="Any of these occupation groups.")


@strawberry.input(description="Conditions on households; they combine with AND.")
class HouseholdFilter(RowFilter):
    pass


@strawberry.type(description="人: a resident, registered, floating or from overseas.")
class Person(ModelNode, Versioned):
    row_kind = "person"
    id: NodeID[int]
    name: str = column("person", "name")
    ethnicity: str = column("person", "ethnicity")
    id_type: IdType = column("person", "id_type")
    nationality: str = column("person", "nationality")
    registered_address: str = column("person", "registered_address")
    population_type: PopulationType = column("person", "population_type")
    relation_to_head: Optional[HouseholdRelation] = column("person", "relation_to_head")
    former_names: str = column("person", "former_names")
    native_place: Optional[str] = column("person", "native_place")
    marital_status: Optional[MaritalStatus] = column("person", "marital_status")
    education: Optional[Education] = column("person", "education")
    occupation: Optional[Occupation] = column("person", "occupation")
    employer: str = column("person", "employer")

    @strawberry.field(description=describe("person", "political_status"))
    def political_status(self: models.Person, info: Info) -> Optional[PoliticalStatus]:
        return info.context.reveal("person", "political_status", self, self.political_status)

    @strawberry.field(description=describe("person", "religion"))
    def religion(self: models.Person, info: Info) -> Optional[Religion]:
        return info.context.reveal("person", "religion", self, self.religion)

    @strawberry.field(description="The identity document's number; masked where you were not granted "
                                  "`person.id_number`: a GB 11643 number keeps its area and check digit "
                                  "(`340223***********2`), any other its first and last character.")
    def id_number(self: models.Person, info: Info) -> str:
        return info.context.reveal("person", "id_number", self, self.id_number)

    @strawberry.field(description="Carried by the identity number: null where you were not granted "
                                  "`person.id_number` (it would give back the masked digits). `birthYear` is "
                                  "always shown.")
    def birth_date(self: models.Person, info: Info) -> Optional[date]:
        return info.context.reveal("person", "birth_date", self, self.birth_date)

    @strawberry.field(description="Carried by the identity number (the parity of its 17th digit): null "
                                  "where you were not granted `person.id_number`.")
    def gender(self: models.Person, info: Info) -> Optional[Gender]:
        return info.context.reveal("person", "gender", self, self.gender)

    @strawberry.field(description="The year of birth, shown to everyone who may read the person: with "
                                  "the masked identity number it leaves over 30,000 candidates.")
    def birth_year(self: models.Person) -> int:
        return self.birth_date.year

    @strawberry.field(description="Masked (`138****5678`) where you were not granted `person.phone`.")
    def phone(self: models.Person, info: Info) -> Optional[str]:
        return info.context.reveal("person", "phone", self, self.phone)

    @strawberry.field(description="Tag paths: care/…, key/…, role/…. Key-person tags (key/…) "
                                  "appear only where you were granted `person.key_tags`.")
    async def tags(self: models.Person, info: Info) -> list[str]:
        tags = [t.tag for t in await load_by(info, "person_tag", "person_id", self.id)]
        if not any(is_key_tag(t) for t in tags):
            return tags
        return info.context.reveal("person", "tags", self, tags)

    @strawberry.field(description="The grid (or other region) the person belongs to.")
    async def region(self: models.Person, info: Info) -> Optional[RegionRef]:
        return await load(info, "region", self.region_id)

    @strawberry.field(description="The household (户) the person is a member of; null if none.")
    async def household(self: models.Person, info: Info) -> Optional[HouseholdRef]:
        return await load(info, "household", self.household_id)

    @strawberry.field(description="Where the person lives now.")
    async def residence(self: models.Person, info: Info) -> Optional[PlaceRef]:
        return await load(info, "place", self.residence_id)

    residences = relation_field(ResidenceRef, RELATIONS["person", "residences"],
                                description="Every stay, newest first (人来登记、人走注销).")
    events = relation_field(EventRef, RELATIONS["person", "events"],
                            description="Events the person is involved in that you may read, newest first.")

    @strawberry.field(description="The person's roles in organisations.")
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
    code: str = column("household", "code")

    @strawberry.field(description="The region the household belongs to.")
    async def region(self: models.Household, info: Info) -> Optional[RegionRef]:
        return await load(info, "region", self.region_id)

    @strawberry.field(description="The head of the household (户主); null if not recorded.")
    async def head(self: models.Household, info: Info) -> Optional[Person]:
        return await load(info, "person", self.head_id)

    @strawberry.field(description="The house the household lives in; null if not recorded.")
    async def place(self: models.Household, info: Info) -> Optional[PlaceRef]:
        return await load(info, "place", self.place_id)

    joint_unit = HOUSEHOLD_FIELDS["joint_unit"]

    @strawberry.field(description="The persons of the household, the head included.")
    async def members(self: models.Household, info: Info) -> list[Person]:
        return await load_by(info, "person", "household_id", self.id)


@strawberry.type(description="A stay of a person at a place.")
class Residence:
    started_on: date = column("residence", "started_on")
    ended_on: Optional[date] = column("residence", "ended_on")
    expires_on: Optional[date] = column("residence", "expires_on")
    note: str = column("residence", "note")

    @strawberry.field(description="Who stayed.")
    async def person(self: models.Residence, info: Info) -> Optional[PersonRef]:
        return await load(info, "person", self.person_id)

    @strawberry.field(description="Where they stayed.")
    async def place(self: models.Residence, info: Info) -> Optional[PlaceRef]:
        return await load(info, "place", self.place_id)

    @strawberry.field(description="The landlord of a rented house; null otherwise.")
    async def landlord(self: models.Residence, info: Info) -> Optional[PersonRef]:
        return await load(info, "person", self.landlord_id)
