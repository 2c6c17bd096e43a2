"""Materialized paths: each organization's path is its ancestors' keys and its own, each key
the organization's id in base 36, fixed width. A subtree is a range on one indexed column,
and the ancestors' ids are read from the path without a query."""

from __future__ import annotations

from django.db.models import Q
from django.db.models.functions import Substr
from django.db.models.lookups import Exact

KEY_WIDTH = 6
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_KEY = 36**KEY_WIDTH - 1
# Sorts after every character of the alphabet (binary / "C" collation), closing a prefix range.
PATH_END = "~"


def encode_key(org_id: int) -> str:
    if not 0 < org_id <= MAX_KEY:
        raise ValueError(f"organization id {org_id} does not fit a path key")
    digits = []
    n = org_id
    while n:
        n, r = divmod(n, 36)
        digits.append(ALPHABET[r])
    return "".join(reversed(digits)).rjust(KEY_WIDTH, "0")


def decode_key(key: str) -> int:
    return int(key, 36)


def child_path(parent_path: str, org_id: int) -> str:
    return parent_path + encode_key(org_id)


def ancestor_ids(path: str, *, include_self: bool = True) -> list[int]:
    """Ids from the root down to this organization (or its parent)."""
    keys = [path[i : i + KEY_WIDTH] for i in range(0, len(path), KEY_WIDTH)]
    if not include_self:
        keys = keys[:-1]
    return [decode_key(k) for k in keys]


def depth_of(path: str) -> int:
    return len(path) // KEY_WIDTH - 1


def subtree_bounds(path: str) -> tuple[str, str]:
    """[low, high) of the paths in the subtree rooted at `path`, the root included."""
    return path, path + PATH_END


def subtree_q(field: str, path: str, *, indexed: bool = True) -> Q:
    """The rows whose `field` (a path) lies in the subtree rooted at `path`. Indexed: a range
    the path's index serves. Not indexed: the same rows as a condition no index serves (the
    path's first characters), for a list that walks another index, its sort order, and
    tests the subtree row by row: given a range, a planner may read the subtree through the
    path index and sort all of it, where walking the sort order finds a page after a few
    hundred rows."""
    if indexed:
        low, high = subtree_bounds(path)
        return Q(**{f"{field}__gte": low, f"{field}__lt": high})
    return Q(Exact(Substr(field, 1, len(path)), path))
