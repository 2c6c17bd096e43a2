"""Deterministic synthetic party members: which branches get how many, and who each member is
(name, birth, a valid and unused ID number, dates, category, mobility), drawn from the tables
in `population`. The same seed on the same tree gives the same people.

ID numbers are valid (built as `make_id` builds them): the region is the branch's division
(the first six digits of its code), the birth date is the member's, and the sequence number
is drawn afresh for each member from those still free in its (region, birth date) block, odd
for men and even for women. The blocks already taken by the roster (read from the plain
columns `id_masked`, `birth_date` and `id_tail`, which together name the number) are left
alone, so a second run, with any seed, never collides with the first or with imported
members."""

from __future__ import annotations

import datetime as dt
import random
from array import array
from bisect import bisect
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db import connection
from django.utils.translation import gettext as _

from massline.core.errors import ApplicationError
from massline.members.idnumber import check_digit
from massline.members.models import Category, Education, MemberStatus, Mobility, Position
from massline.members.rules import MEMBER_ORG_KINDS
from massline.orgs.models import Organization, UnitType

from .population import (
    BIRTH_BANDS,
    EDUCATION_BY_CATEGORY,
    ETHNIC_MIX,
    FEMALE_SHARE,
    FEMALE_SHARE_OFFICERS,
    GIVEN_CHARS,
    HAN_SURNAMES,
    INFLOW_PLACES,
    JOIN_AGE_MEAN_YEARS,
    LOST_NOTES,
    LOST_SHARE,
    MOBILE_SHARE,
    MONGOLIAN_NAMES,
    OFFICER_BIRTH_YEARS,
    OUTFLOW_PLACES,
    PHONE_PREFIXES,
    PHONE_SHARE,
    PROBATIONARY_BY_AGE,
    RETIREMENT_AGE,
    SURNAMES,
)

DEFAULT_REGION = "150102"  # 呼和浩特市新城区, for an organization whose code names no division
# Below this share of the branches' natural sizes, members fill a random subset of the
# branches at their natural size instead of thinning every branch out to one or two.
SCALE_ALL_FROM = 0.5
T = TypeVar("T")

# Stored values, as plain strings (the rows skip the ORM).
FULL, PROBATIONARY = MemberStatus.FULL.value, MemberStatus.PROBATIONARY.value
OUTFLOW, INFLOW = Mobility.OUTFLOW.value, Mobility.INFLOW.value
EMPLOYED, RETIRED = Category.EMPLOYED.value, Category.RETIRED.value
FARMER_HERDER, STUDENT, OTHER = (
    Category.FARMER_HERDER.value,
    Category.STUDENT.value,
    Category.OTHER.value,
)
RURAL, COMMUNITY = UnitType.RURAL.value, UnitType.COMMUNITY.value
SECRETARY, DEPUTY_SECRETARY = Position.SECRETARY.value, Position.DEPUTY_SECRETARY.value
COMMITTEE_MEMBER = Position.COMMITTEE_MEMBER.value
POSTGRADUATE, UNIVERSITY = Education.POSTGRADUATE.value, Education.UNIVERSITY.value
COLLEGE, SECONDARY = Education.COLLEGE.value, Education.SECONDARY.value


