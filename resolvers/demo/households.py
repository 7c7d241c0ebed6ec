"""People and their homes: households with their houses, tenants in rental houses with
their earlier stays, identity documents and phones, and the tags the registers keep."""

from __future__ import annotations

from datetime import date, timedelta

import pycountry

from gridhub import models
from gridhub.models.enums import Gender, HouseholdRelation, IdType, PlaceKind, PopulationType

from gridhub.resolvers.domain.residence import REGISTRATION_DAYS
from gridhub.resolvers.write.validation import id_number_check_digit
from gridhub.resolvers.demo.tables import (
    _ABROAD, _age, _BRANCH_MINIMUM, DEMO_COUNTY_CODE, _MINORITIES, _MOBILE_PREFIXES, _ORIGINS, _TAG_RATES,
)


class HouseholdsPhase:
    """A phase of resolvers.demo.county._DemoCounty, drawn on its state."""

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
