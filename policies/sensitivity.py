"""The sensitivity model: each sensitive value declared once, with the fields derived from it
and how each looks to a caller who was not granted the value.

A grant of `person.id_number` on a row's region shows that row's identity number whole, and
with it what the number carries: the birth date and the gender. Elsewhere each field shows its
mask, and comparing, ordering or grouping on it is refused (no bisection). Every output asks
this module: the resolver path through `Mask.python`, the compiled path through `Mask.sql`,
filters, orderings and statistics through `comparable_where`; the audit records a read under
the sensitive value's name (a birth date read is a read of the identity number).

Masks are chosen so that what a caller can read never narrows a masked value to fewer than
10,000 candidates (tests/test_inference.py counts them for every demo role):
- an identity number keeps its area (6 digits) and its check digit: birth date (8 digits) and
  sequence (3) stay hidden; with the birth year, which everyone reads, ~33,000 numbers remain;
  another document's number (passport, travel permit) keeps its first and last character;
- a phone keeps 3 + 4 digits: 10,000 remain;
- the birth date and the gender are withheld: the birth date would give back the 8 hidden
  digits, the gender the parity of digit 17;
- a house's exact address shows its compound and building: unit, floor and room are withheld;
- a home's exact location (a house, a rented house, a flat: where a person, key or not, lives)
  shows the centre of its 0.01° cell (about 1 km by 1 km, hundreds of homes in a town). The
  mask does not depend on who lives there, so it never tells a key person's home from another.
  Spatial filters look at a home only where its location is seen whole (`comparable_where`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from .predicate import FALSE, Compare, In, Pred, StartsWith, and_, not_, or_


class Mask:
    """How a value looks where it is not granted: in Python (resolver path) and in SQL
    (compiled path), from one definition. `applies`: the rows whose value is sensitive at all,
    where not every row's is (None: every row's)."""

    applies: Pred | None = None

    def python(self, value: Any, row: Any = None) -> Any:
        """`row`: the row the value belongs to, for masks made from its other columns."""
        raise NotImplementedError

    def sql(self, d, column: str, a: str) -> str:
        """`d` is the dialect (resolvers.read.sqlread.dialect.Sql); `column` an SQL expression of
        the row aliased `a`."""
        raise NotImplementedError

    def conceals(self, value: Any) -> bool:
        """Whether this value holds anything the mask would hide: a value that holds nothing
        sensitive is shown as it is and its read is not audited."""
        return True


@dataclass(frozen=True)
class KeepEnds(Mask):
    """`340223***********2`: the first `head` and last `tail` characters, stars between."""

    head: int
    tail: int

    def python(self, value, row=None):
        if not value:
            return value
        return value[: self.head] + "*" * max(len(value) - self.head - self.tail, 0) + value[-self.tail:]

    def sql(self, d, column, a):
        return d.keep_ends(column, self.head, self.tail)


@dataclass(frozen=True)
class DocumentNumber(Mask):
    """An identity document's number. The 18-character ones follow GB 11643's layout (resident
    identity cards, residence permits, the 2023 permanent residence card): they keep their first
    six (an area, or a province and a nationality) and the check digit. Any other (passports,
    travel permits, the 2017 card) keeps its first and last character: 6 or more hidden digits."""

    layout: KeepEnds = KeepEnds(6, 1)
    other: KeepEnds = KeepEnds(1, 1)

    def python(self, value, row=None):
        return (self.layout if value and len(value) == 18 else self.other).python(value)

    def sql(self, d, column, a):
        if not d.pg:  # this very method, registered on each connection: SQLite's parser stack
            return f"{SQLITE_FUNCTION}({column})"  # pays for every level of a CASE in deep reads
        return (f"CASE WHEN length({column}) = 18 THEN {self.layout.sql(d, column, a)} "
                f"ELSE {self.other.sql(d, column, a)} END")


SQLITE_FUNCTION = "gridhub_document_number"


@dataclass(frozen=True)
class Withheld(Mask):
    """Not shown at all (null): a derived field that would rebuild the hidden part."""

    def python(self, value, row=None):
        return None

    def sql(self, d, column, a):
        return "NULL"


@dataclass(frozen=True)
class UpToBuilding(Mask):
    """An exact address (a flat: unit, floor, room) shown as its compound and building only
    (`梅林雅居1幢`), made from the structured columns, so no spelling of the free text can
    leave the room in; a place without unit, floor or room is not an exact address."""

    def python(self, value, row=None):
        if not (row.unit or row.floor or row.room):
            return value
        return row.compound + (f"{row.building}幢" if row.building else "")

    def sql(self, d, column, a):
        return (f"CASE WHEN {a}.unit = '' AND {a}.floor = '' AND {a}.room = '' THEN {column} "
                f"ELSE {a}.compound || CASE WHEN {a}.building = '' THEN '' ELSE {a}.building || '幢' END END")


# A home: a house or rented house, or a flat (unit, floor or room given)
DWELLING: Pred = or_(In("kind", ("house", "rental_house")), Compare("unit", "ne", ""),
                     Compare("floor", "ne", ""), Compare("room", "ne", ""))


@dataclass(frozen=True)
class CellCentre(Mask):
    """A home's coordinate as the centre of its cell of `cells` per degree (100: 0.01°);
    other places' as they are. The cell is floor(value * cells), written so that SQLite
    (no floor() in every build) and PostgreSQL compute the same one."""

    cells: int = 100
    applies: Pred | None = DWELLING

    def python(self, value, row=None):
        if not self.applies.matches(row):
            return value
        return (math.floor(value * self.cells) + 0.5) / self.cells

    def sql(self, d, column, a):
        scaled = f"({column}) * {self.cells}"
        cell = (f"floor({scaled})" if d.pg else
                f"(CAST({scaled} AS INTEGER) - (CAST({scaled} AS INTEGER) > {scaled}))")
        home = (f"({a}.kind IN ('house', 'rental_house') OR {a}.unit <> '' OR {a}.floor <> '' "
                f"OR {a}.room <> '')")  # DWELLING, as literals: a mask binds no parameters
        return f"CASE WHEN {home} THEN ({cell} + 0.5) / {self.cells} ELSE {column} END"


# A key-person tag (重点人员): `key` or anything under `key/`. A predicate on the tag column,
# so it renders to SQL (compiled path, statistics) and tests a tag in Python from one text.
KEY_TAG: Pred = or_(Compare("tag", "eq", "key"), StartsWith("tag", "key/"))


def is_key_tag(tag: str) -> bool:
    return KEY_TAG.matches(SimpleNamespace(tag=tag))


@dataclass(frozen=True)
class WithoutKeyTags(Mask):
    """A person's tags with the key-person tags left out."""

    def python(self, tags, row=None):
        return [t for t in tags if not is_key_tag(t)]

    def conceals(self, tags):
        return any(is_key_tag(t) for t in tags)

    def sql(self, d, column, a):  # the compiled path filters tag rows with KEY_TAG instead
        raise TypeError("tags are masked row by row (KEY_TAG)")


