"""The sensitivity model (policies/sensitivity.py) as units: each mask, exactly, on the values
validation stores; which tags are key-person tags; where comparing on a field is allowed.
Over HTTP the same rules are met by tests/test_policy_cases.py and tests/test_audit.py."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from gridhub.policies.compiler import compile_scope
from gridhub.policies.predicate import FALSE
from gridhub.policies.sensitivity import (SENSITIVE, NotRevealed, comparable_where, governing, is_key_tag,
                                          mask_of)

# kind, field, value, how it looks where not granted
MASKED = [
    ("person", "id_number", "341823199001019615", "341823***********5"),
    ("person", "id_number", "34182319900101961X", "341823***********X"),
    ("person", "phone", "13812345678", "138****5678"),
    ("person", "phone", "0551-62345678", "055******5678"),  # a landline keeps the same 3 + 4
    ("person", "phone", "", ""),  # nothing to mask
    ("person", "birth_date", "1990-01-01", None),
    ("person", "gender", "MALE", None),
    ("person", "tags", ["key/drug", "care/elderly", "key", "keynote", "monkey", "care/key"],
     ["care/elderly", "keynote", "monkey", "care/key"]),
    ("person", "tags", [], []),
]


@pytest.mark.parametrize("kind, field_name, value, masked", MASKED)
def test_each_mask_exactly(kind, field_name, value, masked):
    assert mask_of(kind, field_name).python(value) == masked


# a flat's address shows its compound and building; unit, floor and room each make it a flat
FLAT = dict(compound="梅林雅居", building="1", unit="2", floor="3", room="301")
PLACES = [
    (FLAT, "梅林雅居1幢"),
    ({**FLAT, "floor": "", "room": ""}, "梅林雅居1幢"),  # a unit alone is inside a building
    ({**FLAT, "unit": "", "room": ""}, "梅林雅居1幢"),
    ({**FLAT, "unit": "", "floor": ""}, "梅林雅居1幢"),
    ({**FLAT, "building": ""}, "梅林雅居"),
    ({**FLAT, "unit": "", "floor": "", "room": ""}, "梅林雅居1幢2单元301室"),  # no flat: shown as it is
]


@pytest.mark.parametrize("columns, shown", PLACES)
def test_an_address_is_shown_up_to_its_building(columns, shown):
    row = SimpleNamespace(**columns)
    assert mask_of("place", "address").python("梅林雅居1幢2单元301室", row) == shown
    assert mask_of("place", "name").python("梅林雅居1幢2单元301室", row) == shown
    for withheld in ("unit", "floor", "room"):
        assert mask_of("place", withheld).python(columns[withheld] or "x", row) is None


@pytest.mark.parametrize("tag, key", [("key", True), ("key/drug", True), ("key/petition/major", True),
                                      ("keynote", False), ("monkey", False), ("care/key", False),
                                      ("Key", False), ("", False)])
def test_which_tags_are_key_person_tags(tag, key):
    assert is_key_tag(tag) is key


def test_derived_fields_are_governed_by_their_value():
    assert governing("person", "birth_date").grant == governing("person", "gender").grant == "person.id_number"
    assert governing("person", "tags").grant == "person.key_tags"
    assert governing("place", "room").grant == "place.address"
    assert governing("person", "name") is None and governing("event", "phone") is None


def test_the_catalog_cannot_be_changed_at_run_time():
    """Declared once: no request can widen a mask or rename a grant for the next one."""
    for sensitive in SENSITIVE:
        with pytest.raises(dataclasses.FrozenInstanceError):
            sensitive.name = "anything"
        for mask in sensitive.fields.values():
            with pytest.raises(dataclasses.FrozenInstanceError):
                mask.head = 0


# who, field, where comparing is allowed: "nowhere" (FORBIDDEN), "plain" (any row), or the
# anchors whose rows it is allowed on and those it is not
COMPARING = [
    ("worker", "id_number", ("grid",), ("sibling_grid", "town2")),
    ("worker", "birth_date", ("grid",), ("sibling_grid",)),
    ("worker", "phone", ("grid",), ("grid_prefix_trap",)),
    ("county", "id_number", "nowhere", None),
    ("county", "gender", "nowhere", None),
    ("county", "name", "plain", None),
    ("police", "phone", ("grid", "sibling_grid", "town2"), ()),
    ("civil", "key_tags", "nowhere", None),
]


@pytest.mark.parametrize("who, field_name, allowed, refused", COMPARING)
async def test_where_comparing_on_a_field_is_allowed(app, anchors, who, field_name, allowed, refused):
    from gridhub import models

    user = await models.User.get(username=who)
    scope = compile_scope(app.state.store, who, {"department_id": user.department_id})
    field_name = "tags" if field_name == "key_tags" else field_name
    if allowed == "nowhere":
        with pytest.raises(NotRevealed) as refusal:
            comparable_where(scope, "person", field_name)
        assert refusal.value.field_name == field_name
        return
    where = comparable_where(scope, "person", field_name)
    if allowed == "plain":
        assert where is None
        return
    assert where is not None and where != FALSE

    def at(anchor: str):
        path = anchors["grid"][:-1] + "0/" if anchor == "grid_prefix_trap" else anchors[anchor] + "001/"
        return SimpleNamespace(region_path=path)

    assert [where.matches(at(a)) for a in allowed] == [True] * len(allowed)
    assert [where.matches(at(a)) for a in refused] == [False] * len(refused)
