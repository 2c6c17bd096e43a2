"""The three-rates dashboard of an organization (decision 0022, "The three rates"): the three
rates as gauges (ECharts; static/js/charts.js draws the options the page carries as JSON) with
their sample sizes, the overdue counts, the formulas in words, and the children ranked by one
rate (a bar chart over a table), each a link one level down. Reads: rates.py (counters only)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from massline.accounts.requests import request_user

from .rates import (
    LABELS,
    RATES,
    REASONS,
    SATISFACTION,
    Ranked,
    Rate,
    access_rates,
    check_sort,
    evaluation_k,
    formulas,
    may_see,
    ranking,
)

RED, AMBER, GREEN = "#b3181f", "#e8a33d", "#8aa26b"


def _color(rate: Rate) -> str:
    value = rate.value or 0
    return RED if value < 0.6 else AMBER if value < 0.8 else GREEN


def gauge(rate: Rate) -> dict[str, Any]:
    """An ECharts gauge of one rate, in percent (red below 60%, amber below 80%)."""
    return {
        "series": [
            {
                "type": "gauge",
                "min": 0,
                "max": 100,
                "radius": "95%",
                "center": ["50%", "60%"],
                "startAngle": 200,
                "endAngle": -20,
                "progress": {"show": True, "width": 14, "itemStyle": {"color": _color(rate)}},
                "axisLine": {
                    "lineStyle": {"width": 14, "color": [[0.6, RED], [0.8, AMBER], [1, GREEN]]}
                },
                "axisTick": {"show": False},
                "splitLine": {"length": 6, "lineStyle": {"width": 1}},
                "axisLabel": {"distance": 18, "fontSize": 10},
                "pointer": {"show": False},
                "title": {"show": False},
                "detail": {
                    "valueAnimation": False,
                    "offsetCenter": [0, "10%"],
                    "fontSize": 22,
                    "formatter": "{value}%",
                },
                "data": [{"value": round((rate.value or 0) * 100, 1), "name": rate.label}],
            }
        ]
    }


def ranking_bars(title: str, rows: list[Ranked], key: str) -> dict[str, Any]:
    """The ranked children's rate in percent, the first on top."""
    names = [r.figures.org.name for r in rows][::-1]
    values = [round((r.figures.rates[key].value or 0) * 100, 1) for r in rows][::-1]
    return {
        "title": {"text": title, "left": "center", "top": 0, "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "color": [RED],
        "grid": {"left": 8, "right": 40, "top": 32, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}},
        "yAxis": {
            "type": "category",
            "data": names,
            "axisTick": {"show": False},
            "axisLabel": {"width": 110, "overflow": "truncate", "fontSize": 11},
        },
        "series": [
            {
                "type": "bar",
                "data": values,
                "label": {"show": True, "position": "right", "fontSize": 11, "formatter": "{c}%"},
            }
        ],
    }


def _height(bars: int) -> str:
    if bars > 14:
        return "ml-chart-taller"
    return "ml-chart-tall" if bars > 6 else ""


@login_required
def rates_page(request: HttpRequest, org_id: int) -> HttpResponse:
    user = request_user(request)
    org = access_rates(user, org_id)
    sort = request.GET.get("sort") or SATISFACTION
    if sort not in RATES:
        sort = SATISFACTION
    r = ranking(org, check_sort(sort))
    forms = formulas()
    gauges = [
        {
            "key": key,
            "id": f"gauge-{key}",
            "rate": r.figures.rates[key],
            "reason": REASONS.get(r.figures.rates[key].reason, ""),
            "words": forms[key].words(),
            "option": gauge(r.figures.rates[key])
            if r.figures.rates[key].value is not None
            else None,
        }
        for key in RATES
    ]
    for item in r.ranked + r.too_small:
        item.linked = may_see(user, item.figures.org)  # type: ignore[attr-defined]
    # unranked children with something counted are listed; those with nothing, only counted
    small = [i for i in r.too_small if any(x.denominator for x in i.figures.rates.values())]
    title = str(LABELS[sort])
    parent = org.parent
    return render(
        request,
        "rectification/rates.html",
        {
            "nav": "rectification",
            "org": org,
            "r": r,
            "f": r.figures,
            "c": {
                "due": r.figures.counts.get("opinions.response.due"),
                "in_time": r.figures.counts.get("opinions.response.in_time"),
                "evaluations": r.figures.counts.get("evaluations.total"),
                "satisfied": r.figures.counts.get("evaluations.satisfied"),
                "basically": r.figures.counts.get("evaluations.basically_satisfied"),
                "unsatisfied": r.figures.counts.get("evaluations.unsatisfied"),
            },
            "gauges": gauges,
            "k": evaluation_k(),
            "sorts": [(key, LABELS[key]) for key in RATES],
            "sort_label": title,
            "small": small,
            "nothing_yet": len(r.too_small) - len(small),
            "bars": ranking_bars(title, r.ranked, sort) if r.ranked else None,
            "bars_size": _height(len(r.ranked)),
            "parent": parent if parent is not None and may_see(user, parent) else None,
        },
    )
