"""Opinions coming in (decision 0021, "Intake and the portal"): the public opinion box
(`opinion_submit`), what staff heard at a forum, an interview, a visit or in a paper box
(`opinion_enter`), and forums (`forum_create`). Each is one transaction: the opinion, its
receipt, the counters and (staff acts only) an audit row.

An anonymous submission to the box writes nothing that carries its moment or its submitter:
no audit row, no notice, no log line, only the day it was received."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from massline.access.permissions import OPINIONS_DISPATCH, OPINIONS_ENTER
from massline.access.policy import can
from massline.campaigns.models import Participation
from massline.core import crypto, rows
from massline.core.audit import audit_record
from massline.core.errors import ApplicationError, Forbidden
from massline.members.idnumber import InvalidNumber, mask_phone, validate_phone
from massline.orgs import counters as org_counters
from massline.orgs.models import Organization

from . import counters, similar
from .models import (
    BoxClosure,
    Channel,
    Forum,
    Opinion,
    OpinionCategory,
    Receipt,
    SubmitterCategory,
    Urgency,
)
from .receipts import code_hash, new_code

if TYPE_CHECKING:
    from massline.accounts.models import User

MAX_TEXT = 2000
MAX_NAME = 50
MAX_CONTACT = 100
MAX_PLACE = 200
MAX_NOTES = 5000
MAX_REASON = 200
#: The channels staff enter by hand (the box is the public's, the hotline an import).
STAFF_CHANNELS = (Channel.FORUM, Channel.INTERVIEW, Channel.VISIT, Channel.PAPER)


def _clean(value: Any) -> str:
    """Typed text without NUL (no database stores it) and surrounding spaces."""
    return str(value or "").replace("\x00", "").strip()


#: What the box reads of its organization: every field but its dates, which a plain cursor
#: would return unconverted on SQLite (texts and numbers come back as Python wants them on
#: every database); the dates are deferred, read if asked for.
_BOX_FIELDS = tuple(
    f.attname
    for f in Organization._meta.concrete_fields
    if f.get_internal_type() not in ("DateField", "DateTimeField")
)


def _box_sql() -> str:
    """The organization, whether its box is closed and the campaign open there on a day, in
    one statement: the public submission's only read (its ORM form cost a third of the
    request's CPU, bench/opinions_load.py)."""
    qn = connection.ops.quote_name
    columns = ", ".join(f"o.{qn(name)}" for name in _BOX_FIELDS)
    participation = Participation._meta.db_table
    return (
        f"SELECT {columns}, EXISTS (SELECT 1 FROM {BoxClosure._meta.db_table} c "
        "WHERE c.org_id = o.id), "
        f"(SELECT p.campaign_id FROM {participation} p WHERE p.org_id = o.id "
        "AND p.starts_on <= %s AND p.ends_on >= %s "
        "ORDER BY p.starts_on DESC, p.campaign_id DESC LIMIT 1) "
        f"FROM {Organization._meta.db_table} o WHERE o.id = %s"
    )


def box_org(org_id: Any) -> Organization:
    """The organization whose opinion box a portal link names; a clear error when there is
    none (a mistyped or old QR code) or when its box is closed. The campaign open there
    today comes with it (`open_campaign_id` reads it instead of asking again)."""
    today = timezone.localdate()
    row = None
    try:
        pk = int(org_id)
        if 0 < pk < 2**63:
            with connection.cursor() as cursor:
                cursor.execute(_box_sql(), [today, today, pk])
                row = cursor.fetchone()
    except (ValueError, TypeError, OverflowError):
        pass
    if row is None:
        raise ApplicationError(
            _(
                "There is no opinion box at this address. Check the QR code or the link, or "
                "ask the organization for its current one."
            ),
            code="not_found",
        )
    *values, closed, campaign_id = row
    org: Any = Organization.from_db(connection.alias, list(_BOX_FIELDS), values)
    if closed:
        raise ApplicationError(
            _(
                "The opinion box of %(org)s is closed and takes no more opinions. A receipt "
                "code you already have still works."
            )
            % {"org": org.name},
            code="gone",
        )
    org.box_campaign = (today, campaign_id)  # read by open_campaign_id
    return org


def _check_dispatch(actor: Any, org: Organization) -> None:
    if not can(actor, OPINIONS_DISPATCH, org):
        raise Forbidden(
            _("You may not open or close the opinion box of %(org)s.") % {"org": org.name}
        )


