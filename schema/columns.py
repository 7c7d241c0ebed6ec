"""What each stored column of a kind means, said once: the object types (`Person.name`) and
the mutation inputs (`PersonCreateInput.name`) both take their descriptions from here."""

import strawberry

_COORDINATES = "decimal degrees (WGS 84); null where not located."

COLUMNS: dict[str, dict[str, str]] = {
    "row": {
        "created_at": "When the row was created.",
        "updated_at": "When the row last changed; `updatedSince` filters on it for incremental sync.",
        "deleted_at": "When the row was soft-deleted; null while it is live. Lists leave deleted rows out; "
                      "the delete mutation answers the row with it set, and pulls report it as a tombstone.",
        "version": "Bumped by every change; an update names the version it read (CONFLICT if stale).",
    },
    "region": {
        "code": "Division code, each tier extending its parent's: county 6 digits, town 9, village or "
                "community 12 (GB/T 2260 lineage), then 3 more for a grid and 3 for a micro-grid (CJ/T 349).",
        "name": "Name, such as 籍山镇 or 第一网格.",
        "tier": "The level in the tree.",
        "depth": "Distance from the root county (0).",
        "boundary": "Boundary polygon as GeoJSON geometry in decimal degrees; null where not drawn.",
        "parent_id": "The region one tier up: a grid's parent is a community or village, never a town.",
    },
    "department": {
        "code": "Short code of the department, such as `public_security`.",
        "name": "Name, such as 公安 or 民政.",
    },
    "person": {
        "id_type": "The identity document (证件类型); a resident identity card when left out.",
        "id_number": "The document's number, unique per document type; a resident identity number is 18 "
                     "characters, GB 11643 (area code, birth date, sequence, check digit, `X` allowed last).",
        "nationality": "The holder's nationality, ISO 3166-1 alpha-3 (`CHN`, `KOR`); taken from the document "
                       "where it says, required with a passport.",
        "name": "Full name.",
        "region_id": "The grid (or other region) the person belongs to.",
        "gender": "Gender; derived from the document's number when it carries it, required otherwise.",
        "birth_date": "Date of birth; derived from the document's number when it carries it, required "
                      "otherwise.",
        "ethnicity": "Ethnic group, one of GB/T 3304's 56 (`汉族`, `回族`, …).",
        "phone": "Mobile or landline number, digits only.",
        "registered_address": "Household registration (户籍) address, as free text; empty if unknown.",
        "population_type": "Registered, floating or overseas.",
        "household_id": "The household (户) the person is a member of.",
        "relation_to_head": "Relation to the head of the household; null if not in a household.",
        "former_names": "Former names 曾用名, separated by `、`; empty if none.",
        "native_place": "Native place 籍贯 as a division code of GB/T 2260 (6 digits: a province, a prefecture or "
                        "a county, such as `340223`), checked against the official list; null if not recorded.",
        "marital_status": "Marital status (GB/T 2261.2); null if not recorded.",
        "political_status": "Political status 政治面貌 (GB/T 4762); null if not recorded. Sensitive: null where you "
                            "were not granted `person.political_status`.",
        "education": "Highest education 学历 (GB/T 4658); null if not recorded.",
        "religion": "Religious belief 宗教信仰 (GA 214.12); null if not recorded. Sensitive: null where you were "
                    "not granted `person.religion`.",
        "occupation": "Occupation 职业, a major group of GB/T 6565; null if not recorded.",
        "employer": "Employer or place of work 服务处所, as free text; empty if none.",
        "tags": "Tag paths such as `care/low_income`, `key/drug` or `role/volunteer`; writing `key/…` "
                "tags needs the `person.key_tags` grant.",
        "last_care_visit_at": "The last care visit (关爱走访); null if none.",
        "care_visit_due_at": "When the next care visit is due by the care rules (`visitRules`, the shortest "
                             "interval of the person's care tags); null without a care rule.",
    },
    "household": {
        "code": "Household registration code.",
        "region_id": "The region the household belongs to.",
        "place_id": "The house the household lives in.",
        "head_id": "The head of the household (户主).",
    },
    "place": {
        "code": "Standard address code, unique.",
        "name": "Name as people say it: `梅林雅居1幢2单元301室`, `城关小学`.",
        "kind": "What the place is.",
        "region_id": "The grid (or other region) the place lies in. On create, absent: the region whose boundary holds `longitude`, `latitude` (`regionAt`).",
        "usage": "What the place is used for (`住宅`, `餐饮`, …); empty if unknown.",
        "address": "Standard address (一标) as text: street, number, compound, building, unit, room.",
        "compound": "Compound or residential estate 小区; empty if none.",
        "building": "Building number 幢 within the compound; empty if none.",
        "unit": "Unit 单元 within the building; empty if none.",
        "floor": "Floor; empty if none.",
        "room": "Room 室 number; empty if none.",
        "owner_name": "Name of the owner, as registered; empty if unknown.",
        "parent_id": "The place it lies in (小区 → 楼栋 → 单元 → 房屋): a room's unit, a unit's building, a "
                     "building's compound. Moving a place moves everything under it; a place cannot lie within "
                     "itself (BAD_USER_INPUT).",
        "landlord_id": "The landlord, for a rented house (出租房).",
        "longitude": "Longitude in " + _COORDINATES,
        "latitude": "Latitude in " + _COORDINATES,
        "address_code": "Standard address code (一标), the content of the place's QR code: digits and "
                        "upper-case letters; made from the region's code and a serial when left out.",
    },
    "event": {
        "title": "One-line summary.",
        "kind": "Dispute, hazard, request or visit.",
        "category": "Category path from the category tree, such as `safety/fire` (see `eventCategories`).",
        "source": "How the event was reported.",
        "occurred_at": "When it happened (not when it was reported: that is `createdAt`).",
        "region_id": "The grid the event is reported in. On create, absent: the region whose boundary holds `longitude`, `latitude` (`regionAt`).",
        "description": "What happened, in full; empty if nothing beyond the title.",
        "reporter_id": "The resident who reported it, when known to the hub.",
        "reporter_name": "Name of the reporter as given (a hotline caller, say); empty if anonymous.",
        "place_id": "Where it happened, when at a known place.",
        "longitude": "Longitude of where it happened, in " + _COORDINATES,
        "latitude": "Latitude of where it happened, in " + _COORDINATES,
        "urgency": "How urgent it is; NORMAL when left out.",
        "attachments": "Links to photos, recordings and documents, as URLs.",
        "person_ids": "Persons involved (parties of a dispute, the person visited, …).",
        "thing_ids": "Things involved (the broken lamp, the missing manhole cover, …).",
        "status": "Where the event is in its workflow; changed only by the workflow mutations.",
        "closed_at": "When it was closed (销号) or rejected; null while open.",
        "satisfaction": "The reporter's satisfaction at closing, 1 (poor) to 5 (very satisfied); null "
                        "until closed.",
    },
    "thing": {
        "code": "Component code, unique.",
        "name": "Name, such as `城关路12号路灯`.",
        "kind": "What kind of facility or component it is.",
        "region_id": "The grid (or other region) it stands in. On create, absent: the region whose boundary holds `longitude`, `latitude` (`regionAt`).",
        "status": "Its condition; NORMAL when left out.",
        "owner_id": "The organisation that owns it.",
        "department_id": "The department responsible for it.",
        "place_id": "Where it is, when at a known place.",
        "longitude": "Longitude in " + _COORDINATES,
        "latitude": "Latitude in " + _COORDINATES,
        "last_inspected_at": "When it was last inspected; null if never.",
    },
    "organisation": {
        "name": "Registered name.",
        "kind": "What kind of organisation it is.",
        "region_id": "The region it belongs to.",
        "credit_code": "Unified social credit code: 18 characters with check digit (GB 32100); null for "
                       "organisations without one (party groups, volunteer teams).",
        "legal_representative": "Name of the legal representative 法定代表人; empty if none.",
        "place_id": "Its address, a place.",
    },
    "membership": {
        "role": "Role in the organisation, free text (`member` unless given: 书记, 志愿者, …).",
        "started_on": "When the membership began; null if unknown.",
        "ended_on": "When it ended; null while it lasts.",
    },
    "residence": {
        "started_on": "Moved in (人来登记).",
        "ended_on": "Moved out (人走注销); null while the person still lives there.",
        "expires_on": "When a newcomer's residence registration (居住登记) lapses unless renewed "
                      "(`renewResidence`); null for a registered resident's own home.",
        "note": "Free-text note of the registration; empty if none.",
    },
}


def describe(kind: str, column: str) -> str:
    return COLUMNS[kind][column]


def column(kind: str, name: str, **kwargs):
    """A strawberry field for a stored column, described from the table."""
    return strawberry.field(description=describe(kind, name), **kwargs)
