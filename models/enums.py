"""Closed vocabularies of the domain (DOMAIN.md). The GraphQL enums reuse these classes."""

from enum import Enum


class Tier(str, Enum):
    COUNTY = "county"
    TOWN = "town"
    COMMUNITY = "community"
    TOTAL_GRID = "total_grid"
    GRID = "grid"
    MICRO_GRID = "micro_grid"


class Gender(str, Enum):
    MALE = "male"
    FEMALE = "female"


class PopulationType(str, Enum):
    REGISTERED = "registered"
    FLOATING = "floating"
    OVERSEAS = "overseas"


class IdType(str, Enum):
    """The identity document a person is registered by (证件类型); the number's rules follow
    it (resolvers.identity_documents)."""

    RESIDENT_ID = "resident_id"  # 居民身份证 (GB 11643)
    HK_MACAO_RESIDENCE_PERMIT = "hk_macao_residence_permit"  # 港澳居民居住证 (810000/820000)
    TAIWAN_RESIDENCE_PERMIT = "taiwan_residence_permit"  # 台湾居民居住证 (830000)
    HK_MACAO_TRAVEL_PERMIT = "hk_macao_travel_permit"  # 港澳居民来往内地通行证 (回乡证)
    TAIWAN_TRAVEL_PERMIT = "taiwan_travel_permit"  # 台湾居民来往大陆通行证 (台胞证)
    PASSPORT = "passport"  # 护照, with its nationality
    FOREIGN_PERMANENT_RESIDENCE = "foreign_permanent_residence"  # 外国人永久居留身份证 (2017 and 2023)


class HouseholdRelation(str, Enum):
    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    GRANDCHILD = "grandchild"
    SIBLING = "sibling"
    OTHER = "other"


class PlaceKind(str, Enum):
    HOUSE = "house"
    BUILDING = "building"
    COMPOUND = "compound"
    UNIT = "unit"
    SHOP = "shop"
    SCHOOL = "school"
    RENTAL_HOUSE = "rental_house"
    PUBLIC_PLACE = "public_place"
    OFFICE = "office"
    FACTORY = "factory"
    OTHER = "other"


class EventKind(str, Enum):
    DISPUTE = "dispute"
    HAZARD = "hazard"
    REQUEST = "request"
    VISIT = "visit"


class EventSource(str, Enum):
    PATROL = "patrol"
    SNAPSHOT = "snapshot"
    HOTLINE = "hotline"
    VIDEO = "video"
    DEPARTMENT = "department"


class EventStatus(str, Enum):
    REPORTED = "reported"
    ACCEPTED = "accepted"
    DISPATCHED = "dispatched"
    HANDLING = "handling"
    EXTENSION_REQUESTED = "extension_requested"
    RETURNED = "returned"
    PARKED = "parked"
    RESOLVED = "resolved"
    VERIFIED = "verified"
    CLOSED = "closed"
    REJECTED = "rejected"


class Urgency(str, Enum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


class ThingKind(str, Enum):
    MANHOLE_COVER = "manhole_cover"
    HYDRANT = "hydrant"
    STREET_LAMP = "street_lamp"
    TRANSFORMER_BOX = "transformer_box"
    TRAFFIC_SIGN = "traffic_sign"
    GUARDRAIL = "guardrail"
    BUS_SHELTER = "bus_shelter"
    PUBLIC_TOILET = "public_toilet"
    BIN = "bin"
    GREENERY = "greenery"
    ELEVATOR = "elevator"
    FITNESS_EQUIPMENT = "fitness_equipment"
    CAMERA = "camera"
    OTHER = "other"


class ThingStatus(str, Enum):
    NORMAL = "normal"
    DAMAGED = "damaged"
    UNDER_REPAIR = "under_repair"


class OrganisationKind(str, Enum):
    PARTY_BRANCH = "party_branch"
    PARTY_GROUP = "party_group"
    GOVERNMENT = "government"
    ENTERPRISE = "enterprise"
    SELF_EMPLOYED = "self_employed"
    SOCIAL = "social"
    PROPERTY_MANAGEMENT = "property_management"
    OWNERS_COMMITTEE = "owners_committee"
    VOLUNTEER_TEAM = "volunteer_team"
    SCHOOL = "school"


class StaffRole(str, Enum):
    """1+1+N: one grid leader, one grid worker, N others."""

    LEADER = "leader"
    WORKER = "worker"
    POLICE = "police"
    PARTY_MEMBER = "party_member"
    VOLUNTEER = "volunteer"
    LIAISON = "liaison"


class ResponsibleRole(str, Enum):
    """1+3+N around a key person: a cadre, a police officer and the grid worker, then others."""

    CADRE = "cadre"
    POLICE = "police"
    GRID_WORKER = "grid_worker"
    FAMILY = "family"
    VOLUNTEER = "volunteer"
    OTHER = "other"
