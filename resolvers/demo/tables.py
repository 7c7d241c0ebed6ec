"""What the demo county is drawn from: its profiles and sizes, names and codes, the
categories of its events and the weights of every draw."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from gridhub import models
from gridhub.models.enums import (
    EventKind, EventSource, EventStatus, Gender, IdType, OrganisationKind, PopulationType, ThingKind, Urgency,
)

from gridhub.resolvers.domain.categories_seed import SEED_BY_PATH, SeedCategory
from gridhub.resolvers.domain.deadlines import Light


DEMO_COUNTY_CODE = "340223"  # GB/T 2260: 安徽省芜湖市南陵县
DEMO_COUNTY_NAME = "南陵县"

# The county's history has one re-gridding: a grid drawn too coarsely (twice the households
# of a grid) was split in two this long before the demo's clock.
SPLIT_AGO = timedelta(days=61)
# How far back key persons' visits (走访) go.
_VISIT_HISTORY = timedelta(days=90)
_CARE_HISTORY = timedelta(days=35)  # a month of care visits: weekly ones are many
_VISIT_NOTES = ("入户走访，了解近况，情绪稳定。", "谈心谈话，宣讲政策。", "电话预约后上门，家属在场。",
                "查看居住情况，无异常。", "协调解决生活困难，已反映至社区。")
_CENTRE = (118.33, 30.92)  # longitude, latitude of the county seat
_ADDRESS_PREFIX = "安徽省芜湖市南陵县"

# (3-digit town code, name): Nanling's eight towns with their statistical codes; the first is
# the county seat.
_TOWNS = (
    ("100", "籍山镇"), ("101", "弋江镇"), ("102", "许镇镇"), ("103", "三里镇"),
    ("104", "何湾镇"), ("105", "工山镇"), ("106", "烟墩镇"), ("107", "家发镇"),
)
# Four more for a twelve-town county, named after places of the area.
_MORE_TOWNS = (("108", "奎湖镇"), ("109", "丫山镇"), ("110", "峨岭镇"), ("111", "戴汇镇"))


@dataclass(frozen=True)
class _Profile:
    """The size of a demo county at scale 1.0: counts per kind, its towns, its population
    (registered : floating : overseas persons) and, where the count of micro-grids is fixed,
    that count; otherwise about a quarter of the grids are split into two to four."""

    sizes: dict[str, int]
    towns: tuple[tuple[str, str], ...]
    population: tuple[int, int, int]
    micro_grids: int | None = None


PROFILES = {
    # A slice of Nanling: its eight towns, two communities or villages in each and grids of
    # 300-600 households as its 211 are (one with twice that, split in the county's
    # history), about a sixth of its registers (166,329 persons, 87,911 houses); the rest in
    # proportion, and 3,000 events over four months.
    "nanling": _Profile(
        {"towns": 8, "communities": 16, "grids": 36, "households": 16_650, "shops": 1100,
         "schools": 60, "public_places": 250, "things": 3600, "enterprises": 110,
         "self_employed": 120, "social": 10, "property_management": 30, "owners_committees": 30,
         "events": 3000},
        _TOWNS, (88, 10, 2)),
    # The benchmarks' county (bench/generate): 300,000 persons, 2.7 to a household and
    # tenants a tenth as many as the registered; 120,000 places (a house per household,
    # 10,000 rental houses, then shops, public places, schools, offices and factories);
    # 8,000 organisations (besides those below, a party branch per grid, a party group in
    # about a third of the micro-grids, a volunteer team per community).
    "county": _Profile(
        {"towns": 12, "communities": 150, "grids": 1000, "households": 100_000, "shops": 6000,
         "schools": 260, "public_places": 1635, "things": 30_000, "enterprises": 1800,
         "self_employed": 3170, "social": 120, "property_management": 150, "owners_committees": 500,
         "events": 60_000},
        _TOWNS + _MORE_TOWNS, (90, 9, 1), micro_grids=3000),
}

_PLACE_ROOTS = (
    "城东 城西 城南 城北 春谷 奎湖 漳河 长乐 石铺 龙山 丫山 峨岭 樊岭 戴汇 黄墓 奚滩 九连 荷花 "
    "桂镇 塘沟 鹅岭 兴隆 新塘 永安 太平 和平 团结 光明 红星 民主 双塘 三元 四联 五星 六合 青山 "
    "白马 金桥 银湖 花园 柳塘 梅林 竹园 枫林 松林 东湖 西湖 南湖 北湖 河湾 石桥 高峰 丰收 建设 "
    "联合 前进 胜利 幸福 友谊 安定"
).split()
_ROOT_PREFIXES = ("", "新", "大", "小", "上", "下")
_COMPOUND_SUFFIXES = ("花园", "家园", "新村", "小区", "名苑", "雅居", "华庭")
_STREETS = ("春谷路", "籍山路", "漳河路", "南陵大道", "文化路", "建设路", "城东大道", "奎湖路",
            "工山路", "和平路", "人民路", "长乐路")
# Where the floating population comes from: (place, its GB/T 2260 county code), which their
# identity numbers carry (issued where they were registered at birth).
_ORIGINS = (("安徽省宣城市泾县", "341823"), ("安徽省六安市霍邱县", "341522"), ("安徽省安庆市怀宁县", "340822"),
            ("江西省上饶市鄱阳县", "361128"), ("河南省信阳市固始县", "411525"), ("江苏省盐城市阜宁县", "320923"),
            ("湖北省黄冈市蕲春县", "421126"), ("四川省达州市渠县", "511725"), ("浙江省湖州市长兴县", "330522"))
# where overseas residents come from, and the documents they are registered by
_ABROAD = (("中国香港特别行政区", IdType.HK_MACAO_RESIDENCE_PERMIT, "CHN"),
           ("中国香港特别行政区", IdType.HK_MACAO_TRAVEL_PERMIT, "CHN"),
           ("中国台湾地区", IdType.TAIWAN_TRAVEL_PERMIT, "CHN"),
           ("中国台湾地区", IdType.TAIWAN_RESIDENCE_PERMIT, "CHN"),
           ("新加坡", IdType.PASSPORT, "SGP"), ("马来西亚", IdType.PASSPORT, "MYS"),
           ("美国", IdType.PASSPORT, "USA"), ("日本", IdType.PASSPORT, "JPN"),
           ("韩国", IdType.PASSPORT, "KOR"), ("韩国", IdType.FOREIGN_PERMANENT_RESIDENCE, "KOR"))
_MINORITIES = ("回族", "满族", "壮族", "苗族", "土家族")
_MOBILE_PREFIXES = ("130", "133", "135", "136", "138", "139", "150", "151", "155", "158",
                    "166", "177", "180", "186", "187", "189", "191", "199")

# (code, name) of the default set of departments.
DEPARTMENTS = (
    ("public_security", "公安局"), ("civil_affairs", "民政局"), ("housing", "住建局"),
    ("health", "卫健委"), ("medical_insurance", "医保局"), ("disabled_federation", "残联"),
    ("agriculture", "农业农村局"), ("urban_management", "城管局"), ("fire", "消防救援大队"),
    ("ecology_environment", "生态环境分局"), ("petitions", "信访局"), ("justice", "司法局"),
    ("emergency", "应急管理局"), ("market_supervision", "市场监管局"),
    ("human_resources", "人社局"), ("education", "教育局"),
)
# Event log actors are usernames; a department acts under its own name, the police as police.
_DEPARTMENT_ACTORS = {"public_security": "police"}

# (usage, name pattern) of shops; {s} is a surname, {r} the community's root name.
_SHOPS = (("餐饮", "{s}记面馆"), ("零售", "{s}家便利店"), ("美发", "{r}美发店"), ("五金", "{s}氏五金"),
          ("医药", "{r}大药房"), ("零售", "{r}生活超市"), ("农资", "{r}农资店"),
          ("修理", "{s}师傅电动车修理"))
_PUBLIC_PLACES = (("广场", "文化广场"), ("市场", "农贸市场"), ("医疗", "卫生服务站"), ("公园", "公园"),
                  ("停车", "停车场"), ("养老", "老年活动中心"))
_SCHOOLS = ("小学", "幼儿园", "中学")
_INDUSTRIES = ("米业", "农业科技", "食品", "建材", "纺织", "机械", "电子", "物流", "茶业", "服装")
_SOCIETIES = ("老年人体育协会", "个体劳动者协会", "红十字会", "慈善协会", "书法家协会", "钓鱼协会",
              "摄影家协会", "乡贤参事会", "科普协会", "志愿者协会")

# Unified social credit codes (GB 32100): the first two characters name the registering
# authority and kind; party organisations, owners' committees and teams have none here.
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_PREFIXES = {
    OrganisationKind.GOVERNMENT: "11", OrganisationKind.SCHOOL: "12",
    OrganisationKind.SOCIAL: "52", OrganisationKind.ENTERPRISE: "91",
    OrganisationKind.PROPERTY_MANAGEMENT: "91", OrganisationKind.SELF_EMPLOYED: "92",
}


@dataclass(frozen=True)
class _ThingType:
    label: str
    weight: int
    department: str | None
    urban_only: bool = False


_THING_TYPES = {
    ThingKind.HYDRANT: _ThingType("消防栓", 10, "fire"),
    ThingKind.STREET_LAMP: _ThingType("路灯", 20, "urban_management"),
    ThingKind.MANHOLE_COVER: _ThingType("井盖", 15, "urban_management"),
    ThingKind.BIN: _ThingType("垃圾桶", 15, "urban_management"),
    ThingKind.CAMERA: _ThingType("监控摄像头", 10, "public_security"),
    ThingKind.TRAFFIC_SIGN: _ThingType("交通标志牌", 6, "public_security"),
    ThingKind.GUARDRAIL: _ThingType("护栏", 4, "public_security"),
    ThingKind.BUS_SHELTER: _ThingType("公交候车亭", 3, "urban_management"),
    ThingKind.PUBLIC_TOILET: _ThingType("公厕", 3, "urban_management"),
    ThingKind.GREENERY: _ThingType("绿化带", 5, "urban_management"),
    ThingKind.ELEVATOR: _ThingType("电梯", 4, "market_supervision", urban_only=True),
    ThingKind.FITNESS_EQUIPMENT: _ThingType("健身器材", 4, None),
    ThingKind.TRANSFORMER_BOX: _ThingType("变压器箱", 4, None),
    ThingKind.OTHER: _ThingType("公共设施", 1, None),
}


@dataclass(frozen=True)
class _Category:
    """How the events of a seeded category read in the demo: their kind, how often they
    happen, title patterns ({where}: the spot; {thing}: a facility; {name}: who is visited)
    and the facilities they concern. Its department and deadlines are the seed's."""

    path: str
    kind: EventKind
    weight: int
    titles: tuple[str, ...]
    thing_kinds: tuple[ThingKind, ...] = ()

    @property
    def seed(self) -> SeedCategory:
        return SEED_BY_PATH[self.path]

    @property
    def department(self) -> str:
        return self.seed.department

    def window(self, deadline: str) -> timedelta:
        return timedelta(hours=getattr(self.seed, f"{deadline}_hours"))