@transaction.atomic
def box_close(*, actor: User, org: Organization, reason: Any) -> BoxClosure:
    """Close `org`'s opinion box (opinions.dispatch there): its portal page and the public API
    refuse new opinions with a clear message; receipts keep working."""
    _check_dispatch(actor, org)
    reason = _clean(reason)
    if not reason:
        raise ApplicationError(_("Say why the box is closed."), field="reason")
    if len(reason) > MAX_REASON:
        raise ApplicationError(
            _("The reason is longer than %(max)d characters.") % {"max": MAX_REASON},
            field="reason",
        )
    Organization.objects.select_for_update().filter(pk=org.pk).first()
    if BoxClosure.objects.filter(org=org).exists():
        raise ApplicationError(
            _("The opinion box of %(org)s is already closed.") % {"org": org.name}
        )
    closure = BoxClosure.objects.create(
        org=org,
        closed_on=timezone.localdate(),
        reason=reason,
        closed_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor, action="opinions.box_close", org=org, target=org, after={"reason": reason}
    )
    return closure


@transaction.atomic
def box_reopen(*, actor: User, org: Organization) -> None:
    """Open `org`'s closed opinion box again (opinions.dispatch there)."""
    _check_dispatch(actor, org)
    Organization.objects.select_for_update().filter(pk=org.pk).first()
    closure = BoxClosure.objects.filter(org=org).first()
    if closure is None:
        raise ApplicationError(_("The opinion box of %(org)s is open.") % {"org": org.name})
    closure.delete()
    audit_record(
        actor=actor,
        action="opinions.box_reopen",
        org=org,
        target=org,
        before={"reason": closure.reason},
    )


def open_campaign_id(org: Organization, today: dt.date) -> int | None:
    """The campaign whose window at `org` is open today (the latest to start), or None: the
    opinion is then part of the standing collection."""
    known = getattr(org, "box_campaign", None)  # read with the box (`box_org`) that day
    if known is not None and known[0] == today:
        return known[1]
    return (
        Participation.objects.filter(org=org, starts_on__lte=today, ends_on__gte=today)
        .order_by("-starts_on", "-campaign_id")
        .values_list("campaign_id", flat=True)
        .first()
    )


def clean_text(text: Any) -> str:
    value = _clean(text)
    if not value:
        raise ApplicationError(_("Write your opinion: the text is empty."), field="text")
    if len(value) > MAX_TEXT:
        raise ApplicationError(
            _("The opinion is %(n)d characters long; at most %(max)d fit. Shorten it.")
            % {"n": len(value), "max": MAX_TEXT},
            field="text",
        )
    return value


def _ancestor_paths(org: Organization) -> list[str]:
    return [org.path[:i] for i in range(1, len(org.path) + 1)]


def categories_for(org: Organization) -> list[OpinionCategory]:
    """The categories an opinion to `org` may take: the checklists, then the local ones of
    `org` and the organizations above it."""
    return list(
        OpinionCategory.objects.filter(
            Q(org__isnull=True) | Q(org_path__in=_ancestor_paths(org))
        ).order_by("source", "position", "code")
    )


def category_for(org: Organization, category: Any) -> OpinionCategory | None:
    """A checklist category, or a local one of `org` or an organization above it."""
    if category in (None, ""):
        return None
    if isinstance(category, OpinionCategory):
        pk: Any = category.pk
    else:
        pk = category
    try:
        pk = int(pk)
    except (ValueError, TypeError):
        pk = None
    found = (
        OpinionCategory.objects.filter(
            Q(org__isnull=True) | Q(org_path__in=_ancestor_paths(org)), pk=pk
        ).first()
        if pk is not None
        else None
    )
    if found is None:
        raise ApplicationError(
            _("There is no such category for opinions to %(org)s.") % {"org": org.name},
            field="category",
        )
    return found


def mask_text(value: str) -> str:
    """A name or a contact that is not a phone number, masked: the first and last characters
    stay (张*, 张*丰, ab***@x.cn)."""
    if len(value) <= 1:
        return "*"
    if len(value) == 2:
        return value[0] + "*"
    keep = 1 if len(value) < 6 else 2
    return value[:keep] + "*" * min(len(value) - 2 * keep, 8) + value[-keep:]


