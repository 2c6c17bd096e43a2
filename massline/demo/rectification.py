"""The demo's rectification (issue 12, item 9): the loop at every stage in 新城区 and above it,
through the services as the demo's logins would act (the township below, the county and the
prefecture one level up), so every step has its history and audit row:

- problems raised by the public (from the demo's opinions, linked to them), found in the
  self-reviews of leadership teams and individuals (tagged with the dated checklist items),
  found by supervision, and assigned from above;
- fixes of every kind in every state: being fixed (with progress, some of it public), an
  extension asked for, approved and refused, a close-out asked for, refused and approved,
  closed out, reworked (sent back one level up, round 2), and overdue (recorded forty days
  ago with a deadline that has passed, flagged by the overdue sweep as every night);
- commitments prepared and published together, and some prepared, not yet published;
- escalated problems (问题在下面、根子在上面): claimed by the level above with their fixes, and
  one still waiting;
- a batch handover (承接): a fix of the county (batch 1) to be taken over by 保合少镇 (batch 2,
  whose window has opened), handed over by running the sweep.

The public's evaluations of the closed-out fixes come with `demo_evaluations`, with the one-time
codes the organizations handed out. Loading again changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from massline.access.permissions import RECTIFICATION_APPROVE, RECTIFICATION_MANAGE
from massline.access.policy import can
from massline.campaigns.models import Campaign, Participation
from massline.opinions.models import Opinion, OpinionCategory
from massline.orgs.models import Organization
from massline.rectification import problem_services, sweeps, workflow
from massline.rectification.evaluation_services import evaluation_submit, tokens_issue
from massline.rectification.fix_services import commitments_publish, fix_act, fix_create
from massline.rectification.models import Audience, Fix, FixKind, Problem, ProblemSource

from .campaign import TITLE

if TYPE_CHECKING:
    from massline.accounts.models import User

COUNTY = "150102000000"  # 新城区
TOWNSHIP = "150102101000"  # 保合少镇: batch 2 in the demo campaign
PREFECTURE = "150100000000"  # 呼和浩特市
VILLAGES = 6  # at most, of the township's villages
OPINION_PROBLEMS = 8  # at most, each from up to three opinions of one branch
#: The logins that act, lowest first: the responsible side is the lowest who may manage a
#: fix's organization, the upper side the lowest other one who may approve at its parent.
ACTORS = ("branch", "township", "county", "prefecture", "province")

MEASURES = (
    "建立问题台账，明确专人负责，每周调度一次进展",
    "召开专题会议研究整改方案，制定时间表和路线图",
    "修订完善相关制度，从源头上防止问题反弹",
    "逐户走访核实情况，整改结果在村务公开栏公示",
    "精简会议文件，同一数据只报一次，减轻基层负担",
    "完善公示制度，评定结果张榜公布并接受群众监督",
)
#: What each stage does to a fix after it is recorded, in order: every state and step.
STAGES = (
    "in_progress",
    "progress_public",
    "extension_requested",
    "extension_approved",
    "extension_refused",
    "close_requested",
    "close_refused",
    "closed",
    "closed",
    "reworked",
    "overdue",
    "committed",
)


class _Demo:
    """The demo's actors and day, and one fix through a stage."""

    def __init__(self, today: dt.date) -> None:
        from massline.accounts.models import User

        self.today = today
        self.users = {u.username: u for u in User.objects.filter(username__in=ACTORS)}
        self.count = 0

    def _lowest(self, perm: str, org: Organization, other_than: Any = None) -> User:
        for name in ACTORS:
            user = self.users.get(name)
            if user is not None and user != other_than and can(user, perm, org):
                return user
        raise LookupError(f"no demo login may {perm} at {org.code}")

    def responsible(self, org: Organization) -> User:
        return self._lowest(RECTIFICATION_MANAGE, org)

    def upper(self, org: Organization) -> User:
        return self._lowest(
            RECTIFICATION_APPROVE, workflow.upper_org(org), other_than=self.responsible(org)
        )

    def problem(
        self, org: Organization, source: str, text: str, *, by: User | None = None, **kw: Any
    ) -> Problem:
        return problem_services.problem_create(
            actor=by or self.responsible(org),
            org=org,
            source=source,
            description=text,
            responsible_person=kw.pop("person", "王书记"),
            **kw,
        )

    def fix(self, problem: Problem, stage: str, **kw: Any) -> Fix:
        """A fix of `problem` carried to `stage`."""
        org = problem.org
        n = self.count
        self.count += 1
        kind = kw.pop("kind", (FixKind.TIME_LIMITED, FixKind.IMMEDIATE, FixKind.ONGOING)[n % 3])
        if stage in ("extension_requested", "extension_approved", "extension_refused"):
            kind = FixKind.TIME_LIMITED
        if stage == "overdue" and kind == FixKind.ONGOING:
            kind = FixKind.TIME_LIMITED
        recorded = self.today - dt.timedelta(days=40) if stage == "overdue" else self.today
        deadline = None
        if kind != FixKind.ONGOING:
            days = (7, 30, 60, 90)[n % 4] if kind == FixKind.TIME_LIMITED else 3
            deadline = recorded + dt.timedelta(days=35 if stage == "overdue" else days)
        who = self.responsible(org)
        f = fix_create(
            actor=who,
            problem=problem,
            measure=kw.pop("measure", MEASURES[n % len(MEASURES)]),
            kind=kind,
            deadline=deadline,
            responsible_person=kw.pop("person", ("王书记", "李主任", "张镇长", "刘部长")[n % 4]),
            today=recorded,
            **kw,
        )
        self.carry(f, stage)
        return f

    def act(self, f: Fix, user: User, action: str, **kw: Any) -> Fix:
        kw.setdefault("today", self.today)
        return fix_act(actor=user, fix=f, action=action, version=f.version, **kw)

    def carry(self, f: Fix, stage: str) -> None:
        who, above = self.responsible(f.org), self.upper(f.org)
        a = self.act
        steps: dict[str, Callable[[Fix], Fix]] = {
            "in_progress": lambda f: f,
            "progress_public": lambda f: a(
                f, who, workflow.PROGRESS, note="已完成摸底排查，正在逐项落实。", public=True
            ),
            "extension_requested": lambda f: a(
                f,
                who,
                workflow.REQUEST_EXTENSION,
                note="涉及资金审批，需延长工期。",
                until=(f.deadline or self.today) + dt.timedelta(days=30),
            ),
            "close_requested": lambda f: a(
                f, who, workflow.REQUEST_CLOSE, note="整改措施已全部落实，群众反映良好。"
            ),
            "overdue": lambda f: f,
            "committed": lambda f: a(
                f,
                who,
                workflow.PREPARE_COMMITMENT,
                note="承诺按期完成整改并公开结果。",
                audience=Audience.PUBLIC if self.count % 2 else Audience.SUBMITTERS,
                promised_on=f.deadline or self.today + dt.timedelta(days=60),
            ),
        }
        if stage in steps:
            steps[stage](f)
            return
        if stage == "extension_approved":
            f = steps["extension_requested"](f)
            a(f, above, workflow.APPROVE_EXTENSION)
        elif stage == "extension_refused":
            f = steps["extension_requested"](f)
            a(f, above, workflow.REFUSE_EXTENSION, note="时限内可以完成，不同意延期。")
        elif stage == "close_refused":
            f = steps["close_requested"](f)
            a(f, above, workflow.REFUSE_CLOSE, note="缺少整改前后对比材料，请补充。")
        elif stage in ("closed", "reworked"):
            f = a(f, who, workflow.PROGRESS, note="整改进展过半。", public=True)
            f = a(
                f,
                who,
                workflow.PREPARE_COMMITMENT,
                note="承诺按期整改到位，结果向社会公开，接受群众评议。",
                audience=Audience.PUBLIC,
                promised_on=f.deadline or self.today + dt.timedelta(days=30),
            )
            f = a(f, who, workflow.PUBLISH_COMMITMENT)
            f = steps["close_requested"](f)
            f = a(f, above, workflow.APPROVE_CLOSE)
            if stage == "reworked":
                a(f, above, workflow.REWORK, note="群众评议不满意较多，退回返工补课。")


