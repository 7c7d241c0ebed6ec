"""The domain's enums, exposed to GraphQL from the very classes the models use; each value's
description is given here, beside the wrapping, since the model classes stay plain."""

from enum import Enum

import strawberry

from gridhub.models import enums


def described(cls: type[Enum], description: str, values: dict[str, str]):
    """`strawberry.enum(cls)` with a description for the enum and each of its members (a
    member left out is a KeyError here, not a silent gap in the schema)."""
    wrapped = strawberry.enum(cls, description=description)
    for value in wrapped.__strawberry_definition__.values:
        value.description = values[value.name]
    return wrapped


Tier = described(enums.Tier, "A level of the region tree, from the county down to the micro-grid.", {
    "COUNTY": "County or district 区县: the root of the tree.",
    "TOWN": "Town, township or street 乡镇/街道.",
    "COMMUNITY": "Village or community 村/社区: every grid belongs to one.",
    "TOTAL_GRID": "Total grid 总网格: an optional level grouping grids, as some counties draw them.",
    "GRID": "Grid 网格: the unit a grid worker serves (300–600 households in Nanling).",
    "MICRO_GRID": "Micro-grid 微网格: a few buildings or a street inside a grid.",
})
Gender = described(enums.Gender, "Gender, as the identity number's 17th digit carries it.", {
    "MALE": "Male (odd 17th digit).",
    "FEMALE": "Female (even 17th digit).",
})
IdType = described(enums.IdType, "The identity document a person is registered by (证件类型).", {
    "RESIDENT_ID": "Resident identity card 居民身份证 (GB 11643: area, birth date, sequence, check digit).",
    "HK_MACAO_RESIDENCE_PERMIT": "Residence permit for Hong Kong and Macao residents 港澳居民居住证 "
                                 "(GB 11643 layout under 810000 or 820000).",
    "TAIWAN_RESIDENCE_PERMIT": "Residence permit for Taiwan residents 台湾居民居住证 (GB 11643 layout under 830000).",
    "HK_MACAO_TRAVEL_PERMIT": "Mainland travel permit for Hong Kong and Macao residents 回乡证 (H or M and "
                              "8 or 10 digits).",
    "TAIWAN_TRAVEL_PERMIT": "Mainland travel permit for Taiwan residents 台胞证 (8 or 10 digits).",
    "PASSPORT": "Passport 护照, registered with its nationality.",
    "FOREIGN_PERMANENT_RESIDENCE": "Foreigner's permanent residence identity card 外国人永久居留身份证: 3 letters "
                                   "and 12 digits (2017) or 9 and 17 characters in the GB 11643 layout (2023).",
})
PopulationType = described(enums.PopulationType, "Why a person is in the county's population.", {
    "REGISTERED": "Registered population 户籍人口: household registration (户籍) here.",
    "FLOATING": "Floating population 流动人口: living here, registered elsewhere; registers on arrival, "
                "deregisters on leaving.",
    "OVERSEAS": "Overseas 境外人员: foreigners and residents of Hong Kong, Macao and Taiwan.",
})
HouseholdRelation = described(enums.HouseholdRelation, "A person's relation to the head of the household (户主).", {
    "HEAD": "The head of the household 户主.",
    "SPOUSE": "The head's spouse 配偶.",
    "CHILD": "A child of the head 子女.",
    "PARENT": "A parent of the head 父母.",
    "GRANDCHILD": "A grandchild of the head 孙子女.",
    "SIBLING": "A brother or sister of the head 兄弟姐妹.",
    "OTHER": "Any other relation 其他.",
})
PlaceKind = described(enums.PlaceKind, "What a place 地 is.", {
    "HOUSE": "A house or flat 房屋 where people live.",
    "BUILDING": "A building 楼栋, holding units and rooms.",
    "COMPOUND": "A residential compound 小区, holding buildings.",
    "UNIT": "A unit (stairway) 单元 of a building, holding rooms.",
    "SHOP": "A shop or street-front business 门店.",
    "SCHOOL": "A school or kindergarten 学校.",
    "RENTAL_HOUSE": "A rented house 出租房: has a landlord; floating residents register here.",
    "PUBLIC_PLACE": "A public place 公共场所: square, market, station, park.",
    "OFFICE": "Offices 办公场所 of an organisation.",
    "FACTORY": "A factory or workshop 厂房.",
    "OTHER": "Any other place.",
})
EventKind = described(enums.EventKind, "What an event 事 is about.", {
    "DISPUTE": "A dispute between parties 矛盾纠纷.",
    "HAZARD": "A risk or hazard 风险隐患: a broken facility, a fire risk, an unsafe building.",
    "REQUEST": "A resident's request or complaint 诉求.",
    "VISIT": "A service record: a visit 走访 to a resident, such as a key person's or a care visit.",
})
EventSource = described(enums.EventSource, "How an event reached the hub.", {
    "PATROL": "Found by a grid worker on patrol 网格员巡查.",
    "SNAPSHOT": "Reported by a resident with a photo 随手拍.",
    "HOTLINE": "Came in through the 12345 hotline.",
    "VIDEO": "Seen on video surveillance (雪亮工程).",
    "DEPARTMENT": "Passed on by a functional department.",
})
EventStatus = described(enums.EventStatus, "Where an event is in its closed loop (上报、受理、处置、核查、考核).", {
    "REPORTED": "Reported 上报, not yet accepted.",
    "ACCEPTED": "Accepted 受理 by the tier it was reported to.",
    "DISPATCHED": "Dispatched 派单 to a region or department, waiting for it to start.",
    "HANDLING": "Being handled 处置 by its handling region or department.",
    "EXTENSION_REQUESTED": "Being handled, and the handler has asked the dispatching tier for a later deadline 延期 "
                           "(`requestedDueAt`); it stays due when it was until the tier approves.",
    "RETURNED": "Returned 回退 by the region or department it was dispatched to, with a reason: back in the "
                "queue of the tier that dispatched it (`handlingRegion`), to dispatch again or escalate.",
    "PARKED": "Parked 挂账 by the county centre: cannot be solved now, due for review at `dueAt`.",
    "RESOLVED": "Resolved 办结 by the handler, waiting for the reporting grid to verify.",
    "VERIFIED": "Verified 核查 by the reporting grid, waiting to be closed.",
    "CLOSED": "Closed 销号, with a satisfaction rating.",
    "REJECTED": "Rejected as invalid 无效.",
})
Urgency = described(enums.Urgency, "How urgent an event is.", {
    "LOW": "Can wait.",
    "NORMAL": "The usual deadlines apply.",
    "HIGH": "Urgent.",
    "CRITICAL": "Danger to life or property: act now.",
})
ThingKind = described(enums.ThingKind, "What kind of public facility or city component (部件) a thing 物 is.", {
    "MANHOLE_COVER": "Manhole cover 井盖.",
    "HYDRANT": "Fire hydrant 消防栓.",
    "STREET_LAMP": "Street lamp 路灯.",
    "TRANSFORMER_BOX": "Transformer or distribution box 变压器箱.",
    "TRAFFIC_SIGN": "Traffic sign 交通标志.",
    "GUARDRAIL": "Guardrail 护栏.",
    "BUS_SHELTER": "Bus shelter 公交站亭.",
    "PUBLIC_TOILET": "Public toilet 公厕.",
    "BIN": "Rubbish bin 垃圾桶.",
    "GREENERY": "Greenery 绿化: trees, lawns, flower beds.",
    "ELEVATOR": "A building's elevator 电梯.",
    "FITNESS_EQUIPMENT": "Outdoor fitness equipment 健身器材.",
    "CAMERA": "Video camera 监控摄像头 (雪亮工程).",
    "OTHER": "Any other component.",
})
ThingStatus = described(enums.ThingStatus, "The condition of a thing.", {
    "NORMAL": "Working.",
    "DAMAGED": "Damaged, not yet being repaired.",
    "UNDER_REPAIR": "Being repaired.",
})
OrganisationKind = described(enums.OrganisationKind, "What kind of organisation 组织 this is.", {
    "PARTY_BRANCH": "Party branch 党支部, such as a grid's.",
    "PARTY_GROUP": "Party group 党小组.",
    "GOVERNMENT": "A government body 机关.",
    "ENTERPRISE": "An enterprise 企业 (非公有制经济组织 included).",
    "SELF_EMPLOYED": "A self-employed business 个体工商户.",
    "SOCIAL": "A social organisation 社会组织.",
    "PROPERTY_MANAGEMENT": "A property management company 物业.",
    "OWNERS_COMMITTEE": "An owners' committee 业主委员会.",
    "VOLUNTEER_TEAM": "A volunteer team 志愿者队伍.",
    "SCHOOL": "A school 学校.",
})
StaffRole = described(enums.StaffRole, "1+1+N: leader, worker and the others of a grid's staff.", {
    "LEADER": "Grid leader 网格长, usually a community cadre (the first 1).",
    "WORKER": "Grid worker 网格员 (the second 1).",
    "POLICE": "Police officer assigned to the grid (一格两警).",
    "PARTY_MEMBER": "Party member serving the grid.",
    "VOLUNTEER": "Volunteer.",
    "LIAISON": "Liaison of a functional department.",
})
ResponsibleRole = described(enums.ResponsibleRole, "1+3+N around a key person.", {
    "CADRE": "The responsible cadre 干部 (one of the three).",
    "POLICE": "The responsible police officer 民警 (one of the three).",
    "GRID_WORKER": "The grid worker 网格员 (one of the three).",
    "FAMILY": "A family member (one of the N).",
    "VOLUNTEER": "A volunteer (one of the N).",
    "OTHER": "Anyone else who helps (one of the N).",
})

