"""Campaign action writes (decision 0017): a campaign office defines an action for its
subtree (or removes one nobody has done), an organization records that it did an action with
its evidence, or withdraws that record. Each is one transaction: lock, check, save, audit,
counters; a refusal names what and where and writes nothing."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict, Unpack
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.access.permissions import CAMPAIGNS_MANAGE, CAMPAIGNS_RECORD
from massline.access.policy import can
from massline.core.audit import audit_record
from massline.core.errors import ApplicationError, Forbidden
from massline.orgs import counters as org_counters
from massline.orgs.models import Organization, OrgKind, UnitType

from . import action_counters, checklist, edit_checks, evidence, phases
from .models import ActionDefinition, Campaign, Completion, EvidenceFile, Participation
from .services import day_text

if TYPE_CHECKING:
    from massline.accounts.models import User

MAX_LINKS = 10
NEEDS = ("", "optional", "required")


def _refuse(message: str, code: str, field: str | None = None) -> ApplicationError:
    return ApplicationError(message, code=code, field=field)


def check_may(actor: Any, perm: str, org: Organization) -> None:
    if actor is not None and not can(actor, perm, org):
        raise Forbidden(
            _("You may not do this at %(org)s: it is outside your scope.") % {"org": org.name}
        )


# --- definitions --------------------------------------------------------------------------


def _check_definition(campaign: Campaign, org: Organization, a: ActionDefinition) -> None:
    if not org.path.startswith(campaign.org_path):
        raise _refuse(
            _("%(org)s is not in the campaign “%(campaign)s”.")
            % {"org": org.name, "campaign": campaign.title},
            "not_in_campaign",
            "org",
        )
    if a.kind not in phases.ACTION_KINDS:
        raise _refuse(_("“%(kind)s” is not a kind of action.") % {"kind": a.kind}, "kind", "kind")
    if not a.title.strip():
        raise _refuse(_("An action needs a title."), "title", "title")
    if (a.due_on is None) == (a.offset_days is None):
        raise _refuse(
            _("Give either a due date or a number of days after the window starts, not both."),
            "due",
            "due_on",
        )
    if a.due_on is not None and not campaign.starts_on <= a.due_on <= campaign.ends_on:
        raise _refuse(
            _("The due date %(day)s is outside the campaign (%(start)s – %(end)s).")
            % {
                "day": day_text(a.due_on),
                "start": day_text(campaign.starts_on),
                "end": day_text(campaign.ends_on),
            },
            "due_outside",
            "due_on",
        )
    _check_choices(a.levels, {1, 2, 3, 4, 5}, "levels")
    _check_choices(a.kinds, set(OrgKind.values), "kinds")
    _check_choices(a.unit_types, set(UnitType.values), "unit_types")
    for name in ("evidence_text", "evidence_file", "evidence_link"):
        if getattr(a, name) not in NEEDS:
            raise _refuse(_("Choose whether this evidence is asked for."), "evidence", name)


def _check_choices(values: list[Any], known: set[Any], field: str) -> None:
    wrong = [v for v in values if v not in known]
    if wrong:
        raise _refuse(
            _("Not a choice here: %(values)s.") % {"values": ", ".join(map(str, wrong))},
            "choice",
            field,
        )


def _action_snapshot(a: ActionDefinition) -> dict[str, Any]:
    return {
        "kind": a.kind,
        "title": a.title,
        "required": a.required,
        "due_on": a.due_on.isoformat() if a.due_on else None,
        "offset_days": a.offset_days,
        "levels": a.levels,
        "kinds": a.kinds,
        "unit_types": a.unit_types,
        "evidence": [a.evidence_text, a.evidence_file, a.evidence_link],
    }


class ActionFields(TypedDict):
    """What a definition says (`action_define`, `action_update`): a kind and a title, due on a
    date or days after each window starts, the levels, organization kinds and unit types it
    applies to (all when empty), and each kind of evidence "", "optional" or "required"."""

    kind: str
    title: str
    due_on: NotRequired[dt.date | None]
    offset_days: NotRequired[int | None]
    levels: NotRequired[list[int] | None]
    kinds: NotRequired[list[str] | None]
    unit_types: NotRequired[list[str] | None]
    evidence_text: NotRequired[str]
    evidence_file: NotRequired[str]
    evidence_link: NotRequired[str]


EDITABLE = tuple(ActionFields.__annotations__)


def _fill(a: ActionDefinition, fields: ActionFields) -> None:
    a.kind = fields["kind"]
    a.title = fields["title"].strip()
    a.due_on = fields.get("due_on")
    a.offset_days = fields.get("offset_days")
    a.levels = sorted(set(fields.get("levels") or []))
    a.kinds = sorted(set(fields.get("kinds") or []))
    a.unit_types = sorted(set(fields.get("unit_types") or []))
    a.evidence_text = fields.get("evidence_text", "")
    a.evidence_file = fields.get("evidence_file", "")
    a.evidence_link = fields.get("evidence_link", "")


@transaction.atomic
def action_define(
    *, actor: User | None, campaign: Campaign, org: Organization, **fields: Unpack[ActionFields]
) -> ActionDefinition:
    """An action for `org`'s subtree: required at the campaign's organization, optional below."""
    check_may(actor, CAMPAIGNS_MANAGE, org)
    a = ActionDefinition(
        campaign=campaign,
        org=org,
        org_path=org.path,
        required=org.pk == campaign.org_id,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _fill(a, fields)
    _check_definition(campaign, org, a)
    a.save()
    audit_record(
        actor=actor, action="campaigns.action_define", org=org, target=a, after=_action_snapshot(a)
    )
    return a


@transaction.atomic
def action_remove(*, actor: User | None, action: ActionDefinition) -> None:
    """Remove an action nobody has recorded yet (recorded ones stay: withdraw them first)."""
    a = ActionDefinition.objects.select_for_update().select_related("org").get(pk=action.pk)
    check_may(actor, CAMPAIGNS_MANAGE, a.org)
    done = Completion.objects.filter(action=a).count()
    if done:
        raise _refuse(
            _("“%(title)s” has been recorded as done by %(n)s organizations; it stays.")
            % {"title": a.title, "n": done},
            "action_in_use",
        )
    audit_record(
        actor=actor,
        action="campaigns.action_remove",
        org=a.org,
        target=a,
        before=_action_snapshot(a),
    )
    a.delete()


@transaction.atomic
def action_update(
    *, actor: User | None, action: ActionDefinition, **fields: Unpack[ActionFields]
) -> ActionDefinition:
    """Change a definition, with the checks of `action_define` and, once organizations have
    recorded it, those of decision 0019: its kind stays, every organization that recorded it
    stays covered, evidence is made required only where every record has it, and a new due
    day recomputes each record's due day and lateness, the counters following."""
    a = (
        ActionDefinition.objects.select_for_update()
        .select_related("org", "campaign")
        .get(pk=action.pk)
    )
    check_may(actor, CAMPAIGNS_MANAGE, a.org)
    old = ActionDefinition(**{f: getattr(a, f) for f in EDITABLE})
    before = _action_snapshot(a)
    _fill(a, fields)
    _check_definition(a.campaign, a.org, a)
    relate = {"late": 0, "on_time": 0}
    if Completion.objects.filter(action=a).exists():
        edit_checks.check_recorded(old, a)
        if (old.due_on, old.offset_days) != (a.due_on, a.offset_days):
            relate = edit_checks.recompute_late(a)
    a.save(update_fields=list(EDITABLE))
    audit_record(
        actor=actor,
        action="campaigns.action_update",
        org=a.org,
        target=a,
        before=before,
        after={**_action_snapshot(a), "now_late": relate["late"], "now_on_time": relate["on_time"]},
    )
    return a


