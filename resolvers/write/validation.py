"""Checks on what callers write. Each raises BadInput naming the offending field."""

from __future__ import annotations

import re

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from gridhub.models.enums import IdType
from gridhub.resolvers.errors import BadInput
from gridhub.resolvers.write.identity_documents import check_identity, is_division_code
from gridhub.resolvers.domain.vocabulary import ETHNIC_GROUPS, check_tag_filter  # noqa: F401 (filters import it from here)

def id_number_check_digit(first17: str) -> str:
    """GB 11643's ISO 7064 MOD 11-2 check digit (python-stdnum)."""
    return ric.calc_check_digit(first17 + "?")  # stdnum's takes a whole number and ignores its last


def check_id_number(value: str, field: str = "idNumber") -> str:
    """A resident identity number (GB 11643): a division code, a birth date, a sequence and
    the check digit; other documents: resolvers.write.identity_documents."""
    return check_identity(IdType.RESIDENT_ID, value, field=field).id_number


def credit_code_check_char(first17: str) -> str:
    """GB 32100's MOD 31 check character (python-stdnum)."""
    return uscc.calc_check_digit(first17)


# GB 32100: the registering authority (1st character) and the kinds it registers (2nd)
CREDIT_CODE_KINDS: dict[str, str] = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 群众团体, 其他
    "2": "19",  # 外交
    "3": "1234569",  # 司法行政: 律师事务所, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, …
    "4": "19",  # 文化
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": "129",  # 旅游
    "7": "129",  # 宗教
    "8": "19",  # 工会
    "9": "123",  # 市场监管 (工商): 企业, 个体工商户, 农民专业合作社
    "A": "19",  # 中央军委改革和编制办公室
    "N": "1239",  # 农业农村: 组级, 村级, 乡镇级集体经济组织, 其他
    "Y": "1",  # 其他
}


def check_credit_code(value: str, field: str = "creditCode") -> str:
    """GB 32100 unified social credit code: the registering authority and the kind it
    registers, the registering area (a division code; 100000 for national registrations),
    the organisation code and the MOD 31 check character (python-stdnum)."""
    value = re.sub(r"\s", "", value or "").upper()
    try:
        value = uscc.validate(value)
    except ValidationError:
        raise BadInput("a social credit code is 18 characters of 0-9 and A-Y without I, O, S, V, Z, the last "
                       "a check character", field=field) from None
    if value[1] not in CREDIT_CODE_KINDS.get(value[0], ""):
        raise BadInput(f"{value[:2]} names no registering authority and kind of GB 32100", field=field)
    if value[2:8] != "100000" and not is_division_code(value[2:8]):
        raise BadInput(f"the social credit code's area {value[2:8]} is not a division code", field=field)
    return value


def check_ethnicity(value: str | None, field: str = "ethnicity") -> str | None:
    """One of GB/T 3304's names (`汉族`, `回族`, …, `其他`, `外国血统`)."""
    if value is not None and value not in ETHNIC_GROUPS:
        raise BadInput(f"not an ethnic group of GB/T 3304: {value!r} (like 汉族, 回族)", field=field)
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


# /341823/341823100/341823100001/001/: the digits of each tier's code between slashes
_REGION_PATH = re.compile(r"(/[0-9]+)+/")


def check_region_path(path, field: str = "regionPath") -> str:
    """Region paths are compared exactly: no wildcard, letter, empty segment or look-alike."""
    if not (isinstance(path, str) and _REGION_PATH.fullmatch(path) and path.isascii()):
        raise BadInput("a region path is /code/code/…/ with the digits of each tier's code", field=field)
    return path


def check_division_code(value: str | None, field: str) -> str | None:
    """A division code of GB/T 2260 (6 digits: a province `340000`, a prefecture `340200` or a
    county `340223`) that exists or existed, by python-stdnum's copy of the official list."""
    if value is None or value == "":
        return None
    if not (re.fullmatch(r"[0-9]{6}", value) and is_division_code(value)):
        raise BadInput(f"not a division code of GB/T 2260: {value!r} (6 digits, like 340223)", field=field)
    return value


def check_division_prefix(value: str, field: str) -> str:
    """A division code or its leading part to filter by: a province (2 digits), a prefecture (4)
    or a county (6)."""
    if not (isinstance(value, str) and re.fullmatch(r"[0-9]{2}|[0-9]{4}|[0-9]{6}", value)
            and is_division_code(value.ljust(6, "0"))):
        raise BadInput(f"not a division code or its province or prefecture part: {value!r}", field=field)
    return value
