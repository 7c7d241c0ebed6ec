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

# GB/T 3304 (中国各民族名称的罗马字母拼写法和代码): the 56 ethnic groups in the standard's order
# (code 01 汉族 … 56 基诺族), then its two further entries.
ETHNIC_GROUPS: tuple[str, ...] = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族",
    "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族",
    "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族",
    "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族",
    "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "京族", "塔塔尔族",
    "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
    "其他", "外国血统",  # 97 其他未识别民族, 98 外国血统中国籍人士
)
