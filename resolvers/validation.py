"""Checks on what callers write. Each raises BadInput naming the offending field."""

from __future__ import annotations

import re
from datetime import date

from .civil_time import today
from .errors import BadInput
from .vocabulary import TAG_GROUPS, TAGS

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def birth_date_of(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def gender_of(id_number: str) -> str:
    return "male" if int(id_number[16]) % 2 else "female"


def check_id_number(value: str, field: str = "idNumber") -> str:
    """GB 11643: 17 digits (region, birth date, sequence) and an ISO 7064 MOD 11-2 check."""
    value = (value or "").strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise BadInput("an identity number is 17 digits and a check digit (0-9 or X)", field=field)
    try:
        born = birth_date_of(value)
    except ValueError:
        raise BadInput("the identity number holds no valid birth date", field=field) from None
    if born > today() or born.year < 1880:
        raise BadInput("the identity number's birth date is out of range", field=field)
    if id_number_check_digit(value[:17]) != value[17]:
        raise BadInput("the identity number's check digit is wrong", field=field)
    return value


_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS))
    return _CREDIT_CHARS[(31 - total % 31) % 31]


def check_credit_code(value: str, field: str = "creditCode") -> str:
    """GB 32100 unified social credit code: 18 characters of a 31-letter alphabet with a
    MOD 31 check character; the first two name the registering authority and kind."""
    value = (value or "").strip().upper()
    if len(value) != 18 or any(c not in _CREDIT_CHARS for c in value):
        raise BadInput("a social credit code is 18 characters of 0-9 and A-Y without I, O, S, V, Z",
                       field=field)
    if credit_code_check_char(value[:17]) != value[17]:
        raise BadInput("the social credit code's check character is wrong", field=field)
    return value


def check_phone(value: str | None, field: str = "phone") -> str | None:
    """A mainland mobile (1[3-9] and 9 digits) or a landline with area code."""
    if value is None or value == "":
        return None
    compact = re.sub(r"[\s-]", "", value)
    if re.fullmatch(r"1[3-9]\d{9}", compact) or re.fullmatch(r"0\d{2,3}\d{7,8}", compact):
        return compact
    raise BadInput("a phone is an 11-digit mobile number or a landline with its area code", field=field)


def check_coordinates(longitude: float | None, latitude: float | None) -> None:
    if (longitude is None) != (latitude is None):
        raise BadInput("longitude and latitude go together", field="longitude" if longitude is None else "latitude")
    if longitude is not None and not -180 <= longitude <= 180:
        raise BadInput("longitude lies between -180 and 180", field="longitude")
    if latitude is not None and not -90 <= latitude <= 90:
        raise BadInput("latitude lies between -90 and 90", field="latitude")


def check_text(value: str | None, field: str, *, required: bool = False, max_length: int = 255) -> None:
    if value is None:
        if required:
            raise BadInput(f"{field} is required", field=field)
        return
    if required and not value.strip():
        raise BadInput(f"{field} must not be blank", field=field)
    if len(value) > max_length:
        raise BadInput(f"{field} is longer than {max_length} characters", field=field)


def check_path(path: str, field: str) -> str:
    """A category path: lower-case words joined by `/` (safety/fire)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*(/[a-z0-9_]+)*", path or ""):
        raise BadInput(f"not a path: {path!r} (like safety/fire)", field=field)
    return path


def check_tag(tag: str, field: str = "tags") -> str:
    """A tag a person may carry: a path of the vocabulary, exactly as written there."""
    if tag not in TAGS:
        raise BadInput(f"not a tag of the vocabulary: {tag!r} (like care/low_income)", field=field)
    return tag


def check_tag_filter(tag: str, field: str = "tags") -> str:
    """A tag to filter by: a path of the vocabulary or a group of them (`care`)."""
    if tag not in TAGS and tag not in TAG_GROUPS:
        raise BadInput(f"not a tag or tag group of the vocabulary: {tag!r} (like care or care/low_income)",
                       field=field)
    return tag


# /341823/341823100/341823100001/001/: the digits of each tier's code between slashes
_REGION_PATH = re.compile(r"(/[0-9]+)+/")


def check_region_path(path, field: str = "regionPath") -> str:
    """Region paths are compared exactly: no wildcard, letter, empty segment or look-alike."""
    if not (isinstance(path, str) and _REGION_PATH.fullmatch(path) and path.isascii()):
        raise BadInput("a region path is /code/code/…/ with the digits of each tier's code", field=field)
    return path
