"""A deterministic party-organization skeleton over loaded divisions, at the real scale.

For a province: a committee for the province, each prefecture, county and township (a
working committee for sub-districts and zones), a branch for each village and community, and
per county the branches of its agencies, schools and hospitals, state enterprises, non-public
firms and social organizations under their working committees. Inner Mongolia comes to about
70,000 organizations. The same seed gives the same tree; organizations whose code already
exists are left alone, so running it again adds nothing."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.core.audit import audit_record
from massline.core.db import copy_rows, is_postgres
from massline.core.errors import ApplicationError
from massline.orgs import counters
from massline.orgs.models import AreaType, Division, Organization, OrgKind, UnitType
from massline.orgs.paths import child_path, depth_of

AGENCIES = [
    "党委办公室",
    "政府办公室",
    "组织部",
    "宣传部",
    "统战部",
    "政法委",
    "纪委监委",
    "编办",
    "发展和改革委员会",
    "教育局",
    "科学技术局",
    "工业和信息化局",
    "公安局",
    "民政局",
    "司法局",
    "财政局",
    "人力资源和社会保障局",
    "自然资源局",
    "生态环境局",
    "住房和城乡建设局",
    "交通运输局",
    "水利局",
    "农牧局",
    "商务局",
    "文化旅游体育局",
    "卫生健康委员会",
    "退役军人事务局",
    "应急管理局",
    "审计局",
    "市场监督管理局",
    "统计局",
    "林业和草原局",
    "医疗保障局",
    "信访局",
    "乡村振兴局",
    "民族事务委员会",
    "能源局",
    "人民法院",
    "人民检察院",
    "人大常委会办公室",
    "政协办公室",
    "总工会",
    "团委",
    "妇联",
    "科协",
    "残联",
    "税务局",
    "气象局",
    "消防救援大队",
    "融媒体中心",
]
SCHOOLS = [
    "第一中学",
    "第二中学",
    "第三中学",
    "第四中学",
    "蒙古族中学",
    "实验中学",
    "职业中学",
    "第一小学",
    "第二小学",
    "第三小学",
    "第四小学",
    "第五小学",
    "蒙古族小学",
    "实验小学",
    "第一幼儿园",
    "第二幼儿园",
    "蒙古族幼儿园",
    "特殊教育学校",
    "教师进修学校",
]
INSTITUTIONS = [
    "人民医院",
    "蒙医医院",
    "中医医院",
    "妇幼保健院",
    "疾病预防控制中心",
    "图书馆",
    "文化馆",
    "博物馆",
    "农牧业技术推广中心",
    "草原工作站",
    "水利工作站",
    "公证处",
    "不动产登记中心",
    "政务服务中心",
    "供热中心",
]
STATE_FIRMS = [
    "城市建设投资有限责任公司",
    "国有资产运营有限公司",
    "供水有限责任公司",
    "热力有限责任公司",
    "公共交通有限责任公司",
    "粮食储备库",
    "国有林场",
    "农村信用合作联社",
    "电业局",
    "邮政分公司",
    "电信分公司",
    "移动分公司",
    "水务集团有限公司",
    "文化旅游投资有限公司",
]
FIRM_WORDS = [
    "草原",
    "北疆",
    "金河",
    "蒙源",
    "恒泰",
    "鑫达",
    "宏远",
    "绿源",
    "天骄",
    "瑞丰",
    "祥和",
    "远航",
    "华兴",
    "聚力",
    "鸿福",
    "阳光",
    "青城",
    "沃野",
    "正和",
    "锦程",
    "丰泽",
    "敖伦",
    "巴彦",
    "乌兰",
    "呼仁",
    "宝力德",
    "塔拉",
    "昌盛",
    "德润",
    "新元",
]
FIRM_TRADES = [
    "乳业有限公司",
    "肉食品有限公司",
    "农牧业开发有限公司",
    "建筑工程有限公司",
    "商贸有限公司",
    "物流有限公司",
    "新能源有限公司",
    "煤业有限公司",
    "化工有限公司",
    "旅游开发有限公司",
    "羊绒制品有限公司",
    "饲草料有限公司",
    "物业服务有限公司",
    "餐饮管理有限公司",
    "汽车销售服务有限公司",
    "信息技术有限公司",
    "医药连锁有限公司",
    "稀土材料有限公司",
    "农民专业合作社",
    "牧民专业合作社",
]
SOCIAL_ORGS = [
    "律师协会",
    "个体劳动者协会",
    "私营企业协会",
    "慈善总会",
    "志愿者协会",
    "养老服务中心",
    "社会工作服务中心",
    "青年创业协会",
    "马术协会",
    "书法家协会",
    "摄影家协会",
    "物流行业协会",
    "餐饮行业协会",
    "蒙古族文化研究会",
    "草原文化促进会",
    "会计师事务所",
]
ORDINALS = ["第一", "第二", "第三", "第四", "第五", "第六"]


@dataclass
class NewOrg:
    code: str
    name: str
    kind: str
    unit_type: str
    area_type: str
    division_id: str | None
    parent_code: str | None


def _clean_place(name: str) -> str:
    for suffix, keep in [
        ("社区居民委员会", "社区"),
        ("社区居委会", "社区"),
        ("居民委员会", "社区"),
        ("居委会", "社区"),
        ("村民委员会", "村"),
        ("村委会", "村"),
        ("嘎查委员会", "嘎查"),
        ("委员会", ""),
    ]:
        if name.endswith(suffix):
            place = name[: -len(suffix)]
            # 一家村村民委员会 is the committee of 一家村: do not say 村 twice.
            return place if keep and place.endswith(keep) else place + keep
    return name


def _area_type(name: str, default: str) -> str:
    if "林场" in name or "林业" in name or "林区" in name:
        return AreaType.FOREST
    if "矿" in name or "煤" in name:
        return AreaType.MINING
    if "嘎查" in name or "苏木" in name or "牧场" in name:
        return AreaType.PASTORAL
    return default


def _committee_name(place: str) -> str:
    return f"中共{place}委员会"


def _division_orgs(div: Division, parent_code: str | None) -> NewOrg:
    name = div.name
    if div.level == 5:
        place = _clean_place(name)
        community = place.endswith("社区") or "社区" in place or "生活区" in place
        unit = UnitType.COMMUNITY if community else UnitType.RURAL
        area = "" if community else _area_type(place, AreaType.FARMING)
        return NewOrg(
            div.code, f"中共{place}支部委员会", OrgKind.BRANCH, unit, area, div.code, parent_code
        )
    if div.level == 4:
        sub_district = name.endswith("街道") or name.endswith("街道办事处")
        if sub_district or div.non_admin:
            return NewOrg(
                div.code,
                f"中共{name}工作委员会",
                OrgKind.WORKING_COMMITTEE,
                UnitType.COMMUNITY if sub_district else UnitType.AGENCY,
                "",
                div.code,
                parent_code,
            )
        return NewOrg(
            div.code,
            _committee_name(name),
            OrgKind.COMMITTEE,
            UnitType.RURAL,
            _area_type(name, AreaType.FARMING),
            div.code,
            parent_code,
        )
    if div.level == 3 and div.non_admin:
        return NewOrg(
            div.code,
            f"中共{name}工作委员会",
            OrgKind.WORKING_COMMITTEE,
            UnitType.AGENCY,
            "",
            div.code,
            parent_code,
        )
    return NewOrg(
        div.code,
        _committee_name(name),
        OrgKind.COMMITTEE,
        UnitType.AGENCY,
        "",
        div.code,
        parent_code,
    )


def _system_orgs(
    rng: random.Random, div: Division, parent_code: str, scale: float
) -> Iterator[NewOrg]:
    """The organizations of a county's (or prefecture's, or the province's) own institutions."""
    place = div.name
    code = div.code

    def n(low: int, high: int) -> int:
        return max(1, round(rng.randint(low, high) * scale))

    # Agencies: a working committee for the agencies, one or more branches per department.
    agency_wc = f"{code}-WA"
    yield NewOrg(
        agency_wc,
        f"中共{place}直属机关工作委员会",
        OrgKind.WORKING_COMMITTEE,
        UnitType.AGENCY,
        "",
        code,
        parent_code,
    )
    seq = 0
    for dept in AGENCIES[: n(36, len(AGENCIES))]:
        parts = rng.choices([1, 1, 1, 2, 3], k=1)[0]
        for i in range(parts):
            seq += 1
            suffix = "支部委员会" if parts == 1 else f"{ORDINALS[i]}支部委员会"
            yield NewOrg(
                f"{code}-A{seq:03d}",
                f"中共{place}{dept}{suffix}",
                OrgKind.BRANCH,
                UnitType.AGENCY,
                "",
                code,
                agency_wc,
            )
    # Education and public institutions.
    edu_wc = f"{code}-WE"
    yield NewOrg(
        edu_wc,
        f"中共{place}教育工作委员会",
        OrgKind.WORKING_COMMITTEE,
        UnitType.PUBLIC_INSTITUTION,
        "",
        code,
        parent_code,
    )
    seq = 0
    for i in range(n(30, 70)):
        seq += 1
        school = SCHOOLS[i % len(SCHOOLS)]
        label = school if i < len(SCHOOLS) else f"第{i // len(SCHOOLS) + 1}学区{school}"
        yield NewOrg(
            f"{code}-E{seq:03d}",
            f"中共{place}{label}支部委员会",
            OrgKind.BRANCH,
            UnitType.PUBLIC_INSTITUTION,
            "",
            code,
            edu_wc,
        )
    for i in range(n(8, len(INSTITUTIONS))):
        seq += 1
        yield NewOrg(
            f"{code}-E{seq:03d}",
            f"中共{place}{INSTITUTIONS[i]}支部委员会",
            OrgKind.BRANCH,
            UnitType.PUBLIC_INSTITUTION,
            "",
            code,
            agency_wc,
        )
    # State enterprises under the state-assets committee.
    soe = f"{code}-WS"
    yield NewOrg(
        soe,
        f"中共{place}国资委委员会",
        OrgKind.COMMITTEE,
        UnitType.STATE_ENTERPRISE,
        "",
        code,
        parent_code,
    )
    for i in range(n(8, 30)):
        firm = STATE_FIRMS[i % len(STATE_FIRMS)]
        branch_name = (
            firm if i < len(STATE_FIRMS) else f"{firm}{ORDINALS[i // len(STATE_FIRMS) % 6]}分公司"
        )
        kind = OrgKind.GENERAL_BRANCH if i < 3 else OrgKind.BRANCH
        yield NewOrg(
            f"{code}-S{i + 1:03d}",
            f"中共{place}{branch_name}{'总支部委员会' if i < 3 else '支部委员会'}",
            kind,
            UnitType.STATE_ENTERPRISE,
            _area_type(firm, ""),
            code,
            soe,
        )
    # Non-public firms and social organizations under the "two new" working committee.
    two_new = f"{code}-WN"
    yield NewOrg(
        two_new,
        f"中共{place}非公有制经济组织和社会组织工作委员会",
        OrgKind.WORKING_COMMITTEE,
        UnitType.NON_PUBLIC_ENTERPRISE,
        "",
        code,
        parent_code,
    )
    used: set[str] = set()
    for i in range(n(170, 370)):
        while True:
            firm = rng.choice(FIRM_WORDS) + rng.choice(FIRM_WORDS[::-1]) + rng.choice(FIRM_TRADES)
            if firm not in used:
                used.add(firm)
                break
        yield NewOrg(
            f"{code}-N{i + 1:03d}",
            f"中共{place}{firm}支部委员会",
            OrgKind.BRANCH,
            UnitType.NON_PUBLIC_ENTERPRISE,
            _area_type(firm, ""),
            code,
            two_new,
        )
    for i in range(n(20, 50)):
        org_name = SOCIAL_ORGS[i % len(SOCIAL_ORGS)]
        label = (
            org_name if i < len(SOCIAL_ORGS) else f"{ORDINALS[i // len(SOCIAL_ORGS) % 6]}{org_name}"
        )
        yield NewOrg(
            f"{code}-O{i + 1:03d}",
            f"中共{place}{label}支部委员会",
            OrgKind.BRANCH,
            UnitType.SOCIAL_ORGANIZATION,
            "",
            code,
            two_new,
        )