@dataclass(frozen=True)
class Sensitive:
    """One sensitive value: `kind.name` is the object a policy grants (`person.id_number`);
    `fields` maps the value's own field and each field derived from it to its mask."""

    kind: str
    name: str
    fields: dict[str, Mask]

    @property
    def grant(self) -> str:
        return f"{self.kind}.{self.name}"


SENSITIVE: tuple[Sensitive, ...] = (
    Sensitive("person", "id_number", {"id_number": DocumentNumber(), "birth_date": Withheld(), "gender": Withheld()}),
    Sensitive("person", "phone", {"phone": KeepEnds(3, 4)}),
    Sensitive("person", "key_tags", {"tags": WithoutKeyTags()}),
    # special categories of personal information (PIPL art. 28): withheld, not masked, as a
    # partial value would still tell
    Sensitive("person", "political_status", {"political_status": Withheld()}),
    Sensitive("person", "religion", {"religion": Withheld()}),
    # a house's exact address: its unit, floor and room, which its name and address spell out
    Sensitive("place", "address", {"address": UpToBuilding(), "name": UpToBuilding(), "unit": Withheld(),
                                   "floor": Withheld(), "room": Withheld(),
                                   "longitude": CellCentre(), "latitude": CellCentre()}),
)

_BY_FIELD: dict[tuple[str, str], Sensitive] = {
    (s.kind, f): s for s in SENSITIVE for f in s.fields
}


def governing(kind: str, field_name: str) -> Sensitive | None:
    """The sensitive value a field is (or derives from), or None for a plain field."""
    return _BY_FIELD.get((kind, field_name))


def mask_of(kind: str, field_name: str) -> Mask:
    return _BY_FIELD[(kind, field_name)].fields[field_name]


class NotRevealed(Exception):
    """Comparing on a field the caller is granted nowhere: the caller maps it to FORBIDDEN."""

    def __init__(self, sensitive: Sensitive, field_name: str):
        super().__init__(f"comparing on {field_name} needs the {sensitive.grant} grant")
        self.sensitive, self.field_name = sensitive, field_name


def comparable_where(scope, kind: str, field_name: str) -> Pred | None:
    """Filtering, ordering or grouping on `field_name` narrows a value, so it is done only
    among the rows where the caller sees it whole: the predicate to AND in, None for a plain
    field; raises NotRevealed where the caller is granted it nowhere."""
    sensitive = governing(kind, field_name)
    if sensitive is None:
        return None
    where = scope.where(sensitive.grant)
    applies = sensitive.fields[field_name].applies
    if applies is not None:  # the rows it does not apply to are plain
        return or_(not_(applies), where)
    if where == FALSE:
        raise NotRevealed(sensitive, field_name)
    return where
