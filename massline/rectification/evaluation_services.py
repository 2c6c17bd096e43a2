"""Evaluation by the public (群众评议, decision 0022 "Evaluation by the public"): after a fix is
closed out, the people who raised it judge it 满意 / 基本满意 / 不满意 with the receipt code of
their opinion, or with a one-time evaluation code from a slip the organization handed out.

`evaluation_submit` is one transaction: it locks the fix, inserts the evaluation, adds one to the
present round's figure, marks the slip used, bumps the evaluation counters and, when the round
has enough answers and too many are unsatisfied, sends the fix back for rework as the system.
Like the anonymous opinion box (decision 0021 "Anonymous means unlinkable") an evaluation keeps
no account, no address and no time finer than the day; it writes no audit row and no log line.
One evaluation per slip, and per receipt and round: the database's unique constraints decide,
so two at once give the same clear refusal and nothing half-written.

The k rule: a round with fewer than `RECTIFICATION_EVALUATION_K` evaluations is never broken
down by verdict; `breakdown` is the one place that breaks one down, for every page, API and
export."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from massline.access.permissions import RECTIFICATION_MANAGE
from massline.access.policy import can
from massline.core import crypto, rows
from massline.core.audit import audit_record
from massline.core.errors import ApplicationError, Forbidden
from massline.opinions.models import Opinion, Receipt
from massline.opinions.receipts import ALPHABET, code_hash, normalize
from massline.orgs import counters as org_counters

from . import workflow
from .counters import evaluation_counts
from .fix_services import apply_step, fix_locked
from .models import Evaluation, EvaluationToken, Fix, FixState, Verdict

if TYPE_CHECKING:
    from massline.accounts.models import User

REASON_MAX = 1000
TOKENS_MAX = 500
#: An evaluation code is 12 characters (a receipt code 16): the one field of the portal
#: tells them apart by their length. 30^12 ≈ 2^59 codes, shown as three groups of four.
TOKEN_LENGTH = 12
DEFAULT_K = 5
DEFAULT_REWORK_MIN_ANSWERS = 5
DEFAULT_REWORK_SHARE = 0.3


def k() -> int:
    return int(getattr(settings, "RECTIFICATION_EVALUATION_K", DEFAULT_K))


def rework_min_answers() -> int:
    return int(getattr(settings, "RECTIFICATION_REWORK_MIN_ANSWERS", DEFAULT_REWORK_MIN_ANSWERS))


def rework_share() -> float:
    return float(getattr(settings, "RECTIFICATION_REWORK_SHARE", DEFAULT_REWORK_SHARE))


# --- evaluation codes -------------------------------------------------------------------------


def new_token_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(TOKEN_LENGTH))


def is_token_code(text: str) -> bool:
    """Whether what a person typed is an evaluation code (12 characters) rather than a
    receipt code (16)."""
    return len(normalize(text)) == TOKEN_LENGTH


def token_text(code: str) -> str:
    # a keyed hash of its own kind: never equal to a receipt's hash of the same characters
    return "evaluation token " + normalize(code)


def token_hash(code: str) -> str:
    return crypto.lookup_hash(token_text(code))


# --- what a code leads to ---------------------------------------------------------------------


@dataclass
class Target:
    """The fix a code leads to, with the receipt or the slip that evaluates it."""

    fix_id: int
    receipt: Receipt | None = None
    token: EvaluationToken | None = None
    choices: list[dict[str, Any]] = field(default_factory=list)


def _unknown(field_name: str) -> ApplicationError:
    return ApplicationError(
        _(
            "This code is not known. Check it (16 characters for a receipt code, 12 for an "
            "evaluation code; spaces, dashes and case do not matter)."
        ),
        code="unknown_code",
        field=field_name,
    )


def _excerpt(text: str, n: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _not_closed(fix: Fix, field_name: str) -> ApplicationError:
    day = fix.promised_on or fix.deadline
    if day is not None:
        message = _(
            "This fix is not closed out yet (it is promised by %(day)s); you can judge it once "
            "it is closed out."
        ) % {"day": day.isoformat()}
    else:
        message = _("This fix is not closed out yet; you can judge it once it is closed out.")
    return ApplicationError(message, code="not_closed", field=field_name)


def _opinion_chain(opinion: Opinion) -> list[int]:
    """The opinion and those it was merged into, to the one that carries on."""
    seen = [opinion.pk]
    while opinion.merged_into_id is not None and opinion.merged_into_id not in seen:
        opinion = Opinion.objects.only("pk", "merged_into").get(pk=opinion.merged_into_id)
        seen.append(opinion.pk)
    return seen


def _by_receipt(text: str, fix_id: int | None) -> Target:
    receipt = Receipt.objects.select_related("opinion").filter(code_hash=code_hash(text)).first()
    if receipt is None:
        raise _unknown("receipt")
    fixes = list(
        Fix.objects.filter(problem__opinions__in=_opinion_chain(receipt.opinion))
        .distinct()
        .order_by("pk")
    )
    if not fixes:
        raise ApplicationError(
            _(
                "No fix has been recorded yet for the opinion of this receipt code; follow the "
                "opinion with the code to see its reply."
            ),
            code="no_fix",
            field="receipt",
        )
    if fix_id is not None:
        chosen = [f for f in fixes if f.pk == fix_id]
        if not chosen:
            raise ApplicationError(
                _("This receipt code does not lead to that fix."), code="wrong_fix", field="fix"
            )
        return Target(chosen[0].pk, receipt=receipt)
    if len(fixes) == 1:
        return Target(fixes[0].pk, receipt=receipt)
    closed = [f for f in fixes if f.state == FixState.CLOSED]
    if not closed:
        raise _not_closed(
            min(fixes, key=lambda f: f.promised_on or f.deadline or dt.date.max), "receipt"
        )
    done = set(
        Evaluation.objects.filter(receipt=receipt, fix__in=closed).values_list("fix_id", "round")
    )
    open_ = [f for f in closed if (f.pk, f.round) not in done] or closed
    if len(open_) == 1:  # the one left to judge (judged already: refused as receipt_used)
        return Target(open_[0].pk, receipt=receipt)
    choices = [{"id": f.pk, "measure": _excerpt(f.measure)} for f in open_]
    raise ApplicationError(
        _("This receipt code leads to %(n)d closed-out fixes: choose the one you judge (%(list)s).")
        % {"n": len(choices), "list": "; ".join(f"{c['id']}: {c['measure']}" for c in choices)},
        code="choose_fix",
        field="fix",
        extra={"fixes": choices},
    )


def _token_found(text: str) -> EvaluationToken | None:
    """The slip of a typed code: one query on the unique index on a plain cursor (its ORM form
    was a fifth of a public evaluation's CPU, bench/evaluations_load.py)."""
    with connection.cursor() as cursor:
        cursor.execute(_TOKEN_SQL, [token_hash(text)])
        row = cursor.fetchone()
    if row is None:
        return None
    pk, fix_id, round_, used = row
    return EvaluationToken(pk=pk, fix_id=fix_id, round=round_, used=bool(used))


def _by_token(text: str, fix_id: int | None) -> Target:
    token = _token_found(text)
    if token is None:
        raise _unknown("token")
    if token.used:
        raise _token_used()
    if fix_id is not None and fix_id != token.fix_id:
        raise ApplicationError(
            _("This evaluation code is for another fix."), code="wrong_fix", field="fix"
        )
    return Target(token.fix_id, token=token)


def _token_used() -> ApplicationError:
    return ApplicationError(
        _("This evaluation code has been used: each code judges a fix once."),
        code="token_used",
        field="token",
    )


def _receipt_used(round_: int) -> ApplicationError:
    return ApplicationError(
        _(
            "This fix has already been judged with this receipt code in its round %(round)d: "
            "one evaluation per receipt code and round."
        )
        % {"round": round_},
        code="receipt_used",
        field="receipt",
    )


def evaluation_target(*, receipt: str = "", token: str = "", fix_id: int | None = None) -> Target:
    """The fix a receipt code or an evaluation code leads to, without writing anything; the
    refusal when there is none, or (`choose_fix`, its `extra["fixes"]`) when the receipt leads
    to several and `fix_id` must choose."""
    if bool((receipt or "").strip()) == bool((token or "").strip()):
        raise ApplicationError(
            _("Give a receipt code or an evaluation code (one of them)."),
            code="no_code",
            field="receipt",
        )
    if receipt:
        return _by_receipt(receipt, fix_id)
    return _by_token(token, fix_id)


def check_round_and_state(fix: Fix, target: Target) -> None:
    """The refusals that depend on the fix as it is now (read, or locked)."""
    token = target.token
    if token is not None and token.round != fix.round:
        raise ApplicationError(
            _(
                "This evaluation code was for round %(old)d of the fix, which has been reworked "
                "since (round %(round)d now); ask the organization for a new one."
            )
            % {"old": token.round, "round": fix.round},
            code="token_round",
            field="token",
        )
    if fix.state != FixState.CLOSED:
        raise _not_closed(fix, "token" if token is not None else "receipt")


# --- the evaluation ---------------------------------------------------------------------------


def _check_verdict(verdict: str, reason: str) -> str:
    if verdict not in Verdict.values:
        raise ApplicationError(
            _("Choose satisfied, basically satisfied or unsatisfied."),
            code="unknown_verdict",
            field="verdict",
        )
    reason = str(reason or "").replace("\x00", "").strip()
    if verdict == Verdict.UNSATISFIED and not reason:
        raise ApplicationError(
            _("Say why you are not satisfied: the organization reworks the fix with it."),
            code="reason_required",
            field="reason",
        )
    if len(reason) > REASON_MAX:
        raise ApplicationError(
            _("The reason is %(n)d characters long; at most %(max)d fit.")
            % {"n": len(reason), "max": REASON_MAX},
            code="too_long",
            field="reason",
        )
    return reason


def evaluation_submit(
    *,
    receipt: str = "",
    token: str = "",
    verdict: str,
    reason: str = "",
    fix_id: int | None = None,
    today: dt.date | None = None,
) -> Evaluation:
    """One person's judgement of a closed-out fix, with a receipt code or an evaluation code,
    without signing in. Nothing about the person is kept, only the day."""
    reason = _check_verdict(verdict, reason)
    today = today or timezone.localdate()
    target = evaluation_target(receipt=receipt, token=token, fix_id=fix_id)
    try:
        with transaction.atomic():
            return _save(target, verdict, reason, today)
    except IntegrityError:
        # the unique constraints: the same slip, or the same receipt in the same round, at once
        if target.token is not None:
            raise _token_used() from None
        fix = Fix.objects.only("round").get(pk=target.fix_id)
        raise _receipt_used(fix.round) from None


_TOKEN_SQL = (
    f"SELECT id, fix_id, round, used FROM {EvaluationToken._meta.db_table} WHERE code_hash = %s"
)
#: What an evaluation reads of the fix it locks: its state and round, where it is counted, the
#: present round's figures and the days a refusal names.
_FIX_FIELDS = (
    "id",
    "state",
    "round",
    "org_id",
    "org_path",
    "satisfied",
    "basically_satisfied",
    "unsatisfied",
    "promised_on",
    "deadline",
)


def _fix_for_evaluation(fix_id: int) -> Fix:
    """The fix's row locked (PostgreSQL: FOR UPDATE; SQLite holds the database's write lock
    from the transaction's first statement), with only what an evaluation needs, in one plain
    query (`fix_locked`'s joins and whole rows were a third of the request's CPU). A rework
    locks it again with `fix_locked` for the workflow's step."""
    qn = connection.ops.quote_name
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = (
        f"SELECT {', '.join(qn(c) for c in _FIX_FIELDS)} FROM {Fix._meta.db_table} "
        f"WHERE id = %s{lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [fix_id])
        row = cursor.fetchone()
    values = dict(zip(_FIX_FIELDS, row, strict=True))
    for day in ("promised_on", "deadline"):  # SQLite returns dates as text on a plain cursor
        if isinstance(values[day], str):
            values[day] = dt.date.fromisoformat(values[day])
    return Fix(**values)


def _save(target: Target, verdict: str, reason: str, today: dt.date) -> Evaluation:
    """Under the fix's lock: the evaluation, the round's figure, the slip used, the counters
    (and the rework when due), each a plain statement without the ORM's compile."""
    fix = _fix_for_evaluation(target.fix_id)
    check_round_and_state(fix, target)
    evaluation = Evaluation(
        fix_id=fix.pk,
        round=fix.round,
        org_id=fix.org_id,
        org_path=fix.org_path,
        verdict=verdict,
        reason=reason,
        given_on=today,
        receipt=target.receipt,
        token_id=target.token.pk if target.token is not None else None,
    )
    setattr(fix, verdict, getattr(fix, verdict) + 1)
    _write(evaluation, fix, verdict, target.token)
    if needs_rework(fix):
        locked, before = fix_locked(fix.pk)
        apply_step(
            actor=None,
            fix=locked,
            before=before,
            action=workflow.REWORK,
            note=rework_note(locked),
            today=today,
        )
    return evaluation


def _write(evaluation: Evaluation, fix: Fix, verdict: str, token: EvaluationToken | None) -> None:
    """The evaluation's row, the fix's figure, the slip used and the counters: on PostgreSQL
    one statement (a data-modifying `WITH`: one round trip instead of four, as the opinion box
    writes), elsewhere four; a slip used meanwhile refuses it (`token_used`), and the caller's
    transaction takes everything back."""
    qn = connection.ops.quote_name
    columns, values = rows.insert_values(evaluation)
    marks = ", ".join(["%s"] * len(values))
    insert = f"INSERT INTO {Evaluation._meta.db_table} ({columns}) VALUES ({marks}) RETURNING id"
    figure = f"UPDATE {Fix._meta.db_table} SET {qn(verdict)} = %s WHERE id = %s"
    used = f"UPDATE {EvaluationToken._meta.db_table} SET used = %s WHERE id = %s AND NOT used"
    token_id = token.pk if token is not None else None
    changes = {fix.org_path: evaluation_counts(evaluation)}
    upsert = org_counters.upsert_statement(changes)
    with connection.cursor() as cursor:
        if upsert is not None:  # PostgreSQL
            cursor.execute(
                f"WITH e AS ({insert}), f AS ({figure}), t AS ({used} RETURNING id), "
                f"c AS ({upsert[0]}) SELECT (SELECT id FROM e), (SELECT count(*) FROM t)",
                [*values, getattr(fix, verdict), fix.pk, True, token_id, *upsert[1]],
            )
            pk, marked = cursor.fetchone()
            rows.saved(evaluation, pk)
        else:
            cursor.execute(insert, values)
            rows.saved(evaluation, cursor.fetchone()[0])
            cursor.execute(figure, [getattr(fix, verdict), fix.pk])
            marked = 0
            if token_id is not None:
                cursor.execute(used, [True, token_id])
                marked = cursor.rowcount
            org_counters.bump_many(changes)
    if token_id is not None and marked != 1:
        raise _token_used()


def needs_rework(fix: Fix) -> bool:
    """Whether the present round's figures send the fix back: enough answers, and the share
    of the unsatisfied above the threshold."""
    n = fix.evaluated
    return n >= rework_min_answers() and fix.unsatisfied / n > rework_share()


def rework_note(fix: Fix) -> str:
    """The history's reason for a rework the public's evaluation asked for, in the site's
    language (it is stored, whoever's request triggered it)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _(
            "Sent back for rework by the public's evaluation of round %(round)d: %(bad)d of "
            "%(n)d evaluations unsatisfied (more than %(share)s%% with at least %(min)d "
            "evaluations sends a fix back)."
        ) % {
            "round": fix.round,
            "bad": fix.unsatisfied,
            "n": fix.evaluated,
            "share": f"{rework_share() * 100:g}",
            "min": rework_min_answers(),
        }


# --- the k rule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Breakdown:
    """A round's evaluations: the total always, the verdicts only from k evaluations on."""

    round: int
    total: int
    k: int
    counts: dict[str, int] | None  # verdict -> number; None below k

    @property
    def shown(self) -> bool:
        return self.counts is not None

    def parts(self) -> list[tuple[str, str, int]]:
        """(verdict, label, count) in the verdicts' order; empty below k."""
        if self.counts is None:
            return []
        return [(v.value, str(v.label), self.counts[v.value]) for v in Verdict]


def breakdown(fix: Fix, round_: int | None = None) -> Breakdown:
    """The evaluations of a round of the fix (the present one by default). Below k the counts
    are withheld: every page, API and export reads them here."""
    round_ = fix.round if round_ is None else round_
    if not 1 <= round_ <= fix.round:
        raise ApplicationError(
            _("The fix has rounds 1 to %(n)d.") % {"n": fix.round}, field="round"
        )
    found = dict(
        Evaluation.objects.filter(fix=fix, round=round_)
        .values_list("verdict")
        .annotate(n=Count("id"))
        .values_list("verdict", "n")
    )
    total = sum(found.values())
    threshold = k()
    counts = {v: int(found.get(v, 0)) for v in Verdict.values} if total >= threshold else None
    return Breakdown(round=round_, total=total, k=threshold, counts=counts)


def breakdown_required(fix: Fix, round_: int | None = None) -> Breakdown:
    """`breakdown`, or the refusal (`below_k`) when the round has fewer than k evaluations."""
    found = breakdown(fix, round_)
    if not found.shown:
        raise ApplicationError(
            _(
                "Round %(round)d has %(n)d evaluations; results are broken down by verdict from "
                "%(k)d on, so that nobody's judgement can be told."
            )
            % {"round": found.round, "n": found.total, "k": found.k},
            code="below_k",
            field="round",
        )
    return found


def rounds(fix: Fix) -> list[Breakdown]:
    """Every round's breakdown, the latest first."""
    return [breakdown(fix, r) for r in range(fix.round, 0, -1)]


# --- slips ------------------------------------------------------------------------------------


def _count(value: Any) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if isinstance(value, bool) or not 1 <= n <= TOKENS_MAX:
        raise ApplicationError(
            _("Issue from 1 to %(max)d evaluation codes at a time.") % {"max": TOKENS_MAX},
            field="count",
        )
    return n


@transaction.atomic
def tokens_issue(*, actor: User | None, fix: Fix, count: Any) -> list[str]:
    """`count` one-time evaluation codes for the present round of the fix (rectification.manage
    at its organization), to print on slips; the codes, shown once. One audit row says how
    many were issued, never the codes."""
    n = _count(count)
    locked, _before = fix_locked(fix)
    if actor is not None and not can(actor, RECTIFICATION_MANAGE, locked.org):
        raise Forbidden(
            _("You may not issue evaluation codes for the fixes of %(org)s.")
            % {"org": locked.org.name}
        )
    codes = [new_token_code() for _ in range(n)]
    hashes = crypto.lookup_hash_many([token_text(c) for c in codes])
    now = timezone.now()
    EvaluationToken.objects.bulk_create(
        EvaluationToken(
            fix=locked,
            round=locked.round,
            code_hash=h,
            issued_at=now,
            issued_by=actor if getattr(actor, "pk", None) else None,
        )
        for h in hashes
    )
    audit_record(
        actor=actor,
        action="rectification.tokens_issue",
        org=locked.org,
        target=locked,
        after={"count": n, "round": locked.round},
    )
    return codes
