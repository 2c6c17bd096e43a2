"""What the workbench shows, registered by the apps that own it (from their apps.py):

- `register_todo(code, label, count_fn, url_fn, order=)`: a kind of thing waiting for the
  user. `count_fn(user)` returns a bounded count (`selectors.capped_count`: from counters or
  an indexed, scope-bounded query stopped at 100; never a subtree scan); `url_fn(user)` the
  page where they are. Shown when the count is above zero.
- `register_figure(code, label, metrics, order=)`: a key figure, the sum of counter metrics
  (orgs.counters) at the organization the workbench is for.
- `register_workbench_block(code, template, context_fn, order=)`: a block of the page: a
  template fragment rendered with what `context_fn(scope)` returns (None: the block is left
  out). A block reads what it needs in a bounded number of queries; `scope.figures` (the
  counters of the workbench's organization, read once for all blocks) costs it none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.utils.functional import Promise

from massline.orgs.models import Organization
from massline.orgs.selectors import OrgFigures, org_figures


@dataclass(frozen=True)
class Todo:
    code: str
    label: str | Promise
    count_fn: Callable[[Any], int]
    url_fn: Callable[[Any], str]
    order: int = 100


@dataclass(frozen=True)
class Figure:
    code: str
    label: str | Promise
    metrics: tuple[str, ...]
    order: int = 100


@dataclass
class Scope:
    """Who the workbench is for and at which organization: `org`, one of the user's scope
    roots (or another organization in view they chose); None when they reach none. `figures`
    and `may_see_figures` are set by the page before the blocks run."""

    user: Any
    org: Organization | None
    roots: list[Organization] = field(default_factory=list)
    may_see_figures: bool = False

    @cached_property
    def figures(self) -> OrgFigures | None:
        """The counters of `org` (one query, shared by every block), if the user may see them."""
        if self.org is None or not self.may_see_figures:
            return None
        return org_figures(org_ids=[self.org.pk])[self.org.pk]


@dataclass(frozen=True)
class Block:
    code: str
    template: str
    context_fn: Callable[[Scope], dict[str, Any] | None]
    order: int = 100


_todos: dict[str, Todo] = {}
_figures: dict[str, Figure] = {}
_blocks: dict[str, Block] = {}


def register_todo(
    code: str,
    label: str | Promise,
    count_fn: Callable[[Any], int],
    url_fn: Callable[[Any], str],
    *,
    order: int = 100,
) -> None:
    _todos[code] = Todo(code, label, count_fn, url_fn, order)


def register_figure(
    code: str, label: str | Promise, metrics: tuple[str, ...] | str, *, order: int = 100
) -> None:
    _figures[code] = Figure(code, label, (metrics,) if isinstance(metrics, str) else metrics, order)


def register_workbench_block(
    code: str,
    template: str,
    context_fn: Callable[[Scope], dict[str, Any] | None],
    *,
    order: int = 100,
) -> None:
    _blocks[code] = Block(code, template, context_fn, order)


def todos() -> list[Todo]:
    return sorted(_todos.values(), key=lambda t: (t.order, t.code))


def figures() -> list[Figure]:
    return sorted(_figures.values(), key=lambda f: (f.order, f.code))


def blocks() -> list[Block]:
    return sorted(_blocks.values(), key=lambda b: (b.order, b.code))
