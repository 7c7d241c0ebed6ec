"""Identity documents (证件): what number each document type holds, and what the number
carries — birth date, gender, nationality — so that a register never holds two versions of
one fact.

Every resident is registered: citizens by the resident identity card; residents of Hong Kong,
Macao and Taiwan by their residence permit (a GB 11643 number under 810000, 820000 or 830000)
or their travel permit; foreigners by a passport with its nationality or by the permanent
residence identity card (2017: three letters of the nationality and 12 digits; 2023: 18
characters in the GB 11643 layout, starting with 9 and the nationality's numeric code).

Area codes are checked against python-stdnum's list of county-level division codes, past and
present: a number keeps the code its holder was first registered under, so a code retired
since (342529, 泾县 before 2000) is still a valid area, and stdnum's rule that the code existed
in the birth year is not applied (people registered after a re-coding carry the new code).
Nationalities are ISO 3166-1 alpha-3 codes (pycountry).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Callable

import pycountry
from stdnum import numdb
from stdnum.cn import ric

from gridhub.models.enums import Gender, IdType
from gridhub.resolvers.runtime.civil_time import today
from gridhub.resolvers.errors import BadInput

CHINA = "CHN"


@dataclass(frozen=True)
class Identity:
    """A checked document: its normalised number and what the number itself says."""

    id_type: IdType
    id_number: str
    nationality: str
    birth_date: date | None = None
    gender: Gender | None = None


def is_division_code(code: str) -> bool:
    """A county-level division code (6 digits) that exists or existed."""
    parts = numdb.get("cn/loc").info(code)
    return len(parts) == 2 and bool(parts[1][1])


def is_province_code(prefix: str) -> bool:
    return bool(numdb.get("cn/loc").info(prefix + "0000")[0][1])


def nationality_of(code: str, field: str = "nationality") -> str:
    """An ISO 3166-1 alpha-3 code, as written on passports."""
    code = (code or "").strip().upper()
    if not (re.fullmatch(r"[A-Z]{3}", code) and pycountry.countries.get(alpha_3=code)):
        raise BadInput("a nationality is an ISO 3166-1 alpha-3 code (CHN, KOR, USA, …)", field=field)
    return code


def _gb11643(number: str, field: str) -> tuple[date, Gender]:
    """The birth date (digits 7-14), the gender (parity of digit 17) and the MOD 11-2 check
    digit of a number in the GB 11643 layout."""
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise BadInput("the number holds no valid birth date", field=field) from None
    if born > today() or born.year < 1880:
        raise BadInput("the number's birth date is out of range", field=field)
    if ric.calc_check_digit(number) != number[17]:
        raise BadInput("the number's check digit is wrong", field=field)
    return born, Gender.MALE if int(number[16]) % 2 else Gender.FEMALE


def _resident_id(number: str, nationality: str | None, field: str) -> Identity:
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise BadInput("an identity number is 17 digits and a check digit (0-9 or X)", field=field)
    if number[:2] in ("81", "82", "83") or not is_division_code(number[:6]):
        raise BadInput(f"the identity number's area code {number[:6]} is not a division code", field=field)
    return Identity(IdType.RESIDENT_ID, number, CHINA, *_gb11643(number, field))


def _residence_permit(id_type: IdType, areas: tuple[str, ...]) -> Callable[[str, str | None, str], Identity]:
    def check(number: str, nationality: str | None, field: str) -> Identity:
        if not (re.fullmatch(r"\d{17}[\dX]", number) and number[:6] in areas):
            raise BadInput(f"a residence permit number is 18 characters starting {' or '.join(areas)}",
                           field=field)
        return Identity(id_type, number, CHINA, *_gb11643(number, field))
    return check


def _travel_permit(pattern: str, hint: str, id_type: IdType) -> Callable[[str, str | None, str], Identity]:
    def check(number: str, nationality: str | None, field: str) -> Identity:
        if not re.fullmatch(pattern, number):
            raise BadInput(hint, field=field)
        return Identity(id_type, number, CHINA)
    return check


def _passport(number: str, nationality: str | None, field: str) -> Identity:
    if nationality is None:
        raise BadInput("a passport is registered with its nationality", field="nationality")
    nationality = nationality_of(nationality)
    # China's: E and 8 digits, E, a letter and 7 digits (2012 e-passports), or G/D/S/P and
    # 8 digits (older, diplomatic, service, public affairs); other states' vary
    pattern = r"E[0-9A-HJ-NP-Z]\d{7}|[EGDSP]\d{8}" if nationality == CHINA else r"[A-Z0-9]{5,20}"
    if not re.fullmatch(pattern, number):
        raise BadInput("not a passport number of that nationality", field=field)
    return Identity(IdType.PASSPORT, number, nationality)


def _permanent_residence(number: str, nationality: str | None, field: str) -> Identity:
    if re.fullmatch(r"[A-Z]{3}\d{12}", number):  # 2017: the nationality's letters lead
        holder = nationality_of(number[:3], field)
        if not is_province_code(number[3:5]):
            raise BadInput(f"the card's province code {number[3:5]} is not a province", field=field)
        identity = Identity(IdType.FOREIGN_PERMANENT_RESIDENCE, number, holder)
    elif re.fullmatch(r"9\d{16}[\dX]", number):  # 2023: 9, province, nationality's number
        country = pycountry.countries.get(numeric=number[3:6])
        if country is None:
            raise BadInput(f"the card's nationality code {number[3:6]} is not an ISO 3166 country", field=field)
        if not is_province_code(number[1:3]):
            raise BadInput(f"the card's province code {number[1:3]} is not a province", field=field)
        identity = Identity(IdType.FOREIGN_PERMANENT_RESIDENCE, number, country.alpha_3,
                            *_gb11643(number, field))
    else:
        raise BadInput("a permanent residence card number is 3 letters and 12 digits (2017) or 9 and "
                       "17 characters (2023)", field=field)
    if nationality is not None and nationality_of(nationality) != identity.nationality:
        raise BadInput("nationality differs from the card's", field="nationality")
    return identity


RULES: dict[IdType, Callable[[str, str | None, str], Identity]] = {
    IdType.RESIDENT_ID: _resident_id,
    IdType.HK_MACAO_RESIDENCE_PERMIT: _residence_permit(IdType.HK_MACAO_RESIDENCE_PERMIT, ("810000", "820000")),
    IdType.TAIWAN_RESIDENCE_PERMIT: _residence_permit(IdType.TAIWAN_RESIDENCE_PERMIT, ("830000",)),
    IdType.HK_MACAO_TRAVEL_PERMIT: _travel_permit(
        r"[HM]\d{8}(\d{2})?", "a Hong Kong or Macao travel permit is H or M and 8 (or 10) digits",
        IdType.HK_MACAO_TRAVEL_PERMIT),
    IdType.TAIWAN_TRAVEL_PERMIT: _travel_permit(
        r"\d{8}(\d{2})?", "a Taiwan travel permit is 8 (or 10) digits", IdType.TAIWAN_TRAVEL_PERMIT),
    IdType.PASSPORT: _passport,
    IdType.FOREIGN_PERMANENT_RESIDENCE: _permanent_residence,
}


def check_identity(id_type: IdType | str, number: str, nationality: str | None = None,
                   field: str = "idNumber") -> Identity:
    """The document checked by its own rules, or BadInput naming the field at fault."""
    id_type = IdType(getattr(id_type, "value", id_type))
    number = re.sub(r"\s", "", number or "").upper()
    identity = RULES[id_type](number, nationality, field)
    if nationality is not None and nationality_of(nationality) != identity.nationality:
        raise BadInput(f"a {id_type.value} is held by nationals of {identity.nationality}", field="nationality")
    return identity
