"""What editing a recorded action must respect (decision 0019): the completions organizations
have recorded stay valid and visible as they were recorded. `action_services.action_update`
calls these inside its transaction, with the definition locked."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from massline.core.db import chunked, is_postgres
from massline.core.errors import ApplicationError
from massline.orgs import counters as org_counters

from . import phases
from .action_counters import LATE, code
from .checklist import due_day
from .models import ActionDefinition, Completion, EvidenceFile, Participation

LATE_METRIC = "campaigns.actions_late"


def hold_definition(action_id: int) -> None:
    """A record about to be written takes a key-share lock on its definition (PostgreSQL): an
    edit that locks the definition waits for records in flight, and a record waits for the
    edit, then reads the definition as edited. Records do not wait for each other."""
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {ActionDefinition._meta.db_table} WHERE id = %s FOR KEY SHARE",
                [action_id],
            )


def check_recorded(old: ActionDefinition, a: ActionDefinition) -> None:
    """Refuse an edit that would make recorded completions wrong: another kind (the phase map
    allowed the old one), an organization that recorded it no longer covered, evidence made
    required that a record lacks. Each refusal names an organization, the action by the title
    it was recorded under, and the field."""
    recorded = Completion.objects.filter(action=a).select_related("org").order_by("org_path")
    if old.kind != a.kind:
        first = recorded.first()
        assert first is not None
        raise ApplicationError(
            _(
                "%(org)s has recorded “%(title)s” as done as %(kind)s: the kind of an action "
                "organizations have recorded cannot change."
            )
            % {
                "org": first.org.name,
                "title": old.title,
                "kind": phases.ACTION_KINDS.get(old.kind, old.kind),
            },
            code="kind_in_use",
            field="kind",
        )
    _check_covered(a, recorded, old.title)
    _check_evidence_held(old, a, recorded)


def _check_covered(a: ActionDefinition, recorded: QuerySet[Completion], title: str) -> None:
    outside = Q()
    if a.kinds:
        outside |= ~Q(org__kind__in=a.kinds)
    if a.unit_types:
        outside |= ~Q(org__unit_type__in=a.unit_types)
    if a.levels:
        outside |= Q(
            ~Exists(
                Participation.objects.filter(
                    campaign_id=a.campaign_id, org_id=OuterRef("org_id"), level__in=a.levels
                )
            )
        )
    if not outside:
        return
    c = recorded.filter(outside).first()
    if c is None:
        return
    field = "levels"
    if a.kinds and c.org.kind not in a.kinds:
        field = "kinds"
    elif a.unit_types and c.org.unit_type not in a.unit_types:
        field = "unit_types"
    raise ApplicationError(
        _(
            "%(org)s has recorded “%(title)s” as done and would no longer be covered by it: "
            "keep it covered, or withdraw its completion first."
        )
        % {"org": c.org.name, "title": title},
        code="completion_uncovered",
        field=field,
    )


def _check_evidence_held(
    old: ActionDefinition, a: ActionDefinition, recorded: QuerySet[Completion]
) -> None:
    lacking = (
        ("evidence_text", _("a written account"), Q(text="")),
        (
            "evidence_file",
            _("a file"),
            ~Exists(EvidenceFile.objects.filter(completion_id=OuterRef("pk"))),
        ),
        ("evidence_link", _("a link"), Q(links=[])),
    )
    for field, what, without in lacking:
        if getattr(a, field) != "required" or getattr(old, field) == "required":
            continue
        c = recorded.filter(without).first()
        if c is not None:
            raise ApplicationError(
                _(
                    "%(org)s recorded “%(title)s” as done without %(what)s: it cannot be "
                    "required now."
                )
                % {"org": c.org.name, "title": old.title, "what": what},
                code="evidence_in_use",
                field=field,
            )


def recompute_late(a: ActionDefinition) -> dict[str, int]:
    """Each record's due day and lateness under the edited definition (its date, or its
    window's start plus the offset), written where they change; the late counter follows
    each organization whose record became late or on time. Returns how many of each."""
    rows = list(
        Completion.objects.filter(action=a).only(
            "id", "org_id", "org_path", "done_on", "due_on", "late"
        )
    )
    starts: dict[int, dt.date] = {}
    for ids in chunked([c.org_id for c in rows], 2000):
        starts.update(
            Participation.objects.filter(campaign_id=a.campaign_id, org_id__in=ids).values_list(
                "org_id", "starts_on"
            )
        )
    changed = []
    deltas: dict[str, dict[str, int]] = {}
    became = {"late": 0, "on_time": 0}
    for c in rows:
        start = starts.get(c.org_id)
        if start is not None:
            due = due_day(a, Participation(starts_on=start))
        elif a.due_on is not None:
            due = a.due_on
        else:
            continue  # no window to count the offset from: the record keeps its due day
        late = c.done_on > due
        if (c.due_on, c.late) == (due, late):
            continue
        if late != c.late:
            became["late" if late else "on_time"] += 1
            step = 1 if late else -1
            deltas[c.org_path] = {LATE_METRIC: step, code(c.campaign_id, LATE): step}
        c.due_on, c.late = due, late
        changed.append(c)
    Completion.objects.bulk_update(changed, ["due_on", "late"], batch_size=1000)
    if deltas:
        org_counters.bump_many(deltas)
    return became