MaritalStatus = described(enums.MaritalStatus, "Marital status 婚姻状况, GB/T 2261.2-2003 (its code in brackets).", {
    "UNMARRIED": "未婚 (10).",
    "MARRIED": "已婚 (20).",
    "FIRST_MARRIAGE": "初婚 (21).",
    "REMARRIED": "再婚 (22).",
    "REMARRIED_SAME_SPOUSE": "复婚 (23).",
    "WIDOWED": "丧偶 (30).",
    "DIVORCED": "离婚 (40).",
    "UNSPECIFIED": "未说明的婚姻状况 (90).",
})
PoliticalStatus = described(enums.PoliticalStatus, "Political status 政治面貌, GB/T 4762-1984 (its code in brackets).", {
    "CPC_MEMBER": "中国共产党党员 (01).",
    "CPC_PROBATIONARY_MEMBER": "中国共产党预备党员 (02).",
    "CYL_MEMBER": "中国共产主义青年团团员 (03).",
    "RCCK_MEMBER": "中国国民党革命委员会会员 (04).",
    "CDL_MEMBER": "中国民主同盟盟员 (05).",
    "CNDCA_MEMBER": "中国民主建国会会员 (06).",
    "CAPD_MEMBER": "中国民主促进会会员 (07).",
    "CPWDP_MEMBER": "中国农工民主党党员 (08).",
    "CZGP_MEMBER": "中国致公党党员 (09).",
    "JIUSAN_MEMBER": "九三学社社员 (10).",
    "TDSL_MEMBER": "台湾民主自治同盟盟员 (11).",
    "NON_PARTY": "无党派民主人士 (12).",
    "MASSES": "群众 (13).",
})
Education = described(enums.Education, "Education 学历, GB/T 4658-2006 (its code in brackets).", {
    "DOCTORATE": "博士研究生 (11).",
    "MASTER": "硕士研究生 (14).",
    "UNDERGRADUATE": "大学本科 (20).",
    "JUNIOR_COLLEGE": "大学专科 (30).",
    "SECONDARY_VOCATIONAL": "中等职业教育 (40).",
    "HIGH_SCHOOL": "普通高级中学 (60).",
    "JUNIOR_HIGH": "初级中学 (70).",
    "PRIMARY": "小学 (80).",
    "OTHER": "其他, no schooling included (90).",
})
Religion = described(enums.Religion, "Religious belief 宗教信仰, GA 214.12-2004 (its code in brackets).", {
    "NONE": "无宗教信仰 (00).",
    "BUDDHISM": "佛教 (10).",
    "TIBETAN_BUDDHISM": "藏传佛教 (11).",
    "TAOISM": "道教 (20).",
    "ISLAM": "伊斯兰教 (30).",
    "CATHOLICISM": "天主教 (40).",
    "PROTESTANTISM": "基督教 (50).",
    "ORTHODOXY": "东正教 (71).",
    "OTHER": "其他 (99).",
})
Occupation = described(enums.Occupation, "Occupation 职业, the major groups of GB/T 6565-2015 (its code in brackets).", {
    "LEADER": "党的机关、国家机关、群众团体和社会组织、企事业单位负责人 (1).",
    "PROFESSIONAL": "专业技术人员 (2).",
    "CLERICAL": "办事人员和有关人员 (3).",
    "SERVICE": "社会生产服务和生活服务人员 (4).",
    "AGRICULTURE": "农、林、牧、渔业生产及辅助人员 (5).",
    "PRODUCTION": "生产制造及有关人员 (6).",
    "MILITARY": "军人 (7).",
    "OTHER": "不便分类的其他从业人员 (8).",
})
