from tortoise import fields

from .base import RegionalRow, Row
from .enums import (
    Education, Gender, HouseholdRelation, IdType, MaritalStatus, Occupation, PoliticalStatus, PopulationType,
    Religion,
)


class Household(RegionalRow):
    """户: a registered household. Its members are the persons pointing at it."""

    code = fields.CharField(max_length=32, unique=True)
    place = fields.ForeignKeyField(
        "gridhub.Place", related_name=False, null=True, db_index=True, on_delete=fields.SET_NULL
    )
    head = fields.ForeignKeyField(
        "gridhub.Person", related_name=False, null=True, db_index=True, on_delete=fields.SET_NULL
    )
    # the 双联户 unit the household belongs to (models.programmes); null if none
    joint_unit = fields.ForeignKeyField(
        "gridhub.JointHouseholdUnit", related_name=False, null=True, db_index=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "household"


class Person(RegionalRow):
    # the identity document (证件): its type, its number and its holder's nationality (ISO 3166-1
    # alpha-3), unique together: passport numbers are unique only within the issuing state
    # (resolvers.write.identity_documents checks each type's rules)
    id_type = fields.CharEnumField(IdType, max_length=32, default=IdType.RESIDENT_ID,
                                   db_default=IdType.RESIDENT_ID.value)
    id_number = fields.CharField(max_length=32)
    nationality = fields.CharField(max_length=3, default="CHN", db_default="CHN")
    name = fields.CharField(max_length=64, db_index=True)
    gender = fields.CharEnumField(Gender, max_length=8, db_index=True)
    birth_date = fields.DateField(db_index=True)
    ethnicity = fields.CharField(max_length=32, default="汉族")
    phone = fields.CharField(max_length=20, null=True)
    registered_address = fields.CharField(max_length=255, default="")
    residence = fields.ForeignKeyField(
        "gridhub.Place", related_name=False, null=True, db_index=True, on_delete=fields.SET_NULL
    )
    household = fields.ForeignKeyField(
        "gridhub.Household", related_name=False, null=True, db_index=True, on_delete=fields.SET_NULL
    )
    relation_to_head = fields.CharEnumField(HouseholdRelation, max_length=16, null=True)
    population_type = fields.CharEnumField(
        PopulationType, max_length=16, default=PopulationType.REGISTERED, db_index=True
    )
    # GB/T 31000's basic data of 实有人口 beyond identity (schema.columns says what each holds);
    # null where not recorded. Religion and political status are sensitive (policies.sensitivity).
    former_names = fields.CharField(max_length=255, default="", db_default="")
    native_place = fields.CharField(max_length=6, null=True, db_index=True)  # 籍贯: a GB/T 2260 code
    marital_status = fields.CharEnumField(MaritalStatus, max_length=24, null=True)
    political_status = fields.CharEnumField(PoliticalStatus, max_length=24, null=True)
    education = fields.CharEnumField(Education, max_length=24, null=True)
    religion = fields.CharEnumField(Religion, max_length=24, null=True)
    occupation = fields.CharEnumField(Occupation, max_length=24, null=True)
    employer = fields.CharField(max_length=128, default="", db_default="")
    # Kept by resolvers.domain.visits whenever a visit is recorded or the tags change: a list of
    # overdue visits is then an indexed comparison, not a scan of every visit.
    last_visited_at = fields.DatetimeField(null=True)
    visit_due_at = fields.DatetimeField(null=True, db_index=True,
                                        description="when the next visit (走访) is due, by the visit rules")
    # Care work (关爱走访) apart from key-person work: its due time follows the care tags only and
    # care visits only, so whoever reads the person may see it without learning who is a key person
    last_care_visit_at = fields.DatetimeField(null=True)
    care_visit_due_at = fields.DatetimeField(null=True, db_index=True,
                                             description="when the next care visit (关爱走访) is due, by the care rules")

    class Meta:
        table = "person"
        unique_together = (("id_type", "nationality", "id_number"),)


class PersonTag(RegionalRow):
    """One tag path of a person (care/low_income, key/drug, role/volunteer).

    A link table rather than a JSON column, so the same SQL filters tags on SQLite and
    PostgreSQL. It carries the person's region_path so that tag counts are scoped too."""

    person = fields.ForeignKeyField("gridhub.Person", related_name=False, db_index=True, on_delete=fields.CASCADE)
    tag = fields.CharField(max_length=64, db_index=True)

    class Meta:
        table = "person_tag"
        unique_together = (("person", "tag"),)


class Residence(RegionalRow):
    """A stay of a person at a place (人来登记、人走注销). ended_on is null while it lasts."""

    person = fields.ForeignKeyField("gridhub.Person", related_name=False, db_index=True, on_delete=fields.CASCADE)
    place = fields.ForeignKeyField("gridhub.Place", related_name=False, db_index=True, on_delete=fields.RESTRICT)
    landlord = fields.ForeignKeyField(
        "gridhub.Person", related_name=False, null=True, db_index=True, on_delete=fields.SET_NULL
    )
    started_on = fields.DateField()
    ended_on = fields.DateField(null=True, db_index=True)
    # 居住登记: a newcomer's registration lapses unless renewed; null for a registered
    # resident's own home (resolvers.domain.residence)
    expires_on = fields.DateField(null=True, db_index=True)
    note = fields.CharField(max_length=255, default="")

    class Meta:
        table = "residence"


class VocabularyTag(Row):
    """A tag of the vocabulary (resolvers.domain.vocabulary) with its Chinese label, edited by policy
    admins. A tag persons carry is never removed, only retired: no longer given, still shown
    and filtered on."""

    tag = fields.CharField(max_length=64, unique=True)
    label = fields.CharField(max_length=64)
    retired_at = fields.DatetimeField(null=True)

    class Meta:
        table = "vocabulary_tag"