@transaction.atomic
def demo_rectification(*, seed: int = 1) -> int:
    """Problems and fixes at every stage unless there are some; how many fixes were made."""
    county = Organization.objects.filter(code=COUNTY).first()
    town = Organization.objects.filter(code=TOWNSHIP).first()
    if county is None or town is None or Problem.objects.exists():
        return 0
    d = _Demo(timezone.localdate())
    if "county" not in d.users:
        return 0
    prefecture = Organization.objects.filter(code=PREFECTURE).first() or county.parent
    branches = Organization.objects.filter(parent=town, kind="branch").order_by("code")
    villages = list(branches.filter(division__level=5)[:VILLAGES] or branches[:VILLAGES]) or [town]
    stage = iter(STAGES * 20)
    _from_opinions(d, county, stage)
    _from_reviews(d, county, town, villages, prefecture, stage)
    _escalated(d, villages, town)
    _handover(d, county, town)
    # the commitments of the township's villages published together; the county's wait
    for org in [*villages, town]:
        commitments_publish(actor=d.responsible(org), org=org)
    sweeps.fixes_overdue(today=d.today)
    sweeps.fixes_handover(today=d.today)
    demo_evaluations(seed=seed)
    return d.count


def _from_opinions(d: _Demo, county: Organization, stage: Any) -> None:
    """Problems raised by the public: from opinions the offices took up, grouped by branch."""
    by_org: dict[int, list[Opinion]] = {}
    for o in (
        Opinion.objects.filter(
            org_path__startswith=county.path, status__in=("replied", "closed", "handling")
        )
        .select_related("org")
        .order_by("pk")[:200]
    ):
        if o.org_id in by_org or len(by_org) < OPINION_PROBLEMS:
            by_org.setdefault(o.org_id, []).append(o)
    for opinions in by_org.values():
        opinions = opinions[:3]
        first = opinions[0]
        p = d.problem(
            first.org,
            ProblemSource.OPINION,
            f"群众反映：{first.text[:200]}",
            opinions=opinions,
        )
        d.fix(p, next(stage))