def identity(anonymous: bool, name: Any, contact: Any) -> dict[str, str]:
    """The encrypted and masked name and contact of a named opinion; none for an anonymous
    one (which refuses them, so nobody believes they are anonymous while giving them)."""
    name = _clean(name)
    contact = _clean(contact)
    if anonymous:
        if name or contact:
            raise ApplicationError(
                _(
                    "An anonymous opinion takes no name or contact. Leave them empty, or "
                    "choose to give your name."
                ),
                field="contact" if contact else "name",
            )
        return {}
    if not contact:
        raise ApplicationError(
            _("Give a phone number or another way to reach you, or choose anonymous."),
            field="contact",
        )
    if len(name) > MAX_NAME:
        raise ApplicationError(
            _("The name is longer than %(max)d characters.") % {"max": MAX_NAME}, field="name"
        )
    if len(contact) > MAX_CONTACT:
        raise ApplicationError(
            _("The contact is longer than %(max)d characters.") % {"max": MAX_CONTACT},
            field="contact",
        )
    masked_contact = mask_text(contact)
    if contact.lstrip("+").replace(" ", "").replace("-", "").isdigit():
        try:
            contact = validate_phone(contact)
        except InvalidNumber as exc:
            raise ApplicationError(str(exc), field="contact", code=exc.code) from None
        masked_contact = mask_phone(contact)
    return {
        "name_enc": crypto.encrypt(name) if name else "",
        "name_masked": mask_text(name) if name else "",
        "contact_enc": crypto.encrypt(contact),
        "contact_masked": masked_contact,
    }


def _save_new(opinion: Opinion) -> str:
    """Save a new opinion, its receipt and its counters; the receipt code. On PostgreSQL one
    statement (atomic by itself, one round trip), elsewhere three in one transaction; the
    opinion's row prepared as the ORM prepares it (`core.rows`), without the ORM's compile,
    which was most of a box submission's write (decision 0021, "The public box under load")."""
    code = new_code()
    columns, values = rows.insert_values(opinion)
    changes = {opinion.org_path: counters.counts(opinion)}
    marks = ", ".join(["%s"] * len(values))
    insert = f"INSERT INTO {Opinion._meta.db_table} ({columns}) VALUES ({marks}) RETURNING id"
    receipt = f"INSERT INTO {Receipt._meta.db_table} (code_hash, opinion_id)"
    upsert = org_counters.upsert_statement(changes)
    if upsert is not None:  # PostgreSQL
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH o AS ({insert}), r AS ({receipt} SELECT %s, id FROM o), "
                f"c AS ({upsert[0]}) SELECT id FROM o",
                [*values, code_hash(code), *upsert[1]],
            )
            rows.saved(opinion, cursor.fetchone()[0])
        return code
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(insert, values)
        rows.saved(opinion, cursor.fetchone()[0])
        cursor.execute(f"{receipt} VALUES (%s, %s)", [code_hash(code), opinion.pk])
        org_counters.bump_many(changes)
    return code


def opinion_submit(
    *,
    org: Organization,
    text: Any,
    anonymous: bool,
    name: Any = "",
    contact: Any = "",
    category: Any = None,
) -> tuple[Opinion, str]:
    """An opinion put into `org`'s box by anyone, without signing in; the opinion and its
    receipt code (shown once). Nothing about the submitter is kept but what a named submitter
    gives; nothing carries a time finer than the day; no audit row, no notice."""
    today = timezone.localdate()
    value = clean_text(text)
    opinion = Opinion(
        org=org,
        org_path=org.path,
        campaign_id=open_campaign_id(org, today),
        channel=Channel.BOX,
        submitter_category=SubmitterCategory.PUBLIC,
        anonymous=bool(anonymous),
        text=value,
        text_folded=similar.fold(value),
        category=category_for(org, category),
        received_on=today,
        **identity(bool(anonymous), name, contact),
    )
    # read and checked above, before the writes: on SQLite their transaction holds the
    # database's write lock from its first statement
    return opinion, _save_new(opinion)


def _snapshot(opinion: Opinion) -> dict[str, Any]:
    return {
        "channel": opinion.channel,
        "submitter_category": opinion.submitter_category,
        "anonymous": opinion.anonymous,
        "category": opinion.category_id,
        "urgency": opinion.urgency,
        "received_on": opinion.received_on.isoformat(),
        "forum": opinion.forum_id,
        "name": opinion.name_masked,
        "contact": opinion.contact_masked,
    }


def check_enter(actor: Any, org: Organization) -> None:
    if not can(actor, OPINIONS_ENTER, org):
        raise Forbidden(_("You may not enter opinions heard at %(org)s.") % {"org": org.name})


