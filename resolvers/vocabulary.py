"""The tag vocabulary: every tag a person may carry, with its Chinese label (DOMAIN.md).

Tags are compared exactly and case-sensitively, so they are checked against this list when
written and when filtered on: `KEY`, `ｋｅｙ`, `care/%` or `care//x` name no tag."""

from __future__ import annotations

TAGS: dict[str, str] = {
    # care/…: people in need, civil affairs' business
    "care/low_income": "低保",
    "care/extreme_poverty": "特困/五保",
    "care/disabled": "残疾",
    "care/elderly_alone": "独居老人",
    "care/left_behind_child": "留守儿童",
    "care/left_behind_elderly": "留守老人",
    "care/veteran": "退役军人",
    "care/unemployed": "失业人员",
    # key/…: key persons (重点人员), public security's business; sensitive
    "key/released_prisoner": "刑满释放人员",
    "key/community_correction": "社区矫正对象",
    "key/mental_disorder": "严重精神障碍患者",
    "key/drug": "吸毒人员",
    "key/aids_risk": "艾滋病危险人员",
    "key/key_youth": "重点青少年",
    "key/petitioner": "重点上访人员",
    "key/dangerous_goods": "危险品从业人员",
    # role/…: roles in the community
    "role/party_member": "党员",
    "role/resident_representative": "居民代表",
    "role/volunteer": "志愿者",
}

# every proper prefix of a tag path: `care` names all of care/…
TAG_GROUPS: frozenset[str] = frozenset(
    "/".join(parts[:i]) for parts in (t.split("/") for t in TAGS) for i in range(1, len(parts))
)
