"""What Gridhub stores: one module per kind. Models never know about users or GraphQL."""

from .base import RegionalRow, Row
from .event import Event, EventLog, EventPerson, EventThing
from .organisation import Membership, Organisation
from .person import Household, Person, PersonTag, Residence
from .place import Place
from .region import Department, Region
from .thing import Thing

__all__ = [
    "Department", "Event", "EventLog", "EventPerson", "EventThing", "Household", "Membership",
    "Organisation", "Person", "PersonTag", "Place", "Region", "RegionalRow", "Residence", "Row",
    "Thing",
]
