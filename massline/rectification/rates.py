"""The three rates (三率, decision 0022 "The three rates"): response, resolution and satisfaction
of an organization's subtree, and the same for each of its children, ranked; plus the overdue
counts. Every figure is read from the organization counters (`orgs.counters`): two queries
whatever the level (the children, then the counters of the organization and its children).

A rate's formula is declared data: a numerator and a denominator, each a weighted sum of
counter codes (`DEFAULT_FORMULAS`), overridable per rate by the setting `RECTIFICATION_RATES`
(checked at start: an unknown rate, counter or weight is refused with the setting's name and
the place). A rate is None, with its reason, when its denominator is 0.

The k rule: below `RECTIFICATION_EVALUATION_K` evaluations (default 5) the verdicts are not
broken down: only the number of evaluations is given, and a rate whose formula reads a
verdict is withheld too (the resolution and satisfaction rates with the total give the
verdicts back). Rankings never rank an organization below `RECTIFICATION_RATES_MIN_SAMPLE`
(default 10) for the rate ranked by: it is listed apart, with its sample size."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from massline.access.permissions import ORGS_VIEW, RECTIFICATION_VIEW, STATS_VIEW
from massline.access.policy import access_org, can
from massline.core.errors import ApplicationError, Forbidden
from massline.orgs import counters
from massline.orgs.models import Organization

from .evaluation_services import k as evaluation_k

RESPONSE = "response_rate"
RESOLUTION = "resolution_rate"
SATISFACTION = "satisfaction_rate"
RATES = (RESPONSE, RESOLUTION, SATISFACTION)
LABELS = {
    RESPONSE: gettext_lazy("response rate"),
    RESOLUTION: gettext_lazy("resolution rate"),
    SATISFACTION: gettext_lazy("satisfaction rate"),
}

EVALUATIONS = "evaluations.total"
#: the verdicts: never broken down below k evaluations
VERDICTS = (
    "evaluations.satisfied",
    "evaluations.basically_satisfied",
    "evaluations.unsatisfied",
)
OVERDUE = ("fixes.overdue", "opinions.overdue")
#: always read with the rates (the counts behind them and the overdue figures)
SHOWN = (
    "opinions.response.due",
    "opinions.response.in_time",
    EVALUATIONS,
    *VERDICTS,
    *OVERDUE,
)

DEFAULT_MIN_SAMPLE = 10
CHILD_LIMIT = 300  # one table; a level with more is reached by going down
BASICALLY_WEIGHT = 0.5

#: {rate: {"numerator": {code: weight}, "denominator": {code: weight}}}
DEFAULT_FORMULAS: dict[str, dict[str, dict[str, float]]] = {
    RESPONSE: {
        "numerator": {"opinions.response.in_time": 1},
        "denominator": {"opinions.response.due": 1},
    },
    RESOLUTION: {
        "numerator": {"evaluations.satisfied": 1, "evaluations.basically_satisfied": 1},
        "denominator": {EVALUATIONS: 1},
    },
    SATISFACTION: {
        "numerator": {
            "evaluations.satisfied": 1,
            "evaluations.basically_satisfied": BASICALLY_WEIGHT,
        },
        "denominator": {EVALUATIONS: 1},
    },
}


@dataclass(frozen=True)
class Formula:
    key: str
    numerator: tuple[tuple[str, float], ...]
    denominator: tuple[tuple[str, float], ...]

    @property
    def codes(self) -> set[str]:
        return {c for c, _w in self.numerator + self.denominator}

    @property
    def reads_verdicts(self) -> bool:
        return bool(self.codes & set(VERDICTS))

    def words(self) -> str:
        """The formula in words: (满意 + 0.5 × 基本满意) ÷ 评价数."""
        return f"{_sum_words(self.numerator)} ÷ {_sum_words(self.denominator)}"

    def as_data(self) -> dict[str, Any]:
        return {
            "numerator": [{"code": c, "weight": w} for c, w in self.numerator],
            "denominator": [{"code": c, "weight": w} for c, w in self.denominator],
            "words": self.words(),
        }


def _weight_words(weight: float) -> str:
    return "" if weight == 1 else f"{weight:g} × "


def _sum_words(terms: tuple[tuple[str, float], ...]) -> str:
    text = " + ".join(f"{_weight_words(w)}{counters.label_of(c)}" for c, w in terms)
    return f"({text})" if len(terms) > 1 else text


def _bad(message: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"RECTIFICATION_RATES: {message}")


def _terms(
    rate: str, part: str, given: Any, known: Mapping[str, Any]
) -> tuple[tuple[str, float], ...]:
    if not isinstance(given, Mapping) or not given:
        raise _bad(f"{rate}.{part} must be a non-empty mapping of counter codes to weights")
    out = []
    for code, weight in given.items():
        if code not in known:
            raise _bad(f"{rate}.{part} names the unknown counter {code!r}")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise _bad(
                f"{rate}.{part}: the weight of {code!r} must be a number ≥ 0, not {weight!r}"
            )
        out.append((code, float(weight)))
    return tuple(out)


def formulas(overrides: Mapping[str, Any] | None = None) -> dict[str, Formula]:
    """The three formulas: the defaults, each rate replaced by the setting's when it names it.
    Raises ImproperlyConfigured saying what and where when the setting is wrong."""
    given = getattr(settings, "RECTIFICATION_RATES", None) if overrides is None else overrides
    given = given or {}
    if not isinstance(given, Mapping):
        raise _bad("must be a mapping of rate names to formulas")
    unknown = sorted(set(given) - set(RATES))
    if unknown:
        raise _bad(f"unknown rate {unknown[0]!r}; the rates are {', '.join(RATES)}")
    known = counters.metrics()
    out = {}
    for rate in RATES:
        spec = given.get(rate, DEFAULT_FORMULAS[rate])
        if not isinstance(spec, Mapping) or set(spec) != {"numerator", "denominator"}:
            raise _bad(f"{rate} must have exactly a 'numerator' and a 'denominator'")
        out[rate] = Formula(
            rate,
            _terms(rate, "numerator", spec["numerator"], known),
            _terms(rate, "denominator", spec["denominator"], known),
        )
    return out


def min_sample() -> int:
    return int(getattr(settings, "RECTIFICATION_RATES_MIN_SAMPLE", DEFAULT_MIN_SAMPLE))


def may_see(user: Any, org: Organization) -> bool:
    """The rates are figures (stats.view) of the rectification (rectification.view): either."""
    return can(user, STATS_VIEW, org) or can(user, RECTIFICATION_VIEW, org)


def access_rates(user: Any, org_id: int | str) -> Organization:
    """The organization whose rates the user asks for: NotFound outside their view,
    Forbidden when seen without stats.view or rectification.view there."""
    org = access_org(user, org_id, ORGS_VIEW)
    if not may_see(user, org):
        raise Forbidden()
    return org


# --- the figures of one organization -------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    key: str
    value: float | None  # 0..1; None with `reason`
    numerator: float
    denominator: float  # the sample size
    reason: str = ""  # "no_sample" (nothing to divide by) or "below_k"

    @property
    def label(self) -> str:
        return str(LABELS[self.key])

    @property
    def sample(self) -> int:
        return round(self.denominator)

    @property
    def percent(self) -> str:
        return "—" if self.value is None else f"{self.value * 100:.1f}%"


@dataclass
class Figures:
    org: Organization
    rates: dict[str, Rate]
    counts: dict[str, int | None]  # None: withheld under the k rule
    overdue: dict[str, int]
    broken_down: bool  # are the verdicts given (k evaluations or more)?


REASONS = {
    "no_sample": gettext_lazy("nothing to count yet"),
    "below_k": gettext_lazy("fewer than k evaluations: not broken down"),
}


def _value(figures: Mapping[str, tuple[int, int]], code: str) -> int:
    return figures.get(code, (0, 0))[1]


def _weighted(
    figures: Mapping[str, tuple[int, int]], terms: tuple[tuple[str, float], ...]
) -> float:
    return sum(w * _value(figures, c) for c, w in terms)


def figures_of(
    org: Organization, read: Mapping[str, tuple[int, int]], forms: Mapping[str, Formula], k: int
) -> Figures:
    """The rates of one organization's subtree from its counters (as `counters.read` gives)."""
    broken_down = _value(read, EVALUATIONS) >= k
    rates = {}
    for key, f in forms.items():
        num, den = _weighted(read, f.numerator), _weighted(read, f.denominator)
        hidden = f.reads_verdicts and not broken_down  # the numerator would give them
        if den <= 0:
            rates[key] = Rate(key, None, 0 if hidden else num, den, "no_sample")
        elif hidden:
            rates[key] = Rate(key, None, 0, den, "below_k")
        else:
            rates[key] = Rate(key, num / den, num, den)
    counts: dict[str, int | None] = {
        c: (None if c in VERDICTS and not broken_down else _value(read, c)) for c in _codes(forms)
    }
    return Figures(
        org=org,
        rates=rates,
        counts=counts,
        overdue={c.split(".")[0]: _value(read, c) for c in OVERDUE},
        broken_down=broken_down,
    )


