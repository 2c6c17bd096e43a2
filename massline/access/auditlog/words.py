"""Audit rows in words: who, when, what (the action's label), where (the organization's
name) and what changed (field labels with old and new values as people read them), for a
page or a chunk of rows at a time with one query per kind of name looked up.

An audit row keeps what its service wrote (`before`/`after`, field names and stored values);
the labels come from the target model's fields (`verbose_name`, choices, the name of what a
foreign key points at) or from the labels apps registered for other keys
(`core.audit.register_field_labels`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Field, ForeignKey, ManyToManyField, Model
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from massline.core.audit import action_label, field_label
from massline.core.models import AuditEvent
from massline.orgs.models import Organization

# Keys kept for the machine (the path copies), not for readers.
HIDDEN_KEYS = frozenset({"path"})
EMPTY = "—"


@dataclass
class Change:
    label: str
    old: str
    new: str
    # a value set or recorded with no earlier one to compare with (a creation, an export)
    only_new: bool = False


@dataclass
class Entry:
    event: AuditEvent
    actor: str
    action: str
    org: str
    target: str
    changes: list[Change] = field(default_factory=list)

    def summary(self) -> str:
        """The changes on one line (for the export)."""
        return "；".join(
            f"{c.label}：{c.new}" if c.only_new else f"{c.label}：{c.old} → {c.new}"
            for c in self.changes
        )


def _model(target_type: str) -> type[Model] | None:
    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def _field(model: type[Model] | None, key: str) -> Field[Any, Any] | None:
    if model is None:
        return None
    try:
        found = model._meta.get_field(key)
    except FieldDoesNotExist:
        return None
    return found if isinstance(found, Field) else None


def _label(model: type[Model] | None, key: str) -> str:
    f = _field(model, key)
    if f is not None:
        return str(capfirst(f.verbose_name))
    return field_label(key) or key


class _Names:
    """The names foreign keys point at, looked up once per model for a batch of rows: by
    primary key, or by `code` where a row kept the code (an organization, a role)."""

    def __init__(self) -> None:
        self.wanted: dict[tuple[type[Model], str], set[Any]] = defaultdict(set)
        self.found: dict[tuple[type[Model], Any], str] = {}

    def want(self, model: type[Model], value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            self.wanted[model, "pk"].add(value)
        elif isinstance(value, str) and value and _field(model, "code") is not None:
            self.wanted[model, "code"].add(value)

    def load(self) -> None:
        for (model, key), values in self.wanted.items():
            rows = model._default_manager.filter(**{f"{key}__in": values}).order_by()
            pairs: Iterable[tuple[Any, str]]
            if model is Organization:
                pairs = rows.values_list(key, "name")
            else:
                pairs = [(getattr(o, key), str(o)) for o in rows]
            for value, name in pairs:
                self.found[model, value] = name

    def name(self, model: type[Model], value: Any) -> str:
        found = self.found.get((model, value))
        if found is None:
            return _("%(kind)s %(value)s (no longer there)") % {
                "kind": model._meta.verbose_name,
                "value": value,
            }
        return found


def _related(f: Field[Any, Any] | None) -> type[Model] | None:
    if isinstance(f, ForeignKey | ManyToManyField) and isinstance(f.related_model, type):
        return f.related_model
    return None


def _want_names(model: type[Model] | None, data: Any, names: _Names) -> None:
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        related = _related(_field(model, key))
        if related is not None:
            for each in value if isinstance(value, list) else [value]:
                names.want(related, each)
        elif isinstance(value, dict):
            _want_names(model, value, names)


def _plain(model: type[Model] | None, key: str, value: Any, names: _Names) -> str:
    """One stored value as people read it."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    f = _field(model, key)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    related = _related(f)
    if related is not None:
        values = value if isinstance(value, list) else [value]
        return "、".join(names.name(related, each) for each in values)
    if f is not None and f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, list):
        # a list of field names ("fields": ["id_number", "phone"]) reads as their labels
        return "、".join(
            _label(model, v) if isinstance(v, str) else _plain(model, key, v, names) for v in value
        )
    if isinstance(value, dict):
        return "，".join(
            f"{_label(model, k)}：{_plain(model, k, v, names)}" for k, v in value.items()
        )
    return str(value)


def _changes(event: AuditEvent, model: type[Model] | None, names: _Names) -> list[Change]:
    before = event.before if isinstance(event.before, dict) else None
    after = event.after if isinstance(event.after, dict) else {}
    keys = [*after]
    if before:
        keys += [k for k in before if k not in after]
    # in the order of the model's fields (PostgreSQL's jsonb keeps keys in an order of its own)
    order = {f.name: n for n, f in enumerate(model._meta.get_fields())} if model else {}
    keys.sort(key=lambda k: order.get(k, len(order)))
    out = []
    for key in keys:
        if key in HIDDEN_KEYS:
            continue
        new = after.get(key)
        if before is None:
            if new in (None, "", [], {}):
                continue  # nothing was set
            out.append(
                Change(_label(model, key), "", _plain(model, key, new, names), only_new=True)
            )
        elif before.get(key) != new:
            out.append(
                Change(
                    _label(model, key),
                    _plain(model, key, before.get(key), names),
                    _plain(model, key, new, names),
                )
            )
    return out


def describe(events: Iterable[AuditEvent]) -> list[Entry]:
    """The rows in words; `actor` should be selected with them."""
    events = list(events)
    names = _Names()
    models = {e.target_type: _model(e.target_type) for e in events}
    for e in events:
        if e.org_id is not None:
            names.want(Organization, e.org_id)
        model = models[e.target_type]
        _want_names(model, e.before, names)
        _want_names(model, e.after, names)
    names.load()
    entries = []
    for e in events:
        model = models[e.target_type]
        kind = str(model._meta.verbose_name) if model is not None else ""
        entries.append(
            Entry(
                event=e,
                actor=str(e.actor) if e.actor_id and e.actor else _("the system"),
                action=action_label(e.action),
                org=names.name(Organization, e.org_id) if e.org_id is not None else "",
                target=e.target_label or kind,
                changes=_changes(e, model, names),
            )
        )
    return entries