def plan(*, province: str, seed: int) -> list[NewOrg]:
    """Every organization of the skeleton, parents before children."""
    divisions = list(Division.objects.filter(province_code=province).order_by("level", "code"))
    if not divisions:
        raise ApplicationError(
            _("No divisions are loaded for province %(code)s: run load-divisions first.")
            % {"code": province},
            code="no_divisions",
            field="province",
        )
    org_of_division: dict[str, str] = {}
    planned: list[NewOrg] = []
    extras: dict[str, list[NewOrg]] = defaultdict(list)
    for div in divisions:
        parent_code = org_of_division.get(div.parent_id or "")
        org = _division_orgs(div, parent_code)
        org_of_division[div.code] = org.code
        planned.append(org)
        rng = random.Random(f"{seed}:{div.code}")
        if div.level in (1, 2):
            extras[div.code] = list(
                _system_orgs(rng, div, org.code, 0.6 if div.level == 2 else 1.0)
            )
        elif div.level == 3:
            scale = 0.25 if div.non_admin else 1.0
            extras[div.code] = list(_system_orgs(rng, div, org.code, scale))
        elif div.level == 4 and not div.non_admin:
            # The township's own agency branches.
            for i in range(rng.randint(1, 3)):
                extras[div.code].append(
                    NewOrg(
                        f"{div.code}-A{i + 1:02d}",
                        f"中共{div.name}机关{ORDINALS[i]}支部委员会",
                        OrgKind.BRANCH,
                        UnitType.AGENCY,
                        "",
                        div.code,
                        org.code,
                    )
                )
    for div in divisions:
        planned.extend(extras.get(div.code, []))
    # Parents first: a stable order by depth in the planned tree.
    depth: dict[str, int] = {}
    for org in planned:
        depth[org.code] = 0 if org.parent_code is None else depth[org.parent_code] + 1
    planned.sort(key=lambda o: depth[o.code])
    return planned