def _check_day(day: Any, field: str) -> dt.date:
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise ApplicationError(_("Give the day as a date."), field=field)
    if day > timezone.localdate():
        raise ApplicationError(_("The day %(day)s is in the future.") % {"day": day}, field=field)
    return day


@transaction.atomic
def opinion_enter(
    *,
    actor: User,
    org: Organization,
    channel: str,
    text: Any,
    submitter_category: str = SubmitterCategory.PUBLIC,
    anonymous: bool = True,
    name: Any = "",
    contact: Any = "",
    category: Any = None,
    received_on: dt.date | None = None,
    forum: Forum | None = None,
    urgency: str = Urgency.GENERAL,
) -> tuple[Opinion, str]:
    """An opinion staff heard at `org` (a forum, an interview, a visit, a paper box), entered
    by `actor` (opinions.enter there); the opinion and a receipt code to hand to the
    submitter. Audited: this is the staff's act. `urgency`: as the staff judged it on entry
    (the dispatcher may change it at triage)."""
    check_enter(actor, org)
    if urgency not in Urgency.values:
        raise ApplicationError(_("Choose how urgent the opinion is."), field="urgency")
    if channel not in STAFF_CHANNELS:
        raise ApplicationError(
            _("Opinions entered by staff come from a forum, an interview, a visit or a paper box."),
            field="channel",
        )
    if submitter_category not in SubmitterCategory.values:
        raise ApplicationError(_("Choose who gave the opinion."), field="submitter_category")
    if forum is not None:
        if channel != Channel.FORUM:
            raise ApplicationError(
                _("Only an opinion raised at a forum belongs to a forum."), field="forum"
            )
        if forum.org_id != org.pk:
            raise ApplicationError(
                _("That forum was held by another organization, not %(org)s.") % {"org": org.name},
                field="forum",
            )
        received_on = received_on or forum.held_on
    day = _check_day(received_on or timezone.localdate(), "received_on")
    value = clean_text(text)
    opinion = Opinion(
        org=org,
        org_path=org.path,
        campaign_id=forum.campaign_id if forum is not None else open_campaign_id(org, day),
        channel=channel,
        submitter_category=submitter_category,
        anonymous=bool(anonymous),
        text=value,
        text_folded=similar.fold(value),
        category=category_for(org, category),
        urgency=urgency,
        received_on=day,
        forum=forum,
        entered_by=actor if getattr(actor, "pk", None) else None,
        **identity(bool(anonymous), name, contact),
    )
    code = _save_new(opinion)
    audit_record(
        actor=actor, action="opinions.enter", org=org, target=opinion, after=_snapshot(opinion)
    )
    return opinion, code


def _attendees(value: Any) -> dict[str, int]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ApplicationError(_("Give the attendees as a count by category."), field="attendees")
    out: dict[str, int] = {}
    for key, n in value.items():
        if key not in SubmitterCategory.values:
            raise ApplicationError(
                _("%(key)s is not a category of attendees.") % {"key": str(key)[:40]},
                field="attendees",
            )
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 100_000:
            raise ApplicationError(
                _("The number of attendees must be a whole number from 0 to 100000."),
                field="attendees",
            )
        if n:
            out[key] = n
    return out


@transaction.atomic
def forum_create(
    *,
    actor: User,
    org: Organization,
    held_on: dt.date,
    place: Any = "",
    attendees: Any = None,
    notes: Any = "",
) -> Forum:
    """A forum (座谈会) `org` held, to enter the opinions raised there (opinions.enter)."""
    check_enter(actor, org)
    day = _check_day(held_on, "held_on")
    place = _clean(place)
    notes = _clean(notes)
    if len(place) > MAX_PLACE:
        raise ApplicationError(
            _("The place is longer than %(max)d characters.") % {"max": MAX_PLACE}, field="place"
        )
    if len(notes) > MAX_NOTES:
        raise ApplicationError(
            _("The notes are longer than %(max)d characters.") % {"max": MAX_NOTES}, field="notes"
        )
    forum = Forum.objects.create(
        org=org,
        org_path=org.path,
        campaign_id=open_campaign_id(org, day),
        held_on=day,
        place=place,
        attendees=_attendees(attendees),
        notes=notes,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action="opinions.forum",
        org=org,
        target=forum,
        after={"held_on": day.isoformat(), "place": place, "attendees": forum.attendees},
    )
    return forum