def _from_reviews(
    d: _Demo,
    county: Organization,
    town: Organization,
    villages: list[Organization],
    prefecture: Organization | None,
    stage: Any,
) -> None:
    """Problems from self-reviews (tagged with the checklist items), supervision and
    assignment from above, at the villages, the township, the county and the prefecture."""
    items = list(OpinionCategory.objects.filter(org__isnull=True).order_by("position", "pk"))
    item = iter(items * 10)
    for i, v in enumerate(villages):
        p = d.problem(
            v, ProblemSource.TEAM_REVIEW, "村“两委”班子联系服务群众不够经常，入户走访少。",
            category=next(item, None),
        )  # fmt: skip
        d.fix(p, next(stage))
        d.fix(p, next(stage))
        p = d.problem(
            v, ProblemSource.ASSIGNED, "上级交办：村集体经济收支未按季度公开。",
            by=d.users["county"],
        )  # fmt: skip
        d.fix(p, next(stage))
        if i == 0:
            p = d.problem(
                v, ProblemSource.SELF_REVIEW, "本人学习不够深入，理论联系实际不够。",
                category=next(item, None), person="村党支部书记",
            )  # fmt: skip
            d.fix(p, next(stage), kind=FixKind.ONGOING)
    p = d.problem(
        town, ProblemSource.SUPERVISION, "督导发现：镇政务服务大厅窗口人员缺岗，群众办事跑多趟。",
        by=d.users["county"],
    )  # fmt: skip
    for _n in range(3):
        d.fix(p, next(stage))
    p = d.problem(
        county, ProblemSource.TEAM_REVIEW, "县级领导班子调查研究走过场，解决实际问题不多。",
        category=next(item, None), person="区委办公室主任",
    )  # fmt: skip
    for _n in range(4):
        d.fix(p, next(stage))
    d.fix(p, "committed")  # prepared; the county publishes its own later
    if prefecture is not None:
        p = d.problem(
            prefecture, ProblemSource.SUPERVISION, "督导发现：文件会议仍然偏多，基层负担重。",
        )  # fmt: skip
        d.fix(p, "closed")
        d.fix(p, "in_progress")