class _Table(Generic[T]):
    """Weighted choice by one uniform draw: `pick(rng.random())`."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.items = [item for item, _weight in pairs]
        self.cum: list[float] = []
        total = 0.0
        for _item, weight in pairs:
            total += weight
            self.cum.append(total)
        self.total = total

    def pick(self, r: float) -> T:
        return self.items[min(bisect(self.cum, r * self.total), len(self.items) - 1)]


_ETHNIC = _Table(ETHNIC_MIX)
_HAN = _Table(HAN_SURNAMES)
_BIRTH_YEARS = _Table(
    [
        (year, weight / (last - first + 1))
        for first, last, weight in BIRTH_BANDS
        for year in range(first, last + 1)
    ]
)
_EDUCATION = {
    str(category): _Table([(str(education), weight) for education, weight in pairs])
    for category, pairs in EDUCATION_BY_CATEGORY.items()
}
_YEAR_START = {
    year: dt.date(year, 1, 1).toordinal()
    for year in range(BIRTH_BANDS[0][0], BIRTH_BANDS[-1][1] + 2)
}
_PARTY_GROUPS = [f"第{n}党小组" for n in "一二三四五六七八"]
_MONGOL_SURNAMES = SURNAMES["02"]  # the first seven also go before a Mongolian name
FIRST_BIRTH = dt.date(BIRTH_BANDS[0][0], 1, 1).toordinal()
LAST_BIRTH_YEAR = BIRTH_BANDS[-1][1]


# -- branches ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Branch:
    id: int
    code: str
    path: str
    region: str  # the first six digits of the ID numbers issued there
    unit_type: str

    @property
    def large(self) -> bool:
        """Village and community branches: 20 to 60 members rather than 8 to 40."""
        return self.unit_type in (RURAL, COMMUNITY)


def region_of(code: str, division_id: str | None) -> str:
    """The division that issues the ID numbers of an organization's members: the first six
    digits of its code (which starts with its division's code), else of its division."""
    for candidate in (code, division_id or ""):
        head = candidate[:6]
        if len(head) == 6 and head.isascii() and head.isdigit():
            return head
    return DEFAULT_REGION


def branches(province: str | None = None) -> list[Branch]:
    """The organizations that hold members, grouped by region (then by code)."""
    qs = Organization.objects.filter(kind__in=MEMBER_ORG_KINDS)
    if province:
        qs = qs.filter(code__startswith=province)
    found = [
        Branch(pk, code, path, region_of(code, division_id), unit_type)
        for pk, code, path, unit_type, division_id in qs.values_list(
            "pk", "code", "path", "unit_type", "division_id"
        ).iterator(20000)
    ]
    found.sort(key=lambda b: (b.region, b.code))
    return found


def allocate(
    found: Sequence[Branch], count: int, rng: random.Random, favour: str = ""
) -> list[int]:
    """How many members each branch gets, in total `count`. Each branch draws its natural size;
    when `count` is at least half of their sum every branch gets its share of `count` in
    proportion (largest remainders), otherwise a random subset of the branches gets its
    natural size, those whose code starts with `favour` first."""
    natural = [rng.randint(20, 60) if b.large else rng.randint(8, 40) for b in found]
    total = sum(natural)
    sizes = [0] * len(found)
    if not found or count <= 0:
        return sizes
    if count >= total * SCALE_ALL_FROM:
        quotas = [n * count / total for n in natural]
        sizes = [int(q) for q in quotas]
        short = count - sum(sizes)
        by_remainder = sorted(range(len(found)), key=lambda i: (sizes[i] - quotas[i], i))
        for i in by_remainder[:short]:
            sizes[i] += 1
        return sizes
    first = [i for i, b in enumerate(found) if favour and b.code.startswith(favour)]
    rest = [i for i, b in enumerate(found) if not (favour and b.code.startswith(favour))]
    rng.shuffle(first)
    rng.shuffle(rest)
    left = count
    for i in first + rest:
        if left <= 0:
            break
        sizes[i] = min(natural[i], left)
        left -= sizes[i]
    return sizes


# -- ID numbers -------------------------------------------------------------------------------


class IdBlocks:
    """The sequence numbers taken in each (region, birth date) block: by the roster when the
    run starts, then by the run itself. Regions are visited one after the other, so only the
    current region's taken numbers are held as a set; the roster's are kept compactly until
    their region comes."""

    def __init__(self) -> None:
        self._existing: defaultdict[str, array[int]] = defaultdict(lambda: array("q"))
        self._region = ""
        self._taken: set[int] = set()

    def load_roster(self) -> int:
        """Read the blocks the roster takes. Returns the number of members read."""
        n = 0
        # A server-side cursor on PostgreSQL: the roster may hold millions.
        with connection.chunked_cursor() as cursor:
            cursor.execute("SELECT id_masked, birth_date, id_tail FROM members_member")
            while rows := cursor.fetchmany(20000):
                for masked, birth, tail in rows:
                    n += 1
                    region, seq = masked[:6], tail[:3]
                    if not (region.isdigit() and seq.isdigit() and len(seq) == 3):
                        continue
                    if isinstance(birth, str):
                        birth = dt.date.fromisoformat(birth)
                    self._existing[region].append(birth.toordinal() * 1000 + int(seq))
        return n

    def enter(self, region: str) -> None:
        if region != self._region:
            self._region = region
            self._taken = set(self._existing.pop(region, ()))

    def take(
        self, rand: Callable[[], float], birth: int, male: bool, low: int, high: int
    ) -> tuple[int, int]:
        """A free (birth date, sequence number) in the current region, of the gender's parity:
        on `birth` if its block has room, else on the nearest day between `low` and `high`."""
        taken = self._taken
        parity = 1 if male else 0
        for shift in range(2 * (high - low) + 1):
            day = birth + (shift + 1) // 2 * (1 if shift % 2 else -1)
            if not low <= day <= high:
                continue
            base = day * 1000
            start = int(rand() * 500)
            for k in range(500):
                seq = (start + k) % 500 * 2 + parity
                if base + seq not in taken:
                    taken.add(base + seq)
                    return day, seq
        raise ApplicationError(
            _("Every ID number of region %(region)s is taken.") % {"region": self._region}
        )


# -- members ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Person:
    branch: Branch
    name: str
    gender: str
    ethnicity: str
    birth_date: dt.date
    id_number: str
    phone: str
    education: str
    category: str
    join_date: dt.date
    full_date: dt.date | None
    status: str
    party_group: str
    position: str
    mobility: str
    mobility_place: str
    mobility_since: dt.date | None
    lost_contact: bool
    lost_since: dt.date | None
    lost_notes: str


def _name(rand: Callable[[], float], ethnicity: str, gender: str, modern: bool) -> str:
    if ethnicity == "02" or (ethnicity in ("31", "45") and rand() < 0.3):
        r = rand()
        names = MONGOLIAN_NAMES[gender]
        mongolian = names[int(rand() * len(names))]
        if r < 0.5:
            return mongolian
        if r < 0.7:
            return _MONGOL_SURNAMES[int(rand() * 7)] + mongolian
        surname = _MONGOL_SURNAMES[int(rand() * len(_MONGOL_SURNAMES))]
    else:
        own = SURNAMES.get(ethnicity)
        use_own = own is not None and rand() < 0.85
        surname = own[int(rand() * len(own))] if own and use_own else _HAN.pick(rand())
    chars = GIVEN_CHARS[(gender, modern)]
    size = len(chars)
    if rand() < 0.22:
        return surname + chars[int(rand() * size)]
    return surname + chars[int(rand() * size)] + chars[int(rand() * size)]


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return dt.date(day.year + years, 3, 1)


def _category(r: float, branch: Branch, age: int, gender: str) -> str:
    """The member's category for a uniform draw `r`."""
    if branch.unit_type == RURAL:
        if r < 0.88:
            return FARMER_HERDER
        if r < 0.93:
            return EMPLOYED
        return STUDENT if age <= 24 else OTHER
    if age >= RETIREMENT_AGE[gender]:
        return RETIRED if r < 0.9 else OTHER
    if age <= 24 and r < 0.35:
        return STUDENT
    if branch.unit_type == COMMUNITY:
        return EMPLOYED if r < 0.5 else OTHER
    return EMPLOYED if r < 0.97 else OTHER


def _probationary_share(age: int) -> float:
    for up_to, share in PROBATIONARY_BY_AGE:
        if age <= up_to:
            return share
    return 0.0


def members_of(
    branch: Branch, size: int, *, seed: int, today: dt.date, blocks: IdBlocks
) -> Iterator[Person]:
    """The `size` members of one branch; the same for the same seed, branch code and size
    (given the same ID blocks taken)."""
    rng = random.Random(f"{seed}:{branch.code}")
    # One uniform draw per decision, scaled by hand: randint and choice cost five times as much.
    rand = rng.random
    blocks.enter(branch.region)
    region = branch.region
    rural = branch.unit_type == RURAL
    today_ord = today.toordinal()
    year_ago = today_ord - 365
    # The youngest member was 18 a year ago at the latest: 19 years and a day before today.
    last_birth = min(dt.date(LAST_BIRTH_YEAR, 12, 31), _add_years(today, -19)).toordinal() - 1
    groups = min(8, max(2, size // 12)) if size >= 15 else 0
    officers = 1 if size < 7 else (3 if size < 20 else 4)
    first_officer_year, last_officer_year = OFFICER_BIRTH_YEARS
    join_lambda = 1 / (JOIN_AGE_MEAN_YEARS * 365.25)
    from_ordinal = dt.date.fromordinal
    for index in range(size):
        officer = index < officers
        if officer:
            if index == 0:
                position = SECRETARY
            elif index == 1 and size >= 20:
                position = DEPUTY_SECRETARY
            else:
                position = COMMITTEE_MEMBER
            female = rand() < FEMALE_SHARE_OFFICERS
            year = first_officer_year + int(rand() * (last_officer_year - first_officer_year + 1))
        else:
            position = ""
            female = rand() < FEMALE_SHARE
            year = _BIRTH_YEARS.pick(rand())
        gender = "female" if female else "male"
        birth = _YEAR_START[year] + int(rand() * (_YEAR_START[year + 1] - _YEAR_START[year]))
        birth = min(max(birth, FIRST_BIRTH), last_birth)
        birth, seq = blocks.take(rand, birth, not female, FIRST_BIRTH, last_birth)
        birth_date = from_ordinal(birth)
        ethnicity = _ETHNIC.pick(rand())
        name = _name(rand, ethnicity, gender, year >= 1970)
        age = (
            today.year
            - birth_date.year
            - ((today.month, today.day) < (birth_date.month, birth_date.day))
        )
        adult = _add_years(birth_date, 18).toordinal()
        if not officer:
            category = _category(rand(), branch, age, gender)
        elif rural:
            category = FARMER_HERDER if rand() < 0.6 else EMPLOYED
        else:
            category = EMPLOYED
        # Status and dates: a probationary member joined within the last year; a full member
        # at least a year ago, and became full a year after joining.
        if not officer and rand() < _probationary_share(age):
            status = PROBATIONARY
            low = max(adult, year_ago)
            join = low + int(rand() * (today_ord - low + 1))
            full_date = None
        else:
            status = FULL
            join = adult + int(rng.expovariate(join_lambda))
            if join > year_ago - 1:
                join = adult + int(rand() * (year_ago - adult))
            full_date = _add_years(from_ordinal(join), 1)
        join_date = from_ordinal(join)
        education = _EDUCATION[category].pick(rand())
        if year < 1950 and education in (UNIVERSITY, POSTGRADUATE):
            education = SECONDARY if rand() < 0.6 else COLLEGE
        phone = ""
        if rand() < PHONE_SHARE:
            prefix = PHONE_PREFIXES[int(rand() * len(PHONE_PREFIXES))]
            phone = f"{prefix}{int(rand() * 100_000_000):08d}"
        mobility = place = ""
        mobility_since = None
        if not officer and rand() < MOBILE_SHARE:
            low = max(join, today_ord - 3650)
            mobility_since = from_ordinal(low + int(rand() * (today_ord - low + 1)))
            if rand() < 2 / 3:
                mobility = OUTFLOW
                place = OUTFLOW_PLACES[int(rand() * len(OUTFLOW_PLACES))]
            else:
                mobility = INFLOW
                place = INFLOW_PLACES[int(rand() * len(INFLOW_PLACES))]
        lost, lost_since, notes = False, None, ""
        if not officer and rand() < LOST_SHARE:
            lost = True
            low = max(join, today_ord - 4380)
            lost_since = from_ordinal(low + int(rand() * (today_ord - low + 1)))
            notes = LOST_NOTES[int(rand() * len(LOST_NOTES))]
        party_group = _PARTY_GROUPS[int(rand() * groups)] if groups else ""
        first17 = f"{region}{birth_date.year}{birth_date.month:02d}{birth_date.day:02d}{seq:03d}"
        yield Person(
            branch,
            name,
            gender,
            ethnicity,
            birth_date,
            first17 + check_digit(first17),
            phone,
            education,
            category,
            join_date,
            full_date,
            status,
            party_group,
            position,
            mobility,
            place,
            mobility_since,
            lost,
            lost_since,
            notes,
        )


def people(
    found: Sequence[Branch], sizes: Sequence[int], *, seed: int, today: dt.date, blocks: IdBlocks
) -> Iterator[Person]:
    for branch, size in zip(found, sizes, strict=True):
        if size:
            yield from members_of(branch, size, seed=seed, today=today, blocks=blocks)
