"""The demo: Inner Mongolia's real divisions, its generated organizations and members, and one
login per level so a newcomer sees the data scope at work. Running it again changes nothing.

Every write goes through a service that audits it (divisions, organizations, members, users,
role assignments), and a `demo.load` row sums up a run that wrote anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import transaction

from massline.access.models import DataScope, Role, RoleAssignment
from massline.access.services import assignment_create, roles_ensure_builtin
from massline.accounts.models import User
from massline.accounts.services import user_create
from massline.core.audit import audit_record
from massline.members.models import Member
from massline.orgs.divisions import load_divisions
from massline.orgs.models import Organization

from .campaign import demo_campaign
from .members import generate_members
from .opinions import demo_opinions
from .rectification import demo_rectification
from .skeleton import generate_orgs

DEMO_PASSWORD = "massline-demo"
PROVINCE = "15"
DEMO_MEMBERS = 50_000
# The county of the demo logins below: its branches all get members, the rest of the province
# a random share of them.
DEMO_COUNTY = "150102"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    role: str
    scope: str
    org_code: str


# 内蒙古自治区 → 呼和浩特市 → 新城区 → 保合少镇 → a village branch under it.
LOGINS = [
    DemoLogin("admin", "系统管理员", "system_admin", DataScope.ALL, "150000000000"),
    DemoLogin("province", "自治区活动办", "campaign_office", DataScope.SUBTREE, "150000000000"),
    DemoLogin(
        "prefecture", "呼和浩特市活动办", "campaign_office", DataScope.SUBTREE, "150100000000"
    ),
    DemoLogin("county", "新城区活动办", "campaign_office", DataScope.SUBTREE, "150102000000"),
    DemoLogin("township", "保合少镇党委", "org_admin", DataScope.SUBTREE, "150102101000"),
    DemoLogin("branch", "村党支部书记", "org_admin", DataScope.THIS_ORG, ""),
]


def _branch_code() -> str:
    org = (
        Organization.objects.filter(code__startswith="150102101", kind="branch", division__level=5)
        .order_by("code")
        .first()
    )
    assert org is not None, "the demo township has no village branch"
    return org.code


def demo_load(
    *, actor: User | None, divisions_dir: Path, seed: int = 1
) -> list[tuple[DemoLogin, str]]:
    """Load what is missing of the demo. `actor`: who loads it (None: the system)."""
    divisions = load_divisions(actor=actor, directory=divisions_dir, file=None, province=PROVINCE)
    orgs = generate_orgs(actor=actor, province=PROVINCE, seed=seed)
    members = 0
    if not Member.objects.exists():
        members = generate_members(
            actor=actor, count=DEMO_MEMBERS, seed=seed, province=PROVINCE, favour=DEMO_COUNTY
        ).created
    with transaction.atomic():
        roles_ensure_builtin(actor=actor)
        result = []
        users: list[str] = []
        assignments: list[str] = []
        for login in LOGINS:
            code = login.org_code or _branch_code()
            org = Organization.objects.get(code=code)
            user = User.objects.filter(username=login.username).first()
            if user is None:
                user = user_create(
                    actor=actor,
                    username=login.username,
                    password=DEMO_PASSWORD,
                    display_name=login.display_name,
                    is_superuser=login.username == "admin",
                )
                users.append(login.username)
            if not RoleAssignment.objects.filter(
                user=user, org=org, role__code=login.role
            ).exists():
                assignment_create(
                    actor=actor,
                    user=user,
                    role=Role.objects.get(code=login.role),
                    org=org,
                    scope=login.scope,
                    valid_from=date(2024, 1, 1),
                )
                assignments.append(login.username)
            result.append((login, org.name))
        campaign = demo_campaign(actor=actor, province_code=LOGINS[1].org_code)
        opinions = demo_opinions(actor=_office(), seed=seed)
        fixes = demo_rectification(seed=seed)
        written = {
            "campaigns": [campaign.title] if campaign else [],
            "opinions": opinions,
            "fixes": fixes,
            "divisions": divisions.created + divisions.updated,
            "organizations": orgs.created,
            "members": members,
            "users": users,
            "assignments": assignments,
        }
        if any(written.values()):
            audit_record(
                actor=actor,
                action="demo.load",
                target_type="orgs.division",
                target_id=PROVINCE,
                after={"seed": seed, **written},
            )
    return result


def _office() -> User:
    """The county's campaign office (the `county` login): it enters, dispatches and answers
    the demo's opinions, so their history and audit rows name a person."""
    return User.objects.get(username="county")


DEMO_ROSTER_MEMBERS = 50


def demo_roster(path: Path, *, seed: int = 1) -> Path:
    """A roster file of members not yet in the roster, for the branch login's village, to
    try the import with (written once)."""
    if not path.exists():
        generate_members(
            actor=None,
            count=DEMO_ROSTER_MEMBERS,
            seed=seed + 1000,
            province=PROVINCE,
            favour=_branch_code(),
            output=path,
        )
    return path