def _codes(forms: Mapping[str, Formula]) -> list[str]:
    return sorted(set(SHOWN) | {c for f in forms.values() for c in f.codes})


def _read(
    org_ids: list[int], forms: Mapping[str, Formula]
) -> dict[int, dict[str, tuple[int, int]]]:
    return counters.read(org_ids, codes=_codes(forms))


def rates_of(org: Organization) -> Figures:
    """The figures of `org`'s subtree: one query."""
    forms = formulas()
    return figures_of(org, _read([org.pk], forms).get(org.pk, {}), forms, evaluation_k())


def require_breakdown(f: Figures) -> None:
    """A breakdown asked for below k evaluations: refused, saying why."""
    if not f.broken_down:
        raise ApplicationError(
            _(
                "%(org)s has %(n)d evaluations: results are broken down only from %(k)d "
                "evaluations on, so that no one's verdict can be singled out."
            )
            % {"org": f.org.name, "n": f.counts.get(EVALUATIONS) or 0, "k": evaluation_k()},
            field="breakdown",
            code="below_k",
        )


# --- rankings of the children ------------------------------------------------------------


@dataclass
class Ranked:
    figures: Figures
    rank: int | None  # None: sample too small (listed apart)


@dataclass
class Ranking:
    org: Organization
    figures: Figures
    sort: str
    min_sample: int
    ranked: list[Ranked] = field(default_factory=list)
    too_small: list[Ranked] = field(default_factory=list)
    more_children: bool = False