@dataclass(frozen=True)
class _Handler:
    """Where an event was dispatched: a region or a department, who acts for it there, and
    who dispatched it (one tier at a time: grid leader to community, community to town,
    town to a department)."""

    actor: str
    dispatcher: str
    region: models.Region | None = None
    department: models.Department | None = None
    dispatched_from: models.Region | None = None  # the dispatcher's tier

    @property
    def name(self) -> str:
        return (self.region or self.department).name


_HAZARD, _DISPUTE, _REQUEST, _VISIT = EventKind.HAZARD, EventKind.DISPUTE, EventKind.REQUEST, EventKind.VISIT
# The seeded categories (resolvers/domain/categories_seed.py) the demo's events are drawn from.
_CATEGORIES = (
    _Category("safety/fire", _HAZARD, 8,
              ("{where}楼道堆放杂物", "{where}电动车入户充电", "{where}{thing}损坏无水"), (ThingKind.HYDRANT,)),
    _Category("safety/gas", _HAZARD, 3, ("{where}燃气管道老化", "{where}液化气瓶违规存放")),
    _Category("safety/building", _HAZARD, 3, ("{where}外墙瓷砖脱落", "{where}危房存在倒塌隐患")),
    _Category("safety/traffic", _HAZARD, 3,
              ("{where}路口缺少减速带", "{where}{thing}倒伏"), (ThingKind.TRAFFIC_SIGN, ThingKind.GUARDRAIL)),
    _Category("public_order/theft", _HAZARD, 3,
              ("{where}电动车被盗", "{where}{thing}被人为损坏"), (ThingKind.CAMERA,)),
    _Category("public_order/fraud", _HAZARD, 2, ("{where}居民疑似遭遇电信诈骗",)),
    _Category("public_order/gambling", _HAZARD, 1, ("{where}疑似聚众赌博",)),
    _Category("dispute/neighbour", _DISPUTE, 12,
              ("{where}邻里漏水纠纷", "{where}噪音扰邻纠纷", "{where}占用公共通道纠纷")),
    _Category("dispute/family", _DISPUTE, 6, ("{where}家庭赡养纠纷", "{where}婚姻家庭矛盾")),
    _Category("dispute/land", _DISPUTE, 5, ("{where}宅基地边界纠纷", "{where}土地承包纠纷")),
    _Category("dispute/wage", _DISPUTE, 3, ("{where}农民工讨要工资",)),
    _Category("dispute/property", _DISPUTE, 4, ("{where}物业费纠纷", "{where}停车位纠纷")),
    _Category("service/visit", _VISIT, 14, ("入户走访{name}",)),
    _Category("service/benefit", _REQUEST, 4,
              ("{where}居民咨询低保申请", "{where}居民申请临时救助")),
    _Category("service/certificate", _REQUEST, 2, ("{where}居民申请居住证",)),
    _Category("environment/garbage", _REQUEST, 6,
              ("{where}垃圾未及时清运", "{where}{thing}周边垃圾堆积"), (ThingKind.BIN, ThingKind.PUBLIC_TOILET)),
    _Category("environment/pollution", _REQUEST, 2,
              ("{where}河道漂浮物", "{where}污水外溢")),
    _Category("environment/greenery", _REQUEST, 2,
              ("{where}{thing}被毁", "{where}树木枝叶遮挡道路"), (ThingKind.GREENERY,)),
    _Category("emergency/flood", _HAZARD, 2,
              ("{where}道路积水", "{where}{thing}冒水"), (ThingKind.MANHOLE_COVER,)),
    _Category("emergency/disaster", _HAZARD, 1, ("{where}山体滑坡隐患", "{where}大树倾倒")),
    _Category("works/noise", _REQUEST, 3, ("{where}夜间施工噪音扰民",)),
    _Category("works/dust", _REQUEST, 2, ("{where}工地扬尘",)),
    _Category("street_order/stall", _REQUEST, 3, ("{where}占道经营", "{where}流动摊贩聚集")),
    _Category("street_order/parking", _REQUEST, 3, ("{where}车辆乱停乱放",)),
    _Category("advertising/illegal", _REQUEST, 2, ("{where}乱贴小广告",)),
    _Category("facility/damaged", _HAZARD, 5,
              ("{where}{thing}损坏", "{where}{thing}故障"),
              (ThingKind.STREET_LAMP, ThingKind.MANHOLE_COVER, ThingKind.FITNESS_EQUIPMENT,
               ThingKind.BUS_SHELTER, ThingKind.ELEVATOR, ThingKind.TRANSFORMER_BOX)),
)
# The first event of the first grid: its hydrant (every grid has one) out of order, so
# that an event with a linked facility exists at every scale.
_HYDRANT_REPORT = _Category("safety/fire", _HAZARD, 0, ("{where}{thing}损坏无水",), (ThingKind.HYDRANT,))
_DETAILS = ("请尽快处理。", "已持续多日，影响居民生活。", "存在安全隐患。", "居民反映强烈。", "请相关部门核实。")
_SOURCE_PHRASES = {
    EventSource.PATROL: "网格员巡查发现", EventSource.SNAPSHOT: "居民随手拍反映",
    EventSource.HOTLINE: "12345热线转来", EventSource.VIDEO: "视频巡查发现",
    EventSource.DEPARTMENT: "部门推送",
}
_REPORT_ACTORS = {EventSource.PATROL: "worker", EventSource.SNAPSHOT: "resident",
                  EventSource.HOTLINE: "hotline", EventSource.VIDEO: "video"}