def _escalated(d: _Demo, villages: list[Organization], town: Organization) -> None:
    """问题在下面、根子在上面: problems of the villages whose cause sits at the township, two
    claimed by it with their fixes, one still waiting for it."""
    reasons = ("道路硬化需镇里统一立项和安排资金。", "垃圾清运由镇环卫所统一负责。")
    for n in range(3):
        v = villages[n % len(villages)]
        if v == town:
            return
        p = d.problem(
            v, ProblemSource.SUPERVISION,
            ("进村道路坑洼不平，雨天无法通行。", "垃圾清运不及时，垃圾桶经常满溢。",
             "村卫生室缺医少药，群众看病难。")[n],
        )  # fmt: skip
        d.fix(p, "progress_public")
        p = problem_services.problem_escalate(
            actor=d.responsible(v), problem=p, reason=(*reasons, "村医招聘需镇卫生院统筹。")[n]
        )
        if n < 2:
            problem_services.problem_claim(
                actor=d.upper(v), problem=p, responsible_person="保合少镇镇长"
            )


def _handover(d: _Demo, county: Organization, town: Organization) -> None:
    """承接: a fix of the county (batch 1) that 保合少镇 (batch 2) takes over once its window has
    opened; the sweep hands it over."""
    campaign = Campaign.objects.filter(title=TITLE).first()
    if campaign is None:
        return
    window = Participation.objects.filter(campaign=campaign, org=town).first()
    if window is None or window.starts_on > d.today:
        return
    p = d.problem(
        county, ProblemSource.SUPERVISION, "督导发现：保合少镇农村人居环境整治推进缓慢。",
        campaign_id=campaign.pk,
    )  # fmt: skip
    d.fix(p, "progress_public", handover_org=town, measure="由第二批保合少镇承接，继续推进整治。")


#: Each closed-out fix's evaluations in the demo, by its turn among them: (satisfied,
#: basically satisfied, unsatisfied). Fewer than k (5) leaves a round not broken down; the
#: unsatisfied share above the threshold sends the last one back for rework by the system.
EVALUATIONS = ((7, 3, 1), (1, 1, 4), (2, 1, 0), (4, 4, 0), (9, 2, 2))
SPARE_CODES = 5
UNSATISFIED = (
    "公示栏还是老样子，没看出变化。",
    "问题反映了几次，只是开了会，实际没解决。",
    "整改只在材料上，群众没得到实惠。",
)


def demo_evaluations(*, seed: int = 1) -> int:
    """The public's evaluations of the closed-out fixes, with the one-time codes their
    organizations handed out (满意 / 基本满意 / 不满意; some rounds with fewer than k of them,
    one unsatisfied enough to be sent back for rework by the system); how many were given."""
    given = 0
    closed = Fix.objects.filter(state="closed").select_related("org").order_by("pk")
    for n, f in enumerate(closed):
        satisfied, basic, unsatisfied = EVALUATIONS[(n + seed - 1) % len(EVALUATIONS)]
        verdicts = ["satisfied"] * satisfied + ["basically_satisfied"] * basic
        verdicts += ["unsatisfied"] * unsatisfied
        codes = tokens_issue(actor=None, fix=f, count=len(verdicts))
        for i, (code, verdict) in enumerate(zip(codes, verdicts, strict=True)):
            reason = UNSATISFIED[i % len(UNSATISFIED)] if verdict == "unsatisfied" else ""
            evaluation_submit(token=code, verdict=verdict, reason=reason)
            given += 1
            if Fix.objects.filter(pk=f.pk, state="closed").count() == 0:
                break  # sent back for rework: the rest of the slips are for a closed round
    return given


def demo_spare_codes(path: Path) -> Path | None:
    """Five unused evaluation codes of a closed-out fix in a file, for whoever tries the
    public evaluation page (`/p/e/`; each works once): written once, kept while it exists."""
    if path.exists():
        return path
    f = Fix.objects.filter(state="closed").order_by("pk").first()
    if f is None:
        return None
    codes = tokens_issue(actor=None, fix=f, count=SPARE_CODES)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(codes) + "\n", encoding="utf-8")
    return path
