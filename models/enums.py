"""Closed vocabularies of the domain (DOMAIN.md). The GraphQL enums reuse these classes."""

from enum import Enum


class Tier(str, Enum):
    COUNTY = "county"
    TOWN = "town"
    COMMUNITY = "community"
    TOTAL_GRID = "total_grid"
    GRID = "grid"
    MICRO_GRID = "micro_grid"


class Gender(str, Enum):
    MALE = "male"
    FEMALE = "female"


class PopulationType(str, Enum):
    REGISTERED = "registered"
    FLOATING = "floating"
    OVERSEAS = "overseas"


class IdType(str, Enum):
    """The identity document a person is registered by (证件类型); the number's rules follow
    it (resolvers.write.identity_documents)."""

    RESIDENT_ID = "resident_id"  # 居民身份证 (GB 11643)
    HK_MACAO_RESIDENCE_PERMIT = "hk_macao_residence_permit"  # 港澳居民居住证 (810000/820000)
    TAIWAN_RESIDENCE_PERMIT = "taiwan_residence_permit"  # 台湾居民居住证 (830000)
    HK_MACAO_TRAVEL_PERMIT = "hk_macao_travel_permit"  # 港澳居民来往内地通行证 (回乡证)
    TAIWAN_TRAVEL_PERMIT = "taiwan_travel_permit"  # 台湾居民来往大陆通行证 (台胞证)
    PASSPORT = "passport"  # 护照, with its nationality
    FOREIGN_PERMANENT_RESIDENCE = "foreign_permanent_residence"  # 外国人永久居留身份证 (2017 and 2023)


class HouseholdRelation(str, Enum):
    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    GRANDCHILD = "grandchild"
    SIBLING = "sibling"
    OTHER = "other"


class PlaceKind(str, Enum):
    HOUSE = "house"
    BUILDING = "building"
    COMPOUND = "compound"
    UNIT = "unit"
    SHOP = "shop"
    SCHOOL = "school"
    RENTAL_HOUSE = "rental_house"
    PUBLIC_PLACE = "public_place"
    OFFICE = "office"
    FACTORY = "factory"
    OTHER = "other"


class EventKind(str, Enum):
    DISPUTE = "dispute"
    HAZARD = "hazard"
    REQUEST = "request"
    VISIT = "visit"


class EventSource(str, Enum):
    PATROL = "patrol"
    SNAPSHOT = "snapshot"
    HOTLINE = "hotline"
    VIDEO = "video"
    DEPARTMENT = "department"


class EventStatus(str, Enum):
    REPORTED = "reported"
    ACCEPTED = "accepted"
    DISPATCHED = "dispatched"
    HANDLING = "handling"
    EXTENSION_REQUESTED = "extension_requested"
    RETURNED = "returned"
    PARKED = "parked"
    RESOLVED = "resolved"
    VERIFIED = "verified"
    CLOSED = "closed"
    REJECTED = "rejected"


