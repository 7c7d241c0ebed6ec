from datetime import date

import pytest

from gridhub.resolvers import validation as v
from gridhub.resolvers.errors import BadInput


def make_id(prefix17: str) -> str:
    return prefix17 + v.id_number_check_digit(prefix17)


@pytest.mark.parametrize("value", ["11010519491231002X", make_id("34182319850214003"), make_id("65212320001231999")])
def test_valid_identity_numbers(value):
    assert v.check_id_number(value.lower()) == value.upper()


@pytest.mark.parametrize("value, why", [
    ("110105194912310021", "check digit"),
    ("11010519491231002", "17 digits"),
    ("1101051949123100AX", "17 digits"),
    (make_id("34182319851332003"), "birth date"),
    (make_id("34182321990101003"), "out of range"),
])
def test_invalid_identity_numbers(value, why):
    with pytest.raises(BadInput, match=why) as e:
        v.check_id_number(value)
    assert e.value.field == "idNumber"


def test_identity_number_gives_birth_date_and_gender():
    value = make_id("34182319850214003")
    assert v.birth_date_of(value) == date(1985, 2, 14)
    assert v.gender_of(value) == "male"
    assert v.gender_of(make_id("34182319850214004")) == "female"


@pytest.mark.parametrize("value", ["91350100M000100Y43", "91110000600037341L"])
def test_valid_credit_codes(value):
    assert v.check_credit_code(value) == value


@pytest.mark.parametrize("value", ["91350100M000100Y44", "91350100M000100Y4", "91350100I000100Y43"])
def test_invalid_credit_codes(value):
    with pytest.raises(BadInput) as e:
        v.check_credit_code(value)
    assert e.value.field == "creditCode"


@pytest.mark.parametrize("value, expected", [
    ("13812345678", "13812345678"), ("138 1234 5678", "13812345678"), ("0553-1234567", "05531234567"),
    ("", None), (None, None),
])
def test_phones(value, expected):
    assert v.check_phone(value) == expected


@pytest.mark.parametrize("value", ["12812345678", "1381234567", "phone", "+8613812345678x"])
def test_bad_phones(value):
    with pytest.raises(BadInput):
        v.check_phone(value)


@pytest.mark.parametrize("lon, lat, field", [(181, 30, "longitude"), (118, -91, "latitude"), (None, 30, "longitude")])
def test_bad_coordinates(lon, lat, field):
    with pytest.raises(BadInput) as e:
        v.check_coordinates(lon, lat)
    assert e.value.field == field
