"""The demo county's registers beyond identity (GB/T 31000's basic data of 实有人口) and its seed
programmes: joint-household units (双联户), party service posts (先锋驿站), volunteer activities.

Drawn with a random generator of their own, so the rest of the demo (and every test that
counts on it) draws exactly what it drew before these existed."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from gridhub import models
from gridhub.models.enums import (
    Education, IdType, MaritalStatus, Occupation, PoliticalStatus, Religion,
)

from gridhub.resolvers.write.identity_documents import is_division_code

UNIT_SIZE = 5  # households per joint-household unit (Nedong: 1,460 units of about five)
UNITS_PER_GRID = 2
ACTIVITIES_PER_TEAM = 3
_EMPLOYERS = ("县人民医院", "城关小学", "南陵县供电公司", "徽商银行南陵支行", "家乐福超市", "县自来水公司", "个体经营")
_RELIGIONS = ((Religion.NONE, 90), (Religion.BUDDHISM, 5), (Religion.TAOISM, 1), (Religion.PROTESTANTISM, 2),
              (Religion.CATHOLICISM, 1), (Religion.ISLAM, 1))


class Registers:
    def __init__(self, seed: int):
        self.rng = random.Random(seed * 31 + 22)

    def basic_data(self, age: int, area: str | None, id_type: IdType) -> dict:
        """A person's former names, native place, marital status, political status (party
        members are set from their tag later), education, religion, occupation and employer."""
        rng = self.rng
        adult = age >= 18
        native = area if id_type is IdType.RESIDENT_ID and area and is_division_code(area) else None
        return {
            "former_names": "" if rng.random() > 0.03 else rng.choice(("小明", "二妹", "建国", "秀英")),
            "native_place": native,
            "marital_status": None if not adult else rng.choices(
                (MaritalStatus.UNMARRIED, MaritalStatus.MARRIED, MaritalStatus.WIDOWED, MaritalStatus.DIVORCED),
                (30, 55, 10, 5) if age < 60 else (3, 62, 30, 5))[0],
            "political_status": (PoliticalStatus.CYL_MEMBER if 14 <= age <= 28 and rng.random() < 0.3
                                 else PoliticalStatus.MASSES if adult else None),
            "education": None if age < 7 else rng.choices(
                (Education.PRIMARY, Education.JUNIOR_HIGH, Education.HIGH_SCHOOL, Education.JUNIOR_COLLEGE,
                 Education.UNDERGRADUATE, Education.MASTER),
                (25, 35, 18, 10, 10, 2) if age >= 22 else (50, 40, 10, 0, 0, 0))[0],
            "religion": rng.choices([r for r, _ in _RELIGIONS], [w for _, w in _RELIGIONS])[0] if adult else None,
            "occupation": None if not 18 <= age < 65 else rng.choices(
                list(Occupation), (3, 10, 8, 30, 25, 20, 1, 3))[0],
            "employer": rng.choice(_EMPLOYERS) if 18 <= age < 60 and rng.random() < 0.4 else "",
        }


async def mark_party_members(county) -> None:
    """Whoever carries role/party_member is a party member in the register too (GB/T 4762 01)."""
    ids = [pid for pid, tags in county.tags.items() if "role/party_member" in tags]
    for start in range(0, len(ids), 1000):
        await models.Person.filter(id__in=ids[start:start + 1000]).update(political_status=PoliticalStatus.CPC_MEMBER)


def draw_programmes(county) -> list[tuple[int, list[int]]]:
    """Units (the first households of each grid, five by five), a service post per grid party
    branch at its community's 党群服务中心, and each volunteer team's recent activities. Returns
    each unit's id with its households' ids, to be linked once both are stored."""
    rng = county.registers.rng
    linked: list[tuple[int, list[int]]] = []
    by_grid: dict[int, list] = {}
    for household, head in county.households:
        by_grid.setdefault(county.grid_of[household.region_id].id, []).append((household, head))
    for grid in county.grids:
        members = by_grid.get(grid.id, [])
        for n in range(UNITS_PER_GRID):
            group = members[n * UNIT_SIZE:(n + 1) * UNIT_SIZE]
            if len(group) < 2:
                break
            household, head = group[0]
            unit = county._new(models.JointHouseholdUnit, code=f"{grid.code}L{n + 1:03d}",
                               name=f"{head.name[0]}家联户", head_household_id=household.id,
                               region_id=household.region_id, region_path=household.region_path)
            linked.append((unit.id, [h.id for h, _ in group]))
    for branch in county.party_branches:
        community = county._community_of(county.grid_of[branch.region_id])
        centre = county.public_centre[community.id]
        county._new(models.ServicePost, organisation_id=branch.id, name=f"{branch.name.removesuffix('党支部')}先锋驿站",
                    place_id=centre.id, services="政策咨询、代办服务、矛盾调解、爱心帮扶",
                    opening_hours="周一至周五 8:30-17:30", region_id=branch.region_id, region_path=branch.region_path)
    for team, people, centre in county.volunteer_teams:
        for n in range(ACTIVITIES_PER_TEAM if people else 0):
            held_on = county.today - timedelta(days=7 + 30 * n + rng.randint(0, 20))
            activity = county._new(models.VolunteerActivity, organisation_id=team.id,
                                   title=("敬老院义务劳动", "小区环境整治", "防诈骗宣传")[n % 3], held_on=held_on,
                                   place_id=centre.id, region_id=team.region_id, region_path=team.region_path)
            for person in rng.sample(people, min(len(people), rng.randint(2, 6))):
                county._new(models.VolunteerHours, activity_id=activity.id, person_id=person.id,
                            hours=Decimal(rng.choice(("1.5", "2.0", "3.0", "4.0"))))
    return linked


async def link_units(linked: list[tuple[int, list[int]]]) -> None:
    for unit_id, household_ids in linked:
        await models.Household.filter(id__in=household_ids).update(joint_unit_id=unit_id)

