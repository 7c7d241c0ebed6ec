from datetime import date

import pytest

from gridhub.resolvers.write import validation as v
from gridhub.resolvers.errors import BadInput
from gridhub.resolvers.write.identity_documents import check_identity


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


# (document, number, nationality given) -> (nationality, birth date, gender) it carries
DOCUMENTS = [
    ("resident_id", make_id("34182319850214003"), None, "CHN", date(1985, 2, 14), "male"),
    ("resident_id", make_id("34182319850214004"), "chn", "CHN", date(1985, 2, 14), "female"),
    ("resident_id", make_id("34252919820926394"), None, "CHN", date(1982, 9, 26), "female"),  # 泾县 before 2000
    ("hk_macao_residence_permit", make_id("81000019900315123"), None, "CHN", date(1990, 3, 15), "male"),
    ("hk_macao_residence_permit", make_id("82000019900315124"), None, "CHN", date(1990, 3, 15), "female"),
    ("taiwan_residence_permit", make_id("83000019900315123"), None, "CHN", date(1990, 3, 15), "male"),
    ("hk_macao_travel_permit", "h12345678", None, "CHN", None, None),
    ("hk_macao_travel_permit", "M1234567801", None, "CHN", None, None),
    ("taiwan_travel_permit", "12345678", None, "CHN", None, None),
    ("passport", "E12345678", "CHN", "CHN", None, None),
    ("passport", "EA1234567", "CHN", "CHN", None, None),
    ("passport", "M12345678", "KOR", "KOR", None, None),
    ("passport", "123456789", "usa", "USA", None, None),
    ("foreign_permanent_residence", "KOR341234567890", None, "KOR", None, None),  # 2017
    ("foreign_permanent_residence", make_id("93441019900315123"), None, "KOR", date(1990, 3, 15), "male"),  # 2023
    ("foreign_permanent_residence", make_id("93484019900315124"), "USA", "USA", date(1990, 3, 15), "female"),
]


@pytest.mark.parametrize("id_type, number, given, nationality, born, gender", DOCUMENTS,
                         ids=[f"{d[0]}-{d[1]}" for d in DOCUMENTS])
def test_each_document_by_its_rules(id_type, number, given, nationality, born, gender):
    identity = check_identity(id_type, number, given)
    assert (identity.id_number, identity.nationality) == (number.upper(), nationality)
    assert (identity.birth_date, getattr(identity.gender, "value", None)) == (born, gender)


# (document, number, nationality given) -> the field at fault and why
REFUSED = [
    ("resident_id", "999999199003151234", None, "idNumber", "area code 999999"),  # the example
    ("resident_id", make_id("99999919900315123"), None, "idNumber", "area code 999999"),
    ("resident_id", make_id("34999919900315123"), None, "idNumber", "area code 349999"),
    ("resident_id", make_id("81000019900315123"), None, "idNumber", "area code 810000"),  # a permit's
    ("resident_id", make_id("34022319900315123"), "KOR", "nationality", "nationals of CHN"),
    ("hk_macao_residence_permit", make_id("83000019900315123"), None, "idNumber", "810000 or 820000"),
    ("hk_macao_residence_permit", "810000199003151230", None, "idNumber", "check digit"),
    ("taiwan_residence_permit", make_id("34022319900315123"), None, "idNumber", "830000"),
    ("hk_macao_travel_permit", "A12345678", None, "idNumber", "H or M"),
    ("hk_macao_travel_permit", "H1234567", None, "idNumber", "H or M"),
    ("taiwan_travel_permit", "1234567", None, "idNumber", "8 \\(or 10\\) digits"),
    ("passport", "A12345678", None, "nationality", "with its nationality"),
    ("passport", "A12345678", "XXX", "nationality", "ISO 3166"),
    ("passport", "A1234567", "CHN", "idNumber", "passport number"),
    ("passport", "A-1234", "KOR", "idNumber", "passport number"),
    ("foreign_permanent_residence", "XXX341234567890", None, "idNumber", "ISO 3166"),
    ("foreign_permanent_residence", "KOR991234567890", None, "idNumber", "province code 99"),
    ("foreign_permanent_residence", make_id("93499919900315123"), None, "idNumber", "nationality code 999"),
    ("foreign_permanent_residence", make_id("93441019900315123"), "USA", "nationality", "differs"),
    ("foreign_permanent_residence", "934410199003151230", None, "idNumber", "check digit"),
]


@pytest.mark.parametrize("id_type, number, given, field, why", REFUSED, ids=[f"{r[0]}-{r[1]}" for r in REFUSED])
def test_documents_refused_name_the_field(id_type, number, given, field, why):
    with pytest.raises(BadInput, match=why) as e:
        check_identity(id_type, number, given)
    assert e.value.field == field


@pytest.mark.parametrize("value", ["91350100M000100Y43", "91110000600037341L", "52340223MJ0000000X"[:17] + "?"])
def test_valid_credit_codes(value):
    if value.endswith("?"):
        value = value[:17] + v.credit_code_check_char(value[:17])
    assert v.check_credit_code(value) == value


@pytest.mark.parametrize("value, why", [
    ("91350100M000100Y44", "check character"), ("91350100M000100Y4", "check character"),
    ("91350100I000100Y43", "check character"),
    ("99999999MA2N0ABC1?", "99 names no registering authority"),  # the example, a valid check
    ("95340223MA2N0ABC1?", "95 names no registering authority"),
    ("91999999MA2N0ABC1?", "area 999999"),
])
def test_invalid_credit_codes(value, why):
    if value.endswith("?"):
        value = value[:17] + v.credit_code_check_char(value[:17])
    with pytest.raises(BadInput, match=why) as e:
        v.check_credit_code(value)
    assert e.value.field == "creditCode"


@pytest.mark.parametrize("value, valid", [("汉族", True), ("回族", True), ("基诺族", True), ("外国血统", True),
                                          ("火星族", False), ("汉", False), ("", False)])
def test_ethnic_groups_of_gb_t_3304(value, valid):
    if valid:
        assert v.check_ethnicity(value) == value
    else:
        with pytest.raises(BadInput, match="GB/T 3304"):
            v.check_ethnicity(value)


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