def check_sort(sort: str) -> str:
    if sort not in RATES:
        raise ApplicationError(
            _("Unknown rate %(value)s: rank by %(rates)s.")
            % {"value": sort, "rates": ", ".join(RATES)},
            field="sort",
        )
    return sort


def ranking(org: Organization, sort: str = SATISFACTION) -> Ranking:
    """`org`'s figures and its children's (the first CHILD_LIMIT by code), ranked by `sort`,
    highest first (ties: the larger sample, then the code); the children whose sample for that
    rate is below the minimum, or whose rate is withheld, are listed apart: two queries."""
    check_sort(sort)
    forms = formulas()
    k, least = evaluation_k(), min_sample()
    children = list(
        Organization.objects.filter(parent_id=org.pk).order_by("code")[: CHILD_LIMIT + 1]
    )
    more = len(children) > CHILD_LIMIT
    children = children[:CHILD_LIMIT]
    read = _read([org.pk, *(c.pk for c in children)], forms)
    out = Ranking(
        org=org,
        figures=figures_of(org, read.get(org.pk, {}), forms, k),
        sort=sort,
        min_sample=least,
        more_children=more,
    )
    rows = [figures_of(c, read.get(c.pk, {}), forms, k) for c in children]
    rankable = [
        f for f in rows if f.rates[sort].value is not None and f.rates[sort].sample >= least
    ]
    rankable.sort(
        key=lambda f: (-(f.rates[sort].value or 0), -f.rates[sort].denominator, f.org.code)
    )
    out.ranked = [Ranked(f, i + 1) for i, f in enumerate(rankable)]
    placed = {id(f) for f in rankable}
    out.too_small = [Ranked(f, None) for f in rows if id(f) not in placed]
    return out