# --- completions --------------------------------------------------------------------------


def locked_window(campaign: Campaign, org: Organization) -> Participation:
    row = Participation.objects.select_for_update().filter(campaign=campaign, org=org).first()
    if row is None:
        raise _refuse(
            _("%(org)s has no window in the campaign “%(campaign)s”.")
            % {"org": org.name, "campaign": campaign.title},
            "no_window",
            "org",
        )
    return row


def _clean_links(links: list[str]) -> list[str]:
    out = []
    for raw in links:
        link = raw.strip()
        if not link:
            continue
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(link) > 500:
            raise _refuse(
                _("%(link)s is not a web address (http:// or https://).") % {"link": link[:100]},
                "link",
                "links",
            )
        out.append(link)
    if len(out) > MAX_LINKS:
        raise _refuse(_("At most %(n)s links.") % {"n": MAX_LINKS}, "too_many_links", "links")
    return list(dict.fromkeys(out))


def _check_evidence(a: ActionDefinition, text: str, links: list[str], files: list[Any]) -> None:
    missing = [
        (what, field)
        for need, given, what, field in (
            (a.evidence_text, text, _("a written account"), "text"),
            (a.evidence_file, files, _("a file"), "attachments"),
            (a.evidence_link, links, _("a link"), "links"),
        )
        if need == "required" and not given
    ]
    if missing:
        what, field = missing[0]
        raise _refuse(
            _("“%(title)s” needs %(what)s as evidence.") % {"title": a.title, "what": what},
            "evidence_missing",
            field,
        )


