"""A deterministic demo county for development, demos, tests and benchmarks.

`build_demo` fills an empty database with a slice of Nanling (南陵县, Anhui, division code
340223) sized from its figures (DOMAIN.md) so that a laptop builds it in well under a
minute: its eight towns, sixteen communities and villages, 36 grids of 300–600 households
as Nanling's are (about a quarter of them split into micro-grids), about 50,000 persons in
16,000 households with their houses, rental houses, shops, schools and public places,
facilities, organisations with their members, and 3,000 events of the seeded categories at
every step of the workflow, the open ones on time, due soon and overdue (every light);
grid staff (1+1+N) with one gap; key persons with their responsible staff (1+3+N) and
visits, some overdue; and one re-gridding in its history, a grid split in two `SPLIT_AGO`
before the clock by the hub's own `split_region`, with events reported on both sides of it.

The demo tells today's story: its clock (`now`) is the moment it is built unless the
caller names another (`gridhub demo --now`), and every date is drawn back from it, so a
fresh demo has events reported this week, open ones of every light and key persons due
and overdue whenever it is built. That is the `nanling` profile; the
`county` profile draws the same kind of county at the benchmarks' size (bench/generate):
twelve towns, 150 communities, 1,000 grids, 3,000 micro-grids, 300,000 persons.

Same seed, scale and clock, same rows: everything is drawn from one `random.Random` and one
seeded Faker, in a fixed order, and every date is relative to the clock. Rows get their ids here,
so foreign keys need no round-trips and each phase's rows go to the database in bulk, by
`bulk_create` or by a writer the caller passes (PostgreSQL's COPY, in bench/generate).
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Awaitable, Callable

import pycountry
from faker import Faker
from tortoise.expressions import F
from tortoise.models import Model
from tortoise.transactions import in_transaction

from gridhub import models
from gridhub.models.enums import (
    EventKind, EventSource, EventStatus, Gender, HouseholdRelation, IdType, OrganisationKind, PlaceKind,
    PopulationType, ResponsibleRole, StaffRole, ThingKind, ThingStatus, Tier, Urgency,
)
from gridhub.policies.scope import Scope

from .categories import seed_event_categories
from .vocabulary import seed_vocabulary
from .categories_seed import SEED_BY_PATH, SeedCategory
from .civil_time import CIVIL_TIME_ZONE
from . import deadlines, place_tree
from .deadlines import FINISHED, Light, due_columns
from .demo_map import DemoMap
from .demo_registers import Registers, draw_programmes, link_units, mark_party_members
from .regrid import SplitPart, split_region
from .residence import REGISTRATION_DAYS
from .validation import credit_code_check_char, id_number_check_digit
from .visits import (CARE_VISIT_CATEGORY, DEFAULT_RULES, KEY_VISIT_CATEGORY, is_care, refresh_visit_due, rule_days,
                     seed_visit_rules, visit_category)
from .workflow import STEPS

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
# The seeded categories (resolvers/categories_seed.py) the demo's events are drawn from.
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
# The corrections (resolvers.workflow), one event in each state they lead to, in the first
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


# Writes one phase's rows of a model (all of them new, with their ids).
Writer = Callable[[type[Model], list[Model]], Awaitable[None]]


async def bulk_create(model: type[Model], rows: list[Model]) -> None:
    await model.bulk_create(rows, batch_size=1000)


async def build_demo(scale: float = 1.0, seed: int = 2026, profile: str = "nanling",
                     write: Writer = bulk_create, now: datetime | None = None) -> dict[str, int]:
    """Fill an empty, initialised database with the demo county of `profile` (PROFILES)
    times `scale`, its rows written by `write`, as of `now` (by default the moment it is
    built); returns rows per table."""
    await seed_event_categories()
    await seed_vocabulary()
    async with in_transaction() as connection:
        county = _DemoCounty(PROFILES[profile], scale, seed, write, demo_clock(now))
        await county.build()
        await place_tree.rebuild(connection)  # the closure of the compounds' trees
        if connection.capabilities.dialect == "postgres":
            # explicit ids leave the serial sequences behind; later inserts would collide
            for table in county.counts:
                await connection.execute_query(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
        # what the hub keeps up to date as it runs, it computes here too
        await seed_visit_rules()
        ruled = sorted(set(county.key_persons) | set(county.cared_persons))
        for i in range(0, len(ruled), 500):
            await refresh_visit_due(ruled[i:i + 500])
        await county.split_history()
        from .demo_transfers import demo_transfers  # after the anchors' grids exist

        await demo_transfers(await demo_anchors())
    # the grids are told of their newcomers' registrations coming due, as the served hub's
    # sweep would tell them (resolvers.notices)
    from .notices import sweep_renewals

    county.counts["notice"] = county.counts.get("notice", 0) + len(await sweep_renewals(county.now))
    from tortoise import connections

    if connections.get("default").capabilities.dialect == "postgres":
        # tables filled at once, before autovacuum looks: without statistics PostgreSQL takes
        # every table for one row and nests loops over semi-joins (a department's homes,
        # place:home_of, took 14 s over 400 places)
        await connections.get("default").execute_script("ANALYZE")
    return county.counts


def demo_clock(now: datetime | None = None) -> datetime:
    """The demo's clock: `now` (an aware time; a naive one is the hub's civil time, China
    Standard Time) or the present, to the second, in UTC."""
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=CIVIL_TIME_ZONE)
    return now.astimezone(timezone.utc).replace(microsecond=0)


async def demo_anchors() -> dict[str, str]:
    """The region paths the demo users are bound to, looked up in the database."""
    county = await models.Region.get(code=DEMO_COUNTY_CODE)
    towns = await models.Region.filter(parent_id=county.id).order_by("code").limit(2)
    community = await models.Region.filter(parent_id=towns[0].id).order_by("code").first()
    grids = await models.Region.filter(parent_id=community.id, tier=Tier.GRID, deleted_at=None).order_by("code").limit(2)
    return {
        "county": county.region_path, "town": towns[0].region_path, "town2": towns[1].region_path,
        "community": community.region_path, "grid": grids[0].region_path,
        "sibling_grid": grids[1].region_path,
    }


class _Addresses:
    """Hands out unique standard addresses (一标) inside one grid: flats in the grid's
    compounds (小区) in a community, numbered houses of its villagers' groups (组) in a village."""

    def __init__(self, rng: random.Random, town: models.Region, community: models.Region,
                 urban: bool, names: list[str]):
        self._rng = rng
        self._area = f"{_ADDRESS_PREFIX}{town.name}{community.name}"
        self._village = community.name
        self._urban = urban
        self.names = names  # compounds, or villagers' groups
        self._taken: dict[str, int] = defaultdict(int)

    def home(self) -> dict[str, str]:
        name = self._rng.choice(self.names)
        k = self._taken[name]
        self._taken[name] += 1
        if not self._urban:
            spot = f"{self._village}{name}{k + 1}号"
            return {"name": spot, "address": self._area + f"{name}{k + 1}号"}
        # 6 floors, 2 units, 2 flats a landing: 24 flats a building
        building, unit, floor, flat = k // 24 + 1, k % 24 // 12 + 1, k % 12 // 2 + 1, k % 2 + 1
        room = f"{floor}0{flat}"
        spot = f"{name}{building}幢{unit}单元{room}室"
        return {"name": spot, "address": self._area + spot, "compound": name, "building": str(building),
                "unit": str(unit), "floor": str(floor), "room": room}

    def frontage(self) -> dict[str, str]:
        """A street address for a shop, office or public place."""
        if not self._urban:
            return {"address": self.home()["address"]}
        street = self._rng.choice(_STREETS)
        self._taken[street] += 1
        return {"address": f"{self._area}{street}{self._taken[street]}号"}


