"""The event category tree a new hub starts with (DOMAIN.md, "Event"); admins edit it after.

Toksun's list: six classes of eight items each (48), and two items of the hub's own
(HUB_ITEMS): the visits to key persons (shown only where key tags are, by the default
policy) and the care visits (关爱走访).
Then digital city management's event
classes (数字化城市管理), a few items each. Per category: the path, its Chinese name, the
hours for accept (受理, report to dispatch), handle (处置, dispatch to resolution) and verify
(核查, resolution to closing), and the department it usually goes to. The demo county
(resolvers/demo/) draws its events from these same rows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SeedCategory:
    path: str
    name: str
    accept_hours: int
    handle_hours: int
    verify_hours: int
    department: str | None

    @property
    def parent_path(self) -> str | None:
        return self.path.rpartition("/")[0] or None


def _rows(*rows: tuple) -> tuple[SeedCategory, ...]:
    return tuple(SeedCategory(path, name, *hours, department) for path, name, hours, department in rows)


# (path, name, (accept, handle, verify) hours, department code); the order is the sort order
SEED = _rows(
    # ---- Toksun: six classes, 48 items ----
    ("safety", "安全隐患", (4, 72, 24), "emergency"),
    ("safety/fire", "消防安全隐患", (2, 48, 24), "fire"),
    ("safety/gas", "燃气安全隐患", (1, 24, 12), "housing"),
    ("safety/building", "房屋建筑安全隐患", (4, 72, 24), "housing"),
    ("safety/traffic", "道路交通安全隐患", (4, 72, 24), "public_security"),
    ("safety/production", "安全生产隐患", (2, 48, 24), "emergency"),
    ("safety/food", "食品药品安全隐患", (4, 48, 24), "market_supervision"),
    ("safety/electricity", "用电安全隐患", (2, 48, 24), "emergency"),
    ("safety/drowning", "防溺水隐患", (4, 48, 24), "emergency"),

    ("public_order", "社会治安", (2, 48, 24), "public_security"),
    ("public_order/theft", "盗窃", (2, 48, 24), "public_security"),
    ("public_order/fraud", "电信网络诈骗", (2, 48, 24), "public_security"),
    ("public_order/gambling", "赌博", (2, 48, 24), "public_security"),
    ("public_order/drugs", "涉毒线索", (1, 48, 24), "public_security"),
    ("public_order/fight", "打架斗殴", (1, 24, 24), "public_security"),
    ("public_order/rental", "出租房屋治安隐患", (4, 72, 24), "public_security"),
    ("public_order/suspicious", "可疑人员物品", (1, 24, 12), "public_security"),
    ("public_order/gathering", "非法聚集", (1, 24, 12), "public_security"),

    ("dispute", "矛盾纠纷", (4, 120, 48), "justice"),
    ("dispute/neighbour", "邻里纠纷", (4, 120, 48), "justice"),
    ("dispute/family", "婚姻家庭纠纷", (4, 120, 48), "justice"),
    ("dispute/land", "土地山林纠纷", (8, 168, 72), "agriculture"),
    ("dispute/wage", "劳资纠纷", (4, 120, 48), "human_resources"),
    ("dispute/property", "物业纠纷", (4, 120, 48), "housing"),
    ("dispute/debt", "债权债务纠纷", (8, 168, 48), "justice"),
    ("dispute/medical", "医患纠纷", (4, 120, 48), "health"),
    ("dispute/consumer", "消费纠纷", (4, 120, 48), "market_supervision"),

    ("service", "民生服务", (24, 168, 48), "civil_affairs"),
    ("service/visit", "入户走访", (24, 240, 72), "civil_affairs"),
    # the hub's own: visits to key persons (1+3+N), shown only where key tags are
    ("service/key_visit", "重点人员走访", (24, 240, 72), "public_security"),
    # and care visits (关爱走访) to the elderly living alone and low-income households, which
    # civil affairs records and reads beside the grid workers
    ("service/care_visit", "关爱走访", (24, 240, 72), "civil_affairs"),
    ("service/benefit", "社会救助", (8, 168, 48), "civil_affairs"),
    ("service/certificate", "证照办理", (8, 168, 48), "public_security"),
    ("service/pension", "养老保险", (8, 168, 48), "human_resources"),
    ("service/medical_insurance", "医疗保障", (8, 168, 48), "medical_insurance"),
    ("service/employment", "就业创业", (8, 168, 48), "human_resources"),
    ("service/schooling", "入学就学", (8, 168, 48), "education"),
    ("service/disability", "残疾人服务", (8, 168, 48), "disabled_federation"),

    ("special_groups", "特殊人群服务管理", (8, 72, 48), "justice"),
    ("special_groups/released_prisoner", "刑满释放人员帮教", (8, 72, 48), "justice"),
    ("special_groups/community_correction", "社区矫正对象", (4, 72, 48), "justice"),
    ("special_groups/mental_disorder", "严重精神障碍患者", (2, 48, 24), "health"),
    ("special_groups/drug_rehab", "社区戒毒康复人员", (4, 72, 48), "public_security"),
    ("special_groups/key_youth", "重点青少年", (8, 72, 48), "education"),
    ("special_groups/petitioner", "重点信访人员", (4, 72, 48), "petitions"),
    ("special_groups/elderly_alone", "独居老人关爱", (8, 72, 48), "civil_affairs"),
    ("special_groups/left_behind_child", "留守儿童关爱", (8, 72, 48), "civil_affairs"),

    ("facility", "公共设施", (8, 120, 48), "urban_management"),
    ("facility/damaged", "设施损坏", (8, 120, 48), "urban_management"),
    ("facility/street_lamp", "路灯故障", (8, 72, 48), "urban_management"),
    ("facility/manhole", "井盖缺失破损", (2, 24, 24), "urban_management"),
    ("facility/water_supply", "供水设施故障", (4, 48, 24), "housing"),
    ("facility/drainage", "排水设施堵塞", (4, 72, 24), "housing"),
    ("facility/road", "道路破损", (8, 120, 48), "housing"),
    ("facility/bridge", "桥梁涵洞隐患", (4, 72, 24), "housing"),
    ("facility/fitness", "健身器材损坏", (8, 120, 48), "urban_management"),

    # ---- digital city management: event classes ----
    ("environment", "市容环境", (4, 48, 24), "urban_management"),
    ("environment/garbage", "暴露垃圾", (2, 24, 24), "urban_management"),
    ("environment/pollution", "水域不洁", (4, 72, 24), "ecology_environment"),
    ("environment/greenery", "绿地脏乱", (4, 96, 24), "urban_management"),
    ("environment/burning", "露天焚烧", (1, 24, 24), "ecology_environment"),
    ("environment/illegal_building", "私搭乱建", (8, 168, 48), "urban_management"),

    ("advertising", "宣传广告", (8, 96, 24), "urban_management"),
    ("advertising/illegal", "非法小广告", (8, 96, 24), "urban_management"),
    ("advertising/outdoor", "违规户外广告", (8, 120, 48), "urban_management"),
    ("advertising/banner", "占道横幅标语", (4, 48, 24), "urban_management"),

    ("works", "施工管理", (4, 72, 24), "housing"),
    ("works/noise", "施工噪音", (2, 72, 24), "ecology_environment"),
    ("works/dust", "施工扬尘", (2, 72, 24), "ecology_environment"),
    ("works/road_occupation", "占道施工", (4, 72, 24), "urban_management"),
    ("works/muck", "渣土撒漏", (2, 48, 24), "urban_management"),

    ("street_order", "街面秩序", (2, 48, 24), "urban_management"),
    ("street_order/stall", "占道经营", (2, 48, 24), "urban_management"),
    ("street_order/parking", "乱停乱放", (2, 48, 24), "urban_management"),
    ("street_order/outside_store", "店外经营", (2, 48, 24), "urban_management"),
    ("street_order/vagrancy", "流浪乞讨", (4, 48, 24), "civil_affairs"),

    ("emergency", "突发事件", (1, 24, 12), "emergency"),
    ("emergency/flood", "道路积水", (1, 24, 12), "emergency"),
    ("emergency/disaster", "自然灾害", (1, 24, 12), "emergency"),
    ("emergency/collapse", "路面塌陷", (1, 24, 12), "housing"),
    ("emergency/pipe_burst", "管道爆裂", (1, 24, 12), "housing"),
)

SEED_BY_PATH = {c.path: c for c in SEED}
HUB_ITEMS = ("service/key_visit", "service/care_visit")  # items added to Toksun's classes by the hub itself