def _completion_snapshot(c: Completion, names: list[str]) -> dict[str, Any]:
    return {
        "action": c.action_id,
        "due_on": c.due_on.isoformat(),
        "done_on": c.done_on.isoformat(),
        "late": c.late,
        "text": c.text[:500],
        "links": c.links,
        "files": names,
    }


def completion_record(
    *,
    actor: User | None,
    campaign: Campaign,
    org: Organization,
    action_id: int,
    text: str = "",
    links: list[str] | None = None,
    files: list[tuple[str, Any]] | None = None,
    today: dt.date | None = None,
) -> Completion:
    """`org` did the action: checked against its checklist, its window and phase and the
    evidence asked for; files checked by their content before anything is written."""
    check_may(actor, CAMPAIGNS_RECORD, org)
    checked = evidence.check(list(files or []))
    clean_links = _clean_links(list(links or []))
    text = (text or "").strip()
    with transaction.atomic():
        return _record(actor, campaign, org, action_id, text, clean_links, checked, today)


def _record(
    actor: Any,
    campaign: Campaign,
    org: Organization,
    action_id: int,
    text: str,
    links: list[str],
    checked: list[evidence.Checked],
    today: dt.date | None,
) -> Completion:
    today = today or timezone.localdate()
    window = locked_window(campaign, org)
    edit_checks.hold_definition(action_id)  # an edit of its due day waits for this record
    a = ActionDefinition.objects.filter(pk=action_id, campaign=campaign).first()
    if a is None or not checklist.applies(a, org, window.level):
        raise _refuse(
            _("This action is not in the checklist of %(org)s.") % {"org": org.name},
            "not_in_checklist",
            "action",
        )
    if Completion.objects.filter(action=a, org=org).exists():
        raise _refuse(
            _("%(org)s has already recorded “%(title)s” as done.")
            % {"org": org.name, "title": a.title},
            "already_done",
            "action",
        )
    if today < window.starts_on:
        raise _refuse(
            _("The window of %(org)s opens on %(day)s; “%(title)s” cannot be done before it.")
            % {"org": org.name, "day": day_text(window.starts_on), "title": a.title},
            "window_not_open",
            "action",
        )
    phases.require(window.phase, a.kind, org_name=org.name)
    _check_evidence(a, text, links, checked)
    due = checklist.due_day(a, window)
    c = Completion.objects.create(
        campaign=campaign,
        action=a,
        org=org,
        org_path=org.path,
        due_on=due,
        done_on=today,
        late=today > due,
        text=text,
        links=links,
        recorded_by=actor if getattr(actor, "pk", None) else None,
        recorded_at=timezone.now(),
    )
    EvidenceFile.objects.bulk_create(
        EvidenceFile(
            completion=c,
            name=f.name,
            content_type=f.content_type,
            size=len(f.data),
            sha256=f.sha256,
            stored=evidence.store(campaign.pk, f),
        )
        for f in checked
    )
    org_counters.bump(path=org.path, deltas=action_counters.counts(c))
    audit_record(
        actor=actor,
        action=phases.COMPLETE_AUDIT,
        org=org,
        target=c,
        target_label=a.title,
        after=_completion_snapshot(c, [f.name for f in checked]),
    )
    return c


@transaction.atomic
def completion_withdraw(
    *, actor: User | None, campaign: Campaign, org: Organization, action_id: int
) -> None:
    """Take back a recorded completion: its row and file records go, the counters follow,
    the audit keeps what it was (the stored files stay: they are kept by content)."""
    check_may(actor, CAMPAIGNS_RECORD, org)
    locked_window(campaign, org)
    c = (
        Completion.objects.select_for_update()
        .filter(campaign=campaign, org=org, action_id=action_id)
        .select_related("action")
        .first()
    )
    if c is None:
        raise _refuse(
            _("%(org)s has no recorded completion of this action to withdraw.") % {"org": org.name},
            "not_done",
            "action",
        )
    names = list(c.files.values_list("name", flat=True))
    org_counters.bump(path=org.path, deltas={k: -v for k, v in action_counters.counts(c).items()})
    audit_record(
        actor=actor,
        action="campaigns.action_withdraw",
        org=org,
        target=c,
        target_label=c.action.title,
        before=_completion_snapshot(c, names),
    )
    c.delete()
