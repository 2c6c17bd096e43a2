"""The workbench's own parts: the to-do list and the key figures blocks, the to-dos of the
notices themselves (unread notices; jobs that ended since the user last looked, which are
their unread job notices) and the organizations figure. Other apps add theirs the same way
from their apps.py."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from ..job_notices import JOB_FINISHED
from ..selectors import shown_count, unread_count
from .registry import (
    Scope,
    figures,
    register_figure,
    register_todo,
    register_workbench_block,
    todos,
)


def todo_block(scope: Scope) -> dict[str, Any]:
    items = []
    for todo in todos():
        count = todo.count_fn(scope.user)
        if count > 0:
            items.append(
                {
                    "code": todo.code,
                    "label": todo.label,
                    "count": shown_count(count),
                    "url": todo.url_fn(scope.user),
                }
            )
    return {"todos": items}


def figures_block(scope: Scope) -> dict[str, Any] | None:
    if scope.org is None:
        return None
    counted = scope.figures
    if counted is None:
        return {"figures": None}
    return {
        "figures": [
            {"code": f.code, "label": f.label, "value": sum(counted.get(m) for m in f.metrics)}
            for f in figures()
        ]
    }


def _notices_url(**query: str) -> str:
    return f"{reverse('notices:list')}?{urlencode(query)}"


def register() -> None:
    register_workbench_block("todos", "notices/blocks/todos.html", todo_block, order=10)
    register_workbench_block("figures", "notices/blocks/figures.html", figures_block, order=20)
    register_todo(
        "jobs.finished",
        _("Background jobs finished since you last looked"),
        lambda user: unread_count(user, kinds=[JOB_FINISHED]),
        lambda user: _notices_url(unread="1", kind=JOB_FINISHED),
        order=80,
    )
    register_todo(
        "notices.unread",
        _("Unread notices"),
        lambda user: unread_count(user, exclude=[JOB_FINISHED]),
        lambda user: _notices_url(unread="1"),
        order=90,
    )
    register_figure("orgs.total", _("organizations"), "orgs.total", order=10)
