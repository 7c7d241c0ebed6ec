from datetime import date, datetime
from typing import Optional

import strawberry
from strawberry.relay import NodeID
from strawberry.types import Info

from gridhub import models

from . import keyperson
from .columns import column, describe
from .enums import (
    Education, Gender, HouseholdRelation, IdType, MaritalStatus, Occupation, PoliticalStatus, PopulationType,
    Religion,
)
from .filters import RowFilter, with_column_filters
from .spatial import LocatedFilter
from .node import ModelNode, Versioned, load_by
from .relations import with_relations


@strawberry.input(description="Conditions on persons; they combine with AND. Conditions on masked values "
                              "(gender, key tags) look only where you were granted them, FORBIDDEN where "
                              "nowhere.")
@with_column_filters("person")
class PersonFilter(RowFilter, LocatedFilter):
    tags: Optional[list[str]] = strawberry.field(
        default=None, description="Any of these tag paths; `care` matches `care/low_income`.")
    due_for_renewal: Optional[bool] = strawberry.field(
        default=None, description="Persons whose residence registration (居住登记) lapses within 30 days or "
                                  "has lapsed (true), or the others (false).")
    visit_overdue: Optional[bool] = strawberry.field(
        default=None, description="Persons whose visit (走访) is past due (true) or not (false); needs the "
                                  "key-tag grant.")
    care_visit_overdue: Optional[bool] = strawberry.field(
        default=None, description="Persons whose care visit (关爱走访) is past due (true) or not (false).")
    native_place: Optional[list[str]] = strawberry.field(
        default=None, description="Native place (籍贯) under any of these division codes: `34` (a province), "
                                  "`3402` (a prefecture) or `340223` (a county) matches `340223`.")


@strawberry.input(description="Conditions on households; they combine with AND.")
class HouseholdFilter(RowFilter):
    pass


@strawberry.type(description="人: a resident, registered, floating or from overseas.")
@with_relations("person")
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
        return info.context.reveal("person", "tags", self, tags)


    responsible_staff = keyperson.PERSON_FIELDS["responsible_staff"]
    visits = keyperson.PERSON_FIELDS["visits"]
    last_visited_at = keyperson.PERSON_FIELDS["last_visited_at"]
    visit_due_at = keyperson.PERSON_FIELDS["visit_due_at"]
    visit_overdue = keyperson.PERSON_FIELDS["visit_overdue"]
    care_visits = keyperson.PERSON_FIELDS["care_visits"]
    last_care_visit_at: Optional[datetime] = column("person", "last_care_visit_at")
    care_visit_due_at: Optional[datetime] = column("person", "care_visit_due_at")
    care_visit_overdue = keyperson.PERSON_FIELDS["care_visit_overdue"]


@strawberry.type(description="户: a registered household.")
@with_relations("household")
class Household(ModelNode, Versioned):
    row_kind = "household"
    id: NodeID[int]
    code: str = column("household", "code")


@strawberry.type(description="A stay of a person at a place.")
@with_relations("residence")
class Residence:
    started_on: date = column("residence", "started_on")
    ended_on: Optional[date] = column("residence", "ended_on")
    expires_on: Optional[date] = column("residence", "expires_on")
    note: str = column("residence", "note")