# The closed loop (上报、受理、派单、处置、办结、核查、销号), the action that enters each
# state, and the hours (min, max) that step usually takes.
_FLOW = (EventStatus.REPORTED, EventStatus.ACCEPTED, EventStatus.DISPATCHED, EventStatus.HANDLING,
         EventStatus.RESOLVED, EventStatus.VERIFIED, EventStatus.CLOSED)
_STEPS = {
    EventStatus.REPORTED: ("report", (0.05, 1)), EventStatus.ACCEPTED: ("accept", (0.5, 12)),
    EventStatus.DISPATCHED: ("dispatch", (0.5, 8)), EventStatus.HANDLING: ("start", (1, 24)),
    EventStatus.RESOLVED: ("resolve", (2, 96)), EventStatus.VERIFIED: ("verify", (1, 24)),
    EventStatus.CLOSED: ("close", (1, 48)), EventStatus.REJECTED: ("reject", (1, 24)),
    EventStatus.RETURNED: ("return", (1, 12)), EventStatus.EXTENSION_REQUESTED: ("request_extension", (4, 48)),
    EventStatus.PARKED: ("park", (24, 96)),
}
# The corrections (resolvers.domain.workflow), one event in each state they lead to, in the first
# grid: its path, its light at the clock and where it was dispatched. An event urged twice
# while handled by the community is among them.
_CORRECTED_EVENTS = (
    ((EventStatus.REPORTED, EventStatus.ACCEPTED, EventStatus.DISPATCHED, EventStatus.RETURNED),
     Light.YELLOW, "department"),
    ((EventStatus.REPORTED, EventStatus.ACCEPTED, EventStatus.DISPATCHED, EventStatus.HANDLING,
      EventStatus.EXTENSION_REQUESTED), Light.YELLOW, "town"),
    ((EventStatus.REPORTED, EventStatus.ACCEPTED, EventStatus.DISPATCHED, EventStatus.HANDLING,
      EventStatus.PARKED), Light.GREEN, "department"),
    ((EventStatus.REPORTED, EventStatus.ACCEPTED, EventStatus.DISPATCHED, EventStatus.HANDLING),
     Light.RED, "community"),
)
_PARKED_DAYS = 30  # a parked case is reviewed a month after parking
_EXTENSION_DAYS = 7  # what a handler asks for
# Nanling's four months: nearly everything closed, a few dozen in progress or invalid.
_STATUS_WEIGHTS = {
    EventStatus.CLOSED: 80, EventStatus.REJECTED: 3, EventStatus.VERIFIED: 2, EventStatus.RESOLVED: 3,
    EventStatus.HANDLING: 4, EventStatus.DISPATCHED: 3, EventStatus.ACCEPTED: 3, EventStatus.REPORTED: 2,
}
# Open events at the clock: how many are on time, due soon or overdue.
_LIGHT_WEIGHTS = {Light.GREEN: 45, Light.YELLOW: 20, Light.RED: 35}
# The first events, one per state in the first grid: the light of the open ones at the clock
# and where the dispatched ones went, so that every scale has each light and each kind of
# handler to test against (GREEN where a window is longer than "soon": not an accept window).
_FIRST_EVENTS = {
    EventStatus.REPORTED: (Light.RED, None), EventStatus.ACCEPTED: (Light.YELLOW, None),
    EventStatus.DISPATCHED: (Light.GREEN, "department"), EventStatus.HANDLING: (Light.RED, "community"),
    EventStatus.RESOLVED: (Light.YELLOW, "town"), EventStatus.VERIFIED: (Light.GREEN, "community"),
    EventStatus.CLOSED: (None, "department"), EventStatus.REJECTED: (None, None),
}
_SOURCE_WEIGHTS = {EventSource.PATROL: 45, EventSource.SNAPSHOT: 20, EventSource.HOTLINE: 20,
                   EventSource.VIDEO: 8, EventSource.DEPARTMENT: 7}
