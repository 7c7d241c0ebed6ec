"""Places of service and the organisations of the county: government offices, party
branches, volunteer teams, enterprises, the self-employed, property companies, owners'
committees, societies and schools, with their members."""

from __future__ import annotations

from datetime import timedelta

from gridhub import models
from gridhub.models.enums import Gender, OrganisationKind, PlaceKind

from gridhub.resolvers.write.validation import credit_code_check_char
from gridhub.resolvers.demo.tables import (
    _ADULT, _CREDIT_ALPHABET, _CREDIT_PREFIXES, DEMO_COUNTY_CODE, DEMO_COUNTY_NAME, _INDUSTRIES, _PUBLIC_PLACES,
    _SCHOOLS, _SHOPS, _SOCIETIES,
)


class OrganisationsPhase:
    """A phase of resolvers.demo.county._DemoCounty, drawn on its state."""

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
