"""Where a member takes part: their branch, or for an inflow member the local organization
they are attached to (流入地为主). Records other domains keep per member at the organization
where the member takes part (a campaign's reach, later study figures) follow the member when
that place changes: the members app announces each change inside the transaction that made it,
and the domains that keep such records subscribe from their apps.py (`on_moved`), so neither
imports the other. A hook that fails fails the change: the records never part from the member."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Move:
    member_id: int
    from_org_id: int
    to_org_id: int
    to_path: str


MovedHook = Callable[[Sequence[Move]], None]
_hooks: list[MovedHook] = []


def on_moved(hook: MovedHook) -> None:
    if hook not in _hooks:
        _hooks.append(hook)


def forget(hook: MovedHook) -> None:
    if hook in _hooks:
        _hooks.remove(hook)


def announce(moves: Sequence[Move]) -> None:
    """Call every hook with these moves (members whose place of taking part changed); inside
    the caller's transaction."""
    moves = [m for m in moves if m.from_org_id != m.to_org_id]
    if not moves:
        return
    for hook in list(_hooks):
        hook(moves)
