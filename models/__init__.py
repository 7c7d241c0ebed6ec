"""What Gridhub stores: one module per kind. Models never know about users or GraphQL."""

from .access import AuditEntry, CasbinRule, PolicyState, ServiceToken, User
from .base import RegionalRow, Row
from .category import EventCategory
from .event import Event, EventLog, EventPerson, EventThing
from .notice import Notice, NoticeRead, Webhook, WebhookDelivery
from .organisation import Membership, Organisation
from .person import Household, Person, PersonTag, Residence, VocabularyTag
from .place import Place, PlaceTree
from .programmes import JointHouseholdUnit, ServicePost, VolunteerActivity, VolunteerHours
from .region import Department, Region, RegionMove
from .staffing import KeyPersonResponsibility, StaffAssignment, VisitRule
from .thing import Thing
from .transfer import ResidenceTransfer
from .trusted import TrustedDocument

__all__ = [
    "AuditEntry", "CasbinRule", "PolicyState", "ServiceToken", "User", "Department", "Event", "EventCategory", "EventLog", "EventPerson", "EventThing", "Household", "Membership",
    "Organisation", "Person", "PersonTag", "Place", "PlaceTree", "Region", "RegionMove", "RegionalRow", "Residence", "Row",
    "Thing", "StaffAssignment", "KeyPersonResponsibility", "VisitRule", "Notice", "NoticeRead", "Webhook",
    "WebhookDelivery", "TrustedDocument", "ResidenceTransfer", "VocabularyTag", "JointHouseholdUnit", "ServicePost",
    "VolunteerActivity", "VolunteerHours",
]