@dataclass
class GenerateResult:
    planned: int
    created: int


def generate_orgs(*, actor: Any, province: str, seed: int) -> GenerateResult:
    """Create the missing organizations of the skeleton, with their counters and an audit
    row, in one transaction, through the database's bulk path. A run that finds every
    organization already there writes nothing."""
    planned = plan(province=province, seed=seed)
    with transaction.atomic():
        existing = dict(
            Organization.objects.filter(code__in=[o.code for o in planned]).values_list(
                "code", "path"
            )
        )
        todo = [o for o in planned if o.code not in existing]
        if not todo:
            return GenerateResult(planned=len(planned), created=0)
        next_id = (Organization.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        if is_postgres():
            with connection.cursor() as cursor:
                cursor.execute("SELECT nextval(pg_get_serial_sequence('orgs_organization', 'id'))")
                next_id = max(next_id, cursor.fetchone()[0])
        paths = dict(existing)
        now = timezone.now()
        rows = []
        changes: dict[str, dict[str, int]] = {}
        parent_ids: dict[str, int] = dict(
            Organization.objects.filter(code__in=existing).values_list("code", "id")
        )
        for org in todo:
            org_id = next_id
            next_id += 1
            parent_path = paths[org.parent_code] if org.parent_code else ""
            path = child_path(parent_path, org_id)
            paths[org.code] = path
            parent_ids[org.code] = org_id
            rows.append(
                (
                    org_id,
                    org.code,
                    org.name,
                    org.kind,
                    org.unit_type,
                    org.area_type,
                    org.division_id,
                    parent_ids[org.parent_code] if org.parent_code else None,
                    depth_of(path),
                    path,
                    now,
                    now,
                )
            )
            changes[path] = counters.org_metric_deltas(org.kind)
        copy_rows(
            "orgs_organization",
            [
                "id",
                "code",
                "name",
                "kind",
                "unit_type",
                "area_type",
                "division_id",
                "parent_id",
                "depth",
                "path",
                "created_at",
                "updated_at",
            ],
            rows,
        )
        if is_postgres():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('orgs_organization', 'id'), %s)",
                    [next_id - 1],
                )
        counters.bump_many(changes)
        audit_record(
            actor=actor,
            action="orgs.generate",
            target_type="orgs.organization",
            target_id=province,
            after={"seed": seed, "created": len(todo)},
        )
    if is_postgres():
        # Statistics for the planner right after the bulk load, as PostgreSQL advises, rather
        # than whenever autovacuum (if it runs at all) gets to it: without them a subtree's
        # path range looks selective and is scanned in full instead of the parent index.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE orgs_organization, orgs_orgcounter")
    return GenerateResult(planned=len(planned), created=len(todo))