_URGENCY_WEIGHTS = {Urgency.LOW: 20, Urgency.NORMAL: 60, Urgency.HIGH: 15, Urgency.CRITICAL: 5}

# Tags: (tag, share of all persons, who can have it given (person, age, lives alone)).
_ADULT = 18
_TAG_RATES = (
    ("care/low_income", 0.03, lambda p, age, alone: True),
    ("care/extreme_poverty", 0.005, lambda p, age, alone: True),
    ("care/disabled", 0.02, lambda p, age, alone: True),
    ("care/elderly_alone", 0.02, lambda p, age, alone: alone and age >= 65),
    ("care/left_behind_child", 0.01, lambda p, age, alone: age < 16 and _registered(p)),
    ("care/left_behind_elderly", 0.01, lambda p, age, alone: age >= 60 and _registered(p)),
    ("care/veteran", 0.01, lambda p, age, alone: age >= 25 and p.gender is Gender.MALE),
    ("care/unemployed", 0.02, lambda p, age, alone: _ADULT <= age < 60),
    ("key/released_prisoner", 0.003, lambda p, age, alone: age >= _ADULT),
    ("key/community_correction", 0.002, lambda p, age, alone: age >= _ADULT),
    ("key/mental_disorder", 0.003, lambda p, age, alone: age >= _ADULT),
    ("key/drug", 0.0015, lambda p, age, alone: age >= _ADULT),
    ("key/aids_risk", 0.0005, lambda p, age, alone: age >= _ADULT),
    ("key/key_youth", 0.0015, lambda p, age, alone: _ADULT <= age <= 25),
    ("key/petitioner", 0.002, lambda p, age, alone: age >= _ADULT),
    ("key/dangerous_goods", 0.0015, lambda p, age, alone: age >= _ADULT),
    ("role/party_member", 0.06, lambda p, age, alone: age >= _ADULT),
    ("role/resident_representative", 0.01, lambda p, age, alone: age >= 30 and _registered(p)),
    ("role/volunteer", 0.04, lambda p, age, alone: 16 <= age < 75),
)
# A party branch needs at least three full members.
_BRANCH_MINIMUM = 3


def _registered(person: models.Person) -> bool:
    return person.population_type is PopulationType.REGISTERED


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _numeral(n: int) -> str:
    """1..99 in Chinese numerals, as grids are named (第十二网格); larger ones in digits."""
    if n >= 100:
        return str(n)
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else digits[tens]) + "十" if tens else "") + (digits[ones] if ones or not tens else "")