class Urgency(str, Enum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


class ThingKind(str, Enum):
    MANHOLE_COVER = "manhole_cover"
    HYDRANT = "hydrant"
    STREET_LAMP = "street_lamp"
    TRANSFORMER_BOX = "transformer_box"
    TRAFFIC_SIGN = "traffic_sign"
    GUARDRAIL = "guardrail"
    BUS_SHELTER = "bus_shelter"
    PUBLIC_TOILET = "public_toilet"
    BIN = "bin"
    GREENERY = "greenery"
    ELEVATOR = "elevator"
    FITNESS_EQUIPMENT = "fitness_equipment"
    CAMERA = "camera"
    OTHER = "other"


class ThingStatus(str, Enum):
    NORMAL = "normal"
    DAMAGED = "damaged"
    UNDER_REPAIR = "under_repair"


class OrganisationKind(str, Enum):
    PARTY_BRANCH = "party_branch"
    PARTY_GROUP = "party_group"
    GOVERNMENT = "government"
    ENTERPRISE = "enterprise"
    SELF_EMPLOYED = "self_employed"
    SOCIAL = "social"
    PROPERTY_MANAGEMENT = "property_management"
    OWNERS_COMMITTEE = "owners_committee"
    VOLUNTEER_TEAM = "volunteer_team"
    SCHOOL = "school"


class StaffRole(str, Enum):
    """1+1+N: one grid leader, one grid worker, N others."""

    LEADER = "leader"
    WORKER = "worker"
    POLICE = "police"
    PARTY_MEMBER = "party_member"
    VOLUNTEER = "volunteer"
    LIAISON = "liaison"


class ResponsibleRole(str, Enum):
    """1+3+N around a key person: a cadre, a police officer and the grid worker, then others."""

    CADRE = "cadre"
    POLICE = "police"
    GRID_WORKER = "grid_worker"
    FAMILY = "family"
    VOLUNTEER = "volunteer"
    OTHER = "other"


# GB/T 31000's basic data of 实有人口, coded by the national standards named beside each;
# the standard's code is in the comment (the stored value is the name, as elsewhere here).
class MaritalStatus(str, Enum):
    """GB/T 2261.2-2003 婚姻状况代码."""

    UNMARRIED = "unmarried"  # 10 未婚
    MARRIED = "married"  # 20 已婚
    FIRST_MARRIAGE = "first_marriage"  # 21 初婚
    REMARRIED = "remarried"  # 22 再婚
    REMARRIED_SAME_SPOUSE = "remarried_same_spouse"  # 23 复婚
    WIDOWED = "widowed"  # 30 丧偶
    DIVORCED = "divorced"  # 40 离婚
    UNSPECIFIED = "unspecified"  # 90 未说明的婚姻状况


class PoliticalStatus(str, Enum):
    """GB/T 4762-1984 政治面貌代码."""

    CPC_MEMBER = "cpc_member"  # 01 中国共产党党员
    CPC_PROBATIONARY_MEMBER = "cpc_probationary_member"  # 02 中国共产党预备党员
    CYL_MEMBER = "cyl_member"  # 03 中国共产主义青年团团员
    RCCK_MEMBER = "rcck_member"  # 04 中国国民党革命委员会会员
    CDL_MEMBER = "cdl_member"  # 05 中国民主同盟盟员
    CNDCA_MEMBER = "cndca_member"  # 06 中国民主建国会会员
    CAPD_MEMBER = "capd_member"  # 07 中国民主促进会会员
    CPWDP_MEMBER = "cpwdp_member"  # 08 中国农工民主党党员
    CZGP_MEMBER = "czgp_member"  # 09 中国致公党党员
    JIUSAN_MEMBER = "jiusan_member"  # 10 九三学社社员
    TDSL_MEMBER = "tdsl_member"  # 11 台湾民主自治同盟盟员
    NON_PARTY = "non_party"  # 12 无党派民主人士
    MASSES = "masses"  # 13 群众


class Education(str, Enum):
    """GB/T 4658-2006 学历代码, its classes (and the two postgraduate degrees)."""

    DOCTORATE = "doctorate"  # 11 博士研究生
    MASTER = "master"  # 14 硕士研究生
    UNDERGRADUATE = "undergraduate"  # 20 大学本科
    JUNIOR_COLLEGE = "junior_college"  # 30 大学专科
    SECONDARY_VOCATIONAL = "secondary_vocational"  # 40 中等职业教育
    HIGH_SCHOOL = "high_school"  # 60 普通高级中学
    JUNIOR_HIGH = "junior_high"  # 70 初级中学
    PRIMARY = "primary"  # 80 小学
    OTHER = "other"  # 90 其他 (including no schooling)


class Religion(str, Enum):
    """GA 214.12-2004 宗教信仰代码 (no GB standard codes religion)."""

    NONE = "none"  # 00 无宗教信仰
    BUDDHISM = "buddhism"  # 10 佛教
    TIBETAN_BUDDHISM = "tibetan_buddhism"  # 11 藏传佛教 (喇嘛教)
    TAOISM = "taoism"  # 20 道教
    ISLAM = "islam"  # 30 伊斯兰教
    CATHOLICISM = "catholicism"  # 40 天主教
    PROTESTANTISM = "protestantism"  # 50 基督教
    ORTHODOXY = "orthodoxy"  # 71 东正教
    OTHER = "other"  # 99 其他


class Occupation(str, Enum):
    """GB/T 6565-2015 职业分类与代码, its eight major groups (大类)."""

    LEADER = "leader"  # 1 党的机关、国家机关、群众团体和社会组织、企事业单位负责人
    PROFESSIONAL = "professional"  # 2 专业技术人员
    CLERICAL = "clerical"  # 3 办事人员和有关人员
    SERVICE = "service"  # 4 社会生产服务和生活服务人员
    AGRICULTURE = "agriculture"  # 5 农、林、牧、渔业生产及辅助人员
    PRODUCTION = "production"  # 6 生产制造及有关人员
    MILITARY = "military"  # 7 军人
    OTHER = "other"  # 8 不便分类的其他从业人员
