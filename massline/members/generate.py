"""Deterministic party members for the generated organizations, at the real scale.

`generate_members` spreads a number of members over the branches and general branches that
exist (village and community branches hold about 20 to 60 members, the branches of agencies,
schools and firms about 8 to 40), with the data of Inner Mongolia: Han names and Mongolian
names, the region's ethnic mix, ages weighted to working age, about 28 % women, join and
full-membership dates that follow the rules of the roster, categories and schooling that fit
the branch, some mobile members, a few who lost contact, party groups in the larger branches
and a secretary for each. The same seed on the same tree gives the same members.

ID numbers are valid (built as `make_id` builds them): the region is the branch's division (the first six digits
of its code), the birth date is the member's, and the sequence number is drawn afresh for each
member from those still free in its (region, birth date) block, odd for men and even for
women. The blocks already taken by the roster (read from the plain columns `id_masked`,
`birth_date` and `id_tail`, which together name the number) are left alone, so a second run,
with any seed, never collides with the first or with imported members.

Members go to the database through its bulk path (PostgreSQL COPY, SQLite executemany) in
batches of 50,000, with their counters (one `bump_many` per batch, folded per organization),
in one transaction. Rows are generated as they are written: memory holds one batch. Generated
members get no history rows; one audit row records the run. With `output`, the members are
written instead to a CSV file in the roster import template, and the database is only read.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import os
import random
import time
from array import array
from bisect import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.core.audit import audit_record
from massline.core.crypto import encrypt_many, lookup_hash_many
from massline.core.db import bulk_load_into_empty, chunked, copy_rows, is_postgres
from massline.core.errors import ApplicationError
from massline.core.normalize import fold_for_search
from massline.orgs import counters as org_counters
from massline.orgs.models import Organization, UnitType

from . import counters as member_counters
from . import template
from .idnumber import check_digit
from .models import Category, Education, Member, MemberStatus, Mobility, Position
from .services import MEMBER_ORG_KINDS

BATCH_SIZE = 50_000
DEFAULT_REGION = "150102"  # 呼和浩特市新城区, for an organization whose code names no division
# Below this share of the branches' natural sizes, members fill a random subset of the
# branches at their natural size instead of thinning every branch out to one or two.
SCALE_ALL_FROM = 0.5

Progress = Callable[[int, int], None]
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

# -- names ------------------------------------------------------------------------------------

# Han surnames, weighted roughly as in northern China (per mille of the population).
HAN_SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 75),
    ("李", 73),
    ("张", 70),
    ("刘", 55),
    ("赵", 30),
    ("杨", 30),
    ("高", 20),
    ("郭", 20),
    ("马", 18),
    ("孙", 18),
    ("陈", 16),
    ("韩", 13),
    ("徐", 10),
    ("吴", 10),
    ("周", 10),
    ("胡", 10),
    ("朱", 10),
    ("任", 9),
    ("于", 9),
    ("郝", 8),
    ("石", 8),
    ("贾", 7),
    ("田", 7),
    ("冯", 7),
    ("董", 7),
    ("曹", 6),
    ("杜", 6),
    ("梁", 6),
    ("宋", 6),
    ("白", 6),
    ("侯", 6),
    ("苏", 5),
    ("乔", 5),
    ("闫", 5),
    ("武", 5),
    ("常", 5),
    ("许", 5),
    ("史", 5),
    ("薛", 4),
    ("邢", 4),
    ("段", 4),
    ("贺", 4),
    ("温", 4),
    ("崔", 4),
    ("孟", 4),
    ("康", 4),
    ("牛", 4),
    ("尹", 3),
    ("雷", 3),
    ("范", 3),
    ("魏", 3),
    ("程", 3),
    ("吕", 3),
    ("姚", 3),
    ("樊", 3),
    ("兰", 3),
    ("云", 2),
    ("边", 2),
    ("霍", 2),
    ("齐", 2),
    ("安", 2),
    ("付", 2),
    ("申", 2),
    ("葛", 2),
    ("路", 2),
    ("丁", 2),
    ("彭", 2),
    ("邓", 2),
    ("谢", 2),
    ("罗", 2),
)
# Surnames of the other groups: Mongols who took one (包, 白, 宝, 鲍, and 云 among the Tumed),
# and the usual surnames of the Manchu, Hui, Daur, Evenki, Korean and Oroqen.
SURNAMES: dict[str, tuple[str, ...]] = {
    "02": ("包", "包", "包", "白", "白", "宝", "鲍", "云", "韩", "奇", "吴", "陈", "王", "李"),
    "03": ("马", "马", "马", "白", "杨", "李", "丁", "海", "哈", "穆", "纳", "沙", "金"),
    "10": ("金", "金", "李", "朴", "朴", "崔", "郑", "姜", "韩", "张", "黄", "申"),
    "11": ("关", "佟", "金", "赵", "那", "索", "富", "傅", "肖", "郎", "王", "吴", "白", "铁"),
    "31": ("敖", "郭", "孟", "何", "苏", "沃", "金", "鄂", "吴", "德"),
    "45": ("杜", "涂", "何", "卡", "吴", "索", "胡", "那"),
    "52": ("孟", "关", "莫", "葛", "吴", "魏", "白", "何"),
}
# The two characters of a given name, in the taste of those born before and after about 1970.
GIVEN_CHARS = {
    ("male", False): "国建军明华志文德福贵山林成东海平玉立忠胜利宝金荣长永春庆祥生富刚强义双喜树",
    ("male", True): "伟涛磊鹏超浩宇杰鑫博昊轩晨阳峰亮斌飞龙宁俊旭航帅凯毅嘉新振晓天子",
    ("female", False): "秀英兰芳桂玉凤珍梅霞琴云华敏丽萍翠红淑香春燕彩荣素金娥莲美巧",
    ("female", True): "婷娜静丽敏芳艳颖雪琳欣佳怡倩晶璐蕾慧文雅悦丹宁楠月瑶晓思雨萌",
}
MONGOLIAN_NAMES = {
    "male": (
        "巴特尔",
        "额尔敦",
        "苏和",
        "那仁",
        "阿拉坦仓",
        "朝鲁",
        "巴雅尔",
        "宝音",
        "巴图",
        "孟和",
        "布仁",
        "达来",
        "毕力格",
        "吉日嘎拉",
        "特木尔",
        "乌力吉",
        "那顺",
        "呼和",
        "额尔德木图",
        "哈斯",
        "图门",
        "阿古拉",
        "巴根那",
        "青格勒",
        "满都拉",
        "敖其尔",
        "阿木古楞",
        "宝力道",
        "乌恩",
        "桑布",
        "达林太",
        "斯日古楞",
        "巴音",
        "那木吉拉",
        "包力高",
        "特古斯",
        "白音仓",
        "胡日查",
        "乌日图",
        "朝克图",
        "德力格尔",
        "照日格图",
        "吉雅图",
        "阿拉腾",
        "苏德",
        "额日和木",
        "布和",
        "格日乐图",
        "达瓦",
        "巴特",
    ),
    "female": (
        "其其格",
        "乌日娜",
        "斯琴",
        "图雅",
        "萨仁",
        "乌兰",
        "格日勒",
        "敖登",
        "其木格",
        "娜仁花",
        "塔娜",
        "乌云",
        "格根塔娜",
        "阿如娜",
        "萨日娜",
        "乌云其木格",
        "娜日苏",
        "斯琴高娃",
        "托娅",
        "高娃",
        "琪琪格",
        "萨仁高娃",
        "乌仁",
        "哈斯高娃",
        "娜布其",
        "诺敏",
        "通拉嘎",
        "萨如拉",
        "斯琴图雅",
        "乌日汗",
        "阿拉坦其其格",
        "苏日娜",
        "额尔登花",
        "吉日木图雅",
        "其勒格尔",
        "乌兰图雅",
        "娜米拉",
        "宝力尔",
        "格格",
        "达古拉",
    ),
}

# -- the region's people ----------------------------------------------------------------------

# Ethnic groups of Inner Mongolia's members (code, per cent).
ETHNIC_MIX: tuple[tuple[str, float], ...] = (
    ("01", 79.0),  # 汉族
    ("02", 17.0),  # 蒙古族
    ("11", 2.0),  # 满族
    ("03", 0.9),  # 回族
    ("31", 0.35),  # 达斡尔族
    ("45", 0.2),  # 鄂温克族
    ("10", 0.2),  # 朝鲜族
    ("52", 0.1),  # 鄂伦春族
    ("38", 0.05),  # 锡伯族
    ("44", 0.05),  # 俄罗斯族
    ("04", 0.03),  # 藏族
    ("08", 0.03),  # 壮族
    ("15", 0.03),  # 土家族
    ("06", 0.03),  # 苗族
    ("05", 0.03),  # 维吾尔族
)
FEMALE_SHARE = 0.28
FEMALE_SHARE_OFFICERS = 0.2
# Birth years in bands (first, last, per cent): weighted to working age.
BIRTH_BANDS: tuple[tuple[int, int, float], ...] = (
    (1935, 1944, 4),
    (1945, 1954, 11),
    (1955, 1964, 17),
    (1965, 1974, 22),
    (1975, 1984, 21),
    (1985, 1994, 16),
    (1995, 2005, 9),
)
OFFICER_BIRTH_YEARS = (1962, 1994)
JOIN_AGE_MEAN_YEARS = 7.0  # years after the 18th birthday, on average
# Probationary members joined within the last year: most of them are young.
PROBATIONARY_BY_AGE = ((35, 0.27), (50, 0.07), (200, 0.02))
MOBILE_SHARE = 0.03  # two thirds outflow, one third inflow
LOST_SHARE = 0.005
PHONE_SHARE = 0.9
RETIREMENT_AGE = {"male": 60, "female": 55}

EDUCATION_BY_CATEGORY: dict[str, tuple[tuple[str, float], ...]] = {
    Category.FARMER_HERDER: (
        (Education.PRIMARY, 22),
        (Education.JUNIOR, 46),
        (Education.SECONDARY, 24),
        (Education.COLLEGE, 6),
        (Education.UNIVERSITY, 2),
    ),
    Category.EMPLOYED: (
        (Education.POSTGRADUATE, 7),
        (Education.UNIVERSITY, 52),
        (Education.COLLEGE, 26),
        (Education.SECONDARY, 12),
        (Education.JUNIOR, 3),
    ),
    Category.RETIRED: (
        (Education.POSTGRADUATE, 1),
        (Education.UNIVERSITY, 18),
        (Education.COLLEGE, 24),
        (Education.SECONDARY, 30),
        (Education.JUNIOR, 19),
        (Education.PRIMARY, 8),
    ),
    Category.STUDENT: (
        (Education.POSTGRADUATE, 20),
        (Education.UNIVERSITY, 75),
        (Education.COLLEGE, 5),
    ),
    Category.OTHER: (
        (Education.UNIVERSITY, 14),
        (Education.COLLEGE, 26),
        (Education.SECONDARY, 36),
        (Education.JUNIOR, 19),
        (Education.PRIMARY, 5),
    ),
}
# Where outflow members live now, and where inflow members come from.
OUTFLOW_PLACES = (
    "北京市朝阳区",
    "北京市海淀区",
    "北京市丰台区",
    "天津市滨海新区",
    "河北省石家庄市",
    "河北省张家口市",
    "山西省太原市",
    "山西省大同市",
    "辽宁省沈阳市",
    "辽宁省大连市",
    "吉林省长春市",
    "黑龙江省哈尔滨市",
    "上海市浦东新区",
    "江苏省苏州市",
    "浙江省杭州市",
    "山东省青岛市",
    "广东省深圳市南山区",
    "广东省广州市天河区",
    "陕西省西安市",
    "宁夏回族自治区银川市",
    "甘肃省兰州市",
    "内蒙古自治区呼和浩特市赛罕区",
    "内蒙古自治区包头市昆都仑区",
    "内蒙古自治区鄂尔多斯市东胜区",
)
INFLOW_PLACES = (
    "河北省张家口市",
    "山西省忻州市",
    "山西省大同市",
    "陕西省榆林市",
    "宁夏回族自治区石嘴山市",
    "甘肃省武威市",
    "黑龙江省齐齐哈尔市",
    "吉林省白城市",
    "辽宁省朝阳市",
    "山东省菏泽市",
    "河南省周口市",
    "内蒙古自治区赤峰市",
    "内蒙古自治区通辽市",
    "内蒙古自治区乌兰察布市",
)
LOST_NOTES = ("", "", "电话停机，多次联系未果", "已请户籍地村（居）委会协助查找", "外出务工后失联")
PHONE_PREFIXES = tuple(
    [f"13{d}" for d in range(10)]
    + ["147", "150", "151", "152", "153", "155", "156", "157", "158", "159"]
    + ["166", "170", "173", "175", "176", "177", "178"]
    + [f"18{d}" for d in range(10)]
    + ["191", "193", "195", "198", "199"]
)


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


# -- writing ----------------------------------------------------------------------------------

COLUMNS = (
    "id",
    "org_id",
    "org_path",
    "name",
    "name_folded",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number_enc",
    "id_number_hash",
    "id_masked",
    "id_tail",
    "phone_enc",
    "phone_hash",
    "phone_masked",
    "education",
    "category",
    "join_date",
    "full_date",
    "status",
    "party_group",
    "position",
    "mobility",
    "mobility_place",
    "mobility_since",
    "mobility_contact",
    "attached_org_id",
    "lost_contact",
    "lost_since",
    "lost_notes",
    "found_on",
    "created_at",
    "updated_at",
)


@dataclass
class GenerateResult:
    created: int
    branches: int
    seconds: float
    output: Path | None = None

    @property
    def rows_per_s(self) -> float:
        return self.created / self.seconds if self.seconds > 0 else 0.0


def _next_member_id() -> int:
    next_id = (Member.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence('members_member', 'id'))")
            next_id = max(next_id, cursor.fetchone()[0])
    return next_id


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection during the load: the rows make no cycles, and each full
    collection would walk the whole batch in memory."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


Rows = list[tuple[object, ...]]
Changes = dict[str, dict[str, int]]


def _rows(batch: list[Person], first_id: int, now: object) -> tuple[Rows, Changes]:
    """The table rows of a batch (numbers encrypted and hashed), and its counter changes
    folded per organization."""
    numbers = [p.id_number for p in batch]
    id_enc = encrypt_many(numbers)
    id_hash = lookup_hash_many(numbers)
    phones = [p.phone for p in batch if p.phone]
    phone_enc = iter(encrypt_many(phones))
    phone_hash = iter(lookup_hash_many(phones))
    rows: Rows = []
    folded: dict[str, str] = {}

    def fold(name: str) -> str:
        folded[name] = value = fold_for_search(name)
        return value

    append = rows.append
    for i, p in enumerate(batch):
        branch = p.branch
        number = numbers[i]
        has_phone = bool(p.phone)
        append(
            (
                first_id + i,
                branch.id,
                branch.path,
                p.name,
                folded.get(p.name) or fold(p.name),
                p.gender,
                p.ethnicity,
                p.birth_date,
                id_enc[i],
                id_hash[i],
                f"{number[:6]}********{number[14:]}",  # as mask_id; the number is clean
                number[-4:],
                next(phone_enc) if has_phone else "",
                next(phone_hash) if has_phone else "",
                f"{p.phone[:3]}****{p.phone[7:]}" if has_phone else "",  # as mask_phone
                p.education,
                p.category,
                p.join_date,
                p.full_date,
                p.status,
                p.party_group,
                p.position,
                p.mobility,
                p.mobility_place,
                p.mobility_since,
                "",
                branch.id if p.mobility == INFLOW else None,
                p.lost_contact,
                p.lost_since,
                p.lost_notes,
                None,
                now,
                now,
            )
        )
    return rows, _counter_changes(batch)


def _counter_changes(batch: list[Person]) -> Changes:
    """The batch's counter changes per branch, from the metrics' declarations: each distinct
    combination of the fields they read is counted once."""
    combos = Counter((p.branch.path, p.status, p.mobility, p.lost_contact) for p in batch)
    changes: Changes = {}
    for (path, status, mobility, lost_contact), n in combos.items():
        deltas = changes.setdefault(path, {})
        figures = member_counters.counts(
            {"status": status, "mobility": mobility, "lost_contact": lost_contact}
        )
        for code, value in figures.items():
            deltas[code] = deltas.get(code, 0) + value * n
    return changes


def _prepared(
    source: Iterator[Person], first_id: int, now: object
) -> Iterator[tuple[Rows, Changes]]:
    for batch in chunked(source, BATCH_SIZE):
        yield _rows(batch, first_id, now)
        first_id += len(batch)


def _write_csv(
    source: Iterator[Person], output: Path, total: int, progress: Progress | None
) -> int:
    """The members as a roster in the import template; written to a side file and moved into
    place at the end, so a failed run leaves no half-written roster."""
    part = output.with_name(output.name + ".part")
    done = 0
    fmt = template.DATE_FORMAT
    gender, ethnicity = template.GENDER_LABELS, template.ETHNICITY_LABELS
    education, category = template.EDUCATION_LABELS, template.CATEGORY_LABELS
    status, mobility = template.STATUS_LABELS, template.MOBILITY_LABELS
    lost = template.LOST_CONTACT_LABELS
    try:
        with part.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(template.HEADERS)
            for p in source:
                writer.writerow(
                    (
                        p.name,
                        gender[p.gender],
                        ethnicity[p.ethnicity],
                        p.id_number,
                        p.birth_date.strftime(fmt),
                        education.get(p.education, ""),
                        category[p.category],
                        p.join_date.strftime(fmt),
                        p.full_date.strftime(fmt) if p.full_date else "",
                        status[p.status],
                        p.branch.code,
                        p.phone,
                        mobility[p.mobility],
                        p.mobility_place,
                        lost[p.lost_contact],
                    )
                )
                done += 1
                if progress is not None and done % BATCH_SIZE == 0:
                    progress(done, total)
        os.replace(part, output)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    if progress is not None and done % BATCH_SIZE:
        progress(done, total)
    return done


def generate_members(
    *,
    count: int,
    seed: int,
    province: str | None = None,
    output: Path | None = None,
    progress: Progress | None = None,
    favour: str = "",
    today: dt.date | None = None,
) -> GenerateResult:
    """Generate `count` members over the branches (of `province`, a 2-digit code, or all),
    into the database, or with `output` into a CSV roster in the import template.
    `progress(done, total)` is called after each batch. `favour`: a code prefix whose branches
    get members first when `count` cannot fill every branch (the demo's county)."""
    started = time.perf_counter()
    if count <= 0:
        raise ApplicationError(_("The number of members must be at least 1."), field="count")
    if province is not None and not (len(province) == 2 and province.isdigit()):
        raise ApplicationError(
            _("%(code)s is not a province code (two digits, like 15).") % {"code": province},
            field="province",
        )
    if output is not None:
        if output.suffix.lower() != ".csv":
            raise ApplicationError(
                _("The roster is written as a .csv file, not %(name)s.") % {"name": output.name},
                field="output",
            )
        if not output.parent.is_dir():
            raise ApplicationError(
                _("The folder %(folder)s does not exist.") % {"folder": output.parent},
                field="output",
            )
    today = today or timezone.localdate()
    found = branches(province)
    if not found:
        raise ApplicationError(
            _("There is no branch to put members in: run generate-orgs first."),
            code="no_branches",
        )
    sizes = allocate(found, count, random.Random(seed), favour)
    blocks = IdBlocks()
    if output is not None:
        if Member.objects.exists():
            blocks.load_roster()
        source = people(found, sizes, seed=seed, today=today, blocks=blocks)
        created = _write_csv(source, output, count, progress)
        return GenerateResult(
            created, sum(1 for s in sizes if s), time.perf_counter() - started, output
        )
    try:
        with transaction.atomic():
            if Member.objects.exists():
                blocks.load_roster()
            next_id = _next_member_id()
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            source = people(found, sizes, seed=seed, today=today, blocks=blocks)
            created = 0
            # Into an empty roster, the indexes (and on PostgreSQL the constraints) are built
            # once after the rows.
            load = bulk_load_into_empty(["members_member"])
            with _gc_paused():
                for rows, changes in _prepared(source, next_id, now):
                    copy_rows("members_member", COLUMNS, rows)
                    org_counters.bump_many(changes)
                    created += len(rows)
                    if progress is not None:
                        progress(created, count)
            load.restore()
            if is_postgres():
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT setval(pg_get_serial_sequence('members_member', 'id'), %s)",
                        [next_id + created - 1],
                    )
            audit_record(
                actor=None,
                action="members.generate",
                target_type="members.member",
                target_id=province or "",
                after={"seed": seed, "count": created, "province": province or ""},
            )
    except IntegrityError as exc:
        raise ApplicationError(
            _(
                "The roster or the organizations changed while the members were generated; "
                "nothing was written. Run the generator again."
            ),
            code="changed_meanwhile",
        ) from exc
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE members_member, orgs_orgcounter")
    return GenerateResult(created, sum(1 for s in sizes if s), time.perf_counter() - started)