class _DemoCounty:
    """Draws the county phase by phase and inserts each phase's rows in foreign-key order."""

    def __init__(self, profile: _Profile, scale: float, seed: int, write: Writer, now: datetime):
        self.now = now
        self.today = now.astimezone(CIVIL_TIME_ZONE).date()
        self.split_at = now - SPLIT_AGO
        self.profile = profile
        self.scale = scale
        self.write = write
        self.rng = random.Random(seed)
        self.seed = seed
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.counts: dict[str, int] = {}
        self._ids: dict[type[Model], itertools.count] = defaultdict(lambda: itertools.count(1))
        self._pending: dict[type[Model], list[Model]] = defaultdict(list)
        # the tree
        self.county: models.Region
        self.towns: list[models.Region] = []
        self.communities: list[models.Region] = []
        self.grids: list[models.Region] = []
        self.micro_grids: dict[int, list[models.Region]] = defaultdict(list)
        self.region: dict[int, models.Region] = {}
        self.parent: dict[int, models.Region] = {}
        self.grid_of: dict[int, models.Region] = {}  # leaf (grid or micro-grid) id -> grid
        self.centre: dict[int, tuple[float, float]] = {}
        self.root_name: dict[int, str] = {}  # community id -> name without 社区/村
        self.urban: dict[int, bool] = {}  # community id -> a 社区 (not a 村)
        self.addresses: dict[int, _Addresses] = {}  # grid id
        # what lives in each grid's subtree
        self.persons: list[models.Person] = []
        self.age: dict[int, int] = {}  # person id -> age at the clock
        self.households: list[tuple[models.Household, models.Person]] = []  # with its head
        self.people_in: dict[int, list[models.Person]] = defaultdict(list)
        self.heads_in: dict[int, list[models.Person]] = defaultdict(list)
        self.place: dict[int, models.Place] = {}
        self.places_in: dict[int, list[models.Place]] = defaultdict(list)
        self.things_in: dict[int, list[models.Thing]] = defaultdict(list)
        self.lives_alone: set[int] = set()  # person ids
        self.tags: dict[int, list[str]] = defaultdict(list)  # person id -> tags
        self.departments: dict[str, models.Department] = {}
        self.government: dict[str, models.Organisation] = {}  # department code -> its office
        self.property_companies: dict[int, list[models.Organisation]] = defaultdict(list)  # community id
        self.public_centre: dict[int, models.Place] = {}  # community id -> 党群服务中心
        self.tree: dict[tuple, models.Place] = {}  # (grid id, (compound, building, unit)) -> its place
        self._compounds = [root + suffix for root in _PLACE_ROOTS for suffix in _COMPOUND_SUFFIXES]
        self.rng.shuffle(self._compounds)
        self._compounds_named = itertools.count()
        self._credit_codes: set[str] = set()
        self._id_numbers: set[str] = set()
        self._phones: set[str] = set()
        self._grid_workers: dict[int, str] = {}
        self.key_persons: list[int] = []  # person ids, with responsible staff and visits
        self.cared_persons: list[int] = []  # person ids with a care rule, and their care visits
        self._adults_in: dict[int, list[models.Person]] = {}  # grid id
        self.registers = Registers(seed)  # its own draws: the rest of the demo is as before
        self.party_branches: list[models.Organisation] = []
        self.volunteer_teams: list[tuple[models.Organisation, list[models.Person], models.Place]] = []

    async def build(self) -> None:
        self._regions()
        self._departments()
        await self._flush(models.Region, models.Department)
        self._households()
        await self._flush(models.Place, models.Household, models.Person)
        await self._set_household_heads()
        self._tenants()
        await self._flush(models.Place, models.Person, models.Residence)
        self._tags()
        await self._flush(models.PersonTag)
        await mark_party_members(self)
        self._service_places()
        self._organisations()
        await self._flush(models.Place, models.Organisation, models.Membership)
        linked = draw_programmes(self)
        await self._flush(models.JointHouseholdUnit, models.ServicePost, models.VolunteerActivity,
                          models.VolunteerHours)
        await link_units(linked)
        self._things()
        await self._flush(models.Thing)
        self._events()
        await self._flush(models.Event, models.EventPerson, models.EventThing, models.EventLog)
        self._staff()
        await self._flush(models.StaffAssignment)
        self._key_work()
        await self._flush(models.KeyPersonResponsibility, models.Event, models.EventPerson, models.EventLog)
        self._care_work()
        await self._flush(models.Event, models.EventPerson, models.EventLog)

    # ---- plumbing -------------------------------------------------------------------

    def _size(self, key: str, minimum: int = 0) -> int:
        return max(minimum, round(self.profile.sizes[key] * self.scale))

    def _new(self, model: type[Model], **fields) -> Model:
        fields.setdefault("id", next(self._ids[model]))
        row = model(**fields)
        self._pending[model].append(row)
        return row

    def _regional(self, model: type[Model], region: models.Region, **fields) -> Model:
        return self._new(model, region_id=region.id, region_path=region.region_path, **fields)

    async def _flush(self, *order: type[Model]) -> None:
        for model in order:
            rows = self._pending.pop(model, [])
            await self.write(model, rows)
            table = model._meta.db_table
            self.counts[table] = self.counts.get(table, 0) + len(rows)

    def _spread(self, total: int, buckets: int, minimum: int) -> list[int]:
        """`total` items over `buckets`, each getting at least `minimum`."""
        counts = [minimum] * buckets
        for _ in range(total - minimum * buckets):
            counts[self.rng.randrange(buckets)] += 1
        return counts

    @staticmethod
    def _apportion(total: int, weights: list[float], minimum: int) -> list[int]:
        """`total` items over buckets in proportion to `weights` (largest remainders), each
        getting at least `minimum`."""
        spare = max(0, total - minimum * len(weights))
        shares = [spare * w / sum(weights) for w in weights]
        counts = [int(share) for share in shares]
        by_remainder = sorted(range(len(weights)), key=lambda i: counts[i] - shares[i])
        for i in by_remainder[:spare - sum(counts)]:
            counts[i] += 1
        return [minimum + c for c in counts]

    def _pick(self, weights: dict):
        return self.rng.choices(list(weights), list(weights.values()))[0]

    def _near(self, centre: tuple[float, float], spread: float) -> tuple[float, float]:
        lon, lat = centre
        return (round(lon + self.rng.uniform(-spread, spread), 6),
                round(lat + self.rng.uniform(-spread, spread), 6))

    def _leaf(self, grid: models.Region, in_grid: bool = False) -> models.Region:
        """Where a row of `grid` lives: the grid itself, or half the time one of its micro-grids."""
        micro = self.micro_grids[grid.id]
        if in_grid or not micro or self.rng.random() < 0.5:
            return grid
        return self.rng.choice(micro)

    def _community_of(self, grid: models.Region) -> models.Region:
        return self.parent[grid.id]

    def _date_between(self, earliest: date, latest: date) -> date:
        return earliest + timedelta(days=self.rng.randint(0, (latest - earliest).days))

    # ---- the tree -------------------------------------------------------------------

    def _region(self, code: str, name: str, tier: Tier, parent: models.Region | None,
                centre: tuple[float, float]) -> models.Region:
        region = self._new(
            models.Region, code=code, name=name, tier=tier, parent_id=parent and parent.id,
            depth=parent.depth + 1 if parent else 0,
            region_path=models.Region.child_path(parent and parent.region_path, parent and parent.code, code))
        self.centre[region.id] = centre
        self.region[region.id] = region
        if parent:
            self.parent[region.id] = parent
        return region

    def _regions(self) -> None:
        self.county = self._region(DEMO_COUNTY_CODE, DEMO_COUNTY_NAME, Tier.COUNTY, None, _CENTRE)
        towns = self.profile.towns
        n_towns = min(len(towns), self._size("towns", minimum=2))
        for i, (code, name) in enumerate(towns[:n_towns]):
            centre = self._near(_CENTRE, 0.01 if i == 0 else 0.12)
            self.towns.append(self._region(DEMO_COUNTY_CODE + code, name, Tier.TOWN, self.county, centre))
        per_town = self._spread(self._size("communities"), n_towns, minimum=2)
        roots = self._root_names(sum(per_town))
        for town, n in zip(self.towns, per_town):
            for i in range(n):
                # the county seat is all communities (社区); elsewhere only the town seat is one
                self._community(town, roots.pop(0), urban=town is self.towns[0] or i == 0)
        per_community = self._spread(self._size("grids"), len(self.communities), minimum=2)
        micro_grids = iter(self._micro_grid_plan(sum(per_community)))
        for community, n in zip(self.communities, per_community):
            for i in range(1, n + 1):
                self._grid(community, i, next(micro_grids))
        self._draw_map()

    def _draw_map(self) -> None:
        children: dict[int, list[models.Region]] = defaultdict(list)
        for region in self.region.values():
            if region.id in self.parent:
                children[self.parent[region.id].id].append(region)
        self.map = DemoMap(self.seed, _CENTRE)
        self.map.partition(self.county, children, self.centre, {g for g, micro in self.micro_grids.items() if micro})

    def _located(self, leaf: models.Region, point: tuple[float, float]) -> tuple[float, float]:
        """A row's point inside the area of its region (resolvers.demo_map)."""
        return self.map.locate(leaf.id, point)

    def _root_names(self, n: int) -> list[str]:
        names = self.rng.sample(_PLACE_ROOTS, min(n, len(_PLACE_ROOTS)))
        # past the pool (scale > 1, the county profile), names repeat with a prefix: 新 (new), 大, …
        return [_ROOT_PREFIXES[i // len(names) % len(_ROOT_PREFIXES)] + names[i % len(names)] for i in range(n)]

    def _micro_grid_plan(self, grids: int) -> list[int | None]:
        """How many micro-grids each grid has, where the profile fixes their number: spread
        at random, so some grids have none, and the first has at least two (as at every
        scale); None leaves it to each grid."""
        if self.profile.micro_grids is None:
            return [None] * grids
        total = round(self.profile.micro_grids * self.scale)
        first = min(2, total)
        plan = self._spread(total - first, grids, minimum=0)
        plan[0] += first
        return plan

    def _community(self, town: models.Region, root: str, urban: bool) -> None:
        # statistical codes: 居委会 (communities) 001-199, 村委会 (villages) 200-399
        siblings = [c for c in self.communities if self.parent[c.id] is town and self.urban[c.id] == urban]
        number = len(siblings) + (1 if urban else 201)
        community = self._region(f"{town.code}{number:03d}", root + ("社区" if urban else "村"),
                                 Tier.COMMUNITY, town, self._near(self.centre[town.id], 0.025))
        self.communities.append(community)
        self.root_name[community.id] = root
        self.urban[community.id] = urban

    def _grid(self, community: models.Region, number: int, micro_grids: int | None) -> None:
        grid = self._region(f"{community.code}{number:03d}", f"{community.name}第{_numeral(number)}网格",
                            Tier.GRID, community, self._near(self.centre[community.id], 0.006))
        self.grids.append(grid)
        self.grid_of[grid.id] = grid
        town = self.parent[community.id]
        if self.urban[community.id]:
            names = [self._compound() for _ in range(self.rng.randint(1, 2))]
        else:
            names = [f"{(number - 1) * 3 + g}组" for g in range(1, 4)]
        self.addresses[grid.id] = _Addresses(self.rng, town, community, self.urban[community.id], names)
        if micro_grids is None:
            # the first grid always has micro-grids, so a grid's subtree has depth at every scale
            split = len(self.grids) == 1 or self.rng.random() < 0.25
            micro_grids = self.rng.randint(2, 4) if split else 0
        for j in range(1, micro_grids + 1):
            micro = self._region(f"{grid.code}{j:03d}", f"{grid.name}{j}号微网格", Tier.MICRO_GRID,
                                 grid, self._near(self.centre[grid.id], 0.0015))
            self.micro_grids[grid.id].append(micro)
            self.grid_of[micro.id] = grid

    def _compound(self) -> str:
        """A compound (小区) name unique in the county; past the pool, later phases (二期)."""
        phase, i = divmod(next(self._compounds_named), len(self._compounds))
        return self._compounds[i] + (f"{_numeral(phase + 1)}期" if phase else "")

    def _departments(self) -> None:
        for code, name in DEPARTMENTS:
            self.departments[code] = self._new(models.Department, code=code, name=name)

    # ---- people and their homes -------------------------------------------------------

    def _place(self, leaf: models.Region, kind: PlaceKind, usage: str, spot: dict[str, str],
               name: str | None = None, node: bool = False, **fields) -> models.Place:
        """`node`: a compound, building or unit of the place tree, drawing no random numbers
        (the rest of the demo is drawn as before the tree was), not among the places events and
        things are drawn at, and without a point of its own: it belongs to the grid, while its
        flats lie in the grid's micro-grids and, at a grid's edge, beside it."""
        if spot.get("compound") and kind in (PlaceKind.HOUSE, PlaceKind.RENTAL_HOUSE):
            fields["parent_id"] = self._unit_of(self.grid_of[leaf.id], spot).id
        place_id = next(self._ids[models.Place])
        lon, lat = (None, None) if node else self._located(leaf, self._near(self.centre[leaf.id], 0.0015))
        spot = dict(spot)
        spot_name = spot.pop("name", None)
        place = self._regional(models.Place, leaf, id=place_id, code=f"{leaf.code}{place_id:06d}",
                               address_code=f"{leaf.code}{place_id:06d}",  # 一标: region code + serial
                               name=name or spot_name, kind=kind, usage=usage, longitude=lon,
                               latitude=lat, **spot, **fields)
        self.place[place.id] = place
        if not node:
            self.places_in[self.grid_of[leaf.id].id].append(place)
        return place

    def _unit_of(self, grid: models.Region, spot: dict[str, str]) -> models.Place:
        """The unit (单元) a flat lies in, with its building (楼栋) and compound (小区), each
        made with its own standard address code the first time a flat of it is handed out.
        They belong to the grid: a compound's flats lie in several of its micro-grids."""
        compound, building, unit = spot["compound"], spot["building"], spot["unit"]
        area = spot["address"][:-len(spot["name"])]
        parent = None
        for kind, key in ((PlaceKind.COMPOUND, (compound,)), (PlaceKind.BUILDING, (compound, building)),
                          (PlaceKind.UNIT, (compound, building, unit))):
            node = self.tree.get((grid.id, key))
            if node is None:
                name = compound + (f"{building}幢" if len(key) > 1 else "") + (f"{unit}单元" if len(key) > 2 else "")
                node = self.tree[(grid.id, key)] = self._place(
                    grid, kind, "住宅", {"name": name, "address": area + name, "compound": compound,
                                        "building": key[1] if len(key) > 1 else "", "unit": key[2] if len(key) > 2 else ""},
                    node=True, parent_id=parent and parent.id)
            parent = node
        return parent

    def _id_number(self, born: date, gender: Gender, area: str) -> str:
        """GB 11643: area, birth date, a sequence whose parity is the gender, check digit."""
        while True:
            sequence = self.rng.randrange(0, 1000, 2) + (gender is Gender.MALE)
            first17 = f"{area}{born:%Y%m%d}{sequence:03d}"
            if first17 not in self._id_numbers:
                self._id_numbers.add(first17)
                return first17 + id_number_check_digit(first17)

    def _document(self, born: date, gender: Gender, id_type: IdType, nationality: str) -> str:
        """An overseas resident's document number, by its type's rules."""
        if id_type is IdType.HK_MACAO_RESIDENCE_PERMIT:
            return self._id_number(born, gender, "810000")
        if id_type is IdType.TAIWAN_RESIDENCE_PERMIT:
            return self._id_number(born, gender, "830000")
        if id_type is IdType.FOREIGN_PERMANENT_RESIDENCE:  # 2023: 9, Anhui (34), the nationality's number
            return self._id_number(born, gender, "934" + pycountry.countries.get(alpha_3=nationality).numeric)
        prefix = {IdType.HK_MACAO_TRAVEL_PERMIT: "H", IdType.TAIWAN_TRAVEL_PERMIT: ""}.get(id_type, "A")
        while True:
            number = f"{prefix}{self.rng.randrange(10**8):08d}"
            if number not in self._id_numbers:
                self._id_numbers.add(number)
                return number

    def _phone(self, age: int) -> str | None:
        if age < 14 or self.rng.random() < (0.4 if age >= 80 else 0.08):
            return None
        while True:
            phone = self.rng.choice(_MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self._phones:
                self._phones.add(phone)
                return phone

    def _birth_date(self, age: int) -> date:
        return self.today - timedelta(days=age * 365 + self.rng.randint(1, 364))

    def _name(self, gender: Gender, surname: str | None = None) -> str:
        given = self.fake.first_name_male() if gender is Gender.MALE else self.fake.first_name_female()
        return (surname or self.fake.last_name()) + given

    def _person(self, leaf: models.Region, gender: Gender, age: int, population_type: PopulationType,
                residence: models.Place, surname: str | None = None, area: str = DEMO_COUNTY_CODE,
                document: tuple[IdType, str] = (IdType.RESIDENT_ID, "CHN"), **fields) -> models.Person:
        born = self._birth_date(age)
        age = _age(born, self.today)  # the drawn age, give or take the leap days
        id_type, nationality = document
        id_number = (self._id_number(born, gender, area) if id_type is IdType.RESIDENT_ID
                     else self._document(born, gender, id_type, nationality))
        person = self._regional(
            models.Person, leaf, id_type=id_type, id_number=id_number, nationality=nationality,
            name=self._name(gender, surname),
            gender=gender, birth_date=born, phone=self._phone(age),
            ethnicity="汉族" if self.rng.random() < 0.985 else self.rng.choice(_MINORITIES),
            population_type=population_type, residence_id=residence.id,
            **self.registers.basic_data(age, area, id_type), **fields)
        self.persons.append(person)
        self.age[person.id] = age
        self.people_in[self.grid_of[leaf.id].id].append(person)
        return person

    def _stay(self, person: models.Person, place: models.Place, started_on: date,
              ended_on: date | None = None, note: str = "", expires_on: date | None = None) -> None:
        """A Residence row: lives at `place` from `started_on` (to `ended_on`)."""
        self._new(models.Residence, person_id=person.id, place_id=place.id, landlord_id=place.landlord_id,
                  started_on=started_on, ended_on=ended_on, expires_on=expires_on, note=note,
                  region_id=place.region_id, region_path=place.region_path)

    def _registration_expiry(self, person: models.Person, arrived: date) -> date:
        """A newcomer's registration, renewed each year since arrival (居住登记签注); one in ten
        was not renewed and has lapsed, so the renewal list has work on it."""
        years = -(-((self.today - arrived).days + 1) // REGISTRATION_DAYS)
        return arrived + timedelta(days=REGISTRATION_DAYS * (years - (person.id % 10 == 0)))

    def _family(self) -> list[tuple[HouseholdRelation, Gender, int]]:
        """(relation, gender, age) of each member of a registered household, the head first."""
        size = self.rng.choices((1, 2, 3, 4, 5), (20, 28, 24, 16, 12))[0]
        head_gender = Gender.MALE if self.rng.random() < 0.75 else Gender.FEMALE
        head_age = round(self.rng.triangular(25, 90, 55))
        family = [(HouseholdRelation.HEAD, head_gender, head_age)]
        if size >= 2 and self.rng.random() < 0.85:
            spouse = Gender.FEMALE if head_gender is Gender.MALE else Gender.MALE
            family.append((HouseholdRelation.SPOUSE, spouse, max(20, head_age + self.rng.randint(-5, 5))))
        parents = [Gender.MALE, Gender.FEMALE] if head_age <= 60 else []
        while len(family) < size:
            relation = self.rng.choices(
                (HouseholdRelation.CHILD, HouseholdRelation.PARENT, HouseholdRelation.GRANDCHILD),
                (6, 2 if parents else 0, 2 if head_age >= 50 else 0))[0]
            if relation is HouseholdRelation.PARENT:
                family.append((relation, parents.pop(0), min(100, head_age + self.rng.randint(22, 32))))
                continue
            gap = (22, 38) if relation is HouseholdRelation.CHILD else (45, 60)
            age = max(0, head_age - self.rng.randint(*gap))
            family.append((relation, self.rng.choice((Gender.MALE, Gender.FEMALE)), age))
        return family

    def _households(self) -> None:
        # grids differ in size as Nanling's do (300-600 households at scale 1.0), the one to
        # be split in the county's history twice as large
        weights = [self.rng.uniform(320, 580) * (2 if grid is self.split_grid() else 1) for grid in self.grids]
        per_grid = self._apportion(self._size("households"), weights, minimum=2)
        for grid, n in zip(self.grids, per_grid):
            for i in range(n):
                # the first household lives in the grid itself, so every grid has residents
                self._household(self._leaf(grid, in_grid=i == 0))

    def _household(self, leaf: models.Region) -> None:
        grid = self.grid_of[leaf.id]
        house = self._place(leaf, PlaceKind.HOUSE, "住宅", self.addresses[grid.id].home())
        household_id = next(self._ids[models.Household])
        household = self._regional(models.Household, leaf, id=household_id,
                                   code=f"{leaf.code}H{household_id:05d}", place_id=house.id)
        moved_in = self.today - timedelta(days=self.rng.randint(30, 30 * 365))
        family = self._family()
        family_name = self.fake.last_name()
        for relation, gender, age in family:
            # the spouse and the head's mother keep their own family names
            married_in = relation is HouseholdRelation.SPOUSE or (
                relation is HouseholdRelation.PARENT and gender is Gender.FEMALE)
            person = self._person(
                leaf, gender, age, PopulationType.REGISTERED, house, surname=None if married_in else family_name,
                household_id=household_id, relation_to_head=relation, registered_address=house.address)
            if relation is HouseholdRelation.HEAD:
                house.owner_name = person.name
                self.households.append((household, person))
                self.heads_in[grid.id].append(person)
                if len(family) == 1:
                    self.lives_alone.add(person.id)
            self._stay(person, house, max(person.birth_date, moved_in), note="户籍人口")

    async def _set_household_heads(self) -> None:
        """Households and their heads point at each other, so a household gets its head
        once the persons are stored."""
        for household, head in self.households:
            household.head_id = head.id
        await models.Household.bulk_update([h for h, _ in self.households], fields=["head_id"], batch_size=1000)

    def _tenants(self) -> None:
        """The floating and overseas population: tenants of rental houses, registered on
        arrival with the landlord; about a third of the floating ones moved here from
        another rental, which shows as ended stays (人来登记、人走注销)."""
        registered = len(self.persons)
        registered_share, floating_share, overseas_share = self.profile.population
        floating = max(1, round(registered * floating_share / registered_share))
        overseas = max(1, round(registered * overseas_share / registered_share))
        tenants_per_rental = 3
        rentals = [self._rental(self.rng.choice(self.grids))
                   for _ in range(max(2, round((floating + overseas) / tenants_per_rental)))]
        for i in range(floating + overseas):
            population_type = PopulationType.FLOATING if i < floating else PopulationType.OVERSEAS
            rental = self.rng.choice(rentals)
            if population_type is PopulationType.FLOATING:
                place, area = self.rng.choice(_ORIGINS)
                origin = f"{place}{self.fake.street_name()}{self.rng.randint(1, 200)}号"
                document = (IdType.RESIDENT_ID, "CHN")
            else:
                origin, *document = self.rng.choice(_ABROAD)
                area = DEMO_COUNTY_CODE
            gender = Gender.MALE if self.rng.random() < 0.55 else Gender.FEMALE
            person = self._person(self.region[rental.region_id], gender, self.rng.randint(22, 60),
                                  population_type, rental, registered_address=origin, area=area,
                                  document=tuple(document))
            arrived = self.today - timedelta(days=self.rng.randint(20, 900))
            if population_type is PopulationType.FLOATING and self.rng.random() < 1 / 3:
                self._earlier_stays(person, rental, rentals, arrived)
            self._stay(person, rental, arrived, note="流动人口登记",
                       expires_on=self._registration_expiry(person, arrived))

    def _rental(self, grid: models.Region) -> models.Place:
        landlord = self.rng.choice(self.heads_in[grid.id])
        return self._place(self._leaf(grid), PlaceKind.RENTAL_HOUSE, "出租", self.addresses[grid.id].home(),
                           owner_name=landlord.name, landlord_id=landlord.id)

    def _earlier_stays(self, person: models.Person, current: models.Place, rentals: list[models.Place],
                       arrived: date) -> None:
        others = [r for r in rentals if r is not current]
        earlier = self.rng.sample(others, min(len(others), self.rng.randint(1, 2)))
        stays, ended = [], arrived
        for place in earlier:
            started = ended - timedelta(days=self.rng.randint(60, 500))
            stays.append((place, started, ended))
            ended = started
        for place, started, ended in reversed(stays):
            self._stay(person, place, started, ended, note="迁出注销")

    # ---- tags ------------------------------------------------------------------------

    def _tags(self) -> None:
        for tag, rate, eligible in _TAG_RATES:
            pool = [p for p in self.persons if eligible(p, self.age[p.id], p.id in self.lives_alone)]
            for person in self.rng.sample(pool, min(len(pool), round(rate * len(self.persons)))):
                self.tags[person.id].append(tag)
        # the demo users of the first grid must see someone cared for and someone watched
        first_grid = self.grids[0]
        residents = [p for p in self.people_in[first_grid.id] if p.region_id == first_grid.id]
        self._ensure_tag(residents, "care/", "care/low_income")
        # three key persons: one visited this week, one due in days, one overdue (_key_work)
        self._ensure_tag(residents, "key/", "key/petitioner", count=3)
        for grid in self.grids:
            self._ensure_party_members(grid)
        for person in self.persons:
            for tag in self.tags.get(person.id, ()):
                self._new(models.PersonTag, person_id=person.id, tag=tag, region_id=person.region_id,
                          region_path=person.region_path)

    def _tagged(self, person: models.Person, prefix: str) -> bool:
        return any(t.startswith(prefix) for t in self.tags.get(person.id, ()))

    def _ensure_tag(self, residents: list[models.Person], prefix: str, tag: str, count: int = 1) -> None:
        missing = count - sum(self._tagged(p, prefix) for p in residents)
        for adult in [p for p in self._adults(residents) if not self._tagged(p, prefix)][:max(0, missing)]:
            self.tags[adult.id].append(tag)

    def _ensure_party_members(self, grid: models.Region) -> None:
        adults = self._adults(self.people_in[grid.id])
        missing = _BRANCH_MINIMUM - sum(self._tagged(p, "role/party_member") for p in adults)
        for person in [p for p in adults if not self._tagged(p, "role/party_member")][:max(0, missing)]:
            self.tags[person.id].append("role/party_member")

    # ---- places of service and organisations -------------------------------------------

    def _service_places(self) -> None:
        for community in self.communities:
            grid = self._grids_of(community)[0]
            self.public_centre[community.id] = self._place(
                grid, PlaceKind.PUBLIC_PLACE, "党群服务", self.addresses[grid.id].frontage(),
                name=f"{community.name}党群服务中心")
        for _ in range(self._size("public_places")):
            grid = self.rng.choice(self.grids)
            usage, label = self.rng.choice(_PUBLIC_PLACES)
            self._place(self._leaf(grid), PlaceKind.PUBLIC_PLACE, usage, self.addresses[grid.id].frontage(),
                        name=self.root_name[self._community_of(grid).id] + label)
        for _ in range(self._size("shops")):
            grid = self.rng.choice(self.grids)
            usage, pattern = self.rng.choice(_SHOPS)
            name = pattern.format(s=self.fake.last_name(), r=self.root_name[self._community_of(grid).id])
            self._place(self._leaf(grid), PlaceKind.SHOP, usage, self.addresses[grid.id].frontage(),
                        name=name, owner_name=self._name(Gender.MALE))

    def _grids_of(self, community: models.Region) -> list[models.Region]:
        return [g for g in self.grids if self.parent[g.id] is community]

    def _credit_code(self, kind: OrganisationKind) -> str | None:
        prefix = _CREDIT_PREFIXES.get(kind)
        if prefix is None:
            return None
        while True:
            body = "".join(self.rng.choice(_CREDIT_ALPHABET) for _ in range(9))
            first17 = f"{prefix}{DEMO_COUNTY_CODE}{body}"
            if first17 not in self._credit_codes:
                self._credit_codes.add(first17)
                return first17 + credit_code_check_char(first17)

    def _organisation(self, kind: OrganisationKind, name: str, region: models.Region,
                      place: models.Place | None = None, legal_representative: str = "") -> models.Organisation:
        return self._regional(models.Organisation, region, credit_code=self._credit_code(kind), name=name,
                              kind=kind, legal_representative=legal_representative,
                              place_id=place and place.id)

    def _enrol(self, organisation: models.Organisation, people: list[models.Person], roles: list[str]) -> None:
        """Membership rows: the i-th person gets roles[i], or the last role once they run out."""
        latest = self.today - timedelta(days=7)
        for i, person in enumerate(people):
            # joined in the last ten years, at sixteen (volunteers) or older
            earliest = max(person.birth_date + timedelta(days=16 * 366), self.today - timedelta(days=3650))
            joined = self._date_between(min(earliest, latest), latest)
            self._new(models.Membership, organisation_id=organisation.id, person_id=person.id,
                      role=roles[min(i, len(roles) - 1)], started_on=joined)

    def _adults(self, people: list[models.Person]) -> list[models.Person]:
        return [p for p in people if self.age[p.id] >= _ADULT]

    def _organisations(self) -> None:
        self._government_offices()
        for grid in self.grids:
            self._party_organisations(grid)
        for community in self.communities:
            self._volunteer_team(community)
        self._enterprises()
        self._self_employed()
        for _ in range(self._size("property_management")):
            self._property_company()
        for _ in range(self._size("owners_committees")):
            self._owners_committee()
        for i in range(self._size("social")):
            self._society(_SOCIETIES[i % len(_SOCIETIES)])
        for _ in range(self._size("schools", minimum=1)):
            self._school()

    def _seat_grid(self) -> models.Region:
        """A grid of the county seat, where offices and county-wide bodies sit."""
        return self.rng.choice([g for g in self.grids if self.parent[self._community_of(g).id] is self.towns[0]])

    def _office(self, grid: models.Region, name: str) -> models.Place:
        return self._place(self._leaf(grid), PlaceKind.OFFICE, "办公", self.addresses[grid.id].frontage(), name=name)

    def _community_adults(self, grid: models.Region) -> list[models.Person]:
        return self._adults([p for g in self._grids_of(self._community_of(grid)) for p in self.people_in[g.id]])

    def _staffed(self, kind: OrganisationKind, name: str, grid: models.Region, place: models.Place | None,
                 roles: list[str], staff: int) -> models.Organisation:
        """An organisation run by one person of the community, its legal representative."""
        people = self._community_adults(grid)
        chosen = self.rng.sample(people, min(len(people), 1 + staff))
        region = self.region[place.region_id] if place else self._leaf(grid)
        organisation = self._organisation(kind, name, region, place, legal_representative=chosen[0].name)
        self._enrol(organisation, chosen, roles)
        return organisation

    def _government_offices(self) -> None:
        for code, department in self.departments.items():
            name = f"{DEMO_COUNTY_NAME}{department.name}"
            office = self._office(self._seat_grid(), name)
            self.government[code] = self._organisation(
                OrganisationKind.GOVERNMENT, name, self.region[office.region_id], office,
                legal_representative=self._name(Gender.MALE))

    def _party_organisations(self, grid: models.Region) -> None:
        """A party branch per grid (网格党支部), a party group (党小组) in some micro-grids."""
        members = [p for p in self.people_in[grid.id] if "role/party_member" in self.tags.get(p.id, ())]
        members.sort(key=lambda p: -self.age[p.id])  # elders lead
        branch = self._organisation(OrganisationKind.PARTY_BRANCH, f"{grid.name}党支部", grid)
        self.party_branches.append(branch)
        self._enrol(branch, members, ["书记", "委员", "委员", "党员"])
        for micro in self.micro_grids[grid.id]:
            local = [p for p in members if p.region_id == micro.id]
            if local and self.rng.random() < 1 / 3:
                group = self._organisation(OrganisationKind.PARTY_GROUP, f"{micro.name}党小组", micro)
                self._enrol(group, local, ["组长", "党员"])

    def _volunteer_team(self, community: models.Region) -> None:
        centre = self.public_centre[community.id]
        people = [p for g in self._grids_of(community) for p in self.people_in[g.id]
                  if "role/volunteer" in self.tags.get(p.id, ())]
        team = self._organisation(OrganisationKind.VOLUNTEER_TEAM, f"{community.name}志愿服务队",
                                  self.region[centre.region_id], centre)
        self.volunteer_teams.append((team, people, centre))
        self._enrol(team, people, ["队长", "志愿者"])

    def _enterprises(self) -> None:
        for _ in range(self._size("enterprises")):
            grid = self.rng.choice(self.grids)
            name = f"{DEMO_COUNTY_NAME}{self.fake.company_prefix()}{self.rng.choice(_INDUSTRIES)}有限公司"
            if self.rng.random() < 0.6:
                place = self._place(self._leaf(grid), PlaceKind.FACTORY, "生产", self.addresses[grid.id].frontage(),
                                    name=name + "厂区")
            else:
                place = self._office(grid, name)
            self._staffed(OrganisationKind.ENTERPRISE, name, grid, place, ["法定代表人", "成员"],
                          self.rng.randint(1, 5))

    def _self_employed(self) -> None:
        """Individual businesses (个体工商户) run some of the shops."""
        shops = [p for grid in self.grids for p in self.places_in[grid.id] if p.kind is PlaceKind.SHOP]
        for shop in self.rng.sample(shops, min(len(shops), self._size("self_employed"))):
            grid = self.grid_of[shop.region_id]
            town = self.parent[self._community_of(grid).id]
            organisation = self._staffed(OrganisationKind.SELF_EMPLOYED, f"{DEMO_COUNTY_NAME}{town.name}{shop.name}",
                                         grid, shop, ["经营者", "成员"], self.rng.randint(0, 2))
            shop.owner_name = organisation.legal_representative

    def _urban_grid(self) -> models.Region:
        return self.rng.choice([g for g in self.grids if self.urban[self._community_of(g).id]])

    def _property_company(self) -> None:
        grid = self._urban_grid()
        name = f"{DEMO_COUNTY_NAME}{self.fake.company_prefix()}物业管理有限公司"
        company = self._staffed(OrganisationKind.PROPERTY_MANAGEMENT, name, grid, self._office(grid, name),
                                ["法定代表人", "成员"], self.rng.randint(1, 4))
        self.property_companies[self._community_of(grid).id].append(company)

    def _owners_committee(self) -> None:
        grid = self._urban_grid()
        compound = self.rng.choice(self.addresses[grid.id].names)
        # 实有单位 on its premises: the committee sits in its compound (where a flat was handed out)
        self._staffed(OrganisationKind.OWNERS_COMMITTEE, f"{compound}业主委员会", grid,
                      self.tree.get((grid.id, (compound,))),
                      ["主任", "委员"], self.rng.randint(2, 4))

    def _society(self, name: str) -> None:
        grid = self._seat_grid()
        self._staffed(OrganisationKind.SOCIAL, f"{DEMO_COUNTY_NAME}{name}", grid, None, ["会长", "会员"],
                      self.rng.randint(2, 6))

    def _school(self) -> None:
        grid = self.rng.choice(self.grids)
        name = self.root_name[self._community_of(grid).id] + self.rng.choice(_SCHOOLS)
        place = self._place(self._leaf(grid), PlaceKind.SCHOOL, "教育", self.addresses[grid.id].frontage(), name=name)
        self._staffed(OrganisationKind.SCHOOL, name, grid, place, ["校长", "教师"], self.rng.randint(1, 4))

    # ---- things ----------------------------------------------------------------------

    def _things(self) -> None:
        per_grid = self._spread(self._size("things"), len(self.grids), minimum=1)
        for grid, n in zip(self.grids, per_grid):
            urban = self.urban[self._community_of(grid).id]
            kinds = {k: t.weight for k, t in _THING_TYPES.items() if urban or not t.urban_only}
            numbers: dict[ThingKind, int] = defaultdict(int)
            for i in range(n):
                # every grid has a fire hydrant
                kind = ThingKind.HYDRANT if i == 0 else self._pick(kinds)
                numbers[kind] += 1
                self._thing(grid, kind, numbers[kind])

    def _thing(self, grid: models.Region, kind: ThingKind, number: int) -> None:
        kind_info = _THING_TYPES[kind]
        place = self.rng.choice(self.places_in[grid.id]) if self.rng.random() < 0.4 else None
        leaf = self.region[place.region_id] if place else self._leaf(grid)
        lon, lat = self._located(leaf, self._near((place.longitude, place.latitude) if place else self.centre[leaf.id],
                                                  0.0005))
        status = self.rng.choices(list(ThingStatus), (88, 8, 4))[0]
        inspected = (self.now - timedelta(minutes=self.rng.randint(60, 180 * 24 * 60))
                     if self.rng.random() < 0.9 else None)
        thing_id = next(self._ids[models.Thing])
        thing = self._regional(
            models.Thing, leaf, id=thing_id, code=f"{leaf.code}{list(ThingKind).index(kind):02d}{thing_id:06d}",
            name=f"{grid.name}{kind_info.label}{number}号", kind=kind, status=status,
            owner_id=self._thing_owner(grid, kind), place_id=place and place.id,
            department_id=kind_info.department and self.departments[kind_info.department].id,
            longitude=lon, latitude=lat, last_inspected_at=inspected)
        self.things_in[grid.id].append(thing)

    def _thing_owner(self, grid: models.Region, kind: ThingKind) -> int | None:
        """Lifts belong to the compound's property company, public facilities to the
        department's office that answers for them."""
        if kind is ThingKind.ELEVATOR:
            companies = self.property_companies[self._community_of(grid).id]
            return self.rng.choice(companies).id if companies else None
        department = _THING_TYPES[kind].department
        return self.government[department].id if department else None

    # ---- events ----------------------------------------------------------------------

    def _events(self) -> None:
        statuses = [s for s in EventStatus if s in _FLOW or s in FINISHED]  # the corrections' states: below
        for i in range(max(len(statuses), self._size("events"))):
            # the first events, one per status, are in the first grid, so that every scale
            # has the whole workflow and every light to test against
            if i < len(statuses):
                self._event(self.grids[0], statuses[i], _HYDRANT_REPORT if i == 0 else None,
                            *_FIRST_EVENTS[statuses[i]])
                if i == len(statuses) - 1:  # and one reported this week, for this week's bulletin
                    self._event(self.grids[0], EventStatus.REPORTED, reported_at=self._this_week())
            else:
                grid = self.grid_of[self.rng.choice(self.persons).region_id]  # busier where more live
                self._event(grid, self._pick(_STATUS_WEIGHTS))
        # drawn from a stream put back afterwards: the rest of the county (staff, visits) is
        # drawn as it was before the corrections existed
        state = self.rng.getstate()
        for path, light, handled_by in _CORRECTED_EVENTS:
            event = self._event(self.grids[0], path[-1], None, light, handled_by, path=list(path))
            if path[-1] is EventStatus.HANDLING:
                self._urge(event, ("town", "town"))
        self.rng.setstate(state)

    # ---- staff (1+1+N) -----------------------------------------------------------------

    def gap_grid(self) -> models.Region:
        """The one grid without a worker: the last grid of the first town (never a demo user's)."""
        town = min(self.towns, key=lambda t: t.code)
        return max((g for g in self.grids if g.region_path.startswith(town.region_path)), key=lambda g: g.code)

    def _staff(self) -> None:
        """1+1+N: a worker and a leader for every grid but `gap_grid()`, which has neither (a
        staffing gap of both roles), and its N: the community's police officer, one or two
        party members, one to three volunteers, and a liaison in every other grid, chosen
        among the grid's adult residents where it has some. Last of all phases, so the rows
        drawn before are those of a county without staff."""
        gap = self.gap_grid()
        # the N from a generator of their own: the phases after draw what they drew before N
        rng, fake = random.Random(f"{self.seed}-staff"), Faker("zh_CN")
        fake.seed_instance(f"{self.seed}-staff")

        def name(gender: Gender) -> str:
            return fake.last_name() + (fake.first_name_male() if gender is Gender.MALE else fake.first_name_female())

        for i, grid in enumerate(sorted(self.grids, key=lambda g: g.code)):
            started = self.today - timedelta(days=1000 - (i * 37) % 600)
            if grid is not gap:
                self._regional(models.StaffAssignment, grid, role=StaffRole.WORKER, name=self._grid_worker(grid),
                               started_on=started)
            if i % 2 == 0 and grid is not gap:  # drawn as before N
                self._regional(models.StaffAssignment, grid, role=StaffRole.LEADER,
                               name=self._name(self.rng.choice((Gender.MALE, Gender.FEMALE))), started_on=started)
            elif grid is not gap:
                self._regional(models.StaffAssignment, grid, role=StaffRole.LEADER,
                               name=name(rng.choice((Gender.MALE, Gender.FEMALE))), started_on=started)
            residents = self._grid_adults(grid)
            self._regional(models.StaffAssignment, grid, role=StaffRole.POLICE, name=name(Gender.MALE),
                           started_on=started)
            n = ([StaffRole.PARTY_MEMBER] * rng.randint(1, 2) + [StaffRole.VOLUNTEER] * rng.randint(1, 3)
                 + [StaffRole.LIAISON] * (i % 2))
            for role, person in zip(n, rng.sample(residents, min(len(n), len(residents)))):
                self._regional(models.StaffAssignment, grid, role=role, name=person.name, person_id=person.id,
                               started_on=started + timedelta(days=rng.randint(0, 300)))

    # ---- key persons (1+3+N) and their visits ------------------------------------------

    def _key_work(self) -> None:
        """Around every key person: its grid's worker (none in the staffing gap), the
        community's police officer and a cadre, and the head of its household where that is
        someone else; visits (走访) at the interval of its visit rule, the last one up to 1.3
        intervals before the clock, so that some are overdue then (and more as days pass); in
        the first grid, one was visited this week, one is due in days and one is overdue.
        After the staff, so the rows drawn before are those of a county without key work."""
        rules = dict(DEFAULT_RULES)
        head_of = {household.id: head for household, head in self.households}
        gap = self.gap_grid()
        officers: dict[int, tuple[str, str]] = {}  # community id -> (police officer, cadre)
        first_grid_keys = 0
        for person in self.persons:
            keys = [t for t in self.tags[person.id] if t.startswith("key/")]
            if not keys:
                continue
            self.key_persons.append(person.id)
            leaf, grid = self.region[person.region_id], self.grid_of[person.region_id]
            community = self._community_of(grid)
            if community.id not in officers:
                officers[community.id] = (self._name(Gender.MALE),
                                          self._name(self.rng.choice((Gender.MALE, Gender.FEMALE))))
            police, cadre = officers[community.id]
            serving = [(ResponsibleRole.POLICE, police, None), (ResponsibleRole.CADRE, cadre, None)]
            if grid is not gap:
                serving.insert(0, (ResponsibleRole.GRID_WORKER, self._grid_worker(grid), None))
            head = head_of.get(person.household_id)
            if head is not None and head is not person:
                serving.append((ResponsibleRole.FAMILY, head.name, head.id))
            since = self.today - timedelta(days=self.rng.randint(60, 720))
            for role, name, person_id in serving:
                self._regional(models.KeyPersonResponsibility, leaf, key_person_id=person.id, role=role,
                               name=name, person_id=person_id, started_on=since)
            days = rule_days(keys, rules) or 90
            at = self.now - timedelta(seconds=int(days * 86400 * self.rng.uniform(0.1, 1.3)))
            if grid is self.grids[0] and first_grid_keys < 3:  # the demo users' grid, at every scale
                at = (self._this_week(),  # visited this week
                      self.now - timedelta(days=days) + timedelta(hours=self.rng.randint(24, 120)),  # due in days
                      self.now - timedelta(days=days + self.rng.randint(3, 20)))[first_grid_keys]  # overdue
                first_grid_keys += 1
            while True:  # the last visit, then those before it within the history
                by_police = grid is gap or self.rng.random() < 0.2
                self._visit(person, leaf, police if by_police else self._grid_worker(grid),
                            "police" if by_police else "worker", at)
                at -= timedelta(seconds=int(days * 86400 * self.rng.uniform(0.8, 1.0)))
                if at <= self.now - _VISIT_HISTORY:
                    break

    def _care_work(self) -> None:
        """Care visits (关爱走访) to every person with a care rule (the elderly living alone
        weekly, low-income households monthly), by the grid's worker or, one in five, civil
        affairs, the last up to 1.3 intervals before the clock and the others back over
        _CARE_HISTORY; in the first grid, one was visited this week, one is due in days and one
        is overdue. Last of the phases, so the rows drawn before are those of a county
        without care work."""
        rules = {t: d for t, d in DEFAULT_RULES if is_care(t)}
        first_grid = 0
        for person in self.persons:
            days = rule_days([t for t in self.tags[person.id] if is_care(t)], rules)
            if days is None:
                continue
            self.cared_persons.append(person.id)
            leaf, grid = self.region[person.region_id], self.grid_of[person.region_id]
            at = self.now - timedelta(seconds=int(days * 86400 * self.rng.uniform(0.1, 1.3)))
            if grid is self.grids[0] and first_grid < 3:  # the demo users' grid, at every scale
                at = (self._this_week(),
                      self.now - timedelta(days=days) + timedelta(hours=self.rng.randint(24, 72)),
                      self.now - timedelta(days=days + self.rng.randint(2, 20)))[first_grid]
                first_grid += 1
            while True:
                by_civil = self.rng.random() < 0.2
                self._visit(person, leaf, "civil" if by_civil else self._grid_worker(grid),
                            "civil" if by_civil else "worker", at, care=True)
                at -= timedelta(seconds=int(days * 86400 * self.rng.uniform(0.8, 1.0)))
                if at <= self.now - _CARE_HISTORY:
                    break

    def _visit(self, person: models.Person, leaf: models.Region, visitor: str, actor: str, at: datetime,
               care: bool = False) -> None:
        """A visit as the hub records one (resolvers.visits.record_visit): a closed VISIT event
        at the person's home, naming the person."""
        place = self.place.get(person.residence_id)
        lon, lat = ((place.longitude, place.latitude) if place
                    else self._located(leaf, self._near(self.centre[leaf.id], 0.001)))
        note = self.rng.choice(_VISIT_NOTES)
        event = self._regional(
            models.Event, leaf, id=next(self._ids[models.Event]),
            title=f"{'关爱走访' if care else '入户走访'}{person.name}", description=note,
            kind=EventKind.VISIT, category=CARE_VISIT_CATEGORY if care else KEY_VISIT_CATEGORY, source=EventSource.PATROL, reporter_name=visitor,
            occurred_at=at, place_id=place and place.id, longitude=lon, latitude=lat, status=EventStatus.CLOSED,
            closed_at=at, created_at=at, reported_region_id=leaf.id, **due_columns(None))
        self._new(models.EventPerson, event_id=event.id, person_id=person.id)
        self._new(models.EventLog, event_id=event.id, actor=actor, action="visit", from_status=None,
                  to_status=EventStatus.CLOSED, note=note, created_at=at)

    # ---- the re-gridding in the county's history ----------------------------------------

    def split_grid(self) -> models.Region:
        """The grid split on `split_at`: the first of the first town (else of the county) that
        has no micro-grids and is neither a demo user's nor the staffing gap."""
        town = min(self.towns, key=lambda t: t.code)
        first_community = min((c for c in self.communities if self.parent[c.id] is town), key=lambda c: c.code)
        users = sorted((g for g in self.grids if self.parent[g.id] is first_community), key=lambda g: g.code)[:2]
        candidates = [g for g in self.grids
                      if not self.micro_grids[g.id] and g not in users and g is not self.gap_grid()]
        return min(candidates, key=lambda g: (not g.region_path.startswith(town.region_path), g.code))

    async def split_history(self) -> None:
        """Split `split_grid()` into its west and east halves by the hub's own re-gridding, as
        of `split_at`: events before it keep the old grid as where they were reported, those
        after it were reported in the halves. The east half got a worker and a leader of its own that day."""
        grid = self.split_grid()
        community = self._community_of(grid)
        places = self.places_in[grid.id]
        middle = sorted(p.longitude for p in places)[len(places) // 2]
        last = max(int(g.code[-3:]) for g in self.grids if self.parent[g.id] is community)
        west, east_area = self.map.halves(grid.id, middle)
        parts = [SplitPart(f"{grid.name}西片", f"{community.code}{last + 1:03d}", boundary=west),
                 SplitPart(f"{grid.name}东片", f"{community.code}{last + 2:03d}",
                           place_ids=[p.id for p in places if p.longitude >= middle], boundary=east_area)]
        _, east = (await split_region(Scope.everything(), None, "admin", grid.id, parts, at=self.split_at)).regions
        await models.Event.filter(reported_region_id=grid.id, occurred_at__gte=self.split_at).update(
            reported_region_id=F("region_id"))
        await models.StaffAssignment.create(
            region_id=east.id, region_path=east.region_path, role=StaffRole.WORKER,
            name=self._name(self.rng.choice((Gender.MALE, Gender.FEMALE))), started_on=self.split_at.astimezone(CIVIL_TIME_ZONE).date())
        await models.StaffAssignment.create(  # and a leader: 1+1 in each half
            region_id=east.id, region_path=east.region_path, role=StaffRole.LEADER,
            name=self._name(self.rng.choice((Gender.MALE, Gender.FEMALE))), started_on=self.split_at.astimezone(CIVIL_TIME_ZONE).date())
        for table, added in (("region", 2), ("staff_assignment", 2)):
            self.counts[table] += added

    def _grid_worker(self, grid: models.Region) -> str:
        if grid.id not in self._grid_workers:
            self._grid_workers[grid.id] = self._name(self.rng.choice((Gender.MALE, Gender.FEMALE)))
        return self._grid_workers[grid.id]

    def _event(self, grid: models.Region, status: EventStatus, category: _Category | None = None,
               light: Light | None = None, handled_by: str | None = None,
               reported_at: datetime | None = None, path: list[EventStatus] | None = None) -> models.Event:
        category = category or self.rng.choices(_CATEGORIES, [c.weight for c in _CATEGORIES])[0]
        pattern = self.rng.choice(category.titles)
        thing_kind = self.rng.choice(category.thing_kinds) if "{thing}" in pattern else None
        thing = self._facility(grid, thing_kind) if thing_kind else None
        if thing is not None:  # the event is where the facility is
            place = self.place.get(thing.place_id)
            leaf, lon, lat = self.region[thing.region_id], thing.longitude, thing.latitude
        else:
            place = self.rng.choice(self.places_in[grid.id]) if self.rng.random() < 0.75 else None
            leaf = self.region[place.region_id] if place else self._leaf(grid)
            lon, lat = ((place.longitude, place.latitude) if place
                        else self._located(leaf, self._near(self.centre[leaf.id], 0.001)))
        adults = self._grid_adults(grid)
        title, persons = self._subject(grid, category, pattern, place, thing_kind, adults)
        if category.kind is _VISIT:  # as the hub files a visit (a key person's apart)
            category_path = visit_category(t for p in persons for t in self.tags.get(p.id, ()))
        else:
            category_path = category.path

        source = EventSource.PATROL if category.kind is _VISIT else self._pick(_SOURCE_WEIGHTS)
        reporter = self.rng.choice(adults) if source in (EventSource.SNAPSHOT, EventSource.HOTLINE) else None
        reporter_name = "" if reporter else {
            EventSource.VIDEO: "视频巡查",
            EventSource.DEPARTMENT: self.departments[category.department].name,
        }.get(source) or self._grid_worker(grid)

        path = path or self._path(status)
        occurred, times = (reported_at, [reported_at]) if reported_at else self._timeline(path, category, light)
        handler = self._handler(grid, category, handled_by) if EventStatus.DISPATCHED in path else None
        event_id = next(self._ids[models.Event])
        event = self._regional(
            models.Event, leaf, id=event_id, title=title, kind=category.kind, category=category_path,
            reported_region_id=leaf.id,
            description=f"{_SOURCE_PHRASES[source]}：{title}。{self.rng.choice(_DETAILS)}",
            source=source, reporter_id=reporter and reporter.id, reporter_name=reporter_name,
            occurred_at=occurred, place_id=place and place.id, longitude=lon, latitude=lat,
            urgency=self._urgency(category), attachments=self._attachments(event_id), status=status,
            handling_region_id=handler and handler.region and handler.region.id,
            handling_department_id=handler and handler.department and handler.department.id,
            dispatcher_region_id=handler and handler.dispatched_from.id,
            **self._due(path, times, category))
        if status is EventStatus.RETURNED:  # back in the dispatcher's queue
            event.handling_region_id, event.handling_department_id = handler.dispatched_from.id, None
        if status is EventStatus.EXTENSION_REQUESTED:
            event.requested_due_at = event.due_at + timedelta(days=_EXTENSION_DAYS)
        self._log(event, path, times, source, category, handler)
        if status not in (EventStatus.CLOSED, EventStatus.REJECTED) and event_id % 3 == 0:
            self._supervise(event, times[-1])
        for person in persons:
            self._new(models.EventPerson, event_id=event.id, person_id=person.id)
        if thing is not None:
            self._new(models.EventThing, event_id=event.id, thing_id=thing.id)
        return event

    def _urge(self, event: models.Event, actors: tuple[str, ...]) -> None:
        """催办 by the tier above the handler, between the last step and the clock."""
        last = max(r.created_at for r in self._pending[models.EventLog] if r.event_id == event.id)
        for k, actor in enumerate(actors, start=1):
            at = last + (self.now - last) * k / (len(actors) + 1)
            self._new(models.EventLog, event_id=event.id, actor=actor, action="urge", from_status=event.status,
                      to_status=event.status, note="请加快处置进度", due_at=event.due_at, created_at=at)
            event.urge_count, event.urged_at = k, at

    def _grid_adults(self, grid: models.Region) -> list[models.Person]:
        """The adults of a grid, listed once: events draw from them tens of thousands of
        times in a county, and by then the population no longer changes."""
        if grid.id not in self._adults_in:
            self._adults_in[grid.id] = self._adults(self.people_in[grid.id])
        return self._adults_in[grid.id]

    def _facility(self, grid: models.Region, kind: ThingKind) -> models.Thing | None:
        candidates = [t for t in self.things_in[grid.id] if t.kind is kind]
        return self.rng.choice(candidates) if candidates else None

    def _subject(self, grid: models.Region, category: _Category, pattern: str, place: models.Place | None,
                 thing_kind: ThingKind | None, adults: list[models.Person]) -> tuple[str, list[models.Person]]:
        """The title, and the persons the event is about."""
        if category.kind is _VISIT:
            cared = [p for p in adults if self._tagged(p, "care/")]
            visited = self.rng.choice(cared or adults)
            return pattern.format(name=visited.name), [visited]
        where = (place.compound or place.name) if place else self._community_of(grid).name
        title = pattern.format(where=where, thing=_THING_TYPES[thing_kind].label if thing_kind else "")
        if category.kind is _DISPUTE and len(adults) >= 2:
            persons = self.rng.sample(adults, 2)  # the two parties
        elif self.rng.random() < 0.15:
            persons = [self.rng.choice(adults)]
        else:
            persons = []
        return title, persons

    def _urgency(self, category: _Category) -> Urgency:
        if category.path.startswith("emergency/"):
            return self.rng.choice((Urgency.HIGH, Urgency.CRITICAL))
        return self._pick(_URGENCY_WEIGHTS)

    def _attachments(self, event_id: int) -> list[str]:
        photos = self.rng.choice((0, 0, 1, 2))
        return [f"https://files.example/events/{event_id}/{k}.jpg" for k in range(1, photos + 1)]

    def _handler(self, grid: models.Region, category: _Category, target: str | None = None) -> _Handler:
        """Most events stay in the community (小事不出村), some go up to the town, some to
        the category's department; `target` says which."""
        community = self._community_of(grid)
        town = self.parent[community.id]
        target = target or self.rng.choices(("community", "town", "department"), (55, 20, 25))[0]
        if target == "community":
            return _Handler("community", "leader", region=community, dispatched_from=grid)
        if target == "town":
            return _Handler("town", "community", region=town, dispatched_from=community)
        code = category.department
        return _Handler(_DEPARTMENT_ACTORS.get(code, code), "town", department=self.departments[code],
                        dispatched_from=town)

    def _path(self, status: EventStatus) -> list[EventStatus]:
        """The states an event went through to reach `status`."""
        if status is EventStatus.REJECTED:
            return [EventStatus.REPORTED, *([EventStatus.ACCEPTED] if self.rng.random() < 0.5 else []), status]
        return list(_FLOW[:_FLOW.index(status) + 1])

    @staticmethod
    def _deadline(status: EventStatus) -> str | None:
        """The deadline whose window the step entering `status` starts (resolvers.workflow)."""
        action = _STEPS[status][0]
        return "accept" if action == "report" else STEPS[action].deadline

    def _elapsed(self, category: _Category, deadline: str, light: Light | None) -> timedelta:
        """How long before the clock the current window started, for the event to show `light`
        (or a light drawn by weight) then."""
        window = category.window(deadline)
        soon = window * (1 - deadlines.YELLOW_AFTER)
        light = light or self._pick(_LIGHT_WEIGHTS)
        share = self.rng.uniform(0.1, 0.9)
        if light is Light.GREEN:
            elapsed = (window - soon) * share
        elif light is Light.YELLOW:
            elapsed = window - soon + soon * share
        else:
            elapsed = window * (1 + share)
        return timedelta(seconds=int(elapsed.total_seconds()))

    def _this_week(self) -> datetime:
        """A moment of the clock's civil week (Monday 00:00 China time) before the clock:
        something happens this week, however young the week is."""
        civil = self.now.astimezone(CIVIL_TIME_ZONE)
        monday = datetime.combine(civil.date() - timedelta(days=civil.weekday()), time(), CIVIL_TIME_ZONE)
        return self.now - (self.now - monday) * self.rng.uniform(0.05, 0.5)

    def _timeline(self, path: list[EventStatus], category: _Category,
                  light: Light | None) -> tuple[datetime, list[datetime]]:
        """When the event occurred and when each step of `path` was taken. Closed and rejected
        events spread over four months, the last closed minutes ago. An open one is placed by
        its light at the clock: the step that started its current window goes back from the
        clock as `_elapsed` says, the steps before it further back, the steps after it fit in
        between."""
        gaps = [timedelta(seconds=int(self.rng.uniform(*_STEPS[s][1]) * 3600)) for s in path]
        if path[-1] in FINISHED:
            ended = self.now - timedelta(minutes=self.rng.randint(5, 110 * 1440))
            occurred = ended - sum(gaps, timedelta())
            return occurred, list(itertools.accumulate(gaps, initial=occurred))[1:]
        current = max(i for i, status in enumerate(path) if self._deadline(status))
        started = self.now - self._elapsed(category, self._deadline(path[current]), light)
        since = gaps[current + 1:]
        squeeze = min(1.0, (self.now - timedelta(minutes=5) - started) / sum(since, timedelta())) if since else 1
        after = itertools.accumulate((timedelta(seconds=max(1, int(g.total_seconds() * squeeze))) for g in since),
                                     initial=started)
        before = [started - sum(gaps[i + 1:current + 1], timedelta()) for i in range(current)]
        times = [*before, *after]
        return times[0] - gaps[0], times

    def _due(self, path: list[EventStatus], times: list[datetime], category: _Category) -> dict:
        """The event's due columns after the steps of `path`, as the workflow sets them."""
        due: dict = {}
        for status, at in zip(path, times):
            deadline = self._deadline(status)
            if status in FINISHED:
                due.update(due_columns(None))
            elif status is EventStatus.PARKED:  # due for review
                due = due_columns(at + timedelta(days=_PARKED_DAYS), at)
            elif deadline:
                due = due_columns(at + category.window(deadline), at)
        return due

    def _log(self, event: models.Event, path: list[EventStatus], times: list[datetime], source: EventSource,
             category: _Category, handler: _Handler | None) -> None:
        """EventLog rows along `path` at `times`; they stamp the event's report time, closing
        time and rating."""
        for i, (status, at) in enumerate(zip(path, times)):
            actor, note = self._step(status, path, source, category, handler)
            hand_over = {}
            if status is EventStatus.DISPATCHED:  # to whom, due when (the window it started)
                hand_over = {"to_region_id": handler.region and handler.region.id,
                             "to_department_id": handler.department and handler.department.id,
                             "due_at": at + category.window("handle")}
            elif status is EventStatus.RETURNED:
                hand_over = {"to_region_id": handler.dispatched_from.id, "due_at": event.due_at}
            elif status in (EventStatus.PARKED, EventStatus.EXTENSION_REQUESTED):
                hand_over = {"due_at": event.requested_due_at or event.due_at}
            self._new(models.EventLog, event_id=event.id, actor=actor, action=_STEPS[status][0],
                      from_status=path[i - 1] if i else None, to_status=status, note=note, created_at=at,
                      **hand_over)
            if i == 0:
                event.created_at = at
            if status is EventStatus.CLOSED:
                event.closed_at = at
                event.satisfaction = self.rng.choices((5, 4, 3, 2, 1), (60, 25, 8, 4, 3))[0]

    def _supervise(self, event: models.Event, last_step_at: datetime) -> None:
        """督办 by the town of the open events whose id is a multiple of 3 (the random draws stay as they
        were), an hour after its last step, so that to-do lists have supervised cases."""
        at = min(last_step_at + timedelta(hours=1), self.now)
        event.supervised_at = at
        self._new(models.EventLog, event_id=event.id, actor="town", action="supervise", from_status=event.status,
                  to_status=event.status, note="请加快办理", created_at=at)

    def _step(self, status: EventStatus, path: list[EventStatus], source: EventSource, category: _Category,
              handler: _Handler | None) -> tuple[str, str]:
        """(actor, note) of the step that enters `status`."""
        if status is EventStatus.REPORTED:
            department = category.department
            return _REPORT_ACTORS.get(source) or _DEPARTMENT_ACTORS.get(department, department), \
                _SOURCE_PHRASES[source]
        if status is EventStatus.ACCEPTED:
            return "leader", "已受理"
        if status is EventStatus.DISPATCHED:
            return handler.dispatcher, f"派单至{handler.name}"
        if status is EventStatus.HANDLING:
            return handler.actor, "已安排人员到场处置"
        if status is EventStatus.RESOLVED:
            return handler.actor, "已调解，双方达成一致" if category.kind is _DISPUTE else "已处置完毕"
        if status is EventStatus.VERIFIED:
            return "worker", "网格员现场核查，已整改到位"
        if status is EventStatus.CLOSED:
            return "community", "予以销号"
        if status is EventStatus.RETURNED:
            return handler.actor, "不属于本单位职责，退回重新派单"
        if status is EventStatus.EXTENSION_REQUESTED:
            return handler.actor, "需协调多个部门，申请延期"
        if status is EventStatus.PARKED:
            return "county", "涉及历史遗留问题，暂不具备解决条件，挂账"
        rejecter = "community" if EventStatus.ACCEPTED in path else "leader"
        return rejecter, self.rng.choice(("经核实不属实，作无效处理", "重复上报，作无效处理", "不属于受理范围"))
